"""Every catalog type as a table: vtab_types, names, DDL and walk plans over the whole catalog, and walks
end to end against the local endpoint (parents seeded, a region-only SELECT returns exactly the children,
with the calls the endpoint saw)."""

from __future__ import annotations

import linecache
import warnings
from collections import Counter
from typing import Any

import apsw
import orjson
import pytest

import vtab
from tests.readhelpers import connect, endpoint_ops
from vtab.catalog import load_catalog
from vtab.catalog.list_plan import ListMode
from vtab.emulator.seed_types import ancestors, example_value, walk_desired_state
from vtab.sqlite.install import ShadowedTableWarning, register_tables

CATALOG = load_catalog()
WITH_TABLES = [name for name in CATALOG.type_names() if CATALOG.entry(name).table is not None]
WALKS = [name for name in WITH_TABLES if CATALOG.entry(name).plan.mode is ListMode.WALK]


@pytest.fixture(scope="module")
def offline() -> apsw.Connection:
    """A connection with every table registered (no endpoint is called by these tests)."""
    return vtab.connect(regions="us-east-1")


def test_vtab_types_counts_every_type_with_handlers_and_names_are_unique(offline: apsw.Connection) -> None:
    ((count, names, types),) = offline.execute(
        "SELECT count(*), count(DISTINCT table_name), count(DISTINCT type_name) FROM vtab_types"
    )
    handled = [name for name in CATALOG.type_names() if CATALOG.entry(name).verbs]
    assert types == len(WITH_TABLES) > 1400
    assert len(WITH_TABLES) >= len(handled) - 2  # the two excluded types (their reason is in the catalog)
    assert count == names == len(WITH_TABLES) + 1  # integration_responses, the seed's name, is an alias
    row = offline.execute(
        "SELECT type_name, stackql_name, service, list_mode, walk, json_extract(list_inputs, '$[0].parent'),"
        " verbs FROM vtab_types WHERE table_name = 'eks_nodegroups'"
    ).fetchall()
    assert row == [
        (
            "AWS::EKS::Nodegroup",
            "aws.eks.nodegroups",
            "eks",
            "walk",
            "AWS::EKS::Cluster",
            "AWS::EKS::Cluster",
            "create,delete,list,read,update",
        )
    ]


def test_every_table_declares_valid_typed_columns(offline: apsw.Connection) -> None:
    tables = [name for (name,) in offline.execute("SELECT table_name FROM vtab_types")]
    kinds: Counter[str] = Counter()
    for table in tables:
        columns = offline.execute(f"SELECT name, type FROM pragma_table_xinfo('{table}')").fetchall()
        assert ("region", "TEXT") in columns, table
        kinds.update(kind for _, kind in columns)
    assert {"TEXT", "INTEGER", "REAL"} <= set(kinds)
    nodegroup = dict(
        offline.execute("SELECT name, type FROM pragma_table_xinfo('eks_nodegroups')").fetchall()
    )
    assert nodegroup["scaling_config"] == "TEXT"  # an object: JSON text
    assert nodegroup["force_update_enabled"] == "INTEGER"  # a boolean: 0/1


@pytest.mark.parametrize("type_name", WALKS)
def test_a_region_only_select_walks_from_the_outermost_parent(
    offline: apsw.Connection, type_name: str
) -> None:
    entry = CATALOG.entry(type_name)
    schema = CATALOG.schema(type_name)
    # an account-id input (Glue's CatalogId) is given, as the SELECT must: vtab does not look it up
    account = "".join(f" AND {schema.column_of(i.property_name)} = '1'" for i in schema.where_inputs)
    ((_, _, _, detail),) = offline.execute(
        f"EXPLAIN QUERY PLAN SELECT * FROM {entry.table} WHERE region = 'us-east-1'{account}"
    ).fetchall()
    outer = schema.parents[0].type_name.split("::")[-1]
    assert f"walk from={outer} " in detail


