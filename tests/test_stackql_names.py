"""StackQL's table names (aws.apigatewayv2.integration_responses) wherever SQL names a table, end to end.

On ``vtab.connect()`` connections, on a user's own connection through ``vtab.register()``, and in
``vtab shell`` and ``vtab snapshot`` (``vtab query`` runs the reference page in test_reference_page.py).
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

import apsw
import pytest

import vtab
from tests.readhelpers import IR, endpoint_summary
from tests.test_cli import run_vtab
from vtab.cli import main as cli
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded
from vtab.sql.closing_cursor import ClosingCursor
from vtab.sql.stackql import StackQLCursor

REGION = "us-east-1"
NAME = "aws.apigatewayv2.integration_responses"
UNKNOWN_SERVICE = "vtab knows no StackQL service 'foo'; SELECT stackql_name FROM vtab_types lists all"
"""Every catalog type has a StackQL name: an unknown service's error says where they are listed."""


def options(emulator: Emulator) -> dict[str, Any]:
    return {"endpoint_url": emulator.endpoint_url, "regions": REGION, "rate_limit": None, "cache_ttl": 0}


@pytest.fixture
def db(emulator: Emulator) -> apsw.Connection:
    return vtab.connect(**options(emulator))


def rows(db: apsw.Connection, sql: str, bindings: Any = ()) -> list[tuple[Any, ...]]:
    return sorted(tuple(row) for row in db.execute(sql, bindings))


READS = [
    "SELECT data__Identifier FROM {t} WHERE region = 'us-east-1'",
    "SELECT v.data__Identifier FROM mine m JOIN {t} v "
    "ON v.data__Identifier = m.id AND v.region = 'us-east-1'",
    "SELECT id FROM mine WHERE id IN (SELECT data__Identifier FROM {t} WHERE region = 'us-east-1')",
    "WITH c AS (SELECT data__Identifier AS id FROM {t} WHERE region = 'us-east-1') SELECT id FROM c",
    "SELECT {t}.data__Identifier FROM {t} WHERE {t}.region = 'us-east-1'",
]


@pytest.mark.parametrize("sql", READS)
def test_reads_by_the_stackql_name_match_the_table_name_row_for_row_and_call_for_call(
    sql: str, db: apsw.Connection, seeded: Seeded, emulator: Emulator
) -> None:
    db.execute("CREATE TABLE mine(id TEXT)")
    db.executemany("INSERT INTO mine VALUES (?)", [(seeded.responses[0],), (seeded.responses[3],)])

    by_table = rows(db, sql.format(t="integration_responses"))
    table_calls = endpoint_summary(emulator)
    emulator.clear_calls()
    by_name = rows(db, sql.format(t=NAME))

    assert by_name == by_table
    assert by_table, "the query finds seeded rows"
    assert endpoint_summary(emulator) == table_calls


def test_writes_by_the_stackql_name(db: apsw.Connection, seeded: Seeded, emulator: Emulator) -> None:
    api_id, integration_id = seeded.integrations[0]
    db.execute(
        f"INSERT INTO {NAME} (ApiId, IntegrationId, IntegrationResponseKey, region) "
        "VALUES (?, ?, '/4\\d{2}/', ?)",
        (api_id, integration_id, REGION),
    )
    (created,) = [
        r
        for r in emulator.integration_responses(REGION, api_id, integration_id)
        if r["IntegrationResponseKey"] == "/4\\d{2}/"
    ]
    identifier = f"{api_id}|{integration_id}|{created['IntegrationResponseId']}"

    db.execute(
        f"UPDATE {NAME} SET template_selection_expression = '$default' "
        f"WHERE region = ? AND data__Identifier = ?",
        (REGION, identifier),
    )
    model = emulator.resource(REGION, IR, identifier)
    assert model is not None and model["TemplateSelectionExpression"] == "$default"

    db.execute(f"DELETE FROM {NAME} WHERE region = ? AND data__Identifier = ?", (REGION, identifier))
    assert emulator.resource(REGION, IR, identifier) is None
    counts = Counter(call.operation for call in emulator.calls if call.error_code is None)
    assert (counts["CreateResource"], counts["UpdateResource"], counts["DeleteResource"]) == (1, 1, 1)


def test_executemany_takes_the_stackql_name(db: apsw.Connection, seeded: Seeded) -> None:
    sql = f"SELECT api_id FROM {NAME} WHERE region = 'us-east-1' AND data__Identifier = ?"
    found = list(db.executemany(sql, [(identifier,) for identifier in seeded.responses[:2]]))
    assert found == [(identifier.split("|")[0],) for identifier in seeded.responses[:2]]


