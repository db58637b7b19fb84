"""The differential test's estate: awkward rows created through Cloud Control on the emulator in two regions,
then copied exactly as vtab shows them into native SQLite tables with the same declared column types.

The rows are chosen to meet SQLite's rules where vtab could bend them: the same identifier in two regions
(``shared``, ``42``, ``shared|s1``), NULLs, text that looks like a number (``42``, ``007``, ``3.5``), an
empty string, a single space, unicode, JSON objects and arrays, INTEGER, REAL and boolean columns, and a
type listed by walking its parents (a log stream under each log group).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import apsw
import boto3

import vtab
from vtab.catalog.columns import STACKQL_OWN
from vtab.emulator import Emulator

REGIONS = ("us-east-1", "eu-west-1")
LOG_GROUP = "AWS::Logs::LogGroup"
LOG_STREAM = "AWS::Logs::LogStream"
STRATEGY = "AWS::AppConfig::DeploymentStrategy"


def _tags(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"Key": key, "Value": value} for key, value in pairs]


LOG_GROUPS: dict[str, list[dict[str, Any]]] = {
    "us-east-1": [
        {"LogGroupName": "shared", "RetentionInDays": 7, "DeletionProtectionEnabled": True},
        {"LogGroupName": "42", "RetentionInDays": 30, "Tags": _tags(("team", "ünïcode ✓"), ("n", "42"))},
        {"LogGroupName": "007", "DeletionProtectionEnabled": False, "Tags": _tags(("empty", ""))},
        {
            "LogGroupName": "app/one",
            "RetentionInDays": 1,
            "DataProtectionPolicy": {"Name": "p", "Version": "2021-06-01", "Statement": []},
            "Tags": _tags(("space", " ")),
        },
        {"LogGroupName": "x_y", "LogGroupClass": "INFREQUENT_ACCESS"},
    ],
    "eu-west-1": [
        {"LogGroupName": "shared", "RetentionInDays": 14, "DeletionProtectionEnabled": False},
        {"LogGroupName": "42", "Tags": _tags(("team", "ops"))},
        {"LogGroupName": "Shared", "RetentionInDays": 7, "LogGroupClass": "STANDARD"},
    ],
}
"""Per region: the same names in both regions (``shared``, ``42``) and names differing only in case."""

LOG_STREAMS: dict[str, list[tuple[str, str]]] = {
    "us-east-1": [
        ("shared", "s1"),
        ("shared", " "),
        ("shared", "123"),
        ("42", "s1"),
        ("42", "héllo wörld"),
        ("app/one", "3.5"),
        ("app/one", "a b"),
    ],
    "eu-west-1": [("shared", "s1"), ("42", "007"), ("Shared", "S1")],
}
"""(LogGroupName, LogStreamName): ``shared|s1`` in both regions, a single-space name, numbers as text."""

STRATEGIES: dict[str, list[dict[str, Any]]] = {
    "us-east-1": [
        {"Name": "linear", "DeploymentDurationInMinutes": 10, "GrowthFactor": 2.5, "Description": ""},
        {"Name": "42", "DeploymentDurationInMinutes": 0, "GrowthFactor": 100, "GrowthType": "LINEAR"},
        {"Name": " ", "DeploymentDurationInMinutes": 1.5, "GrowthFactor": 1, "Description": "日本語"},
        {
            "Name": "3.5",
            "DeploymentDurationInMinutes": 3.5,
            "GrowthFactor": 3.5,
            "FinalBakeTimeInMinutes": 0,
            "Tags": _tags(("k", "v")),
        },
    ],
    "eu-west-1": [
        {"Name": "linear", "DeploymentDurationInMinutes": 10, "GrowthFactor": 2.5, "Description": "eu"},
        {"Name": "ünï", "DeploymentDurationInMinutes": 1440, "GrowthFactor": 10, "GrowthType": "EXPONENTIAL"},
    ],
}
"""REAL columns holding whole and fractional numbers, an empty and a missing Description, unicode names."""


@dataclass(frozen=True)
class Table:
    """One vtab table of the estate and the native copy of what it showed."""

    name: str
    columns: tuple[str, ...]
    """Every column, hidden ones included, in declaration order."""
    types: dict[str, str]
    """column -> declared type (TEXT, INTEGER, REAL)."""
    pushed: tuple[str, ...]
    """The columns vtab pushes down to Cloud Control (=/IN): region, data__Identifier, id columns."""
    key: tuple[str, ...]
    """Columns that together name one row (ORDER BY over them gives one order)."""


TABLES = (
    Table(
        "logs_log_groups",
        (),
        {},
        ("region", "data__Identifier", "log_group_name", "LogGroupName"),
        ("region", "log_group_name"),
    ),
    Table(
        "logs_log_streams",
        (),
        {},
        ("region", "data__Identifier", "log_group_name", "log_stream_name", "LogGroupName", "LogStreamName"),
        ("region", "log_group_name", "log_stream_name"),
    ),
    Table("appconfig_deployment_strategies", (), {}, ("region", "data__Identifier", "id", "Id"), ("id",)),
)


def _create(emulator: Emulator, region: str, type_name: str, desired: dict[str, Any]) -> None:
    """CreateResource through a real boto3 client, waited until the request succeeds."""
    client = boto3.client("cloudcontrol", endpoint_url=emulator.endpoint_url, region_name=region)
    token = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"][
        "RequestToken"
    ]
    for _ in range(10):
        event = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] == "SUCCESS":
            return
        if event["OperationStatus"] == "FAILED":
            raise AssertionError(f"{type_name} {desired} in {region}: {event.get('StatusMessage')}")
    raise AssertionError(f"{type_name} {desired} in {region} still in progress after 10 polls")


def seed(emulator: Emulator) -> None:
    """Create the estate's resources through Cloud Control calls, parents before children."""
    for region in REGIONS:
        for group in LOG_GROUPS[region]:
            _create(emulator, region, LOG_GROUP, group)
        for group_name, stream_name in LOG_STREAMS[region]:
            _create(emulator, region, LOG_STREAM, {"LogGroupName": group_name, "LogStreamName": stream_name})
        for strategy in STRATEGIES[region]:
            _create(emulator, region, STRATEGY, {"ReplicateTo": "NONE", **strategy})