THREE = ["AWS::DataZone::EnvironmentActions"]
TWO = [
    "AWS::AppSync::Resolver",
    "AWS::ApiGatewayV2::RouteResponse",
    "AWS::AppConfig::Deployment",
    "AWS::Connect::UseCase",
    "AWS::ElasticLoadBalancingV2::ListenerRule",
    "AWS::VpcLattice::Rule",
    "AWS::Wisdom::ContentAssociation",
    "AWS::RefactorSpaces::Route",
]
ONE = [
    "AWS::EKS::Nodegroup",
    "AWS::EKS::Addon",
    "AWS::Logs::LogStream",
    "AWS::Logs::MetricFilter",
    "AWS::Lambda::Alias",
    "AWS::Lambda::Version",
    "AWS::Route53::RecordSet",
    "AWS::SES::ReceiptRule",
    "AWS::SageMaker::UserProfile",
    "AWS::IoT::ThingPrincipalAttachment",
    "AWS::Cognito::UserPoolClient",
    "AWS::ECS::Service",
    "AWS::EC2::Route",
    "AWS::Deadline::Queue",
    "AWS::Glue::UserDefinedFunction",
    "AWS::AppSync::DataSource",
    "AWS::Athena::PreparedStatement",
]


@pytest.mark.parametrize("type_name", THREE + TWO + ONE)
def test_a_region_only_select_returns_exactly_the_seeded_children(emulator: Any, type_name: str) -> None:
    seeded = emulator.seed_type(type_name, "us-east-1", count=2, parents=2)
    db = connect(emulator)
    emulator.clear_calls()
    table = CATALOG.entry(type_name).table
    got = [i for (i,) in db.execute(f"SELECT data__Identifier FROM {table} WHERE region = 'us-east-1'")]
    assert sorted(got) == sorted(seeded.identifiers)
    chain = [step.type_name for step in CATALOG.schema(type_name).parents]
    calls = endpoint_ops(emulator)
    lists = {name: n for (op, name), n in calls.items() if op == "ListResources"}
    # the outermost parent is listed once; every level below once per parent above it (no guessing)
    assert lists[chain[0]] == 1
    for level, name in enumerate([*chain[1:], type_name], start=1):
        assert lists[name] == len(seeded.parents[chain[level - 1]]), (name, lists)


def test_the_services_and_depths_covered() -> None:
    depths = {len(CATALOG.entry(name).plan.chain) for name in THREE + TWO + ONE}
    services = {name.split("::")[1] for name in THREE + TWO + ONE}
    assert depths == {1, 2, 3} and len(services) >= 10 and len(THREE + TWO + ONE) >= 25


def test_a_parent_id_in_where_goes_into_resource_model(emulator: Any) -> None:
    seeded = emulator.seed_type("AWS::EKS::Nodegroup", "us-east-1", count=2, parents=2)
    cluster = emulator.resource("us-east-1", "AWS::EKS::Cluster", seeded.parents["AWS::EKS::Cluster"][0])
    db = connect(emulator)
    emulator.clear_calls()
    sql = "SELECT data__Identifier FROM eks_nodegroups WHERE region = 'us-east-1' AND cluster_name = ?"
    ((_, _, _, detail),) = db.execute("EXPLAIN QUERY PLAN " + sql, (cluster["Name"],)).fetchall()
    assert detail.endswith("list args=region,cluster_name fetch=ids recheck=cluster_name")
    got = [i for (i,) in db.execute(sql, (cluster["Name"],))]
    assert len(got) == 2
    assert endpoint_ops(emulator) == {("ListResources", "AWS::EKS::Nodegroup"): 1}


def test_fixed_values_list_once_per_value(emulator: Any) -> None:
    seeded = emulator.seed_type("AWS::WAFv2::WebACL", "us-east-1", count=3)
    db = connect(emulator)
    emulator.clear_calls()
    got = [i for (i,) in db.execute("SELECT data__Identifier FROM wafv2_web_acls WHERE region = 'us-east-1'")]
    assert sorted(got) == sorted(seeded.identifiers)
    assert endpoint_ops(emulator) == {("ListResources", "AWS::WAFv2::WebACL"): 2}  # CLOUDFRONT, REGIONAL


def test_a_missing_parent_read_by_arn_is_no_row_once_its_listing_confirms_it(emulator: Any) -> None:
    """An Amplify app is read by its Arn, its branches listed by AppId: no get can confirm that app_id
    'gone' names no app. The apps' listing does: 'gone' gives no rows (as a missing EKS cluster does),
    and the app that exists still gives its branch, instead of the statement failing."""
    seeded = emulator.seed_type("AWS::Amplify::Branch", "us-east-1", count=1)
    db = connect(emulator)
    ((app, identifier),) = db.execute("SELECT app_id, data__Identifier FROM amplify_branches").fetchall()
    emulator.clear_calls()
    sql = "SELECT data__Identifier FROM amplify_branches WHERE app_id IN ('gone', ?)"
    got = db.execute(sql, (app,)).fetchall()
    assert got == [(identifier,)] == [(seeded.identifiers[0],)]
    failed = [(c.operation, c.resource_model) for c in emulator.calls if c.error_code]
    assert failed == [("ListResources", {"AppId": "gone"})]
    assert endpoint_ops(emulator) == {
        ("ListResources", "AWS::Amplify::Branch"): 2,
        ("ListResources", "AWS::Amplify::App"): 1,
    }