def test_literals_comments_and_quoted_identifiers_are_left_alone(
    db: apsw.Connection, seeded: Seeded, emulator: Emulator
) -> None:
    # A local table whose (quoted) name is the StackQL name stays that local table.
    db.execute(f'CREATE TABLE "{NAME}"(x TEXT); INSERT INTO "{NAME}" VALUES (\'local\')')
    sql = (
        f"/*+ hint: FROM {NAME} */ SELECT '{NAME}', x, -- {NAME}\n"
        f"  (SELECT count(*) FROM {NAME} WHERE region = 'us-east-1') FROM \"{NAME}\" /* {NAME} */"
    )
    assert rows(db, sql) == [(NAME, "local", len(seeded.responses))]
    assert rows(db, f"SELECT x FROM [{NAME}]") == [("local",)]


@pytest.mark.parametrize(
    ("name", "known"),
    [
        ("aws.foo.bar", UNKNOWN_SERVICE),
        ("aws.apigatewayv2.nope", "the StackQL names vtab knows: aws.apigatewayv2.api_gateway_managed"),
    ],
)
def test_an_unknown_stackql_name_is_a_clear_error_and_sends_nothing(
    name: str, known: str, db: apsw.Connection, seeded: Seeded, emulator: Emulator
) -> None:
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(f"DELETE FROM {name} WHERE region = 'us-east-1'")
    assert str(caught.value).startswith(f"no such table: {name}; {known}")
    assert emulator.calls == []


def test_error_offsets_point_into_the_text_as_written(db: apsw.Connection) -> None:
    sql = f"SELECT * FROM {NAME} WHERE region = 'us-east-1' AND nosuch_column = 1"
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(sql)
    assert "no such column: nosuch_column" in str(caught.value)
    offset = caught.value.error_offset  # type: ignore[attr-defined]
    assert sql[offset:].startswith("nosuch_column")


def test_a_database_attached_as_aws_keeps_sqlite_meaning_of_three_part_names(
    db: apsw.Connection, tmp_path: Path
) -> None:
    db.execute("ATTACH ? AS aws", (str(tmp_path / "aws.db"),))
    db.execute(
        "CREATE TABLE aws.apigatewayv2(integration_responses TEXT); INSERT INTO aws.apigatewayv2 VALUES ('x')"
    )
    assert rows(db, f"SELECT {NAME} FROM aws.apigatewayv2") == [("x",)]
    with pytest.raises(apsw.SQLError, match=r"^no such column: aws.foo.bar$"):  # SQLite's own error
        db.execute("SELECT aws.foo.bar FROM aws.apigatewayv2")


# --- vtab.register() on the user's own connection ----------------------------------------------------------


class AuditCursor(apsw.Cursor):
    """A user's own cursor class: it records the statements it ran."""

    seen: ClassVar[list[str]] = []

    def execute(self, statements: Any, *args: Any, **kwargs: Any) -> apsw.Cursor:
        AuditCursor.seen.append(statements)
        return super().execute(statements, *args, **kwargs)


def test_register_extends_the_users_cursor_class(emulator: Emulator, seeded: Seeded) -> None:
    connection = apsw.Connection(":memory:")
    connection.cursor_factory = AuditCursor
    vtab.register(connection, **options(emulator))
    vtab.register(connection, **options(emulator))  # again: still one layer over the user's class
    AuditCursor.seen.clear()

    sql = f"SELECT count(*) FROM {NAME} WHERE region = 'us-east-1'"
    assert connection.execute(sql).get == len(seeded.responses)

    cursor = connection.cursor()
    assert isinstance(cursor, AuditCursor) and isinstance(cursor, StackQLCursor)
    assert connection.cursor_factory.__mro__[1:4] == (StackQLCursor, ClosingCursor, AuditCursor)
    assert AuditCursor.seen == [sql.replace(NAME, "integration_responses".ljust(len(NAME)))]


def test_register_refuses_a_cursor_factory_it_cannot_extend(emulator: Emulator) -> None:
    connection = apsw.Connection(":memory:")

    def factory(connection: apsw.Connection) -> apsw.Cursor:
        return apsw.Cursor(connection)

    connection.cursor_factory = factory
    with pytest.raises(TypeError) as caught:
        vtab.register(connection, **options(emulator))
    message = str(caught.value)
    assert f"cursor_factory is {factory!r}" in message
    assert "make it a subclass of apsw.Cursor" in message
    assert connection.cursor_factory is factory
    with pytest.raises(apsw.SQLError, match="no such table: integration_responses"):
        connection.execute("SELECT * FROM integration_responses")  # nothing was registered


# --- the command --------------------------------------------------------------------------------------------


