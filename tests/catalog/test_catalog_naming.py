"""Table, StackQL and column names: the rules, and uniqueness and validity over the whole catalog."""

from __future__ import annotations

import re

import apsw
import pytest

from vtab.catalog.columns import column_names, declaration, with_affinity
from vtab.catalog.facts import TypeFacts
from vtab.catalog.naming import NameCollision, stackql_name, table_name, table_names
from vtab.catalog.schema import load_schema
from vtab.catalog.store import load_catalog

IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@pytest.mark.parametrize(
    ("type_name", "table"),
    [
        ("AWS::ApiGatewayV2::IntegrationResponse", "apigatewayv2_integration_responses"),
        ("AWS::EC2::Instance", "ec2_instances"),
        ("AWS::EKS::Nodegroup", "eks_nodegroups"),
        ("AWS::EC2::DHCPOptions", "ec2_dhcp_options"),  # already plural
        ("AWS::EC2::VPCDHCPOptionsAssociation", "ec2_vpc_dhcp_options_associations"),
        ("AWS::AppSync::GraphQLApi", "appsync_graphql_apis"),
        ("AWS::DataSync::LocationFSxOpenZFS", "datasync_location_fsx_open_zfs"),
        ("AWS::EC2::IPAMPool", "ec2_ipam_pools"),
        ("AWS::IAM::Policy", "iam_policies"),
        ("AWS::Glue::DataCatalogEncryptionSettings", "glue_data_catalog_encryption_settings"),
    ],
)
def test_table_names(type_name: str, table: str) -> None:
    assert table_name(type_name) == table


@pytest.mark.parametrize(
    ("type_name", "name"),
    [
        ("AWS::ApiGatewayV2::IntegrationResponse", "aws.apigatewayv2.integration_responses"),
        ("AWS::EKS::Nodegroup", "aws.eks.nodegroups"),
        ("AWS::AppSync::GraphQLApi", "aws.appsync.graphql_apis"),
        ("AWS::Timestream::InfluxDBInstance", "aws.timestream.influxdb_instances"),
        ("AWS::EC2::DHCPOptions", "aws.ec2.dhcp_options"),
        # StackQL's generator (aws-cfn-schema-to-openapi) splits acronyms and pluralizes its own way
        ("AWS::EC2::VPCDHCPOptionsAssociation", "aws.ec2.vpcdhcp_options_associations"),
        ("AWS::DataSync::LocationFSxOpenZFS", "aws.datasync.locationf_sx_open_zfs"),
        (
            "AWS::Cognito::UserPoolUICustomizationAttachment",
            "aws.cognito.user_poolui_customization_attachments",
        ),
        ("AWS::RDS::CustomDBEngineVersion", "aws.rds.customdb_engine_versions"),
        ("AWS::EC2::EC2Fleet", "aws.ec2.ec2fleets"),
        ("AWS::Personalize::Schema", "aws.personalize.schemata"),
        ("AWS::Kendra::Thesaurus", "aws.kendra.thesauruses"),
        ("AWS::SageMaker::ComputeQuota", "aws.sagemaker.compute_quotas"),
    ],
)
def test_stackql_names_as_stackql_spells_them(type_name: str, name: str) -> None:
    assert stackql_name(type_name) == name


@pytest.mark.parametrize(
    ("type_name", "table"),
    [
        ("AWS::Kendra::Thesaurus", "kendra_thesauruses"),
        ("AWS::SageMaker::ComputeQuota", "sagemaker_compute_quotas"),
    ],
)
def test_plurals_the_inflector_gets_wrong_are_fixed(type_name: str, table: str) -> None:
    assert table_name(type_name) == table


def test_a_collision_names_both_types() -> None:
    with pytest.raises(
        NameCollision, match=r"AWS::Demo::Indices and AWS::Demo::Index would both be table .demo_indices."
    ):
        table_names(["AWS::Demo::Index", "AWS::Demo::Indices"])


def test_every_table_name_in_the_catalog_is_unique_and_valid() -> None:
    catalog = load_catalog()
    names = catalog.table_names()
    assert len(names) == len(set(names))
    assert all(IDENTIFIER.match(name) for name in names)
    assert catalog.type_of_table("integration_responses") == "AWS::ApiGatewayV2::IntegrationResponse"
    assert (
        catalog.type_of_table("apigatewayv2_integration_responses")
        == "AWS::ApiGatewayV2::IntegrationResponse"
    )
    tabled = [t for t in catalog.type_names() if catalog.entry(t).table]
    assert len({catalog.entry(t).stackql for t in tabled}) == len(tabled)