def test_an_identifier_with_a_parent_id_a_get_does_not_return_is_checked_in_the_listing(
    emulator: Any,
) -> None:
    """GetResource of an Amplify webhook (identified by its Arn) does not return its write-only AppId, so
    WHERE data__Identifier = ? AND app_id = ? lost the row. The listing of that app's webhooks answers
    it: the row, app_id filled, when it is that app's; no row when it is another app's."""
    emulator.seed_type("AWS::Amplify::Webhook", "us-east-1", count=1, parents=2)
    db = connect(emulator)
    (mine, other) = db.execute("SELECT app_id, data__Identifier FROM amplify_webhooks").fetchall()
    emulator.clear_calls()
    sql = "SELECT app_id, data__Identifier FROM amplify_webhooks WHERE data__Identifier = ? AND app_id = ?"
    assert db.execute(sql, (mine[1], mine[0])).fetchall() == [mine]
    assert endpoint_ops(emulator) == {
        ("GetResource", "AWS::Amplify::Webhook"): 1,
        ("ListResources", "AWS::Amplify::Webhook"): 1,
    }
    assert db.execute(sql, (mine[1], other[0])).fetchall() == []
    assert db.execute(
        sql.replace("app_id = ?", "app_id IN (?, ?)"), (mine[1], *sorted([mine[0], other[0]]))
    ).fetchall() == [mine]
    got = db.execute("SELECT app_id FROM amplify_webhooks WHERE data__Identifier = ?", (mine[1],)).fetchall()
    assert got == [(None,)]  # no app_id in WHERE: the get alone, which does not say


def test_a_needs_where_type_fails_at_once_naming_the_columns_and_works_with_them(emulator: Any) -> None:
    seeded = emulator.seed_type("AWS::QuickSight::Customization", "us-east-1", count=2)
    db = connect(emulator)
    emulator.clear_calls()
    with pytest.raises(apsw.SQLError) as caught:
        db.execute("SELECT * FROM quicksight_customizations WHERE region = 'us-east-1'").fetchall()
    assert "can only be listed with namespace given in WHERE" in str(caught.value)
    assert "add WHERE namespace = '...'" in str(caught.value)
    assert emulator.calls == []
    sql = (
        "SELECT data__Identifier FROM quicksight_customizations WHERE region = 'us-east-1' "
        "AND namespace = 'namespace-0'"
    )
    assert [i for (i,) in db.execute(sql)] == [seeded.identifiers[0]]
    assert endpoint_ops(emulator) == {("ListResources", "AWS::QuickSight::Customization"): 1}


def test_a_needs_where_type_with_a_parent_names_the_parents_column_too(emulator: Any) -> None:
    """A type needing WHERE has no walk, so its parent's id must come from WHERE as well: vtab_types and
    the error name it at once, not after the WHERE columns were given (a second refusal)."""
    seeded = emulator.seed_type("AWS::AmplifyUIBuilder::Component", "us-east-1", count=2)
    db = connect(emulator)
    ((needs,),) = db.execute(
        "SELECT needs_where FROM vtab_types WHERE table_name = 'amplifyuibuilder_components'"
    )
    assert needs == "app_id,environment_name"
    emulator.clear_calls()
    for where, missing in (("", "app_id, environment_name"), (" AND environment_name = 'x'", "app_id")):
        with pytest.raises(apsw.SQLError) as caught:
            db.execute(f"SELECT * FROM amplifyuibuilder_components WHERE region = 'us-east-1'{where}")
        assert f"can only be listed with {missing} given in WHERE" in str(caught.value)
        assert "app_id: the id of its AWS::Amplify::App, which is not walked" in str(caught.value)
    assert emulator.calls == []
    app, env, _ = seeded.identifiers[0].split("|")
    got = db.execute(
        "SELECT data__Identifier FROM amplifyuibuilder_components WHERE region = 'us-east-1' "
        "AND app_id = ? AND environment_name = ?",
        (app, env),
    ).fetchall()
    assert [i for (i,) in got] == [seeded.identifiers[0]]
    assert endpoint_ops(emulator) == {("ListResources", "AWS::AmplifyUIBuilder::Component"): 1}


