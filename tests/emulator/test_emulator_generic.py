"""Every catalog type on the local endpoint: the schema-driven in-memory provider, through real boto3.

Parents are seeded with ``emulator.seed_type(..., count=0)`` (the walk's ancestors only); the type under
test is created, read, listed, updated and deleted over HTTP with the real waiter.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError, WaiterError
from emulator_helpers import FAST_WAIT, wait_ok

from vtab.catalog import load_catalog
from vtab.catalog.facts import Verb
from vtab.catalog.walks import FeedKind
from vtab.emulator import Emulator
from vtab.emulator.seed_types import minimal_desired_state
from vtab.emulator.state import ACCOUNT_ID

NODEGROUP = "AWS::EKS::Nodegroup"
CLUSTER = "AWS::EKS::Cluster"
LOG_GROUP = "AWS::Logs::LogGroup"
LOG_STREAM = "AWS::Logs::LogStream"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


def _error(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]


def _failed(client, token: str) -> dict:
    """The final event of a write that must end FAILED (the real waiter sees the failure)."""
    with pytest.raises(WaiterError) as info:
        client.get_waiter("resource_request_success").wait(RequestToken=token, WaiterConfig=FAST_WAIT)
    event = info.value.last_response["ProgressEvent"]
    assert event["OperationStatus"] == "FAILED"
    return event


def _get(client, type_name: str, identifier: str) -> dict[str, Any]:
    described = client.get_resource(TypeName=type_name, Identifier=identifier)["ResourceDescription"]
    model: dict[str, Any] = json.loads(described["Properties"])
    return model


def _create(client, type_name: str, desired: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    event = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    assert event["OperationStatus"] == "IN_PROGRESS"
    final = wait_ok(client, event["RequestToken"])
    return final["Identifier"], json.loads(final["ResourceModel"])


def _parents(emulator: Emulator, client, type_name: str) -> dict[str, dict[str, Any]]:
    """Seed the type's ancestors (one of each) and read their models back over HTTP."""
    seeded = emulator.seed_type(type_name, count=0)
    return {name: _get(client, name, ids[0]) for name, ids in seeded.parents.items()}


def _list_model(type_name: str, parents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The ResourceModel a walk sends: each input from its parent's property, a fixed value or the account."""
    catalog = load_catalog()
    schema = catalog.facts(type_name).list_schema
    model: dict[str, Any] = {}
    for feed in catalog.entry(type_name).plan.feeds:
        if feed.kind is FeedKind.PARENT and feed.parent and feed.parent_property:
            value: Any = parents[feed.parent][feed.parent_property]
        elif feed.kind is FeedKind.VALUES:
            value = feed.values[0]
        else:
            assert feed.kind is FeedKind.ACCOUNT_ID
            value = ACCOUNT_ID
        if schema is not None and feed.input in schema.inputs and schema.inputs[feed.input].is_array:
            value = [value]
        model[feed.input] = value
    return model


def _listed(client, type_name: str, model: dict[str, Any] | None = None) -> list[str]:
    kwargs: dict[str, Any] = {"TypeName": type_name}
    if model:
        kwargs["ResourceModel"] = json.dumps(model)
    pages = client.get_paginator("list_resources").paginate(**kwargs)
    return [d["Identifier"] for page in pages for d in page["ResourceDescriptions"]]


# (type, parent levels in its walk, a patch that changes an updatable property)
CRUDL_CASES = [
    (CLUSTER, 0, {"op": "add", "path": "/Version", "value": "1.31"}),
    (NODEGROUP, 1, {"op": "add", "path": "/ReleaseVersion", "value": "1.31.0-20260101"}),
    (LOG_GROUP, 0, {"op": "add", "path": "/KmsKeyId", "value": "arn:aws:kms:us-east-1:123456789012:key/k"}),
    (LISTENER, 1, {"op": "add", "path": "/Port", "value": 8080}),
    ("AWS::ElasticLoadBalancingV2::ListenerRule", 2, {"op": "replace", "path": "/Priority", "value": 7}),
    ("AWS::Glue::Table", 1, {"op": "add", "path": "/TableInput", "value": {"Description": "changed"}}),
    ("AWS::Glue::Partition", 2, {"op": "add", "path": "/PartitionInput/Parameters", "value": {"k": "v"}}),
    ("AWS::DataZone::Project", 1, {"op": "add", "path": "/Description", "value": "changed"}),
    ("AWS::DataZone::EnvironmentActions", 3, {"op": "add", "path": "/Description", "value": "changed"}),
    ("AWS::WAFv2::WebACL", 0, {"op": "add", "path": "/Description", "value": "changed"}),
    ("AWS::Lambda::Alias", 1, {"op": "add", "path": "/Description", "value": "changed"}),
    ("AWS::ApiGatewayV2::Route", 1, {"op": "add", "path": "/OperationName", "value": "changed"}),
    ("AWS::SQS::Queue", 0, {"op": "add", "path": "/DelaySeconds", "value": 5}),
    ("AWS::S3::Bucket", 0, {"op": "add", "path": "/VersioningConfiguration", "value": {"Status": "Enabled"}}),
]


@pytest.mark.parametrize(("type_name", "levels", "patch"), CRUDL_CASES, ids=[c[0] for c in CRUDL_CASES])
def test_create_get_list_update_delete(
    emulator: Emulator, cloudcontrol, type_name: str, levels: int, patch: dict[str, Any]
) -> None:
    client = cloudcontrol()
    parents = _parents(emulator, client, type_name)
    assert len(load_catalog().entry(type_name).plan.chain) == levels == len(parents)
    desired = minimal_desired_state(type_name, parents)
    identifier, created = _create(client, type_name, desired)
    rules = emulator.service.types.get(type_name, Verb.READ).rules
    assert identifier == rules.identifier_of(created)
    assert all(rules.value_at(created, part) for part in rules.primary_identifier)
    shown = {k: v for k, v in desired.items() if k not in rules.write_only}
    assert _get(client, type_name, identifier) == created
    assert shown.items() <= created.items()

    list_model = _list_model(type_name, parents)
    assert _listed(client, type_name, list_model) == [identifier]

    event = client.update_resource(TypeName=type_name, Identifier=identifier, PatchDocument=json.dumps([patch]))
    wait_ok(client, event["ProgressEvent"]["RequestToken"])
    path = patch["path"].strip("/").split("/")
    updated = _get(client, type_name, identifier)
    assert rules.value_at(updated, "/".join(path)) == patch["value"]

    event = client.delete_resource(TypeName=type_name, Identifier=identifier)
    wait_ok(client, event["ProgressEvent"]["RequestToken"])
    assert _error(lambda: client.get_resource(TypeName=type_name, Identifier=identifier))["Code"] == (
        "ResourceNotFoundException"
    )
    assert _listed(client, type_name, list_model) == []

