"""The command as a SQLite user expects it: writes that report, progress on a terminal only, .tables and
.schema, nested JSON, SQL from a file or stdin, one-line startup errors, flag-named hints, and the
warning for a virtual table stored in a file. Real subprocesses against the local endpoint."""

from __future__ import annotations

import io
import json
import os
import pty
import select
import subprocess
import sys
import warnings
from pathlib import Path

import apsw
import pytest

import vtab
from tests.test_cli import REGION, run_vtab
from vtab import hints
from vtab.aws.calllog import CallLog
from vtab.emulator import Emulator
from vtab.options import OptionError
from vtab.read.progress import AroundProgress, ReadProgress
from vtab.sqlite.trust import StoredTableWarning
from vtab.write.report import WriteReport


@pytest.fixture
def flags(emulator: Emulator) -> list[str]:
    return ["--endpoint-url", emulator.endpoint_url, "--regions", REGION]


def test_query_reports_each_write_statement_on_stderr(emulator: Emulator, flags: list[str]) -> None:
    seeded = emulator.seed(REGION, websocket_apis=1, integrations=1, responses=1)
    api, integration = seeded.integrations[0]
    where = f"api_id = '{api}' AND integration_id = '{integration}' AND integration_response_key LIKE 'k%'"
    sql = (
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) VALUES "
        f"('{api}', '{integration}', 'k1'), ('{api}', '{integration}', 'k2');"
        f"SELECT count(*) AS n FROM integration_responses WHERE {where};"
        f"UPDATE integration_responses SET response_templates = '{{}}' WHERE {where};"
        f"DELETE FROM integration_responses WHERE {where}"
    )
    result = run_vtab("query", *flags, "-f", "csv", sql)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "n\n2\n"  # stdout holds only the rows
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"2 inserted ({REGION}: {api}|{integration}|")
    assert lines[0].count(f"{api}|{integration}|") == 2  # the identifiers AWS assigned
    assert lines[1:] == ["2 updated", "2 deleted"]


