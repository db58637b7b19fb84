"""The ``vtab`` command as a user runs it: a subprocess against a local Cloud Control endpoint.

Each test starts ``python -m vtab.cli`` with the test's environment (fake credentials, no AWS config) and
points it at the ``emulator`` fixture with ``--endpoint-url``; nothing of ours is mocked.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from vtab.cli.parsers import SNAPSHOT_SKIPPED
from vtab.emulator import Emulator
from vtab.options import WRITE_OPTIONS, Options

REGION = "us-east-1"
IDS_SQL = (
    f"SELECT data__Identifier AS id, region FROM integration_responses WHERE region = '{REGION}' ORDER BY id"
)


def run_vtab(
    *args: str, stdin: str | None = None, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the real command; ``env`` adds to (a copy of) the test environment."""
    return subprocess.run(
        [sys.executable, "-m", "vtab.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=os.environ.copy() | env,
        cwd=cwd,
        timeout=60,
        check=False,
    )


@pytest.fixture
def ids(emulator: Emulator) -> list[str]:
    """The seeded integration responses' identifiers ('api|integration|response'), sorted."""
    seeded = emulator.seed(REGION, websocket_apis=2, integrations=1, responses=3, http_apis=1)
    assert len(seeded.responses) == 6
    return sorted(seeded.responses)


@pytest.fixture
def flags(emulator: Emulator) -> list[str]:
    return ["--endpoint-url", emulator.endpoint_url, "--regions", REGION]


# --- query ---------------------------------------------------------------------------------------------


def _parse_table(text: str) -> list[list[str]]:
    lines = text.splitlines()
    assert lines[0].split() == ["id", "region"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert lines[-1] == f"({len(lines) - 3} rows)"
    return [line.split() for line in lines[2:-1]]


def _parse_csv(text: str) -> list[list[str]]:
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["id", "region"]
    return rows[1:]


def _parse_json(text: str) -> list[list[str]]:
    return [[item["id"], item["region"]] for item in json.loads(text)]


def _parse_jsonl(text: str) -> list[list[str]]:
    return [[item["id"], item["region"]] for item in map(json.loads, text.splitlines())]


PARSERS: dict[str, Callable[[str], list[list[str]]]] = {
    "table": _parse_table,
    "csv": _parse_csv,
    "json": _parse_json,
    "jsonl": _parse_jsonl,
}


@pytest.mark.parametrize("fmt", list(PARSERS))
def test_query_prints_the_seeded_rows_in_each_format(fmt: str, ids: list[str], flags: list[str]) -> None:
    result = run_vtab("query", IDS_SQL, "--format", fmt, *flags)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert PARSERS[fmt](result.stdout) == [[identifier, REGION] for identifier in ids]


def test_query_runs_every_statement_and_prints_each_result(ids: list[str], flags: list[str]) -> None:
    sql = (
        "CREATE TABLE t(x); INSERT INTO t VALUES (1), (2); SELECT x FROM t; "
        f"SELECT count(*) AS n FROM integration_responses WHERE region = '{REGION}'"
    )
    result = run_vtab("query", "-f", "jsonl", sql, *flags)
    assert result.returncode == 0, result.stderr
    assert [json.loads(line) for line in result.stdout.splitlines()] == [{"x": 1}, {"x": 2}, {"n": len(ids)}]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT nosuch FROM integration_responses", "SQLError: no such column: nosuch"),
        (
            f"SELECT * FROM integration_responses WHERE region = '{REGION}' AND data__Identifier = 'a|b'",
            "data__Identifier = 'a|b' is malformed",
        ),
    ],
)
def test_query_error_exits_1_with_the_message_on_stderr(sql: str, message: str, flags: list[str]) -> None:
    result = run_vtab("query", sql, *flags)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("vtab query: error: ")
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_query_debug_shows_the_traceback_but_never_the_credentials(flags: list[str]) -> None:
    secret = "s3cr3t-value-never-printed"
    result = run_vtab(
        "query", "SELECT nosuch FROM integration_responses", "--debug", *flags, AWS_SECRET_ACCESS_KEY=secret
    )
    assert result.returncode == 1
    assert "Traceback" in result.stderr
    assert "no such column: nosuch" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_query_option_text_is_converted_and_checked_like_sql_options(flags: list[str]) -> None:
    result = run_vtab("query", "SELECT 1", "--cache-ttl", "soon", *flags)
    assert result.returncode == 2
    assert "option --cache-ttl 'soon' is not a number" in result.stderr


