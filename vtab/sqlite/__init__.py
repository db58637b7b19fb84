"""The SQLite side: the apsw module/table/cursor, register(), statement tracking, StackQL names, guards."""
