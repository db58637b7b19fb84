"""What reaches a terminal is escaped; files and pipes get the exact value; SQL always sees it intact.

A resource in the local endpoint holds, in a text property and inside a JSON one, every sequence a
terminal acts on: clear screen, SGR colours, an OSC 8 hyperlink, a bare carriage return, NUL, BEL, DEL
and U+009B (a one-character CSI). The command runs as a subprocess with its stdout on a pseudo-terminal
(raw mode, so the bytes are exactly what it wrote) or on a pipe; errors come from the endpoint's fault
switches. Nothing of ours is mocked.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import re
import select
import subprocess
import sys
import tty
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import apsw
import pytest

import vtab
from tests.test_cli import REGION, run_vtab
from vtab.cli.output import WriteReporter
from vtab.cli.query import open_connection
from vtab.emulator import Emulator
from vtab.read.progress import ReadProgress
from vtab.terminal import json_safe, sql_visible, visible

if TYPE_CHECKING:
    from mypy_boto3_cloudcontrol import CloudControlApiClient

HOSTILE = (
    "clear\x1b[2J sgr\x1b[31mred\x1b[0m osc8\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\ "
    "cr\rover nul\x00 bel\x07 csi\x9b2J del\x7f end"
)
"""Every sequence of issue 16's finding 4, in one value."""

ESCAPED = (
    "clear\\x1b[2J sgr\\x1b[31mred\\x1b[0m osc8\\x1b]8;;http://x\\x1b\\link\\x1b]8;;\\x1b\\ "
    "cr\\rover nul\\x00 bel\\x07 csi\\x9b2J del\\x7f end"
)
"""HOSTILE as a terminal shows it (vtab.terminal.visible)."""

RAW_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")
"""A control character a terminal would act on (newline alone is allowed: it ends lines)."""

SQL = (
    "SELECT template_selection_expression AS v, response_templates AS j FROM integration_responses "
    f"WHERE region = '{REGION}'"
)
FORMATS = ("table", "csv", "json", "jsonl")


def assert_shown_not_obeyed(text: str) -> None:
    """No raw control character, and the escaped form of each one."""
    assert RAW_CONTROL.findall(text) == []
    for escaped in ("\\x1b[2J", "\\x1b[31m", "\\x1b]8;;http://x\\x1b\\", "\\rover", "\\x00", "\\x07"):
        assert escaped in text
    assert "\\x9b2J" in text and "\\x7f" in text


def assert_json_shown_not_obeyed(text: str) -> None:
    """JSON escapes: the same value, no raw control character (U+009B and DEL included)."""
    assert RAW_CONTROL.findall(text) == []
    assert "\\u001b[2J" in text and "\\u009b2J" in text and "\\u007f" in text and "\\u0000" in text


@pytest.fixture
def flags(emulator: Emulator) -> list[str]:
    return ["--endpoint-url", emulator.endpoint_url, "--regions", REGION]


@pytest.fixture
def hostile(emulator: Emulator, cloudcontrol: Callable[..., CloudControlApiClient]) -> None:
    """One integration response whose TemplateSelectionExpression and ResponseTemplates hold HOSTILE,
    written by someone else (straight through Cloud Control)."""
    emulator.configure(polls_before_complete=0)
    seeded = emulator.seed(REGION, websocket_apis=1, integrations=1, responses=0)
    api, integration = seeded.integrations[0]
    desired = {
        "ApiId": api,
        "IntegrationId": integration,
        "IntegrationResponseKey": "$default",
        "TemplateSelectionExpression": HOSTILE,
        "ResponseTemplates": {"k": HOSTILE},
    }
    cloudcontrol().create_resource(
        TypeName="AWS::ApiGatewayV2::IntegrationResponse", DesiredState=json.dumps(desired)
    )
    [model] = emulator.integration_responses(REGION, api, integration)
    assert model["TemplateSelectionExpression"] == HOSTILE