def test_shell_takes_stackql_names_in_scripts_read_files_and_opened_databases(
    emulator: Emulator, seeded: Seeded, tmp_path: Path
) -> None:
    script = tmp_path / "page.sql"
    script.write_text(
        f"/*+ count */ SELECT count(*) FROM {NAME} WHERE region = 'us-east-1'; SELECT '{NAME}';\n"
    )
    commands = (
        "SELECT count(*) FROM aws . apigatewayv2 . integration_responses WHERE region = 'us-east-1'; "
        "SELECT 2;\n"
        f".read {script}\n"
        f".open {tmp_path / 'other.db'}\n"
        f"SELECT count(*) FROM {NAME} WHERE region = 'us-east-1';\n"
        "SELECT * FROM aws.foo.bar;\n"
    )
    result = run_vtab(
        "shell",
        "--endpoint-url",
        emulator.endpoint_url,
        "--regions",
        REGION,
        "-echo",
        stdin=commands,
        cwd=tmp_path,
    )
    n = str(len(seeded.responses))
    assert result.stdout.splitlines() == [n, "2", n, NAME, n]
    # -echo shows each statement as written; the statements split where they were written
    assert f"SELECT count(*) FROM {NAME} WHERE region = 'us-east-1';" in result.stderr.splitlines()
    assert "SELECT 2;" in result.stderr.splitlines()
    assert f"no such table: aws.foo.bar; {UNKNOWN_SERVICE}" in result.stderr


def test_snapshot_takes_the_stackql_name(emulator: Emulator, seeded: Seeded, tmp_path: Path) -> None:
    out = tmp_path / "inventory.db"
    result = run_vtab(
        "snapshot",
        str(out),
        f"SELECT data__Identifier AS id FROM {NAME} WHERE region = 'us-east-1'",
        "--table",
        "ir",
        "--endpoint-url",
        emulator.endpoint_url,
    )
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(out) as plain:
        assert sorted(row[0] for row in plain.execute("SELECT id FROM ir")) == sorted(seeded.responses)
    plain.close()


def test_query_reports_an_unknown_stackql_name_and_exits_1(
    emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli.main(["query", "--endpoint-url", emulator.endpoint_url, "SELECT * FROM aws.foo.bar"])
    out, err = capsys.readouterr()
    assert (status, out) == (1, "")
    assert err.startswith(f"vtab query: error: SQLError: no such table: aws.foo.bar; {UNKNOWN_SERVICE}")
    assert emulator.calls == []


# --- the shell's dot-commands -------------------------------------------------------------------------------


def _shell(emulator: Emulator, *args: str, stdin: str | None = None, cwd: Path | None = None) -> Any:
    return run_vtab("shell", "--endpoint-url", emulator.endpoint_url, *args, stdin=stdin, cwd=cwd)


def test_dot_commands_take_stackql_names_as_sql_does(emulator: Emulator) -> None:
    by_table = _shell(emulator, ":memory:", ".schema integration_responses", ".schema ec2_instances")
    by_name = _shell(emulator, ":memory:", f".schema {NAME}", ".schema AWS.ec2.instances")
    assert by_name.returncode == 0, by_name.stderr
    assert by_name.stdout == by_table.stdout
    assert "CREATE TABLE integration_responses(" in by_name.stdout
    assert "CREATE TABLE ec2_instances(" in by_name.stdout  # a catalog table this connection never used

    listed = _shell(emulator, ":memory:", ".tables aws.apigatewayv2.%", f".tables {NAME}", f".indexes {NAME}")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "integration_responses" in lines and "apigatewayv2_apis" in lines
    assert all(line.startswith("apigatewayv2_") or line == "integration_responses" for line in lines)
    assert lines[-1] == "integration_responses"  # .tables NAME; .indexes lists none: a virtual table has none
    assert emulator.calls == []


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ".schema aws.apigatewayv2.nope",
            ".schema: no such table: aws.apigatewayv2.nope; the StackQL names vtab knows: "
            "aws.apigatewayv2.api_gateway_managed_overrides,",
        ),
        (".indexes aws.apigatewayv2.nope", "vtab types apigatewayv2 lists them with their tables"),
        (".tables aws.foo.%", f".tables: no such table: aws.foo.%; {UNKNOWN_SERVICE}"),
        (".dump aws.foo.bar", "(vtab types PATTERN from the command)"),
    ],
)
def test_an_unknown_stackql_name_in_a_dot_command_is_an_error_naming_it(
    command: str, message: str, emulator: Emulator
) -> None:
    result = _shell(emulator, ":memory:", command)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith("vtab shell: error: ")
    assert message in result.stderr


