"""The emulator looks like AWS where users read it: ARNs built from names, and seeded ids that repeat."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from random import Random
from typing import Any

import boto3
import pytest
from emulator_helpers import API, wait_ok

from vtab.catalog.checks import compiled_pattern
from vtab.emulator import Emulator
from vtab.emulator.ids import Draw, identifier_value
from vtab.emulator.seed_types import minimal_desired_state

ACCOUNT = "123456789012"
WIDGET = Draw(Random(0), "AWS::Svc::Widget", "us-east-1", {"Name": "w-1"}, ("Name",))


def _create(client: Any, type_name: str, given: dict[str, Any]) -> dict[str, Any]:
    desired = minimal_desired_state(type_name, {}, extra=given, region="us-east-1")
    event = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"]
    final = wait_ok(client, event["RequestToken"])
    model: dict[str, Any] = json.loads(final["ResourceModel"])
    return {**model, "Identifier": final["Identifier"]}


@pytest.mark.parametrize(
    ("type_name", "given", "prop", "expected"),
    [
        ("AWS::EKS::Cluster", {"Name": "prod"}, "Arn", f"arn:aws:eks:us-east-1:{ACCOUNT}:cluster/prod"),
        (
            "AWS::ECS::Cluster",
            {"ClusterName": "prod"},
            "Arn",
            f"arn:aws:ecs:us-east-1:{ACCOUNT}:cluster/prod",
        ),
        ("AWS::SQS::Queue", {"QueueName": "jobs"}, "Arn", f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"),
        ("AWS::SNS::Topic", {"TopicName": "alerts"}, "TopicArn", f"arn:aws:sns:us-east-1:{ACCOUNT}:alerts"),
        ("AWS::IAM::Role", {"RoleName": "deployer"}, "Arn", f"arn:aws:iam::{ACCOUNT}:role/deployer"),
        ("AWS::S3::Bucket", {"BucketName": "my-bucket"}, "Arn", "arn:aws:s3:::my-bucket"),
        (
            "AWS::Logs::LogGroup",
            {"LogGroupName": "/app/web"},
            "Arn",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/app/web:*",
        ),
        (
            "AWS::DynamoDB::Table",
            {"TableName": "orders"},
            "Arn",
            f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders",
        ),
        (
            "AWS::Lambda::Function",
            {"FunctionName": "orders-api"},
            "Arn",
            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-api",
        ),
    ],
)
def test_an_arn_is_built_from_the_resource_name(
    cloudcontrol, type_name: str, given: dict[str, Any], prop: str, expected: str
) -> None:
    assert _create(cloudcontrol(), type_name, given)[prop] == expected


def test_a_lambda_alias_arn_names_its_function_and_alias(cloudcontrol) -> None:
    client = cloudcontrol()
    _create(client, "AWS::Lambda::Function", {"FunctionName": "orders-api"})
    alias = _create(client, "AWS::Lambda::Alias", {"FunctionName": "orders-api", "Name": "live"})
    assert alias["AliasArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:orders-api:live"
    assert alias["Identifier"] == alias["AliasArn"]  # the alias's primary identifier


def test_values_aws_derives_are_derived_from_the_model(cloudcontrol) -> None:
    """A queue's URL is its region, account and name; a Lambda version's ARN its function's with the
    version, numbered 1, 2, ... per function; a subscription's ARN its topic's with an id."""
    client = cloudcontrol()
    queue = _create(client, "AWS::SQS::Queue", {"QueueName": "jobs"})
    assert queue["QueueUrl"] == queue["Identifier"] == f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/jobs"
    _create(client, "AWS::Lambda::Function", {"FunctionName": "orders-api"})
    _create(client, "AWS::Lambda::Function", {"FunctionName": "billing"})
    versions = [
        _create(client, "AWS::Lambda::Version", {"FunctionName": name}) for name in ("orders-api",) * 2
    ]
    other = _create(client, "AWS::Lambda::Version", {"FunctionName": "billing"})
    function = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
    assert [(v["Version"], v["FunctionArn"]) for v in [*versions, other]] == [
        ("1", f"{function}:orders-api:1"),
        ("2", f"{function}:orders-api:2"),
        ("1", f"{function}:billing:1"),
    ]
    topic = _create(client, "AWS::SNS::Topic", {"TopicName": "alerts"})["TopicArn"]
    subscription = _create(client, "AWS::SNS::Subscription", {"TopicArn": topic, "Protocol": "sqs"})
    assert re.fullmatch(re.escape(topic) + r":[0-9a-f-]{36}", subscription["Arn"])


def test_a_tables_stream_arn_is_its_arn_and_the_streams_label_and_only_with_a_stream(cloudcontrol) -> None:
    """As DynamoDB names a stream: the table's ARN, ``/stream/`` and the label (its creation time, UTC to
    the millisecond); a table without StreamSpecification has no stream, so no StreamArn."""
    client = cloudcontrol()
    before = datetime.now(UTC).replace(tzinfo=None)
    streamed = _create(
        client,
        "AWS::DynamoDB::Table",
        {"TableName": "orders", "StreamSpecification": {"StreamViewType": "NEW_IMAGE"}},
    )
    after = datetime.now(UTC).replace(tzinfo=None)
    prefix = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/orders/stream/"
    assert streamed["StreamArn"].startswith(prefix)
    label = streamed["StreamArn"].removeprefix(prefix)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}", label)
    assert (
        before.replace(microsecond=before.microsecond // 1000 * 1000)
        <= datetime.fromisoformat(label)
        <= after
    )
    assert "StreamArn" not in _create(client, "AWS::DynamoDB::Table", {"TableName": "plain"})


def test_a_clusters_encryption_key_arn_is_the_key_its_encryption_config_names(cloudcontrol) -> None:
    """EKS answers the KMS key the create's EncryptionConfig gave (an ARN or an alias), never one of its
    own; a cluster without one has none."""
    client = cloudcontrol()
    key = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    for name, given in (("secure", key), ("aliased", f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/eks")):
        config = [{"Provider": {"KeyArn": given}, "Resources": ["secrets"]}]
        cluster = _create(client, "AWS::EKS::Cluster", {"Name": name, "EncryptionConfig": config})
        assert cluster["EncryptionConfigKeyArn"] == given
    assert "EncryptionConfigKeyArn" not in _create(client, "AWS::EKS::Cluster", {"Name": "plain"})


def test_a_generated_name_goes_into_the_arn(cloudcontrol) -> None:
    topic = _create(cloudcontrol(), "AWS::SNS::Topic", {})
    assert topic["TopicName"].startswith("topic-")
    assert topic["TopicArn"] == f"arn:aws:sns:us-east-1:{ACCOUNT}:{topic['TopicName']}"


def test_the_arn_pattern_gives_the_resource_type_and_still_decides() -> None:
    shown = {"check": {"pattern": r"^arn:aws:svc:[a-z0-9-]+:\d{12}:thing-kind/[a-z0-9-]+$"}, "type": "string"}
    value = identifier_value(WIDGET, "Arn", shown)
    assert value == f"arn:aws:svc:us-east-1:{ACCOUNT}:thing-kind/w-1"
    strict = {
        "check": {"pattern": r"^arn:aws:svc:[a-z0-9-]+:\d{12}:widget/wdg-[0-9a-z]{17}$"},
        "type": "string",
    }
    refused = identifier_value(WIDGET, "Arn", strict)
    pattern = compiled_pattern(strict["check"]["pattern"])
    assert pattern is not None and pattern.search(refused), refused


def _generated_ids(seed: str | None) -> dict[str, Any]:
    """What a user reads after starting an emulator: seeded ids, then ids and ARNs generated on create."""
    with Emulator(seed=seed) as emulator:
        demo = {region: seeded.to_json() for region, seeded in emulator.seed_demo().items()}
        client = boto3.client("cloudcontrol", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
        event = client.create_resource(TypeName="AWS::SQS::Queue", DesiredState="{}")["ProgressEvent"]
        done = wait_ok(client, event["RequestToken"])
        queue = {key: done[key] for key in ("RequestToken", "Identifier", "ResourceModel")}
        nodegroups = emulator.seed_type("AWS::EKS::Nodegroup", count=2)
        models = [emulator.resource("us-east-1", "AWS::EKS::Nodegroup", i) for i in nodegroups.identifiers]
        event = client.create_resource(
            TypeName=API, DesiredState=json.dumps({"Name": "a", "ProtocolType": "HTTP"})
        )
        api = wait_ok(client, event["ProgressEvent"]["RequestToken"])["Identifier"]
        return {"demo": demo, "queue": queue, "nodegroups": models, "api": api}


def test_a_seeded_emulator_gives_the_same_ids_every_run() -> None:
    first, second = _generated_ids("demo"), _generated_ids("demo")
    assert first == second
    assert re.fullmatch(
        rf"arn:aws:sqs:us-east-1:{ACCOUNT}:queue-[a-z0-9]{{8}}",
        json.loads(first["queue"]["ResourceModel"])["Arn"],
    )
    assert _generated_ids(None)["queue"]["Identifier"] != _generated_ids(None)["queue"]["Identifier"]


def test_a_reset_starts_the_seeded_ids_over() -> None:
    with Emulator(seed="demo") as emulator:
        first = emulator.seed_type("AWS::SQS::Queue", count=1).identifiers
        emulator.reset()
        assert emulator.seed_type("AWS::SQS::Queue", count=1).identifiers == first
