"""Today's StackQL, as its Cloud Control pages write it: ``awscc.<service>.<table>``, ``Identifier``,
``PatchDocument``, ``string()`` and StackQL's spelling of columns, end to end against the local endpoint.

The statements are those StackQL's docs generator writes on each type's page, generated from vtab's catalog
(tests/stackqlpages.py; scripts/stackql_corpus.py checks them against the fetched pages), with their
placeholders filled, ``RETURNING`` included (tests/test_returning.py tests what it returns).
"""

from __future__ import annotations

import re
from typing import Any

import apsw
import orjson
import pytest

import vtab
from tests.readhelpers import connect, docs_sql_blocks
from tests.stackqlpages import Kind, catalog_statements, fill, page_statements
from tests.stackqlpages_run import run_type
from tests.test_stackql_names import _shell
from vtab.catalog.store import load_catalog
from vtab.emulator import Emulator
from vtab.sql.keyword_columns import quote_keyword_columns

REGION = "us-east-1"


def statements_of(type_name: str) -> dict[Kind, str]:
    catalog = load_catalog()
    stackql = catalog.entry(type_name).stackql
    assert stackql is not None
    return {s.kind: s.sql for s in page_statements(catalog.facts(type_name), stackql)}


def with_identifier(sql: str, identifier: str) -> str:
    """The page's statement with ``Identifier = '{{ a }}|{{ b }}'`` given the resource's identifier and its
    other placeholders filled."""
    sql = re.sub(r"Identifier = '[^']*'", lambda _: f"Identifier = '{identifier}'", sql)
    return fill(sql)


def rows(db: apsw.Connection, sql: str) -> list[dict[str, Any]]:
    cursor = db.execute(sql)
    names = [name for name, _ in cursor.getdescription()]
    return [dict(zip(names, row, strict=True)) for row in cursor]


# (type, a property UPDATE's PatchDocument replaces, its new value)
WRITABLE = [
    ("AWS::DSQL::Cluster", "DeletionProtectionEnabled", False),  # its own property is named Identifier
    ("AWS::Cognito::UserPoolResourceServer", "Name", "renamed"),  # so is one part of its identifier
    ("AWS::Logs::LogGroup", "RetentionInDays", 7),
    ("AWS::SQS::Queue", "DelaySeconds", 5),
    ("AWS::Rbin::Rule", "Description", "kept a week"),
]


@pytest.mark.parametrize(("type_name", "prop", "value"), WRITABLE)
def test_a_pages_list_get_update_and_delete_run_as_written(
    type_name: str, prop: str, value: Any, emulator: Emulator
) -> None:
    seeded = emulator.seed_type(type_name, REGION, count=1, parents=1)
    (identifier,) = seeded.identifiers
    page = statements_of(type_name)
    db = connect(emulator)

    listed = rows(db, fill(page[Kind.LIST]))
    assert [row["region"] for row in listed] == [REGION]
    got = rows(db, with_identifier(page[Kind.GET], identifier))
    assert len(got) == 1 and got[0]["region"] == REGION

    patch = [{"op": "add", "path": f"/{prop}", "value": value}]
    update = page[Kind.UPDATE].replace(
        re.search(r"string\('.*?'\)", page[Kind.UPDATE], re.DOTALL)[0],  # type: ignore[index]
        f"string('{orjson.dumps(patch).decode()}')",
    )
    (updated,) = rows(db, with_identifier(update, identifier))
    assert (updated["Operation"], updated["OperationStatus"]) == ("UPDATE", "SUCCESS")
    model = emulator.resource(REGION, type_name, identifier)
    assert model is not None and model[prop] == value

    (deleted,) = rows(db, with_identifier(page[Kind.DELETE], identifier))
    assert (deleted["Operation"], deleted["Identifier"]) == ("DELETE", identifier)
    assert emulator.resource(REGION, type_name, identifier) is None