def test_dump_refuses_a_vtab_table_and_keeps_a_table_of_your_own_with_dots(
    emulator: Emulator, tmp_path: Path
) -> None:
    refused = _shell(emulator, ":memory:", f".dump {NAME}")
    assert refused.returncode == 1
    assert refused.stdout == ""
    assert (
        "vtab shell: error: .dump: integration_responses is vtab's virtual table: its rows live in AWS, "
        "not in this database, so a dump has none of them; copy them into a table first" in refused.stderr
    )
    own = _shell(
        emulator,
        str(tmp_path / "mine.db"),
        'CREATE TABLE "aws.my.t"(x); INSERT INTO "aws.my.t" VALUES (42)',
        ".schema aws.my.t",
        ".dump aws.my.t",
    )
    assert own.returncode == 0, own.stderr
    assert own.stdout.startswith('CREATE TABLE "aws.my.t"(x);\n')
    assert 'INSERT INTO "aws.my.t" VALUES(42);' in own.stdout
    assert emulator.calls == []


def test_import_takes_the_stackql_name_and_vtabs_checks_refuse_read_only_columns(
    emulator: Emulator, tmp_path: Path
) -> None:
    data = tmp_path / "rows.csv"
    data.write_text("r1,,,,,i1,$default,a1,us-east-1,123456789012\n")
    result = _shell(emulator, ":memory:", ".mode csv", f".import {data} {NAME}")
    assert result.returncode == 1
    # the rows reached integration_responses (its own check refuses them), nothing was sent
    assert (
        "integration_response_id = 'r1': IntegrationResponseId is read-only (AWS sets it when the "
        "resource is created)" in result.stderr
    )
    assert emulator.calls == []
    several = _shell(emulator, ":memory:", ".mode csv", f".import {data} aws.apigatewayv2.%")
    assert several.returncode == 1
    assert "vtab shell: error: .import: aws.apigatewayv2.% names 15 tables (" in several.stderr


STACKQL_SPELLINGS = [
    # StackQL's own spelling (its generator's snake_case and plurals) beside vtab's table name
    ("AWS::EC2::VPCDHCPOptionsAssociation", "aws.ec2.vpcdhcp_options_associations"),
    ("AWS::IAM::VirtualMFADevice", "aws.iam.virtualmfa_devices"),
    ("AWS::WAFv2::WebACLAssociation", "aws.wafv2.webacl_associations"),
    ("AWS::EventSchemas::Schema", "aws.eventschemas.schemata"),
    ("AWS::EC2::EC2Fleet", "aws.ec2.ec2fleets"),
]


@pytest.mark.parametrize(("type_name", "name"), STACKQL_SPELLINGS)
def test_stackql_names_are_spelled_as_stackql_spells_them(
    type_name: str, name: str, db: apsw.Connection, emulator: Emulator
) -> None:
    (stackql,) = rows(db, "SELECT stackql_name FROM vtab_types WHERE type_name = ?", (type_name,))
    assert stackql == (name,)
    seeded = emulator.seed_type(type_name, REGION, count=1, parents=1)
    emulator.clear_calls()
    sql = f"SELECT data__Identifier FROM {name} WHERE region = 'us-east-1' AND data__Identifier = ?"
    assert rows(db, sql, (seeded.identifiers[0],)) == [(seeded.identifiers[0],)]


def test_vtabs_own_spelling_of_a_stackql_name_still_names_the_table(
    db: apsw.Connection, emulator: Emulator
) -> None:
    """aws.<service>.<the table name's rest> worked before the names followed StackQL's spelling."""
    seeded = emulator.seed_type("AWS::EC2::VPCDHCPOptionsAssociation", REGION, count=1, parents=1)
    sql = "SELECT data__Identifier FROM {} WHERE region = 'us-east-1'"
    assert rows(db, sql.format("aws.ec2.vpc_dhcp_options_associations")) == [(seeded.identifiers[0],)]
    assert rows(db, sql.format("aws.ec2.vpcdhcp_options_associations")) == [(seeded.identifiers[0],)]


def test_stackqls_list_only_names_read_the_same_table(db: apsw.Connection, emulator: Emulator) -> None:
    """StackQL's docs list a type through `<name>_list_only` (region and the identifier columns)."""
    seeded = emulator.seed_type("AWS::EKS::Nodegroup", REGION, count=2, parents=2)
    emulator.clear_calls()
    listed = rows(db, "SELECT region, id FROM aws.eks.nodegroups_list_only WHERE region = 'us-east-1'")
    assert listed == sorted((REGION, identifier) for identifier in seeded.identifiers)
    assert endpoint_summary(emulator) == Counter({"ListResources Cluster": 1, "ListResources Nodegroup": 2})
    with pytest.raises(apsw.SQLError, match=r"no such table: aws\.eks\.nope_list_only; the StackQL names"):
        db.execute("SELECT * FROM aws.eks.nope_list_only")
    shown = _shell(emulator, ":memory:", ".schema aws.eks.nodegroups_list_only")
    assert shown.returncode == 0, shown.stderr
    assert "CREATE TABLE eks_nodegroups(" in shown.stdout