def test_options_in_sql_are_named_as_sql_spells_them_even_in_the_command(flags: list[str]) -> None:
    sql = "CREATE VIRTUAL TABLE temp.t USING integration_responses(max_writes=0)"
    result = run_vtab("query", sql, *flags)
    assert result.returncode == 1
    assert "option max_writes='0' is out of range; max_writes takes 1 to 10000 writes" in result.stderr
    assert "--max-writes" not in result.stderr


def test_query_flags_reach_the_tables_dry_run_sends_nothing(
    ids: list[str], flags: list[str], emulator: Emulator
) -> None:
    target = ids[0]
    sql = (
        f"DELETE FROM integration_responses WHERE region = '{REGION}' AND data__Identifier = '{target}'; "
        "SELECT operation, identifier FROM vtab_dry_run"
    )
    result = run_vtab("query", "--dry-run", "--format", "csv", "--no-header", sql, *flags)
    assert result.returncode == 0, result.stderr
    assert list(csv.reader(io.StringIO(result.stdout))) == [["DELETE", target]]
    assert emulator.calls, "the DELETE read its target first"
    assert {call.operation for call in emulator.calls} <= {"GetResource", "ListResources"}


# --- shell ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("order", ["options first", "options after the database"])
def test_shell_runs_sql_arguments_non_interactively(
    order: str, ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "inventory.db")
    if order == "options first":
        args = ["-csv", "-header", *flags, db, IDS_SQL]
    else:
        args = [db, "-csv", IDS_SQL, "-header", *flags]
    result = run_vtab("shell", *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert _parse_csv(result.stdout) == [[identifier, REGION] for identifier in ids]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inventory.db"]


def test_shell_open_other_db_still_has_the_tables(ids: list[str], flags: list[str], tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as local:
        local.execute("CREATE TABLE watch(id TEXT)")
        local.executemany("INSERT INTO watch VALUES (?)", [(ids[1],), (ids[4],), ("gone|gone|gone",)])
    local.close()
    commands = (
        ".mode csv\n"
        f"SELECT count(*) FROM integration_responses WHERE region = '{REGION}';\n"
        f".open {other}\n"
        "SELECT w.id, v.api_id FROM watch w JOIN integration_responses v\n"
        f"  ON v.data__Identifier = w.id AND v.region = '{REGION}' ORDER BY w.id;\n"
    )
    result = run_vtab("shell", *flags, stdin=commands, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert list(csv.reader(io.StringIO(result.stdout))) == [
        [str(len(ids))],
        [ids[1], ids[1].split("|")[0]],
        [ids[4], ids[4].split("|")[0]],
    ]


def test_shell_sql_error_exits_1_with_the_message(flags: list[str]) -> None:
    result = run_vtab("shell", *flags, ":memory:", "SELECT nosuch FROM integration_responses")
    assert result.returncode == 1
    assert "no such column: nosuch" in result.stderr
    assert "Traceback" not in result.stderr


def test_shell_cmd_runs_before_the_sql_arguments_after_init_files(
    ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    init = tmp_path / "init.sql"
    init.write_text(".print from-init\n")
    result = run_vtab(
        "shell",
        "-init",
        str(init),
        "--cmd",
        ".mode csv",
        *flags,
        ":memory:",
        "-cmd=.print from-cmd",  # sqlite3's spelling, also after the database name
        f"SELECT count(*) FROM integration_responses WHERE region = '{REGION}'",
        "--cmd",
        "-- a comment: a value starting with a dash",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["from-init", "from-cmd", str(len(ids))]


def test_shell_cmd_runs_before_piped_input_and_a_failure_is_reported_not_fatal(flags: list[str]) -> None:
    piped = "SELECT 'from-stdin', count(*) FROM vtab_calls;\n"
    result = run_vtab(
        "shell", *flags, "--cmd", ".mode csv", "--cmd", "SELECT nosuch", "--cmd", "SELECT 7", stdin=piped
    )
    assert result.stdout.splitlines() == ["7", "from-stdin,0"]
    assert "no such column: nosuch" in result.stderr
    assert result.returncode == 1  # as sqlite3: a piped shell exits 1 after any failure
    bailed = run_vtab("shell", *flags, "-bail", "--cmd", "SELECT nosuch", "--cmd", "SELECT 7", stdin=piped)
    assert (bailed.returncode, bailed.stdout) == (1, "")
    assert bailed.stderr.count("no such column: nosuch") == 1


def test_shell_cmd_without_a_value_is_a_usage_error() -> None:
    result = run_vtab("shell", "--cmd")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "vtab shell: error: --cmd needs a value: the SQL or .command to run first",
        "see vtab shell --help",
    ]


def test_shell_unknown_argument_is_a_clean_error() -> None:
    result = run_vtab("shell", "-nosuchoption")
    assert result.returncode == 1
    assert result.stderr.strip() == "vtab shell: error: Unrecognized argument 'nosuchoption'"


def test_a_misspelt_option_is_named_with_the_option_meant() -> None:
    """argparse said "unrecognized arguments: --acounts SELECT 1" under the top command's usage, and apsw
    "Unrecognized argument 'acounts'": neither named the flag that was meant."""
    for command in (["query"], ["shell"]):
        result = run_vtab(*command, "--acounts", "org", "SELECT 1")
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"vtab {command[0]}: error: no option --acounts; did you mean --accounts, --account-id or "
            "--skip-accounts?",
            f"see vtab {command[0]} --help",
        ]
    diff = run_vtab("diff", "--frm", "a.db", "b.db")
    meant = "vtab diff: error: no option --frm; did you mean --from or --format?"
    assert diff.stderr.splitlines()[0] == meant
    extra = run_vtab("query", "SELECT 1", "SELECT 2")
    assert (extra.returncode, extra.stderr.splitlines()[-1]) == (
        2,
        "vtab query: error: unrecognized arguments: SELECT 2",
    )


def test_a_first_word_that_is_no_command_says_which_command_was_meant() -> None:
    """sqlite3's habits (``sqlite3 inventory.db``, SQL as the first argument) and a misspelt command got
    argparse's "invalid choice" with no way on; now each names the command line to use."""
    listed = "(shell, emulator, query, snapshot, sync, types, describe, diff, demo)"
    for argv, meant in (
        (
            ["inventory.db", "SELECT 1"],
            "to open a database as sqlite3 does, write vtab shell inventory.db 'SELECT 1'",
        ),
        (["SELECT 1", "--accounts", "org"], "to run SQL, write vtab query 'SELECT 1' --accounts org"),
        (["qurey"], "did you mean query?"),
    ):
        result = run_vtab(*argv)
        assert result.returncode == 2
        assert result.stderr.splitlines() == [
            f"vtab: error: {argv[0]!r} is not a command {listed}; {meant}",
            "see vtab --help",
        ]


# --- snapshot ------------------------------------------------------------------------------------------


def _snapshot(out: Path, sql: str, flags: list[str], *extra: str) -> subprocess.CompletedProcess[str]:
    return run_vtab("snapshot", str(out), sql, "--table", "responses", *extra, *flags)


def _read_plain(path: Path, sql: str) -> list[tuple[object, ...]]:
    """Read with the stdlib sqlite3 (the system SQLite): what any other client would see."""
    with sqlite3.connect(path) as plain:
        rows = plain.execute(sql).fetchall()
    plain.close()
    return rows


def test_snapshot_writes_a_plain_table_stdlib_sqlite3_reads(
    ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "snap.db"
    result = _snapshot(out, IDS_SQL, flags)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"{out}: table responses: {len(ids)} rows"
    assert _read_plain(out, "SELECT id, region FROM responses ORDER BY id") == [(i, REGION) for i in ids]
    assert _read_plain(out, "SELECT type, name, sql FROM sqlite_master") == [
        ("table", "responses", "CREATE TABLE responses(id TEXT,region TEXT)")
    ]
    assert _read_plain(out, "PRAGMA integrity_check") == [("ok",)]


def test_snapshot_under_a_vtab_tables_name_warns_that_it_hides_the_live_table(
    ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "snap.db"
    result = _snapshot(out, IDS_SQL, flags, "--table", "integration_responses")
    assert result.returncode == 0, result.stderr
    assert "vtab: warning: 1 table(s) of this database hide vtab tables" in result.stderr
    assert "(integration_responses)" in result.stderr
    plain = _snapshot(tmp_path / "other.db", IDS_SQL, flags, "--table", "responses_snapshot")
    assert "warning" not in plain.stderr


def test_snapshot_refuses_to_overwrite_without_replace_and_replaces_with_it(
    ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "snap.db"
    assert _snapshot(out, IDS_SQL, flags).returncode == 0
    two = IDS_SQL + " LIMIT 2"

    refused = _snapshot(out, two, flags)
    assert refused.returncode == 1
    assert "table responses already exists" in refused.stderr
    assert "--replace" in refused.stderr
    assert _read_plain(out, "SELECT count(*) FROM responses") == [(len(ids),)]

    replaced = _snapshot(out, two, flags, "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert _read_plain(out, "SELECT id FROM responses ORDER BY id") == [(i,) for i in ids[:2]]


def test_snapshot_replace_keeps_the_old_table_when_the_query_fails(
    ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "snap.db"
    assert _snapshot(out, IDS_SQL, flags).returncode == 0
    failing = f"SELECT json('not json') AS broken FROM integration_responses WHERE region = '{REGION}'"
    result = _snapshot(out, failing, flags, "--replace")
    assert result.returncode == 1
    assert "malformed JSON" in result.stderr
    assert _read_plain(out, "SELECT id FROM responses ORDER BY id") == [(i,) for i in ids]


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT 1; SELECT 2", "exactly one SELECT"),
        ("CREATE TABLE y(a)", "needs a SELECT"),
    ],
)
def test_snapshot_takes_one_select(sql: str, message: str, flags: list[str], tmp_path: Path) -> None:
    out = tmp_path / "snap.db"
    result = _snapshot(out, sql, flags)
    assert result.returncode == 1
    assert message in result.stderr
    assert _read_plain(out, "SELECT name FROM sqlite_master") == []


def test_snapshot_select_can_join_the_output_files_tables(
    ids: list[str], flags: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "snap.db"
    with sqlite3.connect(out) as local:
        local.execute("CREATE TABLE wanted(id TEXT)")
        local.executemany("INSERT INTO wanted VALUES (?)", [(ids[2],), (ids[5],)])
    local.close()
    sql = (
        "SELECT v.data__Identifier AS id FROM snap.wanted w JOIN integration_responses v "
        f"ON v.data__Identifier = w.id AND v.region = '{REGION}'"
    )
    result = _snapshot(out, sql, flags)
    assert result.returncode == 0, result.stderr
    assert _read_plain(out, "SELECT id FROM responses ORDER BY id") == [(ids[2],), (ids[5],)]


# --- help, emulator, demo ------------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["shell", "query", "snapshot"])
def test_help_lists_every_option_as_a_flag_with_examples(command: str) -> None:
    result = run_vtab(command, "--help")
    assert result.returncode == 0, result.stderr
    offered = [name for name in Options.names() if command != "snapshot" or name not in SNAPSHOT_SKIPPED]
    for name in offered:
        assert "--" + name.replace("_", "-") in result.stdout
    assert "examples:" in result.stdout
    assert f"vtab {command} " in result.stdout


def test_snapshot_help_offers_no_write_options() -> None:
    result = run_vtab("snapshot", "--help")
    assert result.returncode == 0, result.stderr
    for name in WRITE_OPTIONS:
        assert "--" + name.replace("_", "-") not in result.stdout
    refused = run_vtab("snapshot", "out.db", "SELECT 1", "--table", "t", "--dry-run")
    assert refused.returncode == 2
    assert "vtab snapshot: error: no option --dry-run" in refused.stderr


@pytest.mark.parametrize("command", ["shell", "query", "snapshot", "emulator", "demo"])
def test_every_command_has_one_help_style(command: str) -> None:
    """usage, description, the options with the same -h line, then examples; 110 columns at most."""
    result = run_vtab(command, "--help")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert text.startswith(f"usage: vtab {command} ")
    assert "  -h, --help" in text and "show this help message and exit" in text
    assert "\nexamples:\n" in text
    assert text.index("-h, --help") < text.index("\nexamples:\n")
    assert max(len(line) for line in text.splitlines()) <= 110


def test_top_level_help_lists_the_commands() -> None:
    result = run_vtab("--help")
    assert result.returncode == 0
    for command in ("shell", "query", "snapshot", "emulator", "demo"):
        assert f"\n    {command} " in result.stdout


@contextlib.contextmanager
def emulator_command(*args: str) -> Iterator[tuple[str, list[str]]]:
    """``vtab emulator --port 0 ARGS`` in a subprocess: its URL and the banner lines before it, stopped
    with SIGTERM (which must end it cleanly) afterwards."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vtab.cli", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    try:
        assert process.stdout is not None
        url, banner = "", []
        for line in process.stdout:  # the emulator flushes its banner once it is listening
            if "listening on " in line:
                url = line.split("listening on ")[1].strip()
                break
            banner.append(line.rstrip("\n"))
        assert url.startswith("http://127.0.0.1:"), process.stderr.read() if process.stderr else ""
        yield url, banner
    finally:
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_emulator_command_serves_what_query_reads() -> None:
    with emulator_command("--seed", "demo") as (url, _):
        result = run_vtab(
            "query",
            "-f",
            "csv",
            "--no-header",
            "--endpoint-url",
            url,
            "SELECT count(*) FROM integration_responses WHERE region = 'eu-west-1'",
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "24"  # seed demo: 3 WebSocket APIs x 2 integrations x 4 responses


def test_emulator_command_with_accounts_serves_an_organization_it_names() -> None:
    """Issue 18 item 6: ``vtab emulator --accounts N`` names its accounts, and ``--accounts org`` reads
    every one of them (each seeded)."""
    with emulator_command("--accounts", "3", "--seed", "demo") as (url, banner):
        named = [line.split()[1] for line in banner if line.startswith("  account ")]
        assert len(named) == 3 and named[0] == "123456789012"
        result = run_vtab(
            "query",
            "-f",
            "csv",
            "--no-header",
            "--endpoint-url",
            url,
            "--accounts",
            "org",
            "SELECT account_id, count(*) FROM integration_responses WHERE region = 'eu-west-1' "
            "GROUP BY account_id",
        )
        assert result.returncode == 0, result.stderr
        assert sorted(result.stdout.split()) == sorted(f"{account},24" for account in named)
        flags = ["--endpoint-url", url, "--accounts", "org", "--organizational-units", "/Prd"]
        typo = run_vtab("query", *flags, "SELECT name FROM vtab_accounts")
        assert typo.stderr.strip() == (  # the fix in flags, as the user writes them, not in Python's words
            "vtab query: error: SQLError: option --organizational-units '/Prd': / has no OU named 'Prd' (its "
            "OUs: Dev, Prod); give an OU path from the root, as vtab_accounts' ou_path shows it (with "
            "--accounts 'org' alone), or an OU id"
        )


def test_demo_command_runs_the_reference_queries() -> None:
    result = run_vtab("demo")
    assert result.returncode == 0, result.stderr
    assert "== List all integration responses in a region" in result.stdout
    assert "(24 rows)" in result.stdout


def section(text: str, title: str) -> str:
    """The demo's output from the step titled ``title`` to the next step."""
    return text.split(f"== {title}", 1)[1].split("\n== ", 1)[0]


def test_demo_command_reads_an_estate_of_several_accounts() -> None:
    """Issue 18 item 6: ``make demo`` shows an Organization read as one: vtab_accounts, a pushed-down
    account_id that calls no other account, and the rows of every account."""
    result = run_vtab("demo")
    assert result.returncode == 0, result.stderr
    accounts = section(result.stdout, "The estate")
    assert "accounts='org'" in accounts and "/Prod" in accounts and "/Dev" in accounts
    listed = [line.split() for line in accounts.splitlines() if line[:12].isdigit()]
    assert len(listed) == 4
    one = section(result.stdout, "account_id is pushed down")
    member = one.split("account_id = '", 1)[1][:12]
    calls = one.split("call(s):", 1)[1]
    assert {
        line.split()[1] for line in calls.splitlines() if line.startswith(("ListResources", "AssumeRole"))
    } == {member}
    every = section(result.stdout, "Every account at once")
    counted = [line.split() for line in every.split("call(s)")[0].splitlines() if line[:12].isdigit()]
    counts = {account: int(responses) for account, _, responses in counted}
    assert counts.keys() == {row[0] for row in listed}
    assert sorted(counts.values()) == [1, 2, 3, 24]  # member n holds n; the management account the demo data