def test_identifier_is_cloud_controls_identifier_where_a_property_has_that_name(emulator: Emulator) -> None:
    """Cognito's resource server: its property ``Identifier`` is one part of Cloud Control's identifier.
    ``Identifier`` reads Cloud Control's identifier (the page's get finds the row); the property is
    ``resource_identifier``; an INSERT's ``Identifier`` (the page's, by schema name) writes the property."""
    type_name = "AWS::Cognito::UserPoolResourceServer"
    pool = emulator.seed_type("AWS::Cognito::UserPool", REGION, count=1).identifiers[0]
    db = connect(emulator)
    db.execute(
        "INSERT INTO awscc.cognito.user_pool_resource_servers (UserPoolId, Identifier, Name, region) "
        "SELECT ?, 'https://orders.example.com', 'orders', 'us-east-1'",
        (pool,),
    )
    identifier = f"{pool}|https://orders.example.com"
    assert emulator.resource(REGION, type_name, identifier) is not None

    sql = (
        "SELECT Identifier, data__Identifier, resource_identifier, identifier, name "
        "FROM awscc.cognito.user_pool_resource_servers WHERE region = 'us-east-1' AND Identifier = ?"
    )
    assert db.execute(sql, (identifier,)).fetchall() == [
        (identifier, identifier, "https://orders.example.com", identifier, "orders")
    ]
    plan = db.execute("EXPLAIN QUERY PLAN " + sql, (identifier,)).fetchall()
    assert "get args=region,Identifier" in plan[0][-1]


def test_stackqls_spelling_of_acronyms_names_the_column_too(emulator: Emulator) -> None:
    """StackQL's pages spell ``EIP`` as ``e_ip`` (vtab: ``eip``); both read and write the property."""
    type_name = "AWS::EC2::EIPAssociation"
    (identifier,) = emulator.seed_type(type_name, REGION, count=1).identifiers
    db = connect(emulator)
    got = rows(db, with_identifier(statements_of(type_name)[Kind.GET], identifier))
    model = emulator.resource(REGION, type_name, identifier)
    assert model is not None
    assert len(got) == 1 and got[0]["e_ip"] == model.get("EIP")
    sql = "SELECT e_ip, eip FROM aws.ec2.eip_associations WHERE region = 'us-east-1' AND data__Identifier = ?"
    assert db.execute(sql, (identifier,)).fetchall() == [(model.get("EIP"), model.get("EIP"))]
    declared = {row[1]: row[-1] for row in db.execute("PRAGMA table_xinfo(ec2_eip_associations)")}
    assert declared["e_ip"] == 1 and declared["eip"] == 0  # hidden beside vtab's own spelling


def test_string_is_stackqls_cast_to_text() -> None:
    db = vtab.connect(regions=REGION, endpoint_url="http://127.0.0.1:9")
    assert db.execute(
        "SELECT string('[]'), string(42), string(1.5), string(NULL), typeof(string(7))"
    ).get == (
        "[]",
        "42",
        "1.5",
        None,
        "text",
    )


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        ("SELECT * FROM awscc.foo.bar", "no such table: awscc.foo.bar; vtab knows no StackQL service 'foo'"),
        (
            "SELECT * FROM awscc.dsql.nope",
            "no such table: awscc.dsql.nope; the StackQL names vtab knows: awscc.dsql.clusters",
        ),
    ],
)
def test_an_unknown_awscc_name_says_so_in_the_users_spelling(sql: str, error: str) -> None:
    db = vtab.connect(regions=REGION, endpoint_url="http://127.0.0.1:9")
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(sql)
    assert str(caught.value).startswith(error)


