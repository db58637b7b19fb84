"""The in-memory handlers behave as AWS's where StackQL's pages run end to end (scripts/stackql_pages_e2e.py):
a resource is created under its parent or not at all, made-up read-only values keep their schema's rules,
and a model read back without its write-only members can still be patched."""

from __future__ import annotations

import json
import re
from typing import Any

from emulator_helpers import wait_failed, wait_ok

from vtab.emulator import Emulator
from vtab.emulator.samples import fits, string_value

REGION = "us-east-1"


def _create(client: Any, type_name: str, desired: dict[str, Any]) -> str:
    token: str = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))[
        "ProgressEvent"
    ]["RequestToken"]
    return token


def test_a_create_that_leaves_out_its_parents_id_is_refused_naming_it(
    emulator: Emulator, cloudcontrol: Any
) -> None:
    """Cases' schema leaves DomainId out of ``required``; AWS's handler needs it, and made up it would name no
    domain (the field would list under none)."""
    client = cloudcontrol()
    event = wait_failed(client, _create(client, "AWS::Cases::Field", {"Name": "priority", "Type": "Text"}))
    assert (event["ErrorCode"], event["StatusMessage"]) == (
        "InvalidRequest",
        "Model validation failed (#: required key [DomainId] not found)",
    )
    domain = emulator.seed_type("AWS::Cases::Domain", REGION, count=1).identifiers[0]
    domain_id = (emulator.resource(REGION, "AWS::Cases::Domain", domain) or {})["DomainId"]
    wait_ok(
        client,
        _create(client, "AWS::Cases::Field", {"Name": "priority", "Type": "Text", "DomainId": domain_id}),
    )


def test_of_alternative_parents_one_is_enough_and_a_parent_the_handler_derives_is_not_asked(
    emulator: Emulator, cloudcontrol: Any
) -> None:
    client = cloudcontrol()
    record = {"Name": "www.example.com.", "Type": "A", "TTL": "60", "ResourceRecords": ["192.0.2.1"]}
    event = wait_failed(client, _create(client, "AWS::Route53::RecordSet", record))
    assert "required key [HostedZoneId] not found" in event["StatusMessage"]
    zone = client.create_resource(
        TypeName="AWS::Route53::HostedZone", DesiredState='{"Name": "example.com."}'
    )
    wait_ok(client, zone["ProgressEvent"]["RequestToken"])
    wait_ok(client, _create(client, "AWS::Route53::RecordSet", {**record, "HostedZoneName": "example.com."}))
    # S3 Tables' TablePolicy: TableBucketARN is read-only, filled from the TableARN given
    wait_ok(client, _create(client, "AWS::S3Tables::TablePolicy", {"TableARN": "t", "ResourcePolicy": {}}))


def test_made_up_times_keep_the_pattern_and_the_resource_updates(
    emulator: Emulator, cloudcontrol: Any
) -> None:
    """Connect's notifications spell CreatedAt in epoch seconds (``^[0-9]+$``): an ISO time broke the
    model every later update is checked against."""
    type_name = "AWS::Connect::Notification"
    (identifier,) = emulator.seed_type(type_name, REGION, count=1).identifiers
    model = emulator.resource(REGION, type_name, identifier) or {}
    assert re.fullmatch(r"[0-9]+", model["CreatedAt"])
    client = cloudcontrol()
    patch = json.dumps([{"op": "add", "path": "/Content", "value": {"DefaultContent": "maintenance"}}])
    token = client.update_resource(TypeName=type_name, Identifier=identifier, PatchDocument=patch)
    wait_ok(client, token["ProgressEvent"]["RequestToken"])


def test_a_model_read_without_its_write_only_members_can_be_patched(
    emulator: Emulator, cloudcontrol: Any
) -> None:
    """AppStream's ServiceAccountCredentials requires AccountPassword, which is write-only: the model an
    update patches never has it, and that is no violation."""
    type_name = "AWS::AppStream::DirectoryConfig"
    (identifier,) = emulator.seed_type(type_name, REGION, count=1).identifiers
    client = cloudcontrol()
    patch = json.dumps([{"op": "add", "path": "/OrganizationalUnitDistinguishedNames", "value": ["OU=a"]}])
    token = client.update_resource(TypeName=type_name, Identifier=identifier, PatchDocument=patch)
    wait_ok(client, token["ProgressEvent"]["RequestToken"])
    assert (emulator.resource(REGION, type_name, identifier) or {})[
        "OrganizationalUnitDistinguishedNames"
    ] == ["OU=a"]


def test_a_pattern_that_checks_its_length_first_still_generates_values() -> None:
    """EC2's secret ARNs: ``^(?=.{20,2048}$)arn:aws...`` (a lookahead rstr cannot generate)."""
    rules = {
        "pattern": r"^(?=.{20,2048}$)arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:"
        r"[a-zA-Z0-9/_+=.@-]+$"
    }
    value = string_value(rules, "sql-server-credentials-7")
    assert value.startswith("arn:aws") and fits(rules, value)
