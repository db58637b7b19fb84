"""A database file never acts, and connection options are ceilings (issue 16, findings 1 to 3).

Hostile files are crafted as an attacker would, without vtab: plain tables, views and triggers, and
virtual tables written straight into ``sqlite_schema`` (``PRAGMA writable_schema``). They are opened with
``vtab.connect``, ATTACHed, and given to ``vtab query`` and ``vtab shell``; the local endpoint's state and
call log show nothing was deleted, and a second local listener (the host a file names) shows that no
request reached it.
"""

from __future__ import annotations

import json
import threading
import warnings
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import apsw
import pytest

import vtab
from tests.test_cli import run_vtab
from tests.test_writes_helpers import error_of, rows, write_calls
from vtab.emulator import Emulator
from vtab.emulator.seed_types import SeededType
from vtab.options import CREDENTIAL_OPTIONS, OptionError
from vtab.sqlite.install import ShadowedTableWarning
from vtab.sqlite.trust import StoredTableWarning

REGION = "us-east-1"
LOG_GROUP = "AWS::Logs::LogGroup"
DELETE_ALL = f"DELETE FROM {{table}} WHERE region = '{REGION}' AND log_group_name LIKE '%'"
ROLE = "arn:aws:iam::123456789012:role/attacker"

pytestmark = pytest.mark.filterwarnings("ignore::vtab.sqlite.trust.StoredTableWarning")  # said elsewhere


# --- the pieces: a listener a file may name, a hostile file, the log groups it would delete ----------------


