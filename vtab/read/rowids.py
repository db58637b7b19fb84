"""The rowid SQLite sees for each row, and the rows a write transaction read, by that rowid.

A resource's real key is (account, region, identifier): one identifier can name a resource in each of
several regions and accounts. vtab's tables are therefore rowid tables, and
nothing they declare claims that an identifier is unique: a WITHOUT ROWID table keyed on the identifier
made SQLite answer ``count(DISTINCT data__Identifier)`` with ``count(*)`` and drop a row from an OR whose
two scans it de-duplicated by that key.

The rowid is a 63-bit hash of the key, not a counter: the same resource has the same rowid in every
statement and connection, so ``SELECT rowid`` then ``DELETE ... WHERE rowid = ?`` acts on that resource,
and reads keep no map at all (a long session of big scans holds nothing). UPDATE and DELETE get the
rowid back from SQLite; ``ReadRows`` maps it to the exact row the statement read (kept only while a
write transaction runs).
"""

from __future__ import annotations

import hashlib

import apsw

from vtab.messages import sql_literal
from vtab.read.rows import Row

ROWID_BITS = 63
"""Positive SQLite integers: two resources share a rowid with odds of about 1 in 10^19 per pair."""


def row_key(row: Row) -> tuple[str, ...]:
    """What tells one resource from every other the table lists: its account, region and identifier (a
    connection without account options reads one account, whose rows carry none: their region and
    identifier, the same rowids as ever)."""
    if row.account is None:
        return (row.region, row.identifier)
    return (row.account, row.region, row.identifier)


def rowid_of(row: Row) -> int:
    """The row's rowid: a hash of its key, the same in every statement, connection and run."""
    text = "\x00".join(row_key(row)).encode("utf-8", "surrogatepass")
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return int.from_bytes(digest, "big") >> (64 - ROWID_BITS)


class ReadRows:
    """The rows one write transaction's statements read, by rowid: UPDATE diffs against them and DELETE
    takes its region and identifier from them, so each acts on exactly the rows its WHERE matched.

    For a global type (one resource, listed in each region read) every rowid of an identifier resolves
    to the row read first, so the resource is written once."""

    def __init__(self, is_global: bool) -> None:
        self.is_global = is_global
        self._rows: dict[int, Row] = {}
        self._first: dict[tuple[str | None, str], int] = {}
        """A global type's (account, identifier) -> the rowid of its row read first."""

    def add(self, row: Row) -> int:
        """Remember ``row`` (as the statement read it) and return its rowid."""
        rowid = rowid_of(row)
        known = self._rows.get(rowid)
        if known is not None and row_key(known) != row_key(row):
            raise apsw.ConstraintError(
                f"{sql_literal(known.identifier)} in {_place(known)} and {sql_literal(row.identifier)} in "
                f"{_place(row)} have the same rowid ({rowid}), so SQLite could not tell them apart; the "
                "write was refused before anything was sent: write each in its own statement"
            )
        if known is None:
            self._rows[rowid] = row
            if self.is_global:
                self._first.setdefault((row.account, row.identifier), rowid)
        return rowid

    def read(self, rowid: int) -> Row | None:
        """The row as the statement read it (its own region), or None if no statement read it."""
        return self._rows.get(rowid)

    def resource(self, rowid: int) -> Row | None:
        """The row a write acts on: the row read, or, for a global type, the one read first."""
        row = self._rows.get(rowid)
        if row is None or not self.is_global:
            return row
        return self._rows[self._first[(row.account, row.identifier)]]

    def replace(self, row: Row) -> None:
        """Keep ``row`` (the same resource, now read in full) in place of the partial one."""
        self._rows[rowid_of(row)] = row

    def clear(self) -> None:
        self._rows.clear()
        self._first.clear()

    def __len__(self) -> int:
        return len(self._rows)


def _place(row: Row) -> str:
    """``us-east-1`` or ``account 111111111111 us-east-1``: where a row lives, for messages."""
    return row.region if row.account is None else f"account {row.account} {row.region}"
