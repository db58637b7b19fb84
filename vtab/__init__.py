"""vtab: live AWS resources as SQLite tables, through the AWS Cloud Control API."""

__version__ = "0.1.0"