def test_a_type_without_list_handler_is_read_by_identifier_only(offline: apsw.Connection) -> None:
    name = next(
        n for n in WITH_TABLES if CATALOG.entry(n).plan.mode is ListMode.NO_LIST and CATALOG.entry(n).verbs
    )
    table = CATALOG.entry(name).table
    with pytest.raises(
        apsw.SQLError, match=r"cannot be listed .* read it by identifier: WHERE data__Identifier"
    ):
        offline.execute(f"SELECT * FROM {table} WHERE region = 'us-east-1'").fetchall()


def test_booleans_read_as_integers_and_write_from_0_and_1(emulator: Any) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, deletion_protection_enabled, region) "
        "VALUES ('typed', 1, 'us-east-1')"
    )
    ((value, kind),) = db.execute(
        "SELECT deletion_protection_enabled, typeof(deletion_protection_enabled) FROM logs_log_groups "
        "WHERE region = 'us-east-1' AND data__Identifier = 'typed'"
    )
    assert (value, kind) == (1, "integer")
    assert emulator.resource("us-east-1", "AWS::Logs::LogGroup", "typed")["DeletionProtectionEnabled"] is True


def test_tables_connect_on_first_use_and_share_one_client(emulator: Any) -> None:
    db = apsw.Connection(":memory:")
    registry = vtab.register(db, endpoint_url=emulator.endpoint_url, regions="us-east-1")
    assert registry.tables == set()  # none connected at register(): each at its first use
    db.execute("SELECT 1 FROM integration_responses WHERE 0").fetchall()
    db.execute("SELECT * FROM eks_clusters WHERE region = 'us-east-1'").fetchall()
    db.execute("SELECT * FROM logs_log_groups WHERE region = 'us-east-1'").fetchall()
    tables = {t.name: t for t in registry.tables}
    assert set(tables) == {"integration_responses", "eks_clusters", "logs_log_groups"}
    assert len({id(t.context.cloud) for t in tables.values()}) == 1


def test_vtab_types_command_lists_matching_tables(capsys: pytest.CaptureFixture[str]) -> None:
    from vtab.cli import main as cli

    assert cli.main(["types", "eks_node"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["table_name", "stackql_name", "scope", "list_mode", "walk", "needs_where"]
    assert out[1].split() == ["eks_nodegroups", "aws.eks.nodegroups", "regional", "walk", "AWS::EKS::Cluster"]
    assert cli.main(["types", "no-such-thing"]) == 1
    assert "no table, StackQL or type name contains 'no-such-thing'" in capsys.readouterr().err
    assert cli.main(["types", "EKS_NODE%"]) == 0  # % and * match anything, in any case
    assert capsys.readouterr().out.splitlines()[1].split()[0] == "eks_nodegroups"
    assert cli.main(["types", "aws.eks.*groups"]) == 0
    assert [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]] == ["eks_nodegroups"]


ROLE = "arn:aws:iam::123456789012:role/eks"


def test_insert_parents_and_children_through_sql_then_read_update_delete(emulator: Any) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT INTO eks_clusters (name, role_arn, resources_vpc_config, region) "
        "VALUES ('c1', ?, '{\"SubnetIds\": [\"subnet-1\"]}', 'us-east-1')",
        (ROLE,),
    )
    db.execute(
        "INSERT INTO eks_nodegroups (cluster_name, node_role, subnets, region) "
        "VALUES ('c1', ?1, '[\"subnet-1\"]', 'us-east-1'), ('c1', ?1, '[\"subnet-2\"]', 'us-east-1')",
        (ROLE,),
    )
    emulator.clear_calls()
    sql = "SELECT data__Identifier, cluster_name, subnets FROM eks_nodegroups WHERE region = 'us-east-1'"
    got = sorted(db.execute(sql).fetchall(), key=lambda row: row[2])
    assert [(cluster, subnets) for _, cluster, subnets in got] == [
        ("c1", '["subnet-1"]'),
        ("c1", '["subnet-2"]'),
    ]
    assert endpoint_ops(emulator) == {
        ("ListResources", "AWS::EKS::Cluster"): 1,
        ("ListResources", "AWS::EKS::Nodegroup"): 1,
    }
    first = got[0][0]
    db.execute(
        "UPDATE eks_nodegroups SET labels = '{\"team\": \"a\"}' WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (first,),
    )
    assert emulator.resource("us-east-1", "AWS::EKS::Nodegroup", first)["Labels"] == {"team": "a"}
    db.execute("DELETE FROM eks_nodegroups WHERE region = 'us-east-1' AND data__Identifier = ?", (first,))
    assert [i for (i, _, _) in db.execute(sql)] == [got[1][0]]


