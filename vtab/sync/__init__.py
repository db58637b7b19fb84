"""vtab sync: the estate into a plain SQLite file (docs/sync.md), and the diff of two syncs (docs/diff.md)."""
