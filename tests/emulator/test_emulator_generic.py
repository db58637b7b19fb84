"""Every catalog type on the local endpoint: the schema-driven in-memory provider, through real boto3.

Parents are seeded with ``emulator.seed_type(..., count=0)`` (the walk's ancestors only); the type under
test is created, read, listed, updated and deleted over HTTP with the real waiter.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from emulator_helpers import call_error, wait_failed, wait_ok

from vtab.catalog import load_catalog
from vtab.catalog.facts import Verb
from vtab.catalog.list_plan import FeedKind
from vtab.emulator import Emulator
from vtab.emulator.errors import CloudControlError, HandlerFailure
from vtab.emulator.seed_types import minimal_desired_state
from vtab.emulator.state import ACCOUNT_ID

NODEGROUP = "AWS::EKS::Nodegroup"
CLUSTER = "AWS::EKS::Cluster"
LOG_GROUP = "AWS::Logs::LogGroup"
LOG_STREAM = "AWS::Logs::LogStream"
LISTENER = "AWS::ElasticLoadBalancingV2::Listener"


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

    event = client.update_resource(
        TypeName=type_name, Identifier=identifier, PatchDocument=json.dumps([patch])
    )
    wait_ok(client, event["ProgressEvent"]["RequestToken"])
    path = patch["path"].strip("/").split("/")
    updated = _get(client, type_name, identifier)
    assert rules.value_at(updated, "/".join(path)) == patch["value"]

    event = client.delete_resource(TypeName=type_name, Identifier=identifier)
    wait_ok(client, event["ProgressEvent"]["RequestToken"])
    assert call_error(lambda: client.get_resource(TypeName=type_name, Identifier=identifier))["Code"] == (
        "ResourceNotFoundException"
    )
    assert _listed(client, type_name, list_model) == []


def _nodegroup(cluster: dict[str, Any], name: str) -> dict[str, Any]:
    return {
        "ClusterName": cluster["Name"],
        "NodeRole": "arn:aws:iam::123456789012:role/n",
        "Subnets": ["s-1"],
        "NodegroupName": name,
    }


def test_list_shows_only_the_given_parents_children(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol()
    seeded = emulator.seed_type(NODEGROUP, count=3, parents=2)
    assert len(seeded.parents[CLUSTER]) == 2 and len(seeded.identifiers) == 6
    by_cluster: dict[str, list[str]] = {}
    for identifier in seeded.identifiers:
        by_cluster.setdefault(_get(client, NODEGROUP, identifier)["ClusterName"], []).append(identifier)
    assert sorted(by_cluster) == sorted(seeded.parents[CLUSTER])
    for cluster, nodegroups in by_cluster.items():
        assert _listed(client, NODEGROUP, {"ClusterName": cluster}) == nodegroups
    assert sorted(_listed(client, CLUSTER)) == sorted(seeded.parents[CLUSTER])


def test_list_without_its_required_input_is_invalid_request_in_aws_wording(cloudcontrol) -> None:
    client = cloudcontrol()
    for model in (None, {}, {"ClusterName": ""}, {"Other": "x"}):
        error = call_error(
            lambda m=model: (
                _listed(client, NODEGROUP, m) if m is not None else client.list_resources(TypeName=NODEGROUP)
            )
        )
        assert error["Code"] == "InvalidRequestException"
        assert error["Message"] == (
            "Missing or invalid ResourceModel property in AWS::EKS::Nodegroup list handler request "
            "input.Required property: (#: required key [ClusterName] not found)"
        )


def test_list_with_one_of_several_inputs(emulator: Emulator, cloudcontrol) -> None:
    """ELBv2 Listener's handlerSchema: oneOf LoadBalancerArn | ListenerArns (an array)."""
    client = cloudcontrol()
    error = call_error(lambda: client.list_resources(TypeName=LISTENER))
    assert error["Code"] == "InvalidRequestException"
    assert "[LoadBalancerArn]" in error["Message"] and "[ListenerArns]" in error["Message"]
    seeded = emulator.seed_type(LISTENER, count=2)
    (balancer,) = seeded.parents["AWS::ElasticLoadBalancingV2::LoadBalancer"]
    assert _listed(client, LISTENER, {"LoadBalancerArn": balancer}) == list(seeded.identifiers)
    assert _listed(client, LISTENER, {"ListenerArns": [seeded.identifiers[1]]}) == [seeded.identifiers[1]]


