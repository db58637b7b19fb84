"""The diff of two versions of the estate synced by ``vtab sync``: resources added, removed and changed,
each change an RFC 6902 patch; ``vtab diff`` and the ``vtab_diff`` table-valued function both iterate
``Diff`` (docs/diff.md).

SQLite matches the rows: both files ATTACHed read-only to a private connection, each version's rows
(diff_versions) joined on the key and compared column by column; Python parses JSON text and makes a patch
only for the rows that differ, so a diff of 100,000 resources streams in seconds. A place (account,
region, table) synced completely in one version but not the other is left out, never reported as
added or removed: it is a change of kind ``unknown`` saying why.
"""

from __future__ import annotations

import datetime
import enum
import fnmatch
import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import apsw
import jsonpatch

from vtab.catalog.columns import ACCOUNT_ID, REGION, json_text, json_value, quote
from vtab.catalog.schema import Scope
from vtab.catalog.store import load_catalog
from vtab.sqlite.columns import Columns
from vtab.sqlite.diff_versions import (
    GLOBAL_REGION,
    IDENTIFIER,
    SYNCED_AT,
    DiffError,
    Place,
    PlaceVersion,
    Side,
    SyncFile,
    parse_time,
    time_text,
    version_of,
)
from vtab.sqlite.tables import resource_tables

FROM_TIME = "from_time (--from)"
TO_TIME = "to_time (--to)"
"""How messages name the two times: vtab_diff's arguments and vtab diff's flags."""
TABLES = "tables (--tables)"
"""How messages name the table globs, both ways too."""

OWN_COLUMNS = (ACCOUNT_ID, REGION, IDENTIFIER, SYNCED_AT)
"""Columns of a synced table that are the key or the sync's stamp, never a property that changed."""


class ChangeKind(enum.StrEnum):
    """What happened to a resource between the two versions."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNKNOWN = "unknown"
    """A place synced completely in only one version (or neither): its resources are not compared."""


@dataclass(frozen=True)
class Change:
    """One line of a diff: a resource added, removed or changed (with its patch), or a place left out."""

    kind: ChangeKind
    table: str
    account_id: str
    region: str
    identifier: str | None = None
    patch: list[dict[str, Any]] | None = None
    reason: str | None = None

    def row(self) -> tuple[Any, ...]:
        """The change as the columns of CHANGE_COLUMNS (the patch as JSON text)."""
        patch = None if self.patch is None else json_text(self.patch)
        return (
            self.kind.value,
            self.table,
            self.account_id,
            self.region,
            self.identifier,
            patch,
            self.reason,
        )


CHANGE_COLUMNS = ("change", "table_name", "account_id", "region", "identifier", "patch", "reason")
"""What each change shows, in vtab_diff and ``vtab diff`` alike (JSON output names table_name ``table``)."""


@dataclass(frozen=True)
class LeftOut:
    """A place not compared, and why (``NEW: failed: AccessDenied: ...``)."""

    place: Place
    reason: str

    def change(self) -> Change:
        return Change(
            ChangeKind.UNKNOWN, self.place.table, self.place.account_id, self.place.region, reason=self.reason
        )


@functools.cache
def is_global_table(table: str) -> bool:
    """Whether synced table ``table`` is of a global type (IAM, Route 53): its rows carry the region a
    sync listed it through, which is no part of the resource's place (diff_versions.GLOBAL_REGION)."""
    type_name = resource_tables().get(table)
    return type_name is not None and load_catalog().entry(type_name).scope is Scope.GLOBAL


@functools.cache
def json_columns(table: str) -> frozenset[str] | None:
    """The columns of synced table ``table`` whose text is JSON by its type's schema; for a table the
    catalog does not know, None: any object or array text is taken for JSON."""
    type_name = resource_tables().get(table)
    if type_name is None:
        return None
    return Columns.of(load_catalog().schema(type_name)).json_names


def _value(text: Any, is_json: bool | None) -> Any:
    """A cell as the patch compares it: JSON text parsed (an object or array text, where the schema is
    not known), anything else as it is."""
    if isinstance(text, bytes):
        return text.hex()  # a blob has no JSON form: its bytes, as the output formats show them
    if isinstance(text, str) and (is_json or (is_json is None and text[:1] in ("{", "["))):
        try:
            return json_value(text)
        except ValueError:
            return text
    return text


def patch_of(columns: list[str], json_names: frozenset[str] | None, old: tuple, new: tuple) -> list[dict]:
    """The RFC 6902 patch from ``old`` to ``new`` (cells of ``columns``): a NULL column is an absent
    property, so a value appearing is ``add`` and one going ``remove``; JSON text is patched inside."""

    def document(cells: tuple) -> dict[str, Any]:
        return {
            name: _value(cell, None if json_names is None else name in json_names)
            for name, cell in zip(columns, cells, strict=True)
            if cell is not None
        }

    patch: list[dict] = jsonpatch.make_patch(document(old), document(new)).patch
    return patch