def connect(emulator: Emulator) -> apsw.Connection:
    """A vtab connection on the emulator over both regions, no cache (every statement asks afresh)."""
    connection = apsw.Connection(":memory:")
    vtab.register(
        connection,
        endpoint_url=emulator.endpoint_url,
        regions=",".join(REGIONS),
        rate_limit=None,
        cache_ttl=0,
    )
    return connection


def described(connection: apsw.Connection, table: Table) -> Table:
    """``table`` with its columns and declared types as vtab declares them, but for StackQL's names of
    vtab's own columns (``Identifier`` is ``data__Identifier``: the generator draws from the latter)."""
    rows = connection.execute(f"SELECT name, type FROM pragma_table_xinfo('{table.name}')")
    info = [(name, kind) for name, kind in rows if name not in STACKQL_OWN]
    columns = tuple(name for name, _ in info)
    return Table(table.name, columns, dict(info), table.pushed, table.key)


def copy_to_native(source: apsw.Connection, native: apsw.Connection, table: Table) -> int:
    """Create ``table`` natively (same declared types, no key: an identifier repeats across regions) and
    fill it with every row and column vtab shows; the number of rows."""
    quoted = ", ".join(f'"{c}"' for c in table.columns)
    declared = ", ".join(f'"{c}" {table.types[c]}' for c in table.columns)
    native.execute(f'CREATE TABLE "{table.name}" ({declared})')
    rows = list(source.execute(f'SELECT {quoted} FROM "{table.name}"'))
    marks = ", ".join("?" for _ in table.columns)
    native.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)
    return len(rows)


def build(emulator: Emulator) -> tuple[apsw.Connection, apsw.Connection, tuple[Table, ...]]:
    """Seed the emulator and return (vtab connection, native oracle, the described tables)."""
    seed(emulator)
    live = connect(emulator)
    native = apsw.Connection(":memory:")
    tables = tuple(described(live, t) for t in TABLES)
    for table in tables:
        copy_to_native(live, native, table)
    return live, native, tables
