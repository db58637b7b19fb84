"""apsw fails a virtual table's all-at-once IN whose list is empty: ``SQLError: <NULL>``, Filter never called.

Standalone (apsw only). With ``set_aConstraintUsage_in(i, True)``, SQLite hands xFilter a ValueList;
apsw turns it into a Python set with ``sqlite3_vtab_in_first``/``_next``. For an empty list
``sqlite3_vtab_in_first`` returns SQLITE_DONE, which apsw takes for a failure without setting a Python
exception, so the statement fails with no message. Expected: Filter receives ``set()`` (or is not
called) and the query returns no row, as ``WHERE name IN (SELECT ... WHERE 0)`` does on a native table.

Run: python scripts/repro_apsw_empty_in.py   (exits 1 while the fault is there, 0 once it is fixed)
"""

from __future__ import annotations

import sys
from typing import Any

import apsw

FILTERED: list[tuple[Any, ...]] = []


class Module:
    def Create(self, db: apsw.Connection, *args: Any) -> tuple[str, Table]:
        return "CREATE TABLE x(name TEXT)", Table()

    Connect = Create


class Table:
    def BestIndexObject(self, info: apsw.IndexInfo) -> bool:
        for i in range(info.nConstraint):
            if info.get_aConstraint_op(i) == apsw.SQLITE_INDEX_CONSTRAINT_EQ and info.get_aConstraint_usable(
                i
            ):
                info.set_aConstraintUsage_argvIndex(i, 1)
                info.set_aConstraintUsage_omit(i, True)
                if info.get_aConstraintUsage_in(i):
                    info.set_aConstraintUsage_in(i, True)  # the whole IN list in one Filter, as a set
                break
        return True

    def Open(self) -> Cursor:
        return Cursor()

    def Disconnect(self) -> None:
        pass

    Destroy = Disconnect


class Cursor:
    def Filter(self, indexnum: int, indexname: str | None, args: tuple[Any, ...]) -> None:
        FILTERED.append(args)
        wanted = args[0] if args and isinstance(args[0], set) else set(args)
        self.rows = [name for name in ("a", "b") if not args or name in wanted]

    def Eof(self) -> bool:
        return not self.rows

    def Next(self) -> None:
        self.rows.pop(0)

    def Column(self, number: int) -> str:
        return self.rows[0]

    def Rowid(self) -> int:
        return 1

    def Close(self) -> None:
        pass


def main() -> int:
    print("apsw", apsw.apsw_version(), "SQLite", apsw.sqlite_lib_version())
    db = apsw.Connection(":memory:")
    db.create_module("m", Module(), use_bestindex_object=True, eponymous=True)
    db.execute("CREATE TABLE wanted(name TEXT)")
    failed = False
    for sql in (
        "SELECT name FROM m WHERE name IN ('a', 'b')",  # works: Filter gets {'a', 'b'}
        "SELECT name FROM m WHERE name IN (SELECT name FROM wanted)",  # empty: fails
        "SELECT name FROM m WHERE name IN (SELECT 'a' WHERE 0)",  # empty: fails
    ):
        FILTERED.clear()
        try:
            print(f"{sql}\n  -> {db.execute(sql).fetchall()}, Filter calls: {FILTERED}")
        except apsw.Error as error:
            failed = True
            print(f"{sql}\n  -> {type(error).__name__}: {error}, Filter calls: {FILTERED}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
