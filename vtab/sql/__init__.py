"""The statement being run: SQLite's tokens, StackQL's names, guards on what a statement may do, its
tracking through a transaction, and its interruption."""
