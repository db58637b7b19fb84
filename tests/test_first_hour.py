"""A first hour without trial and error (issue 17, item 4): what an INSERT needs is visible before the first
try (``vtab_columns``, ``.schema`` comments, ``vtab describe``, every missing required column named at
once), and an unknown table or column gets a "did you mean" from vtab's names. Real SQL and the real
command against the local endpoint.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import apsw
import pytest

import vtab
from tests.readhelpers import connect
from tests.test_cli import run_vtab
from tests.test_docs import ROOT, sql_blocks, statements
from vtab.emulator import Emulator

EKS_REQUIRED = {"role_arn", "resources_vpc_config"}
PLACEHOLDERS = {
    "ApiId": "api_id",
    "IntegrationId": "integration_id",
    "IntegrationResponseId": "integration_response_id",
}
IR = "AWS::ApiGatewayV2::IntegrationResponse"


def test_vtab_columns_says_what_an_insert_needs_and_builds_only_the_table_asked(emulator: Emulator) -> None:
    db = connect(emulator)
    sql = 'SELECT "column", create_only, write_only FROM vtab_columns WHERE "table" = ? AND required'
    assert {row[0] for row in db.execute(sql, ("eks_clusters",))} == EKS_REQUIRED
    facts = dict(
        db.execute(
            'SELECT "column", required || read_only || create_only || write_only '
            "|| coalesce(list_input, '') FROM vtab_columns WHERE \"table\" = 'eks_nodegroups'"
        )
    )
    assert facts["cluster_name"] == "1010parent"  # required, create-only, listed by walking the clusters
    assert facts["arn"] == "0100"
    plan = " ".join(str(row) for row in db.execute(f"EXPLAIN QUERY PLAN {sql}", ("eks_clusters",)))
    assert "INDEX 1" in plan  # "table" = ? pushed down: one schema built, not every table's
    assert emulator.calls == []


def test_an_insert_names_every_missing_required_column_at_once(emulator: Emulator) -> None:
    db = connect(emulator)
    with pytest.raises(apsw.ConstraintError) as caught:
        db.execute("INSERT INTO eks_clusters (region, name) VALUES ('us-east-1', 'prod')")
    message = str(caught.value)
    assert message.startswith("role_arn = NULL, resources_vpc_config = NULL: AWS::EKS::Cluster requires ")
    assert (
        "RoleArn, ResourcesVpcConfig (NOT NULL); "
        "give each of role_arn, resources_vpc_config a value in the INSERT" in message
    )
    assert [call for call in emulator.calls if call.operation == "CreateResource"] == []


def test_the_shell_schema_comments_each_column_with_what_a_write_must_know(emulator: Emulator) -> None:
    result = run_vtab("shell", "--endpoint-url", emulator.endpoint_url, ":memory:", ".schema eks_clusters")
    assert result.returncode == 0, result.stderr
    assert "  role_arn TEXT, -- required, create-only\n" in result.stdout
    assert "  arn TEXT, -- read-only\n" in result.stdout
    assert "  data__PatchDocument TEXT HIDDEN, -- write-only\n" in result.stdout
    assert "  version TEXT,\n" in result.stdout  # nothing to say: no comment


def test_vtab_describe_takes_table_and_stackql_names(emulator: Emulator) -> None:
    by_stackql = run_vtab("describe", "awscc.eks.clusters", "--format", "csv")
    assert by_stackql.returncode == 0, by_stackql.stderr
    rows = list(csv.DictReader(io.StringIO(by_stackql.stdout)))
    assert {row["column"] for row in rows if row["required"] == "1"} == EKS_REQUIRED
    assert {row["table"] for row in rows} == {"eks_clusters"}
    assert run_vtab("describe", "EKS_Clusters", "--format", "csv").stdout == by_stackql.stdout

    unknown = run_vtab("describe", "eks_cluster")
    assert unknown.returncode == 1
    assert "vtab describe: error: no such table: eks_cluster; did you mean eks_clusters" in unknown.stderr


@pytest.mark.parametrize(
    ("sql", "suggestion"),
    [
        ("SELECT * FROM eks_cluster", "no such table: eks_cluster; did you mean eks_clusters"),
        ("SELECT * FROM main.s3_bucket", "no such table: main.s3_bucket; did you mean s3_buckets?"),
        ("SELECT * FROM awscc.eks.cluster", "; did you mean awscc.eks.clusters"),
        ("SELECT * FROM awscc.ekss.clusters", "; did you mean awscc.eks.clusters"),
        (
            "SELECT nmae FROM eks_clusters WHERE region = 'us-east-1'",
            "no such column: nmae; did you mean name?",
        ),
        ("SELECT c.nmae FROM awscc.eks.clusters AS c", "no such column: c.nmae; did you mean c.name?"),
        (
            "SELECT c.zzz FROM eks_clusters c",
            "no such column: c.zzz; SELECT * FROM vtab_columns WHERE \"table\" = 'eks_clusters' lists the "
            "columns of eks_clusters",
        ),
    ],
)
def test_an_unknown_table_or_column_suggests_vtab_names(
    emulator: Emulator, sql: str, suggestion: str
) -> None:
    db = connect(emulator)
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(sql)
    assert suggestion in str(caught.value)


def test_the_command_suggests_names_in_any_statement_of_a_script(emulator: Emulator) -> None:
    result = run_vtab(
        "query", "--endpoint-url", emulator.endpoint_url, "SELECT 1; SELECT * FROM eks_nodegroup WHERE 0"
    )
    assert result.returncode == 1
    assert "no such table: eks_nodegroup; did you mean eks_nodegroups?" in result.stderr


def test_vtab_query_says_dot_commands_belong_to_the_shell(emulator: Emulator) -> None:
    result = run_vtab("query", "--endpoint-url", emulator.endpoint_url, "SELECT 1;\n.schema eks_clusters")
    assert result.returncode == 1
    assert result.stdout == ""  # refused before anything ran
    assert (
        "vtab query: error: .schema is a dot-command of vtab shell, not SQL: run vtab shell :memory: "
        "'.schema eks_clusters'" in result.stderr
    )


@pytest.mark.parametrize(
    "first", ["SELECT count(*) FROM eks_clusters", ".tables", "with x as (select 1) select 2"]
)
def test_vtab_shell_says_sql_given_where_the_database_goes_is_not_a_database(
    emulator: Emulator, first: str, tmp_path: Path
) -> None:
    """``vtab shell "SELECT ..."`` opened a file named like the statement and ran nothing, silently."""
    result = run_vtab("shell", "--endpoint-url", emulator.endpoint_url, first, stdin="", cwd=tmp_path)
    assert result.returncode == 2
    assert "the first argument is the database (DB)" in result.stderr
    assert "vtab shell :memory: " in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert emulator.calls == []


def test_vtab_shell_still_opens_a_database_file_named_like_sql(emulator: Emulator, tmp_path: Path) -> None:
    (tmp_path / "select things").write_bytes(b"")
    result = run_vtab(
        "shell", "--endpoint-url", emulator.endpoint_url, "select things", "SELECT 7;", cwd=tmp_path
    )
    assert (result.returncode, result.stdout.strip()) == (0, "7")


def test_the_readme_tour_runs_on_the_demo_data_with_the_ids_its_first_query_shows() -> None:
    """README.md, "A five-minute tour", as a newcomer runs it: on ``vtab emulator --seed demo`` (every
    seeded integration has the responses $default, 200, 400 and 404), the placeholders filled from the
    first query's first row, the DELETE's from the identifier the INSERT returned."""
    blocks = [block for block in sql_blocks(ROOT / "README.md") if block.section == "A five-minute tour"]
    script = [statement for block in blocks for statement in statements(block.sql)]
    assert len(script) >= 8
    with Emulator(seed="demo") as emulator:
        emulator.seed_demo()
        db = vtab.connect(endpoint_url=emulator.endpoint_url, regions="us-east-1,eu-west-1", cache_ttl=0)
        cursor = db.execute(script[0])
        first = dict(zip([name for name, _ in cursor.getdescription()], next(cursor), strict=True))
        ids = {name: str(first[column]) for name, column in PLACEHOLDERS.items()}
        created = ""
        for statement in script[1:]:
            values = ids
            if statement.lstrip().upper().startswith("DELETE"):
                assert created, "the tour deletes the response its INSERT made"
                values = dict(zip(PLACEHOLDERS, created.split("|"), strict=True))
            for name, value in values.items():
                statement = statement.replace(f"<{name}>", value)
            got = db.execute(statement).fetchall()
            if statement.lstrip().upper().startswith("INSERT INTO INTEGRATION_RESPONSES"):
                ((created, status),) = got
                assert status == "SUCCESS"
            elif "Identifier = " in statement and statement.lstrip().upper().startswith("SELECT"):
                assert len(got) == 1, statement
        assert created and emulator.resource("us-east-1", IR, created) is None  # made, then deleted