@pytest.mark.parametrize(
    ("sql", "error"),
    [
        (
            "SELECT * FROM awscc.robomaker.fleets",
            "no such table: awscc.robomaker.fleets: vtab has no table for it: the catalog excludes "
            "AWS::RoboMaker::Fleet: AWS ended RoboMaker's fleet management (fleets and robots); "
            "listing fails",
        ),
        (
            "DELETE FROM aws.robomaker.robots_list_only WHERE Identifier = 'r'",
            "no such table: aws.robomaker.robots_list_only: vtab has no table for it: the catalog excludes "
            "AWS::RoboMaker::Robot: AWS ended",
        ),
        (
            "SELECT * FROM awscc.iotevents.alarm_models",  # the registry's schema has no handlers
            "no such table: awscc.iotevents.alarm_models: vtab has no table for it: "
            "AWS::IoTEvents::AlarmModel has no handlers",
        ),
        (
            "SELECT * FROM awscc.emr.clusters",  # no handlers: not provisionable through Cloud Control
            "no such table: awscc.emr.clusters: vtab has no table for it: AWS::EMR::Cluster has no handlers",
        ),
        (  # StackQL's own resources, not CloudFormation types: its generic calls, another API, its views
            "SELECT region FROM awscc.cloud_control.resources WHERE region = 'us-east-1' AND TypeName = 'x'",
            "no such table: awscc.cloud_control.resources: vtab has no table for it: StackQL's cloud_control "
            "resources are its generic Cloud Control calls",
        ),
        (
            "SELECT region FROM awscc.tagging.tagged_resources",
            "no such table: awscc.tagging.tagged_resources: vtab has no table for it: StackQL's tagging "
            "resources read the Resource Groups Tagging API",
        ),
        (
            "SELECT id FROM awscc.ec2.vw_subnet_route_table_associations",
            "no such table: awscc.ec2.vw_subnet_route_table_associations: vtab has no table for it: "
            "StackQL's vw_ resources are its own SQL views",
        ),
    ],
)
def test_a_stackql_name_the_catalog_leaves_out_says_why(sql: str, error: str) -> None:
    db = vtab.connect(regions=REGION, endpoint_url="http://127.0.0.1:9")
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(sql)
    assert str(caught.value).startswith(error)


def test_dot_commands_take_awscc_names(emulator: Emulator) -> None:
    shown = _shell(emulator, ":memory:", ".schema awscc.dsql.clusters", ".tables awscc.dsql.%")
    assert shown.returncode == 0, shown.stderr
    assert "CREATE TABLE dsql_clusters(" in shown.stdout
    assert shown.stdout.splitlines()[-1] == "dsql_clusters"


# --- every page of every catalog type, prepared -------------------------------------------------------------

NOT_SQL_ON_THE_PAGE = re.compile(r"\(\n  ,\n  region\n\)")
"""StackQL's generator writes ``INSERT INTO t (\\n  ,\\n  region\\n)`` for a type with no required
property,"""
NESTED_IDENTIFIER = re.compile(r"^  \w+/\w+,?$", re.MULTILINE)
"""and ``SELECT schedule/schedule_id`` (a division to SQL) for a type whose identifier is nested."""


def test_every_generated_page_statement_prepares() -> None:
    """Each type's get, list, INSERTs, UPDATE and DELETE as its page writes them (RETURNING included)
    prepare on vtab.connect(), columns named by an SQLite keyword (``values``, ``Group``) included; the only
    exceptions are not SQL as written: the generator's ``( , region)`` INSERTs and nested identifiers
    (``schedule/schedule_id``)."""
    db = vtab.connect(regions=REGION, endpoint_url="http://127.0.0.1:9")
    failed: dict[str, list[str]] = {}
    prepared = 0
    every = list(catalog_statements())
    for statement in every:
        sql = fill(statement.sql)
        try:
            db.execute("EXPLAIN " + sql).fetchall()
            prepared += 1
        except apsw.SQLError as error:
            failed.setdefault(str(error), []).append(f"{statement.page} {statement.kind}")
    not_sql = [s for s in every if NOT_SQL_ON_THE_PAGE.search(s.sql) or NESTED_IDENTIFIER.search(s.sql)]
    assert sorted(f"{s.page} {s.kind}" for s in not_sql) == sorted(
        page for pages in failed.values() for page in pages
    ), failed
    assert all("syntax error" in error or "no such column" in error for error in failed), failed
    assert prepared == len(every) - len(not_sql) > 10_000 and {s.page for s in every} >= {
        "dsql/clusters",
        "cognito/user_pool_resource_servers",
    }


@pytest.mark.parametrize(
    "type_name",
    [
        "AWS::ResourceGroups::TagSyncTask",  # Group
        "AWS::Connect::PredefinedAttribute",  # Values
        "AWS::IoTWireless::TaskDefinition",  # Update
    ],
)
def test_a_page_naming_a_column_by_an_sqlite_keyword_runs_as_written(
    type_name: str, emulator: Emulator
) -> None:
    """StackQL's pages write ``SELECT ..., group FROM`` and ``INSERT INTO ... (Group, ...)``: SQLite reads
    a keyword there; the cursor quotes it, and the page's INSERT, list, get and DELETE run."""
    db = vtab.connect(endpoint_url=emulator.endpoint_url, regions=REGION, rate_limit=None, cache_ttl=0)
    run_type(db, emulator, type_name)