def test_a_bad_value_for_a_catalog_type_is_refused_before_anything_is_sent(emulator: Any) -> None:
    db = connect(emulator)
    emulator.clear_calls()
    with pytest.raises(apsw.ConstraintError, match=r"subnets = 'x': not valid JSON"):
        db.execute(
            "INSERT INTO eks_nodegroups (cluster_name, node_role, subnets, region) "
            "VALUES ('c1', ?, 'x', 'us-east-1')",
            (ROLE,),
        )
    with pytest.raises(apsw.ConstraintError, match=r"retention_in_days = 'week': RetentionInDays is an int"):
        db.execute(
            "INSERT INTO logs_log_groups (log_group_name, retention_in_days, region) "
            "VALUES ('g', 'week', 'us-east-1')"
        )
    assert [call.operation for call in emulator.calls] == []


def test_or_replace_finds_a_type_by_its_writable_identifier(emulator: Any) -> None:
    db = connect(emulator)
    db.execute("INSERT INTO logs_log_groups (log_group_name, region) VALUES ('g1', 'us-east-1')")
    db.execute(
        "INSERT OR IGNORE INTO logs_log_groups (log_group_name, retention_in_days, region) "
        "VALUES ('g1', 7, 'us-east-1')"
    )
    assert "RetentionInDays" not in emulator.resource("us-east-1", "AWS::Logs::LogGroup", "g1")
    db.execute(
        "INSERT OR REPLACE INTO logs_log_groups (log_group_name, retention_in_days, region) "
        "VALUES ('g1', 14, 'us-east-1')"
    )
    got = db.execute(
        "SELECT retention_in_days, typeof(retention_in_days) FROM logs_log_groups "
        "WHERE region = 'us-east-1' AND data__Identifier = 'g1'"
    ).fetchall()
    assert got == [(14, "integer")]


def test_limit_1_on_a_three_level_walk_lists_one_parent_per_level(emulator: Any) -> None:
    name = "AWS::DataZone::EnvironmentActions"
    emulator.seed_type(name, "us-east-1", count=3, parents=3)
    db = connect(emulator)
    emulator.clear_calls()
    table = CATALOG.entry(name).table
    assert len(db.execute(f"SELECT * FROM {table} WHERE region = 'us-east-1' LIMIT 1").fetchall()) == 1
    lists = Counter(op for (op, _), n in endpoint_ops(emulator).items() for _ in range(n))
    assert lists["ListResources"] == 4  # Domain, Project, Environment, then the actions


def test_identifiers_of_one_parent_are_read_from_its_listing(emulator: Any) -> None:
    seeded = emulator.seed_type("AWS::Logs::LogStream", "us-east-1", count=3, parents=1)
    db = connect(emulator)
    emulator.clear_calls()
    sql = (
        "SELECT data__Identifier FROM logs_log_streams "
        "WHERE region = 'us-east-1' AND data__Identifier IN (?, ?, ?)"
    )
    assert sorted(i for (i,) in db.execute(sql, seeded.identifiers)) == sorted(seeded.identifiers)
    assert endpoint_ops(emulator) == {("ListResources", "AWS::Logs::LogStream"): 1}


def test_a_verb_without_handler_is_refused_before_anything_is_sent(emulator: Any) -> None:
    seeded = emulator.seed_type("AWS::ACMPCA::Permission", "us-east-1", count=1)
    db = connect(emulator)
    emulator.clear_calls()
    with pytest.raises(apsw.ReadOnlyError) as caught:
        db.execute(
            "UPDATE acmpca_permissions SET actions = '[]' "
            "WHERE region = 'us-east-1' AND data__Identifier = ?",
            seeded.identifiers,
        )
    assert "has no update handler, so Cloud Control cannot UPDATE it" in str(caught.value)
    assert "(its handlers: create, read, delete; vtab_types.verbs lists them)" in str(caught.value)
    assert [call.operation for call in emulator.calls if call.operation != "GetResource"] == []