def globs_match(tables: str | None) -> Callable[[str], bool]:
    """A test of a table name against comma-separated globs (``ec2_*,eks_*``; None: every table)."""
    if not tables or not tables.strip():
        return lambda name: True
    patterns = [part.strip().lower() for part in tables.split(",") if part.strip()]
    return lambda name: any(fnmatch.fnmatchcase(name.lower(), pattern) for pattern in patterns)


class Diff:
    """The diff of OLD (as of ``from_time``) against NEW (as of ``to_time``); iterate it for the changes.

    One file (``new`` None or the same file) compares two of its synced times: by default its last two.
    Two files compare each one's latest version unless a time is given. ``left_out`` is known before the
    first change: the places compared in neither direction, and why."""

    def __init__(
        self,
        old: str,
        new: str | None = None,
        from_time: str | None = None,
        to_time: str | None = None,
        tables: str | None = None,
    ) -> None:
        self.db = apsw.Connection(
            ":memory:", flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE | apsw.SQLITE_OPEN_URI
        )
        try:
            self._prepare(old, new, from_time, to_time, tables)
        except BaseException:
            self.close()
            raise

    def _prepare(
        self, old: str, new: str | None, from_time: str | None, to_time: str | None, tables: str | None
    ) -> None:
        one_file = new is None or os.path.realpath(new) == os.path.realpath(old)
        first = SyncFile.attach(self.db, old, "old")
        second = first if one_file else SyncFile.attach(self.db, new or old, "new")
        self.files = (first, second)
        wanted = globs_match(tables)
        self.db.execute("BEGIN")  # one state of each file, however long the diff streams (SyncFile.describe)
        for file in dict.fromkeys(self.files):
            file.describe()
            file.read(wanted, is_global_table)
        self.tables = sorted(
            {
                name
                for file in self.files
                for name in (*file.columns, *(p.table for p in file.tasks))
                if wanted(name)
            }
        )
        """The tables compared: those either file has or synced, that ``tables`` picks."""
        if tables and tables.strip() and not self.tables:  # a typo would read as "nothing changed"
            files = " or ".join(dict.fromkeys(file.path for file in self.files))
            raise DiffError(
                f"{TABLES} {tables!r} matches no table of {files}; leave it out to compare every table "
                "(SELECT DISTINCT table_name FROM _vtab_sync lists a file's)"
            )
        times = (
            None if from_time is None else parse_time(from_time, FROM_TIME),
            None if to_time is None else parse_time(to_time, TO_TIME),
        )
        if one_file:
            times = self._one_file_times(first, *times)
        for file, when, option in zip(self.files, times, (FROM_TIME, TO_TIME), strict=True):
            if when is not None and not [t for t in file.times() if t <= when]:
                raise DiffError(
                    f"{file.path} synced nothing at or before {option} {time_text(when)}: "
                    + _shown_times(file)
                )
        self.times = times
        """The times OLD and NEW are read as of (None: the latest)."""
        places = sorted({*first.tasks, *first.stamps, *second.tasks, *second.stamps})
        self.left_out: list[LeftOut] = []
        self.db.execute("CREATE TEMP TABLE versions(side, table_name, account_id, region, synced_at)")
        rows = []
        for place in places:
            versions = [version_of(file, place, when) for file, when in zip(self.files, times, strict=True)]
            reasons = [
                f"{side.name}: {v.incomplete}" for side, v in zip(Side, versions, strict=True) if v.incomplete
            ]
            if reasons:
                self.left_out.append(LeftOut(place, "; ".join(reasons)))
                continue
            rows += [
                (side, place.table, place.account_id, place.region, version.stamp)
                for side, version in zip(Side, versions, strict=True)
                if version.stamp is not None
            ]
        self.db.executemany("INSERT INTO temp.versions VALUES (?, ?, ?, ?, ?)", rows)
        self.db.execute(
            "CREATE INDEX temp.versions_key ON versions(side, table_name, account_id, region, synced_at)"
        )

    @staticmethod
    def _one_file_times(
        file: SyncFile, from_time: datetime.datetime | None, to_time: datetime.datetime | None
    ) -> tuple[datetime.datetime | None, datetime.datetime | None]:
        """The two times one file compares: those given, the last two by default, or --to's predecessor."""
        times = file.times()
        if to_time is None and from_time is None:
            if len(times) < 2:
                raise DiffError(
                    f"{file.path}: one file compares two of its synced times, and it has {len(times)} "
                    f"({_shown_times(file)}); sync it again with --mode append, or give a second file"
                )
            return times[-2], times[-1]
        if from_time is None:
            assert to_time is not None
            earlier = [t for t in times if t < to_time]
            if not earlier:
                raise DiffError(
                    f"{file.path} synced nothing before {TO_TIME} {time_text(to_time)}: {_shown_times(file)}"
                )
            return earlier[-1], to_time
        until = to_time or (times[-1] if times else None)
        if until is not None and from_time >= until:
            raise DiffError(
                f"{file.path}: {FROM_TIME} {time_text(from_time)} is not before "
                f"{TO_TIME if to_time else 'its last synced time'} {time_text(until)}: one file's diff "
                f"compares an earlier time with a later one ({_shown_times(file)})"
            )
        return from_time, until

    def __iter__(self) -> Iterator[Change]:
        left_out: dict[str, list[LeftOut]] = {}
        for gap in self.left_out:
            left_out.setdefault(gap.place.table, []).append(gap)
        for table in self.tables:
            for gap in left_out.get(table, ()):
                yield gap.change()
            yield from self._compare(table)

    def _compare(self, table: str) -> Iterator[Change]:
        """The changes of ``table``: each version's rows copied into a keyed temp table (the files are
        read-only and need not have an index on the key), joined there, compared cell by cell."""
        columns = list(
            dict.fromkeys(
                name for file in self.files for name in file.columns.get(table, ()) if name not in OWN_COLUMNS
            )
        )
        for side, file in zip(Side, self.files, strict=True):
            name = f"temp.diff_{side.name.lower()}"
            self.db.execute(f"DROP TABLE IF EXISTS {name}")
            self.db.execute(f"CREATE TABLE {name} AS {self._version_rows(file, side, table, columns)}")
            self.db.execute(f"CREATE INDEX {name}_key ON diff_{side.name.lower()}(k1, k2, k3)")
        cells = [f"{alias}.c{i}" for alias in "on" for i in range(len(columns))]
        differs = (
            f" OR ({', '.join(cells[: len(columns)])}) IS NOT ({', '.join(cells[len(columns) :])})"
            if columns
            else ""
        )
        sql = (
            "SELECT coalesce(o.k1, n.k1), coalesce(n.r, o.r), coalesce(o.k3, n.k3), o.k3 IS NULL, "
            f"n.k3 IS NULL{''.join(', ' + cell for cell in cells)} "
            "FROM temp.diff_old AS o FULL JOIN temp.diff_new AS n "
            "ON n.k1 = o.k1 AND n.k2 = o.k2 AND n.k3 = o.k3 "
            f"WHERE o.k3 IS NULL OR n.k3 IS NULL{differs} ORDER BY 1, 2, 3"
        )
        json_names = json_columns(table)
        width = len(columns)
        for account, region, identifier, added, removed, *values in self.db.execute(sql):
            if added:
                yield Change(ChangeKind.ADDED, table, str(account), str(region), str(identifier))
            elif removed:
                yield Change(ChangeKind.REMOVED, table, str(account), str(region), str(identifier))
            else:
                patch = patch_of(columns, json_names, tuple(values[:width]), tuple(values[width:]))
                if patch:  # the text differed, the JSON it holds did not (key order, spacing)
                    yield Change(ChangeKind.CHANGED, table, str(account), str(region), str(identifier), patch)

    @staticmethod
    def _version_rows(file: SyncFile, side: Side, table: str, columns: list[str]) -> str:
        """The SELECT of ``table``'s rows in ``file``'s version: its key as k1..k3 (a global table's region
        GLOBAL_REGION), the row's region as r, then ``columns`` as c0, c1, ... (NULL where the file's table
        lacks one); no rows where the file has no such table.
        The table is scanned once, each row's place and time looked up in temp.versions (CROSS JOIN keeps
        that order: SQLite would otherwise scan the table once per place)."""
        present = file.columns.get(table)
        cells = [
            f"{'t.' + quote(c) if present and c in present else 'NULL'} AS c{i}"
            for i, c in enumerate(columns)
        ]
        if present is None:
            empty = ["NULL AS k1", "NULL AS k2", "NULL AS k3", "NULL AS r", *cells]
            return f"SELECT {', '.join(empty)} WHERE 0"
        region = literal(GLOBAL_REGION) if is_global_table(table) else f"t.{REGION}"
        key = [f"t.{ACCOUNT_ID} AS k1", f"{region} AS k2", f"t.{IDENTIFIER} AS k3", f"t.{REGION} AS r"]
        return (
            f"SELECT {', '.join([*key, *cells])} "
            f"FROM {file.schema}.{quote(table)} AS t CROSS JOIN temp.versions AS v ON v.side = {side.value} "
            f"AND v.table_name = {literal(table)} AND v.account_id = t.{ACCOUNT_ID} "
            f"AND v.region = {region} AND v.synced_at = t.{SYNCED_AT}"
        )

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Diff:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def literal(text: str) -> str:
    """``text`` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _shown_times(file: SyncFile, shown: int = 5) -> str:
    times = file.times()
    if not times:
        return "it has no synced rows"
    listed = ", ".join(time_text(t) for t in times[-shown:])
    return f"its synced times are {'..., ' if len(times) > shown else ''}{listed}"


__all__ = ["CHANGE_COLUMNS", "Change", "ChangeKind", "Diff", "DiffError", "LeftOut", "PlaceVersion"]