def test_only_a_bare_column_list_item_is_quoted_and_the_text_keeps_its_length() -> None:
    columns = {"t": ("group", "values", "name")}.get
    sql = "SELECT\n  name,\n  group,\n  NULL,\n  'group'\nFROM t WHERE values = 1"
    quoted = quote_keyword_columns(sql, ["t"], lambda table: columns(table, ()))
    assert quoted == "SELECT\n  name,\n[group],\n  NULL,\n  'group'\nFROM t WHERE values = 1"
    assert len(quoted) == len(sql)
    no_room = "SELECT name,group FROM t"
    assert quote_keyword_columns(no_room, ["t"], lambda table: columns(table, ())) == no_room


def test_quoting_a_keyword_column_keeps_the_line_break_that_ends_a_comment_before_it() -> None:
    """Without it the ``--`` comment runs on over the quoted word and the rest of its line."""
    columns = {"t": ("group", "name")}.get
    commented = "SELECT name, -- the team\n  group\nFROM t"
    quoted = quote_keyword_columns(commented, ["t"], lambda table: columns(table, ()))
    assert quoted == "SELECT name, -- the team\n[group]\nFROM t"
    no_room = "SELECT name, -- the team\ngroup\nFROM t"  # only the comment's line break: SQLite's error
    assert quote_keyword_columns(no_room, ["t"], lambda table: columns(table, ())) == no_room


def test_a_mistyped_keyword_column_stays_an_error_and_writes_nothing(
    emulator: Emulator,
) -> None:
    """``key`` needs no quotes, and ``group`` gets brackets: double-quoted, a name that is no column in
    scope is a string to SQLite, and the INSERT would write 'key' or 'group' to AWS instead of failing."""
    columns = {"t": ("key", "group")}.get
    sql = "SELECT\n  key,\n  group\nFROM t"
    assert (
        quote_keyword_columns(sql, ["t"], lambda table: columns(table, ()))
        == "SELECT\n  key,\n[group]\nFROM t"
    )
    db = connect(emulator)
    db.execute("CREATE TEMP TABLE staging(name, v)")
    db.execute("INSERT INTO staging VALUES ('team', 'data')")
    insert = (
        "INSERT INTO awscc.servicecatalog.tag_options (\n  key,\n  value,\n  region\n)\n"
        "SELECT\n  key,\n  v,\n  'us-east-1'\nFROM staging"
    )
    with pytest.raises(apsw.SQLError, match="no such column: key"):
        db.execute(insert)
    # group must be quoted, in brackets: "group" would be the string 'group' where no column has the name
    insert = (
        "INSERT INTO awscc.resourcegroups.tag_sync_tasks (\n  group,\n  tag_key,\n  tag_value,\n  role_arn,\n"
        "  region\n)\nSELECT\n  group,\n  name,\n  v,\n  'arn:aws:iam::123456789012:role/sync',\n"
        "  'us-east-1'\nFROM staging"
    )
    with pytest.raises(apsw.SQLError, match="no such column: group"):
        db.execute(insert)
    assert emulator.calls == []


def test_the_docs_example_of_a_keyword_column_runs(emulator: Emulator) -> None:
    """docs/stackql-pages.md, "Columns named by an SQLite keyword"."""
    type_name = "AWS::ResourceGroups::TagSyncTask"
    (identifier,) = emulator.seed_type(type_name, REGION, count=1).identifiers
    model = emulator.resource(REGION, type_name, identifier)
    assert model is not None
    ((sql,),) = docs_sql_blocks("stackql-pages.md", "Columns named by an SQLite keyword")
    assert rows(connect(emulator), sql) == [
        {
            "region": REGION,
            "group": model["Group"],
            "tag_key": model["TagKey"],
            "tag_value": model["TagValue"],
        }
    ]