class Listener:
    """A second local HTTP endpoint that records every request (its headers) and answers AccessDenied."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        seen = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                seen.append(dict(self.headers))
                body = json.dumps({"__type": "AccessDeniedException", "message": "recorded"}).encode()
                self.send_response(400)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    yield server
    server.close()


@pytest.fixture
def groups(emulator: Emulator) -> SeededType:
    seeded = emulator.seed_type(LOG_GROUP, REGION, count=3)
    emulator.clear_calls()
    return seeded


def hostile(path: Path, schema: str, tables: dict[str, str] | None = None) -> Path:
    """A database file holding ``schema`` (plain SQL) and the virtual tables ``tables`` (name -> USING
    clause), written into sqlite_schema as a crafted file would hold them, with no vtab involved."""
    db = apsw.Connection(str(path))
    db.execute(schema)
    db.execute("PRAGMA writable_schema = ON")
    for name, using in (tables or {}).items():
        db.execute(
            "INSERT INTO sqlite_schema VALUES ('table', ?1, ?1, 0, ?2)",
            (name, f"CREATE VIRTUAL TABLE {name} USING {using}"),
        )
    db.close()
    return path


def trigger_file(path: Path) -> Path:
    """The finding's file: a stored table that turns read_only and dry_run off, and a trigger on a plain
    table that deletes every log group through it; a second trigger does the same on the eponymous table."""
    return hostile(
        path,
        "CREATE TABLE notes(x); CREATE TABLE memo(x); "
        f"CREATE TRIGGER wipe AFTER INSERT ON notes BEGIN {DELETE_ALL.format(table='lg')}; END; "
        "CREATE TRIGGER wipe_all AFTER INSERT ON memo "
        f"BEGIN {DELETE_ALL.format(table='logs_log_groups')}; END; "
        f"CREATE VIEW everything AS SELECT log_group_name FROM logs_log_groups WHERE region = '{REGION}'; "
        "CREATE VIEW forget AS SELECT vtab_clear_calls() AS dropped; "
        "CREATE VIEW calls AS SELECT * FROM vtab_calls",
        {"lg": "logs_log_groups(read_only=false, dry_run=false)"},
    )


def connect(path: Path | str, emulator: Emulator, **options: Any) -> apsw.Connection:
    return vtab.connect(str(path), endpoint_url=emulator.endpoint_url, regions=REGION, cache_ttl=0, **options)


def alive(emulator: Emulator, groups: SeededType) -> list[str]:
    return [name for name in groups.identifiers if emulator.resource(REGION, LOG_GROUP, name) is not None]


# --- finding 1: a file's views and triggers cannot reach vtab's tables -----------------------------------


@pytest.mark.parametrize("options", [{}, {"read_only": True}, {"dry_run": True}])
@pytest.mark.parametrize("plain_table", ["notes", "memo"])
def test_a_stored_trigger_deletes_nothing(
    tmp_path: Path, emulator: Emulator, groups: SeededType, options: dict[str, Any], plain_table: str
) -> None:
    db = connect(trigger_file(tmp_path / "inventory.db"), emulator, **options)
    error = error_of(db, f"INSERT INTO {plain_table} VALUES ('hi')")
    assert str(error).startswith("unsafe use of virtual table")
    assert "CREATE TEMP VIEW" in str(error)
    assert "pass trusted_schema=True to vtab.register()" in str(error)
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_a_stored_view_reads_nothing_and_a_temp_view_of_your_own_does(
    tmp_path: Path, emulator: Emulator, groups: SeededType
) -> None:
    db = connect(trigger_file(tmp_path / "inventory.db"), emulator)
    error = error_of(db, "SELECT * FROM everything")
    assert str(error).startswith('unsafe use of virtual table "logs_log_groups": a view or trigger stored')
    assert emulator.calls == []
    db.execute(
        "CREATE TEMP VIEW mine AS SELECT log_group_name FROM logs_log_groups WHERE region = 'us-east-1'; "
        "CREATE TEMP TABLE seen(name); CREATE TEMP TRIGGER look AFTER INSERT ON notes "
        "BEGIN INSERT INTO seen SELECT log_group_name FROM logs_log_groups WHERE region = 'us-east-1'; END"
    )
    assert sorted(name for (name,) in rows(db, "SELECT * FROM mine")) == sorted(groups.identifiers)
    db.execute("DROP TRIGGER main.wipe")  # the file's own trigger on notes would still be refused
    db.execute("INSERT INTO notes VALUES ('hi')")
    assert sorted(name for (name,) in rows(db, "SELECT name FROM seen")) == sorted(groups.identifiers)


def test_a_files_own_vtab_dry_run_or_vtab_calls_is_named_in_a_warning(
    tmp_path: Path, emulator: Emulator, groups: SeededType
) -> None:
    """A file's view named vtab_dry_run would answer the review of a dry run with rows of its choosing
    (SQLite finds a stored name before an eponymous table): the warning names it, as it names a stored
    table hiding a resource table."""
    path = hostile(
        tmp_path / "inventory.db",
        "CREATE VIEW vtab_dry_run AS SELECT 'nothing would be deleted' AS note; CREATE TABLE VTAB_CALLS(seq)",
        {"vtab_types": "logs_log_groups(regions='us-east-1')"},
    )
    with pytest.warns(ShadowedTableWarning) as caught:
        db = connect(path, emulator, dry_run=True)
    [warning] = [w.message for w in caught if isinstance(w.message, ShadowedTableWarning)]
    assert warning.names == ["VTAB_CALLS", "vtab_dry_run", "vtab_types"]
    assert "vtab_dry_run" in str(warning) and "ALTER TABLE x RENAME TO x_snapshot" in str(warning)
    db.execute(DELETE_ALL.format(table="logs_log_groups"))
    assert rows(db, "SELECT note FROM vtab_dry_run") == [("nothing would be deleted",)]  # as warned


def test_no_trigger_writes_to_a_vtab_table_not_even_a_temp_one(
    emulator: Emulator, groups: SeededType
) -> None:
    """SQLite refuses any trigger's write to a direct-only table (its vtabIsReadOnly), TEMP ones too."""
    db = connect(":memory:", emulator)
    db.execute(
        "CREATE TEMP TABLE cleanup(x); CREATE TEMP TRIGGER wipe AFTER INSERT ON cleanup "
        f"BEGIN {DELETE_ALL.format(table='logs_log_groups')}; END"
    )
    error = error_of(db, "INSERT INTO cleanup VALUES (1)")
    assert str(error).startswith('unsafe use of virtual table "logs_log_groups"')
    assert "no trigger may write to a vtab table" in str(error)
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_a_stored_view_cannot_call_vtabs_functions_or_read_its_log(
    tmp_path: Path, emulator: Emulator
) -> None:
    db = connect(trigger_file(tmp_path / "inventory.db"), emulator)
    db.execute("SELECT log_group_name FROM logs_log_groups WHERE region = 'us-east-1'").fetchall()
    error = error_of(db, "SELECT * FROM forget")
    assert str(error).startswith("unsafe use of vtab_clear_calls()")
    assert rows(db, "SELECT count(*) FROM vtab_calls") == [(1,)]
    assert str(error_of(db, "SELECT * FROM calls")).startswith('unsafe use of virtual table "vtab_calls"')
    db.execute("CREATE TEMP VIEW my_calls AS SELECT operation FROM vtab_calls")
    assert rows(db, "SELECT * FROM my_calls") == [("ListResources",)]
    assert rows(db, "SELECT vtab_clear_calls()") == [(1,)]  # your own SQL may