def on_a_terminal(args: list[str], stderr_too: bool = False, **env: str) -> tuple[str, str, int]:
    """Run the command with stdout on a pseudo-terminal in raw mode (its bytes unchanged) and stderr on
    a pipe, or on the terminal too: (terminal text, stderr, exit status)."""
    leader, follower = pty.openpty()
    tty.setraw(follower)
    process = subprocess.Popen(
        [sys.executable, "-m", "vtab.cli", *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower if stderr_too else subprocess.PIPE,
        env=os.environ.copy() | env,
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the command exited and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    _, stderr = process.communicate(timeout=60)
    os.close(leader)
    return seen.decode(), (stderr or b"").decode(), process.returncode


def in_a_pipe(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the command with stdout and stderr on pipes, decoded without newline translation (a bare
    carriage return in the data stays one)."""
    result = subprocess.run(
        [sys.executable, "-m", "vtab.cli", *args], capture_output=True, timeout=60, check=False
    )
    return subprocess.CompletedProcess(
        result.args, result.returncode, result.stdout.decode(), result.stderr.decode()
    )


def json_documents(text: str) -> list[object]:
    """The JSON values of ``text``, one after the other (whitespace between them)."""
    decoder = json.JSONDecoder()
    documents, at = [], 0
    while text[at:].strip():
        at += len(text[at:]) - len(text[at:].lstrip())
        document, at = decoder.raw_decode(text, at)
        documents.append(document)
    return documents


# --- vtab query ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["table", "csv"])
def test_query_text_formats_show_control_characters_on_a_terminal(
    fmt: str, hostile: None, flags: list[str]
) -> None:
    terminal, stderr, status = on_a_terminal(["query", "-f", fmt, *flags, SQL])
    assert status == 0, stderr
    assert_shown_not_obeyed(terminal)
    assert ESCAPED in terminal  # the text column: every character escaped in place


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_query_json_formats_escape_c1_and_del_on_a_terminal_and_in_a_pipe(
    fmt: str, hostile: None, flags: list[str]
) -> None:
    terminal, stderr, status = on_a_terminal(["query", "-f", fmt, *flags, SQL])
    assert status == 0, stderr
    piped = in_a_pipe("query", "-f", fmt, *flags, SQL)
    assert piped.returncode == 0, piped.stderr
    for text in (terminal, piped.stdout):
        assert_json_shown_not_obeyed(text)
        items = json.loads(text) if fmt == "json" else [json.loads(line) for line in text.splitlines()]
        assert items == [{"v": HOSTILE, "j": {"k": HOSTILE}}]  # the exact value, JSON column nested


def test_query_csv_into_a_pipe_is_the_exact_value(hostile: None, flags: list[str]) -> None:
    piped = in_a_pipe("query", "-f", "csv", *flags, SQL)
    assert piped.returncode == 0, piped.stderr
    rows = list(csv.reader(io.StringIO(piped.stdout, newline="")))
    assert rows[1][0] == HOSTILE
    assert json.loads(rows[1][1]) == {"k": HOSTILE}


def test_query_table_format_is_for_eyes_even_in_a_pipe_and_sql_sees_the_intact_value(
    hostile: None, flags: list[str]
) -> None:
    piped = in_a_pipe("query", "-f", "table", *flags, SQL)
    assert piped.returncode == 0, piped.stderr
    assert_shown_not_obeyed(piped.stdout)
    sql = (
        "SELECT hex(template_selection_expression) AS h, length(CAST(template_selection_expression AS BLOB)) "
        f"AS n, json_extract(response_templates, '$.k') = template_selection_expression AS same "
        f"FROM integration_responses WHERE region = '{REGION}'"
    )
    result = in_a_pipe("query", "-f", "table", *flags, sql)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2].split() == [
        HOSTILE.encode().hex().upper(),
        str(len(HOSTILE.encode())),
        "1",
    ]


# --- vtab shell ----------------------------------------------------------------------------------------

SHELL_MODES = ("list", "line", "column", "csv", "tcl", "html", "insert", "json", "jsonl")
"""The modes that printed a control character raw (python prints repr(), box has apsw sanitize)."""


@pytest.mark.parametrize("mode", SHELL_MODES)
def test_shell_modes_show_control_characters_on_a_terminal(
    mode: str, hostile: None, flags: list[str]
) -> None:
    terminal, stderr, status = on_a_terminal(
        ["shell", *flags, "-nocolour", f"-{mode}", "-header", ":memory:", SQL]
    )
    assert status == 0, stderr
    assert RAW_CONTROL.findall(terminal) == []
    assert "clear" in terminal  # the value was printed


def test_shell_text_modes_escape_each_character_in_place(hostile: None, flags: list[str]) -> None:
    for mode in ("python", "box"):  # safe already, and still
        terminal, stderr, status = on_a_terminal(["shell", *flags, "-nocolour", f"-{mode}", ":memory:", SQL])
        assert status == 0, stderr
        assert RAW_CONTROL.findall(terminal) == [] and "clear" in terminal
    for mode in ("list", "line", "column", "csv"):
        terminal, stderr, status = on_a_terminal(
            ["shell", *flags, "-nocolour", f"-{mode}", ":memory:", ".width 200 200", SQL]
        )
        assert status == 0, stderr
        assert_shown_not_obeyed(terminal)
        assert ESCAPED in terminal, mode


def test_shell_insert_mode_on_a_terminal_still_inserts_the_exact_value(
    hostile: None, flags: list[str]
) -> None:
    terminal, stderr, status = on_a_terminal(["shell", *flags, "-nocolour", "-insert", ":memory:", SQL])
    assert status == 0, stderr
    assert RAW_CONTROL.findall(terminal) == []
    statement = terminal.strip()
    copy = vtab.connect()
    copy.execute('CREATE TABLE "table"(v, j)')
    copy.execute(statement)
    assert copy.execute('SELECT v FROM "table"').get == HOSTILE


def test_shell_column_names_from_a_files_view_are_shown_not_obeyed(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db = vtab.connect(str(path))
    db.execute('CREATE VIEW v AS SELECT 1 AS "x\x1b[2Jy"')
    db.close()
    for mode in ("list", "line", "column", "csv"):
        terminal, stderr, status = on_a_terminal(
            ["shell", "-nocolour", f"-{mode}", "-header", str(path), "SELECT * FROM v"]
        )
        assert status == 0, stderr
        assert RAW_CONTROL.findall(terminal) == [] and "x\\x1b[2Jy" in terminal, mode


def test_shell_with_colours_keeps_its_own_and_escapes_the_values(hostile: None, flags: list[str]) -> None:
    terminal, stderr, status = on_a_terminal(["shell", *flags, "-list", "-header", ":memory:", SQL])
    assert status == 0, stderr
    assert "\x1b[" in terminal  # the shell's colours are on at a terminal
    uncoloured = re.sub("\x1b\\[[0-9;]*m", "", terminal)
    assert RAW_CONTROL.findall(uncoloured) == []
    assert ESCAPED in uncoloured  # escaped before being coloured: its own SGR codes are shown too


def test_shell_schema_and_the_sql_around_an_error_are_shown_not_obeyed(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    db = vtab.connect(str(path))
    db.execute('CREATE TABLE "t\x1b[2J"(x)')
    db.close()
    terminal, stderr, status = on_a_terminal(
        ["shell", "-nocolour", str(path), ".schema", "SELECT '\x1b[2J' + FROM;"]
    )
    assert status == 1
    assert 'CREATE TABLE "t\\x1b[2J"(x);' in terminal
    assert RAW_CONTROL.findall(terminal + stderr) == []
    assert "'\\x1b[2J' +" in stderr  # apsw's pointer to the error quotes the SQL


def test_a_name_that_spells_the_shells_own_colour_code_is_shown_not_obeyed(tmp_path: Path) -> None:
    """The shell keeps its own colours on a terminal: a table name in someone's file that spells one of
    them (red, ESC [31m) is still data, escaped in .dump and in an error naming it, while the shell's
    own codes colour the error."""
    path = tmp_path / "shared.db"
    db = apsw.Connection(str(path))
    db.execute('CREATE TABLE "t\x1b[31mred"(x); INSERT INTO "t\x1b[31mred" VALUES (\'v\x1b[31mred\')')
    db.close()
    terminal, _, status = on_a_terminal(
        ["shell", str(path), ".dump", 'SELECT * FROM "gone\x1b[31mred"'], stderr_too=True
    )
    assert status == 1
    assert "t\x1b[31m" not in terminal and "v\x1b[31m" not in terminal and "gone\x1b[31m" not in terminal
    assert 'CREATE TABLE "t\\x1b[31mred"(x);' in terminal
    assert "no such table: gone\\x1b[31mred" in terminal
    assert "\x1b[31m\x1b[1mno such table" in terminal  # the shell's own red, bold error


@pytest.mark.parametrize("mode", ["list", "csv", "json"])
def test_shell_escapes_for_a_terminal_and_gives_a_pipe_or_a_file_the_exact_value(
    mode: str, hostile: None, flags: list[str], tmp_path: Path
) -> None:
    shown, stderr, status = on_a_terminal(["shell", *flags, "-nocolour", f"-{mode}", ":memory:", SQL])
    assert status == 0, stderr
    assert RAW_CONTROL.findall(shown) == []
    if mode == "json":  # JSON escapes on a terminal too: the same value
        assert json.loads(shown) == [{"v": HOSTILE, "j": {"k": HOSTILE}}]
    piped = in_a_pipe("shell", *flags, f"-{mode}", ":memory:", SQL)
    assert piped.returncode == 0, piped.stderr
    out = tmp_path / "out.txt"
    terminal, stderr, status = on_a_terminal(
        ["shell", *flags, "-nocolour", f"-{mode}", ":memory:", f".output {out}", SQL]
    )
    assert status == 0, stderr
    assert terminal == ""
    for text in (piped.stdout, out.read_bytes().decode()):
        if mode == "json":
            assert json.loads(text) == [{"v": HOSTILE, "j": {"k": HOSTILE}}]
        else:
            assert HOSTILE in text


# --- stderr: errors, warnings, write reports, progress ------------------------------------------------


def test_an_endpoints_error_text_is_shown_not_obeyed(emulator: Emulator, flags: list[str]) -> None:
    for command in (["query"], ["shell", ":memory:"]):
        emulator.fail_next_call("InvalidRequestException", HOSTILE)
        result = in_a_pipe(*command, *flags, SQL)
        assert result.returncode == 1
        assert result.stderr.startswith(f"vtab {command[0]}: error: "), result.stderr
        assert_shown_not_obeyed(result.stderr)
        assert ESCAPED in result.stderr


def test_a_failed_writes_status_message_is_shown_not_obeyed(emulator: Emulator, flags: list[str]) -> None:
    seeded = emulator.seed(REGION, websocket_apis=1, integrations=1, responses=0)
    api, integration = seeded.integrations[0]
    insert = (
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
        f"VALUES ('{api}', '{integration}', '$default')"
    )
    for command in (["query"], ["shell", ":memory:"]):
        emulator.fail_next_write("InvalidRequest", HOSTILE)
        result = in_a_pipe(*command, *flags, insert)
        assert result.returncode == 1
        assert "FAILED" in result.stderr or "InvalidRequest" in result.stderr, result.stderr
        assert_shown_not_obeyed(result.stderr)
        assert ESCAPED in result.stderr


def test_identifiers_in_the_write_report_are_shown_not_obeyed(emulator: Emulator) -> None:
    db, registry = open_connection(
        {"endpoint_url": emulator.endpoint_url, "regions": REGION}, read_only_files=False
    )
    err = io.StringIO()
    report = WriteReporter(registry, err)
    created = registry.log.start(
        "CreateResource",
        REGION,
        "AWS::ApiGatewayV2::IntegrationResponse",
        identifier=f"api|integration|{HOSTILE}",
    )
    created.status = "SUCCESS"
    report.finish()
    db.close()
    assert err.getvalue().startswith(f"1 inserted ({REGION}: api|integration|")
    assert_shown_not_obeyed(err.getvalue())


def test_a_warning_naming_a_files_table_is_shown_not_obeyed(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    creating = 'CREATE VIRTUAL TABLE "x\x1b[2Jy" USING integration_responses(cache_ttl=0)'  # warns
    result = in_a_pipe("shell", "--endpoint-url", emulator.endpoint_url, str(path), creating)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("vtab: warning: main.x\\x1b[2Jy is stored in "), result.stderr
    assert RAW_CONTROL.findall(result.stderr) == []


def test_a_progress_line_shows_a_tables_name_not_its_escapes() -> None:
    terminal = io.StringIO()
    progress = ReadProgress("x\x1b[2Jy\x9b", file=terminal, delay=0)
    progress.add_rows(1)
    progress.add_rows(1)
    progress.close()
    drawn = terminal.getvalue().replace("\r", "")  # tqdm's own carriage returns redraw the line
    assert "x\\x1b[2Jy\\x9b: " in drawn
    assert RAW_CONTROL.findall(drawn) == []


# --- finding 7: json never a lone '[', text that is not UTF-8 -------------------------------------------


def test_json_output_of_a_statement_failing_before_its_first_row_is_nothing(flags: list[str]) -> None:
    failing = f"SELECT * FROM integration_responses WHERE region = '{REGION}' AND data__Identifier = 'a|b'"
    result = run_vtab("query", "-f", "json", *flags, failing)
    assert result.returncode == 1
    assert result.stdout == ""
    assert "data__Identifier = 'a|b' is malformed" in result.stderr
    earlier = run_vtab("query", "-f", "json", *flags, f"SELECT 1 AS n; SELECT 2 AS n WHERE 0; {failing}")
    assert earlier.returncode == 1
    assert json_documents(earlier.stdout) == [[{"n": 1}], []]  # one array per statement, as sqlite3 -json


def test_text_that_is_not_utf8_is_a_clear_error_naming_the_row_and_the_way_to_read_it() -> None:
    sql = (
        "CREATE TABLE t(a, b); INSERT INTO t VALUES (1, 'fine'), (2, CAST(x'41ff42' AS TEXT)); "
        "SELECT a, b FROM t ORDER BY a"
    )
    for fmt in FORMATS:
        result = run_vtab("query", "-f", fmt, sql)
        assert result.returncode == 1
        assert "Traceback" not in result.stderr and "UnicodeDecodeError" not in result.stderr
        assert result.stderr.startswith("vtab query: error: row 2 of the result (columns a, b) is text ")
        assert "X'41FF42'" in result.stderr and "CAST(column AS BLOB) or hex(column)" in result.stderr
    readable = run_vtab("query", "-f", "csv", sql.replace("SELECT a, b", "SELECT a, hex(b) AS b"))
    assert readable.returncode == 0, readable.stderr
    assert readable.stdout.splitlines()[-1] == "2,41FF42"
    shell = run_vtab("shell", ":memory:", sql)
    assert shell.returncode == 1
    assert shell.stderr.startswith("vtab shell: error: a value of the result is text that is not valid UTF-8")
    assert "CAST(column AS BLOB)" in shell.stderr


# --- the sanitizer itself -------------------------------------------------------------------------------


def test_visible_escapes_every_control_character_once() -> None:
    assert visible(HOSTILE) == ESCAPED
    assert visible(ESCAPED) == ESCAPED  # escaping twice changes nothing
    assert visible("a\nb\tc\r") == "a\\nb\\tc\\r"
    assert visible("a\nb\tc\r", keep="\n\t") == "a\nb\tc\\r"
    assert visible("\x80\x9f\xa0é日本") == "\\x80\\x9f\xa0é日本"  # C1 only; printable text untouched


def test_json_safe_and_sql_visible_keep_the_value() -> None:
    text = json_safe(json.dumps({"k": HOSTILE}, ensure_ascii=False))
    assert RAW_CONTROL.findall(text) == [] and json.loads(text) == {"k": HOSTILE}
    literal = sql_visible("'" + HOSTILE.replace("'", "''") + "'")
    assert RAW_CONTROL.findall(literal) == []
    assert vtab.connect().execute(f"SELECT {literal}").get == HOSTILE