# -- what an adversarial review found (issue 9) --------------------------------------------------------


def test_a_walk_reads_parents_whole_when_their_listing_holds_only_identifiers(emulator: Any) -> None:
    # A resolver's list needs its API's ApiId, which an identifier-only listing of GraphQLApi (whose
    # identifier is its Arn) does not hold: the walk gets each API instead of finding no children.
    emulator.seed_type("AWS::AppSync::Resolver", "us-east-1", count=2, parents=2)
    db = connect(emulator)
    full = db.execute("SELECT data__Identifier FROM appsync_resolvers WHERE region = 'us-east-1'").fetchall()
    assert len(full) == 8
    emulator.configure(identifier_only_lists=True)
    emulator.clear_calls()
    thin = db.execute("SELECT data__Identifier FROM appsync_resolvers WHERE region = 'us-east-1'").fetchall()
    assert sorted(thin) == sorted(full)
    calls = endpoint_ops(emulator)
    assert calls[("GetResource", "AWS::AppSync::GraphQLApi")] == 2


def test_an_infinite_number_is_refused_not_sent_as_null(emulator: Any) -> None:
    db = connect(emulator)
    with pytest.raises(apsw.ConstraintError, match=r"threshold = inf.*JSON has no inf.*finite number"):
        db.execute(
            "INSERT INTO cloudwatch_alarms (region, comparison_operator, evaluation_periods, threshold) "
            "VALUES ('us-east-1', 'GreaterThanThreshold', 1, 1e400)"
        )
    assert [c for c in emulator.calls if c.operation == "CreateResource"] == []


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("rds_db_clusters", "db_cluster_identifier"),
        ("rds_db_clusters", "kms_key_id"),
        ("cloudwatch_alarms", "ok_actions"),
        ("ec2_network_interfaces", "ipv6_addresses"),
    ],
)
def test_acronyms_in_property_names_make_stackql_column_names(
    offline: apsw.Connection, table: str, column: str
) -> None:
    columns = {row[1] for row in offline.execute(f"PRAGMA table_xinfo({table})")}
    assert column in columns


def test_or_replace_refuses_a_change_to_a_create_only_property(emulator: Any) -> None:
    db = connect(emulator)
    spec = load_catalog().facts("AWS::EKS::Cluster").properties["ResourcesVpcConfig"]
    vpc = orjson.dumps(example_value("ResourcesVpcConfig", spec, 0)).decode()  # what its schema requires
    db.execute(
        "INSERT INTO eks_clusters (region, name, role_arn, resources_vpc_config) "
        "VALUES ('us-east-1', 'c1', 'arn:aws:iam::123456789012:role/r', ?)",
        (vpc,),
    )
    emulator.clear_calls()
    with pytest.raises(
        apsw.ReadOnlyError, match=r"role_arn = 'arn:aws:iam::123456789012:role/r2'.*create-only"
    ):
        db.execute(
            "INSERT OR REPLACE INTO eks_clusters (region, name, role_arn, resources_vpc_config) "
            "VALUES ('us-east-1', 'c1', 'arn:aws:iam::123456789012:role/r2', ?)",
            (vpc,),
        )
    assert [c for c in emulator.calls if c.operation in ("CreateResource", "UpdateResource")] == []
    assert emulator.resource("us-east-1", "AWS::EKS::Cluster", "c1")["RoleArn"].endswith("role/r")