@pytest.mark.parametrize("code", ["GeneralServiceException", "ResourceNotFoundException"])
def test_list_under_a_missing_parent_answers_the_switch(emulator: Emulator, cloudcontrol, code: str) -> None:
    emulator.configure(missing_parent_error=code)
    error = call_error(lambda: _listed(cloudcontrol(), NODEGROUP, {"ClusterName": "no-such-cluster"}))
    assert error["Code"] == code
    assert (
        error["Message"]
        == "Resource of type 'AWS::EKS::Cluster' with identifier 'no-such-cluster' was not found."
    )


def test_create_under_a_missing_parent_fails_not_found(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol()
    desired = _nodegroup({"Name": "no-such-cluster"}, "ng")
    event = client.create_resource(TypeName=NODEGROUP, DesiredState=json.dumps(desired))["ProgressEvent"]
    failed = wait_failed(client, event["RequestToken"])
    assert failed["ErrorCode"] == "NotFound"
    assert "AWS::EKS::Cluster" in failed["StatusMessage"] and "no-such-cluster" in failed["StatusMessage"]
    assert emulator.state.region("us-east-1").resources.get(NODEGROUP, {}) == {}


def test_create_under_the_right_grandparent_only(emulator: Emulator, cloudcontrol) -> None:
    """A parent is matched on the other inputs it has: a Glue Partition's table must be in its database."""
    client = cloudcontrol()
    seeded = emulator.seed_type("AWS::Glue::Table", count=1, parents=2)
    tables = [_get(client, "AWS::Glue::Table", ident) for ident in seeded.identifiers]
    assert len(tables) == 2 and tables[0]["DatabaseName"] != tables[1]["DatabaseName"]
    wrong = {
        "CatalogId": ACCOUNT_ID,
        "DatabaseName": tables[0]["DatabaseName"],
        "TableName": tables[1]["Name"],
        "PartitionInput": {"Values": ["1"]},
    }
    event = client.create_resource(TypeName="AWS::Glue::Partition", DesiredState=json.dumps(wrong))
    failed = wait_failed(client, event["ProgressEvent"]["RequestToken"])
    assert failed["ErrorCode"] == "NotFound" and tables[1]["Name"] in failed["StatusMessage"]
    right = {**wrong, "TableName": tables[0]["Name"]}
    identifier, _ = _create(client, "AWS::Glue::Partition", right)
    assert identifier.startswith(f"{ACCOUNT_ID}|{tables[0]['DatabaseName']}|{tables[0]['Name']}|")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"DiskSize": "big"}, "#/DiskSize: expected type: Integer, found: String"),
        ({"Subnets": "s-1"}, "#/Subnets: expected type: Array, found: String"),
        ({"CapacityType": "FREE"}, "#/CapacityType: FREE is not a valid enum value"),
        ({"Colour": "blue"}, "#: extraneous key [Colour] is not permitted"),
        (
            {"Arn": "arn:aws:eks:us-east-1:123456789012:nodegroup/x"},
            "#: read-only property [/properties/Arn]",
        ),
        ({"NodeRole": None}, "#: required key [NodeRole] not found"),
    ],
)
def test_desired_state_is_validated_against_the_catalog_schema(
    emulator: Emulator, cloudcontrol, change: dict[str, Any], message: str
) -> None:
    client = cloudcontrol()
    (cluster,) = emulator.seed_type(CLUSTER).identifiers
    emulator.clear_calls()
    desired = {**_nodegroup({"Name": cluster}, "ng"), **change}
    error = call_error(lambda: client.create_resource(TypeName=NODEGROUP, DesiredState=json.dumps(desired)))
    assert error["Code"] == "InvalidRequestException"
    assert error["Message"].startswith("Model validation failed (")
    assert message in error["Message"]
    assert client.list_resource_requests()["ResourceRequestStatusSummaries"] == []
    assert [call.operation_status for call in emulator.calls if call.operation == "CreateResource"] == [None]


def test_every_violation_is_reported_at_once(cloudcontrol) -> None:
    desired = {"DiskSize": "big", "CapacityType": "FREE", "Colour": "blue"}
    error = call_error(
        lambda: cloudcontrol().create_resource(TypeName=NODEGROUP, DesiredState=json.dumps(desired))
    )
    assert error["Message"] == (
        "Model validation failed (#: required key [ClusterName] not found, "
        "#: required key [NodeRole] not found, #: required key [Subnets] not found, "
        "#/DiskSize: expected type: Integer, found: String, "
        "#/CapacityType: FREE is not a valid enum value, #: extraneous key [Colour] is not permitted)"
    )


