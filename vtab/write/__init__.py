"""Writes: validation, the per-transaction queue, patches, sending and polling, reports."""