def _insert_through_sql(
    db: apsw.Connection, emulator: Any, type_name: str, desired: dict[str, Any]
) -> dict[str, Any]:
    """INSERT one resource of ``type_name`` through SQL (its own table, its own columns) and return the
    model the endpoint created (with the ids AWS generates), for the children to be created under it."""
    schema = CATALOG.schema(type_name)
    table = CATALOG.entry(type_name).table
    columns = ["region"] + [f'"{schema.column_of(prop)}"' for prop in desired]
    values = ["us-east-1"] + [
        orjson.dumps(v).decode() if isinstance(v, (dict, list)) else int(v) if isinstance(v, bool) else v
        for v in desired.values()
    ]
    marks = ", ".join("?" * len(values))
    db.execute(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
    ((identifier,),) = db.execute(
        "SELECT identifier FROM vtab_calls WHERE operation = 'CreateResource' ORDER BY seq DESC LIMIT 1"
    )
    model = emulator.resource("us-east-1", type_name, identifier)
    assert model is not None
    return {"identifier": identifier, "model": model}


@pytest.mark.parametrize("type_name", THREE + TWO + ONE)
def test_parents_and_children_inserted_through_sql_are_exactly_what_a_region_only_select_returns(
    emulator: Any, type_name: str
) -> None:
    """The Done-when of issue 9 as a user would do it: every level INSERTed with SQL (two of each per
    parent above), then one region-only SELECT of the children, with the listings it took."""
    db = connect(emulator)
    contexts: list[dict[str, dict[str, Any]]] = [{}]
    made: dict[str, list[str]] = {}
    serial = 0
    for name in [*ancestors(type_name), type_name]:
        next_contexts = []
        for context in contexts:
            for _ in range(2):
                desired = walk_desired_state(type_name, name, context, serial)
                created = _insert_through_sql(db, emulator, name, desired)
                made.setdefault(name, []).append(created["identifier"])
                next_contexts.append({**context, name: created["model"]})
                serial += 1
        contexts = next_contexts
    emulator.clear_calls()
    table = CATALOG.entry(type_name).table
    got = [i for (i,) in db.execute(f"SELECT data__Identifier FROM {table} WHERE region = 'us-east-1'")]
    assert sorted(got) == sorted(made[type_name])
    lists = {name: n for (op, name), n in endpoint_ops(emulator).items() if op == "ListResources"}
    walk = [step.type_name for step in CATALOG.schema(type_name).parents]
    assert lists[walk[0]] == 1
    for level, name in enumerate([*walk[1:], type_name], start=1):
        assert lists[name] == len(made[walk[level - 1]]), (name, lists)


def test_tables_of_the_database_that_hide_vtab_tables_are_named_in_a_warning(tmp_path: Any) -> None:
    path = tmp_path / "inventory.db"
    own = apsw.Connection(str(path))
    own.execute(
        "CREATE TABLE eks_clusters(name); CREATE VIEW Integration_Responses AS SELECT 1; CREATE TABLE mine(x)"
    )
    own.close()
    with pytest.warns(ShadowedTableWarning) as caught:
        db = vtab.connect(str(path), regions="us-east-1")
    assert [w.message.names for w in caught if isinstance(w.message, ShadowedTableWarning)] == [
        ["Integration_Responses", "eks_clusters"]
    ]
    assert "ALTER TABLE x RENAME TO x_snapshot" in str(caught[0].message)
    # the warning is right: the stored table answers, not AWS
    assert db.execute("SELECT count(*) FROM eks_clusters").fetchall() == [(0,)]
    db.close()


def test_the_shadowed_table_warning_points_at_the_callers_line_whichever_entry_point(
    tmp_path: Any,
) -> None:
    """register(), register_tables() and connect() called directly: the warning's file and line are the
    call's (where a user looks, and what a warnings filter by module matches), never vtab's own."""
    path = tmp_path / "inventory.db"
    apsw.Connection(str(path)).execute("CREATE TABLE eks_clusters(name)")
    places = []
    for entry in (
        lambda: vtab.register(apsw.Connection(str(path)), regions="us-east-1"),
        lambda: register_tables(apsw.Connection(str(path)), {"eks_clusters": "AWS::EKS::Cluster"}),
        lambda: vtab.connect(str(path), regions="us-east-1"),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            entry()
        (warning,) = [w for w in caught if issubclass(w.category, ShadowedTableWarning)]
        places.append((warning.filename, linecache.getline(warning.filename, warning.lineno).strip()))
    assert places == [
        (__file__, 'lambda: vtab.register(apsw.Connection(str(path)), regions="us-east-1"),'),
        (
            __file__,
            'lambda: register_tables(apsw.Connection(str(path)), {"eks_clusters": "AWS::EKS::Cluster"}),',
        ),
        (__file__, 'lambda: vtab.connect(str(path), regions="us-east-1"),'),
    ]


def test_a_database_without_such_tables_gives_no_warning(tmp_path: Any) -> None:
    path = tmp_path / "plain.db"
    own = apsw.Connection(str(path))
    own.execute("CREATE TABLE eks_clusters_snapshot(name)")
    own.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        vtab.connect(str(path), regions="us-east-1").close()
