"""vtab.dbapi against PEP 249: the module's attributes, the exception hierarchy and apsw's errors mapped
onto it with vtab's messages, the cursor protocol, ``description`` types, and transactions as vtab runs
them (a write waits for commit(), which sends it; rollback and close send nothing; reads are live)."""

from __future__ import annotations

import datetime
import threading
from typing import Any

import apsw
import pytest

import vtab.dbapi
from tests.test_writes_helpers import write_calls
from vtab.dbapi import errors
from vtab.dbapi.connection import opens_savepoint, writes
from vtab.emulator import Emulator

INSERT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "VALUES (?, ?, ?, 'us-east-1')"
)
KEYS = "SELECT integration_response_key FROM integration_responses WHERE region = 'us-east-1' ORDER BY 1"


@pytest.fixture
def parent(emulator: Emulator) -> tuple[str, str]:
    """An integration without responses in us-east-1."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    emulator.clear_calls()
    return seeded.integrations[0]


def connect(emulator: Emulator, **options: Any) -> vtab.dbapi.Connection:
    return vtab.dbapi.connect(endpoint_url=emulator.endpoint_url, cache_ttl=0, **options)


def keys(emulator: Emulator, parent: tuple[str, str]) -> list[str]:
    return sorted(m["IntegrationResponseKey"] for m in emulator.integration_responses("us-east-1", *parent))


# The module


def test_module_attributes_are_pep_249s() -> None:
    assert vtab.dbapi.apilevel == "2.0"
    assert vtab.dbapi.threadsafety == 1
    assert vtab.dbapi.paramstyle == "qmark"
    assert vtab.dbapi.sqlite_version_info == tuple(int(p) for p in apsw.sqlite_lib_version().split("."))
    for name in ("Date", "Time", "Timestamp", "DateFromTicks", "TimeFromTicks", "TimestampFromTicks"):
        assert callable(getattr(vtab.dbapi, name))
    assert vtab.dbapi.Binary(bytearray(b"ab")) == b"ab"
    assert vtab.dbapi.TimestampFromTicks(0) == datetime.datetime.fromtimestamp(0)


def test_the_exception_hierarchy_is_pep_249s() -> None:
    d = vtab.dbapi
    assert issubclass(d.Warning, Exception) and not issubclass(d.Warning, d.Error)
    assert issubclass(d.Error, Exception)
    assert issubclass(d.InterfaceError, d.Error) and not issubclass(d.InterfaceError, d.DatabaseError)
    assert issubclass(d.DatabaseError, d.Error)
    for name in ("DataError", "OperationalError", "IntegrityError", "InternalError", "ProgrammingError"):
        assert issubclass(getattr(d, name), d.DatabaseError), name
    assert issubclass(d.NotSupportedError, d.DatabaseError)
    # the connection exposes them too (PEP 249's optional extension), through the module
    assert vtab.dbapi.connect().apsw_connection is not None


@pytest.mark.parametrize(
    ("apsw_error", "pep249"),
    [
        (apsw.SQLError, vtab.dbapi.ProgrammingError),
        (apsw.BindingsError, vtab.dbapi.ProgrammingError),
        (apsw.ConstraintError, vtab.dbapi.IntegrityError),
        (apsw.TooBigError, vtab.dbapi.DataError),
        (apsw.BusyError, vtab.dbapi.OperationalError),
        (apsw.IOError, vtab.dbapi.OperationalError),
        (apsw.ReadOnlyError, vtab.dbapi.OperationalError),
        (apsw.PermissionsError, vtab.dbapi.OperationalError),
        (apsw.InterruptError, vtab.dbapi.OperationalError),
        (apsw.InternalError, vtab.dbapi.InternalError),
        (apsw.CursorClosedError, vtab.dbapi.InterfaceError),
        (apsw.CorruptError, vtab.dbapi.DatabaseError),
    ],
)
def test_each_apsw_error_is_raised_as_its_pep_249_class_with_its_message(
    apsw_error: type[apsw.Error], pep249: type[vtab.dbapi.Error]
) -> None:
    mapped = errors.as_pep249(apsw_error("what vtab said"))
    assert type(mapped) is pep249
    assert str(mapped) == "what vtab said"


def test_sqlites_error_code_and_the_apsw_error_come_along() -> None:
    conn = vtab.dbapi.connect()
    with pytest.raises(vtab.dbapi.ProgrammingError, match="no such table: nowhere") as caught:
        conn.cursor().execute("SELECT * FROM nowhere")
    assert caught.value.sqlite_errorcode == apsw.SQLITE_ERROR
    assert caught.value.sqlite_errorname == "SQLITE_ERROR"
    assert isinstance(caught.value.__cause__, apsw.SQLError)


def test_a_bad_option_is_a_programming_error_naming_it() -> None:
    with pytest.raises(vtab.dbapi.ProgrammingError, match=r"option regions='us-east-9'.*did you mean"):
        vtab.dbapi.connect(regions="us-east-9")


def test_vtabs_own_errors_carry_sqlites_code_of_their_kind(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    with pytest.raises(vtab.dbapi.ProgrammingError, match="us-east-9") as refused:
        vtab.dbapi.connect(regions="us-east-9")
    assert (refused.value.sqlite_errorcode, refused.value.sqlite_errorname) == (
        apsw.SQLITE_ERROR,
        "SQLITE_ERROR",
    )
    conn = connect(emulator, regions="us-east-1")
    with pytest.raises(vtab.dbapi.IntegrityError, match="retention_in_days = 7777") as constraint:
        conn.execute("INSERT INTO logs_log_groups (log_group_name, retention_in_days) VALUES ('g', 7777)")
    assert constraint.value.sqlite_errorcode == apsw.SQLITE_CONSTRAINT
    assert constraint.value.sqlite_errorname == "SQLITE_CONSTRAINT"


def test_vtabs_refusals_keep_their_messages(emulator: Emulator, parent: tuple[str, str]) -> None:
    cur = connect(emulator, regions="us-east-1").cursor()
    with pytest.raises(
        vtab.dbapi.ProgrammingError, match=r"data__Identifier = '<ApiId>': still a placeholder"
    ):
        cur.execute("SELECT * FROM integration_responses WHERE data__Identifier = '<ApiId>'")
    with pytest.raises(vtab.dbapi.IntegrityError, match=r"integration_response_key.*NULL|required") as caught:
        cur.execute(INSERT, (*parent, None))
        cur.connection.commit()
    assert isinstance(caught.value.__cause__, apsw.ConstraintError)
    with pytest.raises(vtab.dbapi.OperationalError, match="read_only"):
        connect(emulator, read_only=True).cursor().execute(INSERT, (*parent, "a"))
    assert write_calls(emulator) == []


# The cursor protocol


def test_cursor_protocol_over_a_live_table(emulator: Emulator) -> None:
    emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3)
    conn = connect(emulator)
    cur = conn.cursor()
    assert cur.arraysize == 1 and cur.description is None and cur.rowcount == -1
    assert cur.execute(KEYS) is cur
    assert cur.rowcount == -1  # a SELECT's count is not known before its rows are read
    assert cur.fetchone() == ("$default",)
    assert cur.fetchmany() == [("200",)]
    assert cur.fetchmany(5) == [("400",)]
    assert cur.fetchone() is None
    assert cur.fetchall() == []
    cur.arraysize = 2
    assert cur.execute(KEYS).fetchmany() == [("$default",), ("200",)]
    assert cur.fetchall() == [("400",)]
    assert [row for row in cur.execute(KEYS)] == [("$default",), ("200",), ("400",)]
    rows = conn.cursor().execute(
        "SELECT integration_response_key FROM integration_responses WHERE region = ? AND "
        "integration_response_key = ?",
        ("us-east-1", "200"),
    )
    assert rows.fetchall() == [("200",)]
    cur.setinputsizes([None])
    cur.setoutputsize(10)


def test_fetchmany_of_zero_or_less_fetches_nothing() -> None:
    cur = vtab.dbapi.connect().execute("SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3")
    assert cur.fetchmany(0) == []
    assert cur.fetchmany(-1) == []
    assert cur.fetchmany(2) == [(1,), (2,)]
    assert cur.fetchall() == [(3,)]


def test_fetching_without_a_result_set_is_an_error() -> None:
    cur = vtab.dbapi.connect().cursor()
    with pytest.raises(vtab.dbapi.ProgrammingError, match="no rows to fetch"):
        cur.fetchone()
    cur.execute("CREATE TABLE t(a)")
    assert cur.description is None
    with pytest.raises(vtab.dbapi.ProgrammingError, match="no rows to fetch"):
        cur.fetchall()


def test_closed_cursors_and_connections_are_interface_errors() -> None:
    conn = vtab.dbapi.connect()
    cur = conn.cursor()
    cur.close()
    cur.close()  # again: nothing
    with pytest.raises(vtab.dbapi.InterfaceError, match="cursor is closed"):
        cur.execute("SELECT 1")
    other = conn.cursor()
    conn.close()
    conn.close()
    with pytest.raises(vtab.dbapi.InterfaceError, match="connection is closed"):
        other.execute("SELECT 1")
    with pytest.raises(vtab.dbapi.InterfaceError, match="connection is closed"):
        conn.cursor()
    with pytest.raises(vtab.dbapi.InterfaceError):
        conn.commit()


def test_a_connection_busy_in_another_thread_raises_interface_error_and_stays_open() -> None:
    conn = vtab.dbapi.connect()
    started, release = threading.Event(), threading.Event()

    def hold() -> int:
        started.set()
        release.wait()
        return 1

    conn.apsw_connection.create_scalar_function("hold", hold)
    other = threading.Thread(target=lambda: conn.execute("SELECT hold()").fetchall())
    other.start()
    started.wait()
    try:
        for use in (lambda: conn.execute("SELECT 1"), conn.commit, conn.rollback, conn.close):
            with pytest.raises(vtab.dbapi.InterfaceError, match="busy in another thread"):
                use()
    finally:
        release.set()
        other.join()
    assert not conn.closed
    assert conn.execute("SELECT 2").fetchall() == [(2,)]


def test_description_gives_names_and_declared_types_that_equal_the_type_objects(emulator: Emulator) -> None:
    emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    cur = connect(emulator).cursor()
    cur.execute(
        "SELECT name, version, deletion_protection, 1 + 1 AS two FROM eks_clusters WHERE region = 'us-east-1'"
    )
    assert cur.description is not None  # described though no cluster exists (no row was read)
    assert [column[0] for column in cur.description] == ["name", "version", "deletion_protection", "two"]
    assert all(len(column) == 7 for column in cur.description)
    name, _, protection, two = (column[1] for column in cur.description)
    assert name == vtab.dbapi.STRING and name != vtab.dbapi.NUMBER
    assert protection == vtab.dbapi.NUMBER  # a boolean is 0/1
    assert two is None  # an expression has no declared type
    cur.execute("CREATE TABLE t(b BLOB, d DATETIME, r REAL)")
    cur.execute("SELECT * FROM t")
    blob, when, real = (column[1] for column in cur.description or ())
    assert blob == vtab.dbapi.BINARY and when == vtab.dbapi.DATETIME and real == vtab.dbapi.NUMBER
    assert when != vtab.dbapi.NUMBER and vtab.dbapi.ROWID != "INTEGER"


def test_dates_and_times_are_bound_as_iso_text() -> None:
    conn = vtab.dbapi.connect()
    cur = conn.execute(
        "SELECT ?, ?, ?",
        (vtab.dbapi.Date(2024, 5, 6), vtab.dbapi.Time(7, 8, 9), vtab.dbapi.Timestamp(2024, 5, 6, 7, 8, 9)),
    )
    assert cur.fetchone() == ("2024-05-06", "07:08:09", "2024-05-06 07:08:09")
    with pytest.raises(vtab.dbapi.ProgrammingError, match="binding"):
        conn.execute("SELECT ?", (object(),))
    with pytest.raises(vtab.dbapi.ProgrammingError, match="bindings"):
        conn.execute("SELECT ?", (1, 2))


# Transactions


def test_a_write_waits_for_commit_which_sends_it(emulator: Emulator, parent: tuple[str, str]) -> None:
    conn = connect(emulator)
    cur = conn.cursor()
    cur.execute(INSERT, (*parent, "a"))
    assert cur.rowcount == 1
    assert conn.in_transaction
    assert write_calls(emulator) == []  # queued, not sent
    assert cur.execute(KEYS).fetchall() == []  # a read is live: it does not see the queued write
    conn.commit()
    assert not conn.in_transaction
    assert keys(emulator, parent) == ["a"]
    assert cur.execute(KEYS).fetchall() == [("a",)]


def test_rollback_and_close_send_nothing(emulator: Emulator, parent: tuple[str, str]) -> None:
    conn = connect(emulator)
    conn.cursor().executemany(INSERT, [(*parent, "a"), (*parent, "b")])
    conn.rollback()
    conn.commit()  # nothing left to send
    conn.cursor().execute(INSERT, (*parent, "c"))
    conn.close()
    assert write_calls(emulator) == []
    assert keys(emulator, parent) == []


def test_a_savepoint_begins_the_transaction_so_its_release_sends_nothing(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    conn = connect(emulator)
    conn.execute("SAVEPOINT outer_block")
    conn.execute(INSERT, (*parent, "a"))
    conn.execute("RELEASE outer_block")  # the savepoint ends; the transaction, begun before it, does not
    assert conn.in_transaction
    assert write_calls(emulator) == []
    conn.rollback()
    assert keys(emulator, parent) == []
    conn.execute("SAVEPOINT s")
    conn.executemany(INSERT, [(*parent, "b"), (*parent, "c")])
    conn.execute("RELEASE s")
    conn.commit()
    assert keys(emulator, parent) == ["b", "c"]


def test_executemany_counts_rows_and_commit_sends_them_together(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    conn = connect(emulator)
    cur = conn.cursor()
    cur.executemany(INSERT, [(*parent, "a"), (*parent, "b"), (*parent, "c")])
    assert cur.rowcount == 3
    conn.commit()
    assert keys(emulator, parent) == ["a", "b", "c"]


def test_reads_begin_no_transaction(emulator: Emulator) -> None:
    conn = connect(emulator)
    conn.cursor().execute(KEYS).fetchall()
    assert not conn.in_transaction
    conn.cursor().execute("WITH x AS (SELECT 1) SELECT * FROM x")
    assert not conn.in_transaction


def test_autocommit_sends_each_statement_as_it_ends(emulator: Emulator, parent: tuple[str, str]) -> None:
    conn = connect(emulator, regions="us-east-1")
    conn.cursor().execute(INSERT, (*parent, "queued"))
    conn.autocommit = True  # commits what was queued
    assert keys(emulator, parent) == ["queued"]
    cur = conn.cursor().execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
        "VALUES (?, ?, 'now') RETURNING integration_response_key",
        parent,
    )
    assert not conn.in_transaction
    assert cur.fetchall() == [("now",)]
    assert keys(emulator, parent) == ["now", "queued"]


def test_returning_in_the_modules_own_transaction_says_how_to_send_at_once(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    conn = connect(emulator, regions="us-east-1")
    with pytest.raises(
        vtab.dbapi.ProgrammingError, match=r"RETURNING inside a transaction.*autocommit = True"
    ):
        conn.cursor().execute(
            "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
            "VALUES (?, ?, 'x') RETURNING integration_response_key",
            parent,
        )
    conn.commit()
    assert write_calls(emulator) == []


def test_the_connection_as_a_context_commits_or_rolls_back_then_closes(
    emulator: Emulator, parent: tuple[str, str]
) -> None:
    with connect(emulator) as conn:
        conn.cursor().execute(INSERT, (*parent, "kept"))
    assert conn.closed
    with pytest.raises(RuntimeError), connect(emulator) as conn:
        conn.cursor().execute(INSERT, (*parent, "dropped"))
        raise RuntimeError("the block failed")
    assert keys(emulator, parent) == ["kept"]


def test_local_tables_follow_the_same_transactions(tmp_path: Any) -> None:
    path = str(tmp_path / "mine.db")
    conn = vtab.dbapi.connect(path)
    conn.cursor().execute("CREATE TABLE t(a)")
    conn.cursor().execute("INSERT INTO t VALUES (1)")
    conn.rollback()
    conn.cursor().execute("INSERT INTO t VALUES (2)")
    assert conn.cursor().lastrowid is None
    conn.commit()
    conn.close()
    assert apsw.Connection(path).execute("SELECT a FROM t").fetchall() == [(2,)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("INSERT INTO t VALUES (1)", True),
        ("  /* c */ replace into t values (1)", True),
        ("WITH x AS (SELECT 1) DELETE FROM t WHERE a IN x", True),
        ("SELECT 1; UPDATE t SET a = 1 WHERE true", True),
        ("SELECT 'INSERT INTO t VALUES (1)'", False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
        ("CREATE TABLE t(a)", False),
        ("-- INSERT INTO t\nSELECT 1", False),
    ],
)
def test_which_statements_begin_a_transaction(sql: str, expected: bool) -> None:
    assert writes(sql) is expected


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SAVEPOINT sa_savepoint_1", True),
        ("  /* c */ savepoint s", True),
        ("SELECT 1; SAVEPOINT s", True),
        ("RELEASE SAVEPOINT s", False),
        ("ROLLBACK TO SAVEPOINT s", False),
        ("SELECT 'SAVEPOINT s'", False),
    ],
)
def test_which_statements_open_a_savepoint(sql: str, expected: bool) -> None:
    assert opens_savepoint(sql) is expected