def test_an_attached_file_deletes_nothing(tmp_path: Path, emulator: Emulator, groups: SeededType) -> None:
    path = trigger_file(tmp_path / "inventory.db")
    db = connect(":memory:", emulator)
    db.execute("ATTACH ? AS other", (str(path),))
    for sql in ("INSERT INTO other.notes VALUES ('hi')", "INSERT INTO other.memo VALUES (1)"):
        assert str(error_of(db, sql)).startswith("unsafe use of virtual table")
    assert str(error_of(db, "SELECT * FROM other.everything")).startswith("unsafe use of virtual table")
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_trusted_schema_lets_a_files_views_and_triggers_act(
    tmp_path: Path, emulator: Emulator, groups: SeededType
) -> None:
    db = connect(trigger_file(tmp_path / "inventory.db"), emulator, trusted_schema=True)
    assert sorted(name for (name,) in rows(db, "SELECT * FROM everything")) == sorted(groups.identifiers)
    db.execute("INSERT INTO notes VALUES ('hi')")
    assert alive(emulator, groups) == []


def test_trusted_schema_is_the_connections_only(tmp_path: Path, emulator: Emulator) -> None:
    db = connect(":memory:", emulator)
    error = error_of(db, "CREATE VIRTUAL TABLE temp.mine USING logs_log_groups(trusted_schema=true)")
    assert str(error) == (
        "mine: option trusted_schema is the connection's, not a table's: a database file cannot trust "
        "itself; pass trusted_schema=True to vtab.register() if you trust the files you open"
    )
    path = hostile(tmp_path / "self.db", "CREATE TABLE t(x)", {"x": "logs_log_groups(trusted_schema=1)"})
    db = connect(path, emulator)
    error = error_of(db, "SELECT * FROM x WHERE region = 'us-east-1'")
    assert str(error).startswith("main.x: option trusted_schema is the connection's, not a table's")
    assert emulator.calls == []


# --- finding 2: a stored table may not choose credentials, identity or destination -----------------------