def test_duplicate_primary_identifier_fails_already_exists(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol()
    identifier, _ = _create(client, LOG_GROUP, {"LogGroupName": "/app/web"})
    assert identifier == "/app/web"
    event = client.create_resource(TypeName=LOG_GROUP, DesiredState=json.dumps({"LogGroupName": "/app/web"}))
    failed = wait_failed(client, event["ProgressEvent"]["RequestToken"])
    assert failed["ErrorCode"] == "AlreadyExists"
    assert failed["StatusMessage"] == (
        "Resource of type 'AWS::Logs::LogGroup' with identifier '/app/web' already exists."
    )
    assert _listed(client, LOG_GROUP) == ["/app/web"]


def test_generated_identifiers_are_plausible(cloudcontrol) -> None:
    client = cloudcontrol()
    identifier, model = _create(client, "AWS::SQS::Queue", {})
    assert identifier == model["QueueUrl"]
    assert model["Arn"] == f"arn:aws:sqs:us-east-1:123456789012:{model['QueueName']}"
    _, bucket = _create(client, "AWS::S3::Bucket", {})
    assert bucket["BucketName"].startswith("bucket-")
    _, balancer = _create(client, "AWS::ElasticLoadBalancingV2::LoadBalancer", {})
    assert balancer["LoadBalancerArn"].startswith("arn:aws:elasticloadbalancingv2:us-east-1:123456789012:")


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/NodegroupName", "createOnlyProperties"),
        ("/Arn", "readOnlyProperties"),
        ("/Id", "readOnlyProperties"),
    ],
)
def test_create_only_and_read_only_paths_are_not_updatable(
    emulator: Emulator, cloudcontrol, path: str, kind: str
) -> None:
    client = cloudcontrol()
    (identifier,) = emulator.seed_type(NODEGROUP).identifiers
    patch = json.dumps([{"op": "replace", "path": path, "value": "x"}])
    error = call_error(
        lambda: client.update_resource(TypeName=NODEGROUP, Identifier=identifier, PatchDocument=patch)
    )
    assert error["Code"] == "NotUpdatableException"
    assert error["Message"] == f"Invalid patch update: {kind} [/properties{path}] cannot be updated"
    assert client.list_resource_requests()["ResourceRequestStatusSummaries"] == []


def test_types_cloud_control_does_not_serve(cloudcontrol) -> None:
    client = cloudcontrol()
    cases = [
        (
            lambda: client.list_resources(TypeName="AWS::Nowhere::Thing"),
            "TypeNotFoundException",
            "The type 'AWS::Nowhere::Thing' does not exist in the CloudFormation registry.",
        ),
        # no handlers in its schema (NON_PROVISIONABLE)
        (
            lambda: client.list_resources(TypeName="AWS::AppMesh::Mesh"),
            "UnsupportedActionException",
            "The resource AWS::AppMesh::Mesh is not yet supported via Cloud Control API",
        ),
        # left out of the catalog (an overlay's exclude)
        (
            lambda: client.get_resource(TypeName="AWS::RoboMaker::Fleet", Identifier="f"),
            "UnsupportedActionException",
            "The resource AWS::RoboMaker::Fleet is not yet supported via Cloud Control API",
        ),
        # a type without an update handler
        (
            lambda: client.update_resource(TypeName=LOG_STREAM, Identifier="g|s", PatchDocument="[]"),
            "UnsupportedActionException",
            "Resource type AWS::Logs::LogStream does not support UPDATE action",
        ),
    ]
    for call, code, message in cases:
        error = call_error(call)
        assert (error["Code"], error["Message"]) == (code, message)
    assert client.list_resource_requests()["ResourceRequestStatusSummaries"] == []