def test_column_names_follow_the_hand_verified_tables_rule() -> None:
    verified = load_schema("AWS::ApiGatewayV2::IntegrationResponse")
    facts = load_catalog().facts("AWS::ApiGatewayV2::IntegrationResponse")
    assert column_names(facts) == {prop: verified.column_of(prop) for prop in verified.properties}


def test_a_property_named_like_a_vtab_column_is_prefixed() -> None:
    facts = TypeFacts(
        "AWS::Demo::Replica", {"Region": {"type": "string"}, "ResourceRegion": {"type": "string"}}
    )
    assert column_names(facts) == {"Region": "resource_region", "ResourceRegion": "resource_resource_region"}


def test_every_types_columns_are_unique_and_its_ddl_is_valid_sqlite() -> None:
    catalog = load_catalog()
    connection = apsw.Connection(":memory:")
    checked = 0
    for type_name in catalog.type_names():
        entry = catalog.entry(type_name)
        if entry.table is None:
            continue
        facts = catalog.facts(type_name)
        columns = list(column_names(facts).values())
        assert len({c.lower() for c in columns}) == len(columns), type_name
        assert all(IDENTIFIER.match(column) for column in columns), type_name
        ddl = declaration(facts).replace("CREATE TABLE x(", f'CREATE TABLE "{entry.table}"(', 1)
        connection.execute(ddl)
        declared = [row[1] for row in connection.execute(f'PRAGMA table_info("{entry.table}")')]
        assert declared[: len(columns)] == columns, type_name
        checked += 1
    assert checked == sum(1 for t in catalog.type_names() if catalog.entry(t).table)
    types = {
        row[0]
        for row in connection.execute(
            "SELECT c.type FROM pragma_table_list AS t, pragma_table_info(t.name) AS c"
        )
    }
    assert {"TEXT", "INTEGER", "REAL", ""} <= types


def test_declared_types_follow_the_json_types() -> None:
    facts = TypeFacts(
        "AWS::Demo::Typed",
        {
            "Name": {"type": "string"},
            "Count": {"type": "integer"},
            "Ratio": {"type": "number"},
            "On": {"type": "boolean"},
            "Config": {"type": "object"},
            "Items": {"type": "array"},
            "Order": {},
        },
    )
    assert declaration(facts) == (
        'CREATE TABLE x("name" TEXT, "count" INTEGER, "ratio" REAL, "on" INTEGER, "config" TEXT, '
        '"items" TEXT, '
        '"order", region TEXT, account_id TEXT, data__Identifier TEXT HIDDEN, '
        "data__PatchDocument TEXT HIDDEN, account_name TEXT HIDDEN)"
    )


@pytest.mark.parametrize(
    ("value", "sql_type", "stored"),
    [
        (10, "REAL", 10.0),
        (2.5, "REAL", 2.5),
        (True, "REAL", True),
        (7.0, "INTEGER", 7),
        (7.5, "INTEGER", 7.5),
        (1e300, "INTEGER", 1e300),
        (42, "TEXT", 42),
        (42, "", 42),
    ],
)
def test_numbers_take_the_declared_affinity_as_a_native_table_would_store_them(
    value: float, sql_type: str, stored: float
) -> None:
    native = apsw.Connection(":memory:")
    native.execute(f"CREATE TABLE t(x {sql_type})")
    native.execute("INSERT INTO t VALUES (?)", (value,))
    (want,) = next(native.execute("SELECT x FROM t"))

    got = with_affinity(value, sql_type)

    assert (got, type(got)) == (stored, type(stored))
    if sql_type in ("REAL", "INTEGER") and not isinstance(value, bool):
        assert (got, type(got)) == (want, type(want))


@pytest.mark.parametrize("literal", ["18446744073709551616", "-9223372036854775809", "1" + "0" * 400])
@pytest.mark.parametrize("sql_type", ["INTEGER", "REAL", ""])
def test_an_integer_beyond_64_bits_is_a_real_as_sqlite_stores_its_literal(
    literal: str, sql_type: str
) -> None:
    native = apsw.Connection(":memory:")
    native.execute(f"CREATE TABLE t(x {sql_type})")
    native.execute(f"INSERT INTO t VALUES ({literal})")
    (want,) = next(native.execute("SELECT x FROM t"))

    got = with_affinity(int(literal), sql_type)

    assert (got, type(got)) == (want, float)