@pytest.fixture
def other_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A profile of the user's config other than the one in use (the one a file would pick)."""
    config = tmp_path / "config"
    config.write_text("[profile other]\naws_access_key_id = other\naws_secret_access_key = other\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    return "other"


def credential_value(name: str, listener: Listener, profile: str) -> str:
    return {
        "endpoint_url": listener.url,
        "profile": profile,
        "role_arn": ROLE,
        "account_id": "123456789012",
        "accounts": "111111111111,222222222222",
        "assume_role_name": "AuditRole",
        "external_id": "their-external-id",
        "organizational_units": "ou-ab12-cd34ef56",
        "skip_accounts": "111111111111",
        "profiles": profile,
    }[name]


LISTED = ", ".join(sorted(CREDENTIAL_OPTIONS))
"""How the refusals list the credential options."""


@pytest.mark.parametrize("name", sorted(CREDENTIAL_OPTIONS))
def test_a_stored_table_may_not_choose_credentials(
    name: str, tmp_path: Path, emulator: Emulator, listener: Listener, other_profile: str
) -> None:
    value = credential_value(name, listener, other_profile)
    path = tmp_path / "inventory.db"
    hostile(path, "CREATE TABLE notes(x)", {"x": f"logs_log_groups({name}='{value}', max_attempts=1)"})
    emulator.seed_type(LOG_GROUP, REGION, count=1)
    emulator.clear_calls()
    db = connect(path, emulator)
    error = error_of(db, "SELECT * FROM x WHERE region = 'us-east-1'")
    assert type(error) is apsw.SQLError
    assert str(error) == (
        f"main.x: option {name}={value!r}: a table stored in main ({path}) may not choose credentials, "
        f"identity or where requests go ({LISTED}); create it with your "
        "own SQL in temp (CREATE VIRTUAL TABLE temp.<name> USING ...), or, if you trust the file, pass "
        "trusted_schema=True to vtab.register()"
    )
    assert listener.requests == []
    assert emulator.calls == []
    db.execute("DROP TABLE x")  # the refused table can still be removed from the file
    assert rows(db, "SELECT name FROM sqlite_schema WHERE name = 'x'") == []


def test_an_attached_files_table_may_not_send_requests_elsewhere(
    tmp_path: Path, emulator: Emulator, listener: Listener
) -> None:
    path = hostile(
        tmp_path / "inventory.db",
        "CREATE TABLE t(x)",
        {"x": f"logs_log_groups(endpoint_url='{listener.url}')"},
    )
    db = connect(":memory:", emulator)
    db.execute("ATTACH ? AS other", (str(path),))
    error = error_of(db, "SELECT * FROM other.x WHERE region = 'us-east-1'")
    assert str(error).startswith(
        f"other.x: option endpoint_url='{listener.url}': a table stored in other ({path})"
    )
    assert listener.requests == []


def test_your_own_temp_table_and_a_trusted_file_may_choose_them(
    tmp_path: Path, emulator: Emulator, groups: SeededType, listener: Listener
) -> None:
    db = connect(":memory:", emulator, max_attempts=1)
    db.execute(f"CREATE VIRTUAL TABLE temp.mine USING logs_log_groups(endpoint_url='{listener.url}')")
    with pytest.raises(apsw.PermissionsError):
        db.execute("SELECT log_group_name FROM mine WHERE region = 'us-east-1'").fetchall()
    assert len(listener.requests) == 1
    path = hostile(
        tmp_path / "trusted.db",
        "CREATE TABLE t(x)",
        {"x": f"logs_log_groups(endpoint_url='{emulator.endpoint_url}')"},
    )
    db = vtab.connect(str(path), trusted_schema=True, cache_ttl=0, max_attempts=1, endpoint_url=listener.url)
    names = rows(db, "SELECT log_group_name FROM x WHERE region = 'us-east-1'")
    assert sorted(name for (name,) in names) == sorted(groups.identifiers)


# --- finding 3: read_only, dry_run and max_writes on the connection are ceilings ----------------------------


@pytest.mark.parametrize(
    ("connection", "table", "message"),
    [
        (
            {"read_only": True},
            "read_only=false",
            "option read_only=false is looser than the connection's read_only=true: a table may be stricter "
            "than its connection, never looser; set it on the connection instead: pass read_only=False to "
            "vtab.register()",
        ),
        (
            {"dry_run": True},
            "dry_run=0",
            "option dry_run=false is looser than the connection's dry_run=true: a table may be stricter than "
            "its connection, never looser; set it on the connection instead: pass dry_run=False to "
            "vtab.register()",
        ),
        (
            {"max_writes": 2},
            "max_writes=50",
            "option max_writes=50 is looser than the connection's max_writes=2: a table may be stricter than "
            "its connection, never looser; set it on the connection instead: pass max_writes=50 to "
            "vtab.register()",
        ),
        (
            {"read_only": True, "trusted_schema": True},
            "read_only=false",
            "option read_only=false is looser than the connection's read_only=true",
        ),
    ],
)
def test_a_table_may_not_loosen_the_connection(
    connection: dict[str, Any], table: str, message: str, emulator: Emulator, groups: SeededType
) -> None:
    db = connect(":memory:", emulator, **connection)
    error = error_of(db, f"CREATE VIRTUAL TABLE temp.x USING logs_log_groups({table})")
    assert str(error).startswith(f"x: {message}")
    assert isinstance(error.__cause__, OptionError)
    assert rows(db, "SELECT name FROM temp.sqlite_schema") == []
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_a_table_may_be_stricter_never_looser(emulator: Emulator, groups: SeededType) -> None:
    db = connect(":memory:", emulator, max_writes=5)
    db.execute(
        "CREATE VIRTUAL TABLE temp.careful USING logs_log_groups(max_writes=1, read_only=false, dry_run=true)"
    )
    error = error_of(db, "DELETE FROM careful WHERE region = 'us-east-1' AND log_group_name LIKE '%'")
    assert str(error).startswith("max_writes=1: this statement would send more than 1 write(s)")
    db.execute("CREATE VIRTUAL TABLE temp.frozen USING logs_log_groups(read_only=true)")
    assert "read_only" in str(error_of(db, f"DELETE FROM frozen WHERE region = '{REGION}'"))
    error = error_of(db, "CREATE VIRTUAL TABLE temp.loose USING logs_log_groups(max_writes=6)")
    assert str(error).startswith("loose: option max_writes=6 is looser than the connection's max_writes=5")
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_a_stored_table_may_not_loosen_the_connection(
    tmp_path: Path, emulator: Emulator, groups: SeededType
) -> None:
    path = trigger_file(tmp_path / "inventory.db")
    db = connect(path, emulator, read_only=True, trusted_schema=True)
    error = error_of(db, DELETE_ALL.format(table="lg"))
    assert str(error).startswith(
        "main.lg: option read_only=false is looser than the connection's read_only=true"
    )
    assert "unsafe use" not in str(error_of(db, "INSERT INTO notes VALUES ('hi')"))
    db = connect(":memory:", emulator, dry_run=True, trusted_schema=True)
    db.execute("ATTACH ? AS other", (str(path),))
    error = error_of(db, DELETE_ALL.format(table="other.lg"))
    assert str(error).startswith(
        "other.lg: option dry_run=false is looser than the connection's dry_run=true"
    )
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


# --- the command: vtab query and vtab shell ----------------------------------------------------------------


def test_query_read_only_is_a_ceiling(emulator: Emulator, groups: SeededType) -> None:
    sql = "CREATE VIRTUAL TABLE temp.x USING logs_log_groups(read_only=false); DELETE FROM x WHERE true"
    result = run_vtab(
        "query", "--endpoint-url", emulator.endpoint_url, "--regions", REGION, "--read-only", sql
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        "vtab query: error: SQLError: x: option read_only=false is looser than the connection's "
        "read_only=true: a table may be stricter than its connection, never looser; set it on the "
        "connection instead: add --no-read-only to the vtab command\n"
    )
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


@pytest.mark.parametrize("flags", [["--read-only"], []])
def test_shell_on_a_hostile_file_deletes_nothing(
    flags: list[str], tmp_path: Path, emulator: Emulator, groups: SeededType
) -> None:
    path = trigger_file(tmp_path / "inventory.db")
    result = run_vtab(
        "shell", "--endpoint-url", emulator.endpoint_url, *flags, str(path), "INSERT INTO notes VALUES ('hi')"
    )
    assert result.returncode == 1
    assert "deleted" not in result.stderr
    assert 'unsafe use of virtual table "lg": a view or trigger stored in a database file' in result.stderr
    assert "if you trust the file, add --trusted-schema to the vtab command" in result.stderr
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_commands_on_a_file_naming_another_host(
    tmp_path: Path, emulator: Emulator, listener: Listener
) -> None:
    path = hostile(
        tmp_path / "inventory.db",
        "CREATE TABLE t(x)",
        {"x": f"logs_log_groups(endpoint_url='{listener.url}')"},
    )
    shell = run_vtab(
        "shell",
        "--endpoint-url",
        emulator.endpoint_url,
        str(path),
        "SELECT * FROM x WHERE region = 'us-east-1'",
    )
    assert shell.returncode == 1
    assert "main.x: option endpoint_url=" in shell.stderr
    assert "add --trusted-schema to the vtab command" in shell.stderr
    query = run_vtab(
        "query",
        "--endpoint-url",
        emulator.endpoint_url,
        f"ATTACH '{path}' AS other; SELECT * FROM other.x WHERE region = 'us-east-1'",
    )
    assert query.returncode == 1
    assert "other.x: option endpoint_url=" in query.stderr
    assert listener.requests == []
    assert emulator.calls == []


def test_a_file_restored_into_temp_is_still_a_file(
    tmp_path: Path, emulator: Emulator, groups: SeededType, listener: Listener
) -> None:
    """The shell's ``.restore temp FILE`` (the backup API) copies a file's schema into temp, where a
    table counts as the session's own SQL: only a table a CREATE VIRTUAL TABLE of the session made does."""
    path = hostile(
        tmp_path / "inventory.db",
        "CREATE TABLE t(x)",
        {"x": f"logs_log_groups(endpoint_url='{listener.url}')"},
    )
    shell = run_vtab(
        "shell",
        "--endpoint-url",
        emulator.endpoint_url,
        ":memory:",
        f".restore temp {path}",
        "SELECT * FROM x WHERE region = 'us-east-1'",
    )
    assert shell.returncode == 1
    assert "temp.x: option endpoint_url=" in shell.stderr
    assert "a table stored in temp, copied there from a database file" in shell.stderr
    assert listener.requests == []
    assert emulator.calls == []


def test_your_own_temp_table_keeps_its_options_when_temp_is_reloaded(
    emulator: Emulator, groups: SeededType, listener: Listener
) -> None:
    """SQLite connects a temp table again after a ROLLBACK of temp DDL reloads the temp schema: still
    the session's own table (the statement then running is not its CREATE)."""
    db = connect(":memory:", emulator, max_attempts=1)
    db.execute(f"CREATE VIRTUAL TABLE temp.mine USING logs_log_groups(endpoint_url='{listener.url}')")
    db.execute("BEGIN; CREATE TEMP TABLE scratch(x); ROLLBACK")
    with pytest.raises(apsw.PermissionsError):
        db.execute("SELECT log_group_name FROM mine WHERE region = 'us-east-1'").fetchall()
    assert len(listener.requests) == 1


# --- docs/trust.md: the examples of its two sections on files and ceilings run as written ----------------

TRUST_DOC = Path(__file__).resolve().parent.parent / "docs" / "trust.md"
FILES_SECTION = "What a database file can and cannot make vtab do"
CEILINGS_SECTION = "Connection options are ceilings"
CEILINGS_CONNECTION = (
    '-- on vtab.connect(":memory:", read_only=True, max_writes=10), or vtab query --read-only'
)


def doc_sql(section: str) -> list[str]:
    """The lines of the ```sql blocks under ``## section`` of docs/trust.md."""
    text = TRUST_DOC.read_text(encoding="utf-8").split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    return [line for block in text.split("```sql\n")[1:] for line in block.split("```", 1)[0].splitlines()]


def run_doc_lines(db: apsw.Connection, lines: list[str]) -> int:
    """Run each statement line; ``-- refused: TEXT`` after it means it must fail with TEXT in the message.
    Returns how many statements ran."""
    ran = 0
    for line in lines:
        if line.startswith("--"):
            continue
        sql, _, comment = line.partition("  -- ")
        if comment.startswith("refused: "):
            assert comment.removeprefix("refused: ") in str(error_of(db, sql)), line
        else:
            db.execute(sql).fetchall()
        ran += 1
    return ran


def test_the_trust_docs_file_example_runs(tmp_path: Path, emulator: Emulator, groups: SeededType) -> None:
    lines = doc_sql(FILES_SECTION)
    held = [line.removeprefix("--   ") for line in lines if line.startswith("--   ")]
    tables = {}
    for statement in [s for s in held if s.startswith("CREATE VIRTUAL TABLE ")]:
        name, _, using = statement.removeprefix("CREATE VIRTUAL TABLE ").partition(" USING ")
        tables[name] = using
    schema = "; ".join(s for s in held if not s.startswith("CREATE VIRTUAL TABLE "))
    db = connect(hostile(tmp_path / "inventory.db", schema, tables), emulator)
    assert run_doc_lines(db, lines) == 6
    mine = rows(db, "SELECT * FROM my_groups")
    assert sorted(name for (name,) in mine) == sorted(groups.identifiers)
    assert write_calls(emulator) == []
    assert alive(emulator, groups) == list(groups.identifiers)


def test_the_trust_docs_ceilings_example_runs(emulator: Emulator) -> None:
    lines = doc_sql(CEILINGS_SECTION)
    assert lines[0].startswith(CEILINGS_CONNECTION)
    db = connect(":memory:", emulator, read_only=True, max_writes=10)
    assert run_doc_lines(db, lines) == 4
    assert rows(db, "SELECT name FROM temp.sqlite_schema") == [("careful",)]


def test_views_you_keep_in_your_own_file(tmp_path: Path, emulator: Emulator, groups: SeededType) -> None:
    """docs/trust.md, "Views you keep in your own file": a view made in main is refused right after it was
    made; the same view as CREATE TEMP VIEW in an -init file works, and so does the stored one under
    --trusted-schema."""
    path = tmp_path / "inventory.db"
    select = f"SELECT log_group_name FROM logs_log_groups WHERE region = '{REGION}'"
    views = tmp_path / "views.sql"
    views.write_text(f"CREATE TEMP VIEW mine AS {select};\n")
    endpoint = ["--endpoint-url", emulator.endpoint_url]
    made = run_vtab("shell", *endpoint, str(path), f"CREATE VIEW stored AS {select}", "SELECT * FROM stored")
    assert made.returncode == 1
    assert 'unsafe use of virtual table "logs_log_groups"' in made.stderr
    assert "CREATE TEMP VIEW" in made.stderr and "--trusted-schema" in made.stderr
    kept = run_vtab("shell", *endpoint, "-init", str(views), str(path), "SELECT * FROM mine")
    trusted = run_vtab("shell", *endpoint, "--trusted-schema", str(path), "SELECT * FROM stored")
    for result in (kept, trusted):
        assert result.returncode == 0, result.stderr
        assert sorted(result.stdout.split()) == sorted(groups.identifiers)
    assert write_calls(emulator) == []


def test_read_only_pins_credentials_and_opens_files_read_only(
    tmp_path: Path, emulator: Emulator, listener: Listener
) -> None:
    """docs/trust.md, "Connection options are ceilings": a --read-only connection handed to a script or an
    agent can neither send signed requests to a host its SQL names nor write a local file."""
    local = tmp_path / "agent.db"
    pick_host = (
        f"CREATE VIRTUAL TABLE temp.x USING logs_log_groups(endpoint_url='{listener.url}', max_attempts=1); "
        f"SELECT * FROM x WHERE region = '{REGION}'"
    )
    result = run_vtab("query", "--endpoint-url", emulator.endpoint_url, "--read-only", pick_host)
    assert result.returncode == 1
    assert result.stderr == (
        f"vtab query: error: SQLError: x: option endpoint_url='{listener.url}': on a read_only connection "
        f"no table may choose credentials, identity or where requests go ({LISTED}): they are the "
        "connection's; set it on the connection instead: add --endpoint-url "
        f"'{listener.url}' to the vtab command\n"
    )
    write_file = f"ATTACH '{local}' AS a; CREATE TABLE a.t(x)"
    result = run_vtab("query", "--endpoint-url", emulator.endpoint_url, "--read-only", write_file)
    assert result.returncode == 1
    assert result.stderr == f"vtab query: error: CantOpenError: unable to open database: {local}\n"
    assert not local.exists()
    assert listener.requests == []
    assert write_calls(emulator) == []


@pytest.mark.parametrize("mode", ["read_only", "dry_run"])
@pytest.mark.parametrize("name", sorted(CREDENTIAL_OPTIONS))
def test_read_only_and_dry_run_pin_credentials_even_in_temp(
    mode: str, name: str, emulator: Emulator, listener: Listener, other_profile: str
) -> None:
    value = credential_value(name, listener, other_profile)
    db = connect(":memory:", emulator, **{mode: True})
    error = error_of(db, f"CREATE VIRTUAL TABLE temp.x USING logs_log_groups({name}='{value}')")
    assert type(error) is apsw.SQLError
    assert str(error) == (
        f"x: option {name}={value!r}: on a {mode} connection no table may choose credentials, identity or "
        f"where requests go ({LISTED}): they are the connection's; set it "
        f"on the connection instead: pass {name}={value!r} to vtab.register()"
    )
    assert rows(db, "SELECT name FROM temp.sqlite_schema") == []
    # the connection's own value, restated, changes nothing and is allowed
    db.execute(
        f"CREATE VIRTUAL TABLE temp.same USING logs_log_groups(endpoint_url='{emulator.endpoint_url}')"
    )
    assert listener.requests == []


def test_a_trusted_file_cannot_lift_the_pin(tmp_path: Path, emulator: Emulator, listener: Listener) -> None:
    path = hostile(
        tmp_path / "trusted.db", "CREATE TABLE t(x)", {"x": f"logs_log_groups(endpoint_url='{listener.url}')"}
    )
    db = connect(path, emulator, read_only=True, trusted_schema=True)
    error = error_of(db, f"SELECT * FROM x WHERE region = '{REGION}'")
    assert str(error).startswith(f"main.x: option endpoint_url='{listener.url}': on a read_only connection")
    assert listener.requests == []


# --- read_only opens the database files read-only, as sqlite3 -readonly ------------------------------------


def plain_file(path: Path) -> Path:
    db = apsw.Connection(str(path))
    db.execute("CREATE TABLE keep(x); INSERT INTO keep VALUES (1)")
    db.close()
    return path


CONNECT_READ_ONLY_HINT = (
    "attempt to write a readonly database: read_only=True opens the database files read-only, as sqlite3 "
    "-readonly does; write to temp instead (CREATE TEMP TABLE, CREATE TEMP VIEW, CREATE VIRTUAL TABLE "
    "temp.x), or open the connection without read_only=True"
)


def test_connect_read_only_opens_the_file_read_only(tmp_path: Path, emulator: Emulator) -> None:
    path = plain_file(tmp_path / "inventory.db")
    other = plain_file(tmp_path / "other.db")
    db = connect(path, emulator, read_only=True)
    for sql in ("DROP TABLE keep", "INSERT INTO keep VALUES (2)", "PRAGMA user_version = 3"):
        assert str(error_of(db, sql)) == CONNECT_READ_ONLY_HINT, sql
    db.execute("ATTACH ? AS other", (str(other),))  # SQLite opens it with main's flags
    assert str(error_of(db, "DELETE FROM other.keep")) == CONNECT_READ_ONLY_HINT
    assert str(error_of(db, f"DELETE FROM logs_log_groups WHERE region = '{REGION}'")) == (
        "logs_log_groups is read-only (the connection's read_only=True): DELETE refused before anything was "
        "sent; a table cannot lift it: open the connection without read_only=True to change AWS resources"
    )
    error = error_of(db, f"ATTACH 'file:{other}?mode=rw' AS rw")  # not without URI filenames either
    assert "unable to open database" in str(error)
    db.execute("CREATE TEMP VIEW v AS SELECT x FROM keep; CREATE TEMP TABLE scratch(y)")
    db.execute(f"CREATE VIRTUAL TABLE temp.lg USING logs_log_groups(regions='{REGION}')")
    assert rows(db, "SELECT x FROM v") == [(1,)]
    memory = connect(":memory:", emulator, read_only=True)
    assert str(error_of(memory, "CREATE TABLE t(x)")) == CONNECT_READ_ONLY_HINT
    memory.execute("CREATE TEMP TABLE t(x); INSERT INTO t VALUES (1)")
    with pytest.raises(apsw.CantOpenError) as missing:
        connect(tmp_path / "missing.db", emulator, read_only=True)
    assert str(missing.value) == (
        f"{tmp_path / 'missing.db'}: unable to open database file; read_only=True opens the database "
        "read-only and does not create it: give a file that exists (or :memory:), or open the connection "
        "without read_only=True to create it"
    )
    assert not (tmp_path / "missing.db").exists()
    assert rows(connect(path, emulator), "SELECT x FROM keep") == [(1,)]


READ_ONLY_HINT = (
    "attempt to write a readonly database: --read-only opens the database files read-only, as sqlite3 "
    "-readonly does; write to temp instead (CREATE TEMP TABLE, CREATE TEMP VIEW, CREATE VIRTUAL TABLE "
    "temp.x), or run the vtab command without --read-only"
)


def test_shell_read_only_opens_the_file_read_only(tmp_path: Path, emulator: Emulator) -> None:
    path = plain_file(tmp_path / "inventory.db")
    other = plain_file(tmp_path / "other.db")
    shell = ["shell", "--endpoint-url", emulator.endpoint_url, "--read-only"]
    dropped = run_vtab(*shell, str(path), "DROP TABLE keep")
    assert dropped.returncode == 1
    assert dropped.stderr == f"vtab shell: error: ReadOnlyError: {READ_ONLY_HINT}\n"
    reopened = run_vtab(*shell, ":memory:", f".open {path}", "DELETE FROM keep")
    assert READ_ONLY_HINT in reopened.stderr
    attached = run_vtab(*shell, str(path), f"ATTACH '{other}' AS o", "DELETE FROM o.keep")
    assert READ_ONLY_HINT in attached.stderr
    wiped = run_vtab(*shell, ":memory:", f".open --wipe {path}")
    assert wiped.returncode == 1
    assert ".open --wipe: the shell runs with --read-only" in wiped.stderr
    temp = run_vtab(
        *shell,
        str(path),
        "CREATE TEMP VIEW v AS SELECT x + 1 AS y FROM keep",
        f"CREATE VIRTUAL TABLE temp.lg USING logs_log_groups(regions='{REGION}')",
        "SELECT y FROM v",
    )
    assert (temp.returncode, temp.stdout) == (0, "2\n"), temp.stderr
    for file in (path, other):
        assert rows(apsw.Connection(str(file)), "SELECT x FROM keep") == [(1,)]
    missing = run_vtab(*shell, str(tmp_path / "missing.db"), "SELECT 1")
    assert missing.returncode == 1
    assert "--read-only opens the database read-only and does not create it" in missing.stderr
    assert not (tmp_path / "missing.db").exists()


def test_query_read_only_refuses_local_writes_with_the_reason(emulator: Emulator) -> None:
    result = run_vtab("query", "--endpoint-url", emulator.endpoint_url, "--read-only", "CREATE TABLE t(x)")
    assert result.returncode == 1
    assert result.stderr == f"vtab query: error: ReadOnlyError: {READ_ONLY_HINT}\n"
    temp = run_vtab(
        "query",
        "--endpoint-url",
        emulator.endpoint_url,
        "--read-only",
        "--format",
        "csv",
        "--no-header",
        "CREATE TEMP TABLE t(x); INSERT INTO t VALUES (1); SELECT x FROM t",
    )
    assert (temp.returncode, temp.stdout.strip()) == (0, "1"), temp.stderr
    extension = run_vtab("query", "--read-only", "SELECT load_extension('/tmp/x.so')")
    assert extension.stderr == "vtab query: error: SQLError: not authorized\n"  # docs/trust.md says so


# --- the warning for a table stored in a file, and the snapshot's flags ------------------------------------


@pytest.mark.filterwarnings("always::vtab.sqlite.trust.StoredTableWarning")
def test_a_stored_table_warns_when_created_not_at_each_open(
    tmp_path: Path, emulator: Emulator, listener: Listener
) -> None:
    path = tmp_path / "inventory.db"
    with pytest.warns(StoredTableWarning) as made:
        connect(path, emulator).execute("CREATE VIRTUAL TABLE plain USING logs_log_groups(cache_ttl=0)")
    assert [str(w.message) for w in made] == [
        f"main.plain is stored in {path}: plain sqlite3 (and any client without vtab) cannot read it ('no "
        "such module'); prefer CREATE VIRTUAL TABLE temp.plain USING ..."
    ]
    with pytest.warns(StoredTableWarning) as made:
        db = connect(path, emulator)
        db.execute(f"CREATE VIRTUAL TABLE elsewhere USING logs_log_groups(endpoint_url='{listener.url}')")
    assert [str(w.message) for w in made] == [
        f"main.elsewhere is stored in {path}, and every use of it will be refused (option endpoint_url="
        f"'{listener.url}': a table stored in main ({path}) may not choose credentials, identity or where "
        f"requests go ({LISTED}); create it with your own SQL in temp "
        "(CREATE VIRTUAL TABLE temp.<name> USING ...), or, if you trust the file, pass trusted_schema=True "
        "to vtab.register()); DROP TABLE it and use CREATE VIRTUAL TABLE temp.elsewhere USING ... without "
        "that option"
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error", StoredTableWarning)  # opening and reading it again: no warning
        db = connect(path, emulator)
        assert rows(db, f"SELECT count(*) FROM plain WHERE region = '{REGION}' AND 0") == [(0,)]
    assert listener.requests == []


def test_snapshot_offers_no_trusted_schema(tmp_path: Path) -> None:
    result = run_vtab("snapshot", str(tmp_path / "out.db"), "SELECT 1", "--table", "t", "--trusted-schema")
    assert result.returncode == 2
    assert "vtab snapshot: error: no option --trusted-schema" in result.stderr
    assert "--trusted-schema" not in run_vtab("snapshot", "--help").stdout