def test_pages_of_25_ignore_max_results(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol()
    seeded = emulator.seed_type("AWS::SQS::Queue", count=30)
    first = client.list_resources(TypeName="AWS::SQS::Queue", MaxResults=5)
    assert len(first["ResourceDescriptions"]) == 25 and "NextToken" in first
    second = client.list_resources(TypeName="AWS::SQS::Queue", NextToken=first["NextToken"])
    assert "NextToken" not in second
    identifiers = [d["Identifier"] for d in first["ResourceDescriptions"] + second["ResourceDescriptions"]]
    assert identifiers == list(seeded.identifiers)


def test_writes_are_async_and_client_tokens_idempotent(emulator: Emulator, cloudcontrol) -> None:
    emulator.configure(polls_before_complete=2)
    client = cloudcontrol()
    desired = json.dumps({"LogGroupName": "/app/api"})
    first = client.create_resource(TypeName=LOG_GROUP, DesiredState=desired, ClientToken="t1")[
        "ProgressEvent"
    ]
    again = client.create_resource(TypeName=LOG_GROUP, DesiredState=desired, ClientToken="t1")[
        "ProgressEvent"
    ]
    assert again["RequestToken"] == first["RequestToken"]
    status = client.get_resource_request_status(RequestToken=first["RequestToken"])["ProgressEvent"]
    assert status["OperationStatus"] == "IN_PROGRESS"
    assert _listed(client, LOG_GROUP) == []
    assert wait_ok(client, first["RequestToken"])["OperationStatus"] == "SUCCESS"
    assert _listed(client, LOG_GROUP) == ["/app/api"]
    other = json.dumps({"LogGroupName": "/app/other"})
    error = call_error(
        lambda: client.create_resource(TypeName=LOG_GROUP, DesiredState=other, ClientToken="t1")
    )
    assert error["Code"] == "ClientTokenConflictException"


def test_switches_apply_to_catalog_types(emulator: Emulator, cloudcontrol) -> None:
    client = cloudcontrol()
    seeded = emulator.seed_type(NODEGROUP, count=2)
    (cluster,) = seeded.parents[CLUSTER]
    emulator.configure(identifier_only_lists=True)
    listed = client.list_resources(TypeName=NODEGROUP, ResourceModel=json.dumps({"ClusterName": cluster}))
    assert [json.loads(d["Properties"]) for d in listed["ResourceDescriptions"]] == [
        {"Id": identifier} for identifier in seeded.identifiers
    ]
    emulator.fail_next_write("ServiceLimitExceeded", "too many node groups")
    event = client.create_resource(
        TypeName=NODEGROUP, DesiredState=json.dumps(_nodegroup({"Name": cluster}, "n"))
    )
    failed = wait_failed(client, event["ProgressEvent"]["RequestToken"])
    assert (failed["ErrorCode"], failed["StatusMessage"]) == ("ServiceLimitExceeded", "too many node groups")
    emulator.throttle_next(1)
    throttled = call_error(lambda: cloudcontrol(config=_no_retries()).list_resources(TypeName=CLUSTER))
    assert throttled["Code"] == "ThrottlingException"
    assert len(_listed(client, NODEGROUP, {"ClusterName": cluster})) == 2


def _no_retries() -> Any:
    from botocore.config import Config

    return Config(retries={"total_max_attempts": 1})


def test_seed_route_seeds_any_type(emulator: Emulator, cloudcontrol) -> None:
    import urllib.request

    body = json.dumps({"type": "AWS::DataZone::EnvironmentActions", "count": 2}).encode()
    request = urllib.request.Request(f"{emulator.endpoint_url}/_emulator/seed", data=body, method="POST")
    with urllib.request.urlopen(request) as answer:
        (seeded,) = json.loads(answer.read())["seeded"]
    assert sorted(seeded["parents"]) == [
        "AWS::DataZone::Domain",
        "AWS::DataZone::Environment",
        "AWS::DataZone::Project",
    ]
    client = cloudcontrol()
    (domain,) = seeded["parents"]["AWS::DataZone::Domain"]
    (environment,) = seeded["parents"]["AWS::DataZone::Environment"]
    environment_id = _get(client, "AWS::DataZone::Environment", environment)["Id"]
    model = {"DomainIdentifier": domain, "EnvironmentIdentifier": environment_id}
    assert _listed(client, "AWS::DataZone::EnvironmentActions", model) == seeded["identifiers"]


KNOWN_CREATE_FAILURES = {
    # The catalog's walk feeds SchemaVersion's Schema (an object: {SchemaArn | SchemaName, RegistryName})
    # with the parent Schema's Arn (a string); the metadata type's parent is that SchemaVersion.
    "AWS::Glue::SchemaVersion": "#/Schema: expected type: Object, found: String",
    "AWS::Glue::SchemaVersionMetadata": "#/Schema: expected type: Object, found: String",
}
KNOWN_WALK_FAILURES = {
    # TablePolicy's TableBucketARN is read-only, derived by the service from TableARN; nothing in the
    # facts says how, so the emulator generates it and the walk from the TableBucket finds nothing.
    "AWS::S3Tables::TablePolicy": "listed nothing",
}


def _creatable() -> list[str]:
    catalog = load_catalog()
    return [
        name
        for name in catalog.type_names()
        if Verb.CREATE in catalog.entry(name).verbs and catalog.entry(name).table is not None
    ]


def test_every_catalog_type_with_a_create_handler_can_be_created(emulator: Emulator, cloudcontrol) -> None:
    """A minimal DesiredState from the facts (required properties, parents created first) over HTTP."""
    emulator.configure(polls_before_complete=0)
    client = cloudcontrol()
    failures: dict[str, str] = {}
    created = 0
    for type_name in _creatable():
        try:
            seeded = emulator.seed_type(type_name, count=0)
        except (CloudControlError, HandlerFailure) as exc:
            failures[type_name] = f"parents: {exc}"
            continue
        parents = {
            name: emulator.resource("us-east-1", name, ids[0]) or {} for name, ids in seeded.parents.items()
        }
        desired = json.dumps(minimal_desired_state(type_name, parents))
        try:
            token = client.create_resource(TypeName=type_name, DesiredState=desired)["ProgressEvent"][
                "RequestToken"
            ]
        except ClientError as exc:
            failures[type_name] = exc.response["Error"]["Message"]
            continue
        event = client.get_resource_request_status(RequestToken=token)["ProgressEvent"]
        if event["OperationStatus"] != "SUCCESS":
            failures[type_name] = f"{event.get('ErrorCode')}: {event.get('StatusMessage')}"
            continue
        assert emulator.resource("us-east-1", type_name, event["Identifier"]) is not None
        created += 1
    assert created == len(_creatable()) - len(KNOWN_CREATE_FAILURES) > 1700
    assert sorted(failures) == sorted(KNOWN_CREATE_FAILURES)
    for type_name, fragment in KNOWN_CREATE_FAILURES.items():
        assert fragment in failures[type_name]


def test_every_walk_lists_exactly_its_parents_children(emulator: Emulator, cloudcontrol) -> None:
    """For every type the catalog walks, children under two parents per level: a list with the last
    parents' values (as a walk sends them) returns exactly the child created under them."""
    client = cloudcontrol()
    catalog = load_catalog()
    failures: dict[str, str] = {}
    walked = 0
    for type_name in _creatable():
        plan = catalog.entry(type_name).plan
        if plan.mode.value != "walk" or Verb.LIST not in catalog.entry(type_name).verbs:
            continue
        try:
            seeded = emulator.seed_type(type_name, count=1, parents=2)
        except (CloudControlError, HandlerFailure) as exc:
            failures[type_name] = f"seed: {exc}"
            continue
        parents = {
            name: emulator.resource("us-east-1", name, ids[-1]) or {} for name, ids in seeded.parents.items()
        }
        listed = _listed(client, type_name, _list_model(type_name, parents))
        if listed != [seeded.identifiers[-1]]:
            failures[type_name] = "listed nothing" if not listed else f"listed {listed}"
        walked += 1
    assert walked > 360
    seed_failures = {name for name, why in failures.items() if why.startswith("seed: ")}
    assert seed_failures == set(KNOWN_CREATE_FAILURES)
    assert {name: why for name, why in failures.items() if name not in seed_failures} == KNOWN_WALK_FAILURES


def test_a_chosen_additional_identifier_is_unique_too(cloudcontrol) -> None:
    """AppConfig Applications are named by a generated ApplicationId; their Name is an additional
    identifier: a second one of the same Name fails, on create and on update, until the first is gone."""
    client = cloudcontrol()
    app = "AWS::AppConfig::Application"
    first, model = _create(client, app, {"Name": "shop"})
    assert first == model["ApplicationId"] != "shop"
    event = client.create_resource(TypeName=app, DesiredState=json.dumps({"Name": "shop"}))["ProgressEvent"]
    failed = wait_failed(client, event["RequestToken"])
    assert (failed["ErrorCode"], failed["StatusMessage"]) == (
        "AlreadyExists",
        "Resource of type 'AWS::AppConfig::Application' with identifier 'shop' already exists.",
    )
    second, _ = _create(client, app, {"Name": "till"})
    rename = json.dumps([{"op": "replace", "path": "/Name", "value": "shop"}])
    event = client.update_resource(TypeName=app, Identifier=second, PatchDocument=rename)["ProgressEvent"]
    assert wait_failed(client, event["RequestToken"])["ErrorCode"] == "AlreadyExists"
    wait_ok(client, client.delete_resource(TypeName=app, Identifier=first)["ProgressEvent"]["RequestToken"])
    event = client.update_resource(TypeName=app, Identifier=second, PatchDocument=rename)["ProgressEvent"]
    wait_ok(client, event["RequestToken"])
    assert _get(client, app, second)["Name"] == "shop"
    third, _ = _create(client, app, {"Name": "till"})
    assert sorted(_listed(client, app)) == sorted([second, third])