def test_shell_reports_writes_and_dry_runs(emulator: Emulator, flags: list[str]) -> None:
    seeded = emulator.seed(REGION, websocket_apis=1, integrations=1, responses=2)
    api, integration = seeded.integrations[0]
    result = run_vtab(
        "shell",
        *flags,
        ":memory:",
        f"DELETE FROM integration_responses WHERE api_id = '{api}' AND integration_id = '{integration}'",
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "2 deleted"
    assert emulator.integration_responses(REGION, api, integration) == []
    emulator.seed(REGION, websocket_apis=1, integrations=1, responses=1)
    dry = run_vtab("shell", *flags, "--dry-run", ":memory:", "DELETE FROM integration_responses WHERE true")
    assert dry.returncode == 0, dry.stderr
    assert dry.stderr.strip() == "dry run: 1 write not sent (see vtab_dry_run)"


def test_write_report_counts_only_completed_writes() -> None:
    log = CallLog()
    mark = log.mark()
    create = log.start("CreateResource", REGION, "T", identifier="a|b|c")
    create.status = "SUCCESS"
    failed = log.start("UpdateResource", REGION, "T", identifier="a|b|d")
    failed.status = "FAILED"
    log.start("ListResources", REGION, "T")
    deleted = log.start("DeleteResource", "eu-west-1", "T", identifier="a|b|e")
    deleted.status = "SUCCESS"
    report = WriteReport.of(log.since(mark))
    assert report.text() == f"1 inserted ({REGION}: a|b|c), 1 deleted"
    assert WriteReport.of(log.since(log.mark())).text() == ""


def _on_a_terminal(args: list[str]) -> tuple[str, str]:
    """Run the command with stderr on a pseudo-terminal and stdout on a pipe: (stdout, terminal text)."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "vtab.cli", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=os.environ.copy(),
    )
    os.close(follower)
    seen = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the command exited and closed the terminal
            break
        if not chunk:
            break
        seen += chunk
    stdout, _ = process.communicate(timeout=60)
    os.close(leader)
    assert process.returncode == 0, seen
    return stdout.decode(), seen.decode()


def test_progress_is_shown_on_a_terminal_and_not_in_a_pipe() -> None:
    # each call takes 0.3 s and the walk has three levels, so the read outlasts the progress delay
    with Emulator(latency=0.3) as emu:
        emu.seed(REGION, websocket_apis=6, integrations=2, responses=2)
        args = ["query", "--endpoint-url", emu.endpoint_url, "--regions", REGION, "-f", "csv"]
        sql = "SELECT count(*) FROM integration_responses"
        stdout, terminal = _on_a_terminal([*args, sql])
        assert stdout == "count(*)\n24\n"
        assert "integration_responses: " in terminal and "parents listed" in terminal
        assert "calls in flight" in terminal
        piped = run_vtab(*args, sql)
        assert piped.returncode == 0, piped.stderr
        assert piped.stdout == "count(*)\n24\n"
        assert piped.stderr == ""
        quiet_stdout, quiet = _on_a_terminal([*args, "--no-progress", sql])
        assert quiet_stdout == "count(*)\n24\n"
        assert "parents listed" not in quiet


def test_rows_printed_during_a_read_never_share_the_progress_line() -> None:
    terminal = io.StringIO()
    progress = ReadProgress("integration_responses", file=terminal, delay=0)
    progress.add_parents(3)
    progress.add_rows(5)
    AroundProgress(terminal).write("row 1\n")
    progress.close()
    text = terminal.getvalue()
    before = text[: text.index("row 1")]
    assert "integration_responses: 0 rows" in before and "parents listed 3" in before
    assert before.endswith("\r") and before.rsplit("\r", 2)[-2].strip() == ""  # the line was blanked first
    after = text[text.index("row 1\n") + len("row 1\n") :]
    assert "integration_responses: 5 rows" in after  # redrawn below the row, with the current count
    assert text.endswith("\r")  # and erased at the end (leave=False)


def test_progress_option_in_the_api(emulator: Emulator, capfd: pytest.CaptureFixture[str]) -> None:
    emulator.seed(REGION, websocket_apis=1, integrations=1, responses=1)
    db = vtab.connect(endpoint_url=emulator.endpoint_url, regions=REGION)
    assert db.execute("SELECT count(*) FROM integration_responses").get == 1
    assert capfd.readouterr().err == ""  # quiet unless asked
    with pytest.raises(OptionError, match=r"progress=.maybe. is not a boolean"):
        vtab.connect(endpoint_url=emulator.endpoint_url, progress="maybe")


def test_tables_and_schema_list_vtabs_tables(flags: list[str]) -> None:
    result = run_vtab("shell", *flags, ":memory:", "CREATE TABLE mine(x)", ".tables", ".schema integration%")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:7] == [
        "integration_responses",
        "mine",
        "vtab_accounts",
        "vtab_calls",
        "vtab_columns",
        "vtab_diff",
        "vtab_dry_run",
    ]
    schema = "\n".join(lines[7:])
    assert "CREATE TABLE integration_responses(" in schema
    assert "  response_templates TEXT," in schema
    assert "  data__Identifier TEXT HIDDEN," in schema
    assert "vtab_calls" not in schema and "mine" not in schema


def test_schema_of_a_created_table_says_where_it_lives(tmp_path: Path, flags: list[str]) -> None:
    """An eponymous table is on every connection and stored in no file; one made by CREATE VIRTUAL TABLE
    is neither: `.schema` must not say so of a table stored in inventory.db, nor of a temp one."""
    made = (
        "CREATE VIRTUAL TABLE ir USING integration_responses(cache_ttl=0)",
        "CREATE VIRTUAL TABLE temp.mine USING logs_log_groups(cache_ttl=0)",
    )
    result = run_vtab("shell", *flags, str(tmp_path / "inventory.db"), *made, ".schema ir", ".schema mine")
    assert result.returncode == 0, result.stderr
    assert "stored in no file" not in result.stdout
    assert "/* ir: the columns the table above declares to SQLite; it is stored in main */" in result.stdout
    assert "/* mine: the columns the table above declares to SQLite; it is in temp, this connection's" in (
        result.stdout
    )
    eponymous = run_vtab("shell", *flags, ":memory:", ".schema integration_responses").stdout
    assert "/* integration_responses: vtab's virtual table, on every connection, stored in no file */" in (
        eponymous
    )


def test_tables_with_a_pattern_matches_every_vtab_table(flags: list[str]) -> None:
    """Without a pattern .tables shows the tables used so far (1,700 would flood it); a pattern is a
    search, so `.tables eks%` lists every EKS table, as `.tables aws.eks.%` does, not only used ones."""
    used = "SELECT count(*) FROM eks_clusters WHERE false"
    result = run_vtab("shell", *flags, ":memory:", used, ".tables eks_%", ".tables")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    eks = [line for line in lines if line.startswith("eks_")]
    assert {"eks_clusters", "eks_nodegroups", "eks_addons"} <= set(eks[:-1])  # the pattern's answer
    assert eks[-1] == "eks_clusters"  # .tables alone: the one used
    assert lines.count("eks_nodegroups") == 1


def test_json_formats_nest_object_columns(emulator: Emulator, flags: list[str]) -> None:
    emulator.seed(REGION, websocket_apis=1, integrations=1, responses=2)
    sql = (
        "SELECT api_id, response_parameters, '{\"a\": 1}' AS text_that_parses FROM integration_responses "
        "WHERE response_parameters IS NOT NULL"
    )
    for args in (["query", "-f", "jsonl", *flags, sql], ["shell", *flags, "-jsonl", ":memory:", sql]):
        result = run_vtab(*args)
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert rows, result.stdout
        for row in rows:
            assert isinstance(row["response_parameters"], dict)  # nested, not an escaped string
            assert row["text_that_parses"] == '{"a": 1}'  # not a JSON column: stays text
    for args in (["query", "-f", "json", *flags, sql], ["shell", *flags, ":memory:", ".mode json", sql]):
        result = run_vtab(*args)
        assert result.returncode == 0, result.stderr
        rows = json.loads(result.stdout)
        assert rows and all(isinstance(row["response_parameters"], dict) for row in rows)


def test_query_reads_sql_from_stdin_and_a_file(emulator: Emulator, flags: list[str], tmp_path: Path) -> None:
    emulator.seed(REGION, websocket_apis=1, integrations=1, responses=3)
    sql = "SELECT count(*) FROM integration_responses;\nSELECT 'done';\n"
    script = tmp_path / "report.sql"
    script.write_text(sql)
    for args, stdin in ((["-"], sql), (["--file", str(script)], None), (["--file", "-"], sql)):
        result = run_vtab("query", *flags, "-f", "csv", "--no-header", *args, stdin=stdin)
        assert result.returncode == 0, result.stderr
        assert result.stdout == "3\ndone\n"
    missing = run_vtab("query", *flags, "--file", str(tmp_path / "nope.sql"))
    assert missing.returncode == 1
    assert missing.stderr == f"vtab query: error: --file {tmp_path / 'nope.sql'}: No such file or directory\n"
    neither = run_vtab("query", *flags)
    assert neither.returncode == 1
    assert (
        "no SQL: give it as an argument, as - to read standard input, or with --file FILE" in neither.stderr
    )


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_malformed_endpoint_is_one_line_at_startup(where: str) -> None:
    sql = "SELECT count(*) FROM integration_responses"
    for command in (["query"], ["snapshot", "out.db", "--table", "t"], ["shell", ":memory:"]):
        if where == "flag":
            result = run_vtab(*command, "--endpoint-url", "127.0.0.1:4566", "--regions", REGION, sql)
        else:
            result = run_vtab(
                *command, "--regions", REGION, sql, AWS_ENDPOINT_URL_CLOUDCONTROL="127.0.0.1:4566"
            )
        assert "Traceback" not in result.stderr
        assert result.stdout == ""
        if where == "flag":
            # a bad flag value is a usage error, checked like every option before anything runs: the
            # error, then where the help is
            assert result.returncode == 2, result
            error, hint = result.stderr.strip().splitlines()
            assert "option --endpoint-url '127.0.0.1:4566' has no scheme" in error
            assert "write it as http://127.0.0.1:4566" in error
            assert hint == f"see vtab {command[0]} --help"
            continue
        assert result.returncode == 1, result
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "AWS_ENDPOINT_URL_CLOUDCONTROL='127.0.0.1:4566' has no scheme" in result.stderr


def test_hints_name_flags_in_the_command_and_keywords_in_python(emulator: Emulator) -> None:
    db = vtab.connect(endpoint_url=emulator.endpoint_url, max_writes=1)
    emulator.seed(REGION, websocket_apis=1, integrations=1, responses=2)
    sql = f"DELETE FROM integration_responses WHERE region = '{REGION}'"
    with pytest.raises(apsw.ConstraintError, match=r"pass max_writes=N to vtab.register\(\)"):
        db.execute(sql)
    with (
        hints.speaking_to(hints.Audience.COMMAND),
        pytest.raises(apsw.ConstraintError, match="add --max-writes N to the vtab command"),
    ):
        db.execute(sql)
    result = run_vtab("query", "--endpoint-url", emulator.endpoint_url, "--max-writes", "1", sql)
    assert result.returncode == 1
    assert "add --max-writes N to the vtab command" in result.stderr
    assert "max_writes=N to vtab.register" not in result.stderr
    assert hints.option("rate_limit") == "rate_limit"


def test_read_only_refusal_names_the_flag_that_set_it(emulator: Emulator) -> None:
    """Under --read-only no table is writable (a ceiling), so the fix is the flag, not another table."""
    (group,) = emulator.seed_type("AWS::Logs::LogGroup", REGION).identifiers
    sql = f"DELETE FROM logs_log_groups WHERE region = '{REGION}' AND log_group_name = '{group}'"
    result = run_vtab("query", "--endpoint-url", emulator.endpoint_url, "--read-only", sql)
    assert result.returncode == 1
    assert result.stderr == (
        "vtab query: error: ReadOnlyError: logs_log_groups is read-only (the connection's --read-only): "
        "DELETE refused before anything was sent; a table cannot lift it: run the vtab command without "
        "--read-only to change AWS resources\n"
    )


def test_virtual_table_stored_in_a_file_warns(tmp_path: Path, emulator: Emulator) -> None:
    path = tmp_path / "inventory.db"
    db = vtab.connect(str(path), endpoint_url=emulator.endpoint_url, regions=REGION)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        db.execute("CREATE VIRTUAL TABLE temp.fine USING integration_responses(cache_ttl=0)")
        assert caught == []
        db.execute("CREATE VIRTUAL TABLE prod USING integration_responses(cache_ttl=0)")
    assert [type(w.message) for w in caught] == [StoredTableWarning]
    assert "main.prod is stored in" in str(caught[0].message)
    assert "CREATE VIRTUAL TABLE temp.prod" in str(caught[0].message)
    db.close()
    shell = run_vtab(
        "shell",
        "--endpoint-url",
        emulator.endpoint_url,
        str(tmp_path / "other.db"),
        "CREATE VIRTUAL TABLE kept USING integration_responses(cache_ttl=0)",
    )
    assert shell.returncode == 0, shell.stderr
    assert shell.stderr.startswith("vtab: warning: main.kept is stored in ")


# -- what an adversarial first hour found (issue 8 review) ----------------------------------------------


def test_a_later_statement_that_fails_does_not_hide_what_earlier_ones_did(
    emulator: Emulator, flags: list[str]
) -> None:
    seeded = emulator.seed(REGION, websocket_apis=1, integrations=1, responses=0)
    api, integration = seeded.integrations[0]
    sql = (
        "SELECT 1 AS a; INSERT INTO integration_responses (ApiId, IntegrationId, IntegrationResponseKey) "
        f"VALUES ('{api}', '{integration}', 't9'); SELEC 2"
    )
    result = run_vtab("query", *flags, "-f", "csv", sql)
    assert result.returncode == 1
    assert result.stdout == "a\n1\n"
    lines = result.stderr.splitlines()
    assert lines[0].startswith(f"1 inserted ({REGION}: {api}|{integration}|")
    assert 'near "SELEC"' in lines[1]
    assert [
        r["IntegrationResponseKey"] for r in emulator.integration_responses(REGION, api, integration)
    ] == ["t9"]


def test_an_unfilled_template_value_in_any_inserted_column_is_refused(
    emulator: Emulator, flags: list[str]
) -> None:
    seeded = emulator.seed(REGION, websocket_apis=1, integrations=1, responses=0)
    api, integration = seeded.integrations[0]
    sql = (
        "INSERT INTO integration_responses (ApiId, IntegrationId, IntegrationResponseKey, "
        f"TemplateSelectionExpression) VALUES ('{api}', '{integration}', '$default', "
        "'{{ TemplateSelectionExpression }}')"
    )
    result = run_vtab("query", *flags, sql)
    assert result.returncode == 1
    assert (
        "TemplateSelectionExpression = '{{ TemplateSelectionExpression }}': still a placeholder"
        in result.stderr
    )
    assert emulator.integration_responses(REGION, api, integration) == []


def test_an_endpoint_without_a_scheme_in_the_aws_config_file_is_a_clear_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    config.write_text("[default]\nendpoint_url = 127.0.0.1:4566\n")
    result = run_vtab(
        "query",
        "--regions",
        REGION,
        "SELECT count(*) FROM integration_responses",
        AWS_CONFIG_FILE=str(config),
    )
    assert result.returncode == 1
    assert "vtab bug" not in result.stderr
    assert "endpoint of the AWS configuration is not usable" in result.stderr
    assert "--endpoint-url http://127.0.0.1:4566" in result.stderr


def test_a_piped_shell_exits_1_after_a_failed_statement_as_sqlite3_does(flags: list[str]) -> None:
    failed = run_vtab("shell", *flags, stdin="SELECT * FROM nosuch;\nSELECT 1;\n")
    assert (failed.returncode, failed.stdout.strip()) == (1, "1")
    assert "no such table: nosuch" in failed.stderr
    assert run_vtab("shell", *flags, stdin="SELECT 1;\n").returncode == 0


def test_a_reader_that_goes_away_ends_the_command_quietly(flags: list[str]) -> None:
    command = [
        sys.executable,
        "-m",
        "vtab.cli",
        "query",
        *flags,
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x FROM c",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None and child.stderr is not None
        assert child.stdout.readline() == "x\n"
        child.stdout.close()  # as `| head -1` does
        error = child.stderr.read()
        assert child.wait(timeout=60) == 141
    assert error == ""


@pytest.mark.parametrize("how", ["piped", "--cmd"])
def test_a_reader_that_goes_away_ends_a_shell_fed_by_a_pipe_quietly(flags: list[str], how: str) -> None:
    # SQL piped in (the statement loop) or given with --cmd: apsw's shell reports an error there and reads
    # on, so `... | vtab shell | head -1` said "[Errno 32] Broken pipe" and exited 1; sqlite3 ends quietly
    sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT x FROM c;"
    command = [sys.executable, "-m", "vtab.cli", "shell", *flags]
    command += ["--cmd", sql, ":memory:"] if how == "--cmd" else []
    with subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stdin is not None and child.stdout is not None and child.stderr is not None
        child.stdin.write(sql + "\nSELECT 'after';\n" if how == "piped" else "SELECT 'after';\n")
        child.stdin.close()
        assert child.stdout.readline() == "1\n"
        child.stdout.close()  # as `| head -1` does
        error = child.stderr.read()
        assert child.wait(timeout=60) == 141
    assert error == ""


def test_query_reads_piped_sql_without_a_dash(flags: list[str]) -> None:
    result = run_vtab("query", *flags, "-f", "csv", stdin="SELECT 7 AS n")
    assert (result.returncode, result.stdout) == (0, "n\n7\n")
