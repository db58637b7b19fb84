"""The in-memory provider on what AWS does around parents: it names what the create left out (EKS gives a
node group a name), and a parent with children is not deleted (EKS: "Cluster has nodegroups attached")
unless AWS documents that its delete takes them along (a log group's streams)."""

from __future__ import annotations

import json

import apsw
from emulator_helpers import wait_failed, wait_ok

from tests.readhelpers import connect, rows
from tests.test_writes_helpers import error_of
from vtab.catalog import load_catalog
from vtab.emulator import Emulator
from vtab.emulator.deletes import DELETE_RULES, blocks, in_use_message
from vtab.emulator.memory import own_names

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/nodes"


def _cluster_with_nodegroup(db: apsw.Connection) -> None:
    db.execute(
        "INSERT INTO eks_clusters (region, name, role_arn, resources_vpc_config) VALUES (?, 'c1', ?, ?)",
        (REGION, ROLE, json.dumps({"SubnetIds": ["subnet-1"]})),
    )
    db.execute(
        "INSERT INTO eks_nodegroups (region, cluster_name, node_role, subnets) VALUES (?, 'c1', ?, ?)",
        (REGION, ROLE, json.dumps(["subnet-1"])),
    )


def test_a_nodegroup_created_without_a_name_gets_one(emulator: Emulator) -> None:
    db = connect(emulator)
    _cluster_with_nodegroup(db)
    ((identifier, name, cluster),) = rows(
        db,
        "SELECT data__Identifier, nodegroup_name, cluster_name FROM eks_nodegroups WHERE region = ?",
        (REGION,),
    )
    assert name is not None and name.startswith("nodegroup-") and cluster == "c1"
    assert "None" not in identifier
    # the generated name is the resource's: a read by identifier shows the same one
    assert rows(
        db, "SELECT nodegroup_name FROM eks_nodegroups WHERE region = ? AND id = ?", (REGION, identifier)
    ) == [(name,)]


def test_own_names_are_the_optional_create_only_names_aws_generates() -> None:
    catalog = load_catalog()

    def names(type_name: str) -> tuple[str, ...]:
        facts = catalog.facts(type_name)
        return own_names(facts, frozenset(facts.read_only))

    assert names("AWS::EKS::Nodegroup") == ("NodegroupName",)
    assert names("AWS::SNS::Topic") == ("TopicName",)
    assert names("AWS::Logs::LogGroup") == ()  # its name is its identifier: generated as such
    assert names("AWS::EKS::Cluster") == ()  # no ClusterName property


def test_deleting_a_cluster_with_a_nodegroup_fails_as_eks_does(emulator: Emulator) -> None:
    db = connect(emulator)
    _cluster_with_nodegroup(db)
    error = error_of(db, "DELETE FROM eks_clusters WHERE region = ? AND name = 'c1'", (REGION,))
    assert isinstance(error, apsw.ConstraintError)
    assert (
        "FAILED DELETE c1 in us-east-1: ResourceConflict: Cluster has nodegroups attached (Service: Eks, "
        in str(error)
    )
    assert rows(db, "SELECT name FROM eks_clusters WHERE region = ?", (REGION,)) == [("c1",)]
    # once the nodegroup is gone, the cluster can go
    db.execute("DELETE FROM eks_nodegroups WHERE region = ? AND cluster_name = 'c1'", (REGION,))
    db.execute("DELETE FROM eks_clusters WHERE region = ? AND name = 'c1'", (REGION,))
    assert rows(db, "SELECT name FROM eks_clusters WHERE region = ?", (REGION,)) == []


def test_a_parent_whose_delete_aws_documents_as_cascading_takes_its_children(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT INTO logs_log_groups (region, log_group_name) VALUES (?, 'g1'), (?, 'g2')", (REGION, REGION)
    )
    db.execute(
        "INSERT INTO logs_log_streams (region, log_group_name, log_stream_name) "
        "VALUES (?, 'g1', 's1'), (?, 'g1', 's2'), (?, 'g2', 's3')",
        (REGION, REGION, REGION),
    )
    db.execute("DELETE FROM logs_log_groups WHERE region = ? AND log_group_name = 'g1'", (REGION,))
    # g1's streams went with it (DeleteLogGroup deletes its log events); g2's stayed
    assert rows(
        db, "SELECT log_group_name, log_stream_name FROM logs_log_streams WHERE region = ?", (REGION,)
    ) == [("g2", "s3")]
    assert emulator.resource(REGION, "AWS::Logs::LogStream", "g1|s1") is None


def test_which_children_block_a_delete() -> None:
    assert blocks("AWS::EKS::Cluster", "AWS::EKS::Nodegroup")
    assert blocks("AWS::EKS::Cluster", "AWS::EKS::FargateProfile")
    assert not blocks("AWS::EKS::Cluster", "AWS::EKS::Addon")  # DeleteCluster removes add-ons
    assert not blocks("AWS::Logs::LogGroup", "AWS::Logs::LogStream")
    assert blocks("AWS::DataZone::Domain", "AWS::DataZone::Project")  # nothing documented: refused
    assert all(rule.source for rule in DELETE_RULES.values())
    assert in_use_message("AWS::EKS::Cluster", "AWS::EKS::FargateProfile").startswith(
        "Cluster has fargate profiles attached (Service: Eks, Status Code: 409, Request ID: "
    )


def test_a_cascade_reaches_grandchildren_and_a_refusal_changes_nothing(
    emulator: Emulator, cloudcontrol
) -> None:
    """Over the wire: a Glue database's delete takes its tables and their partitions; a DataZone domain
    with projects (nothing documented) fails ResourceConflict and keeps everything."""
    client = cloudcontrol()
    glue = emulator.seed_type("AWS::Glue::Partition", REGION, count=2, parents=1)
    (database,) = glue.parents["AWS::Glue::Database"]
    token = client.delete_resource(TypeName="AWS::Glue::Database", Identifier=database)["ProgressEvent"]
    wait_ok(client, token["RequestToken"])
    (table,) = glue.parents["AWS::Glue::Table"]
    assert emulator.resource(REGION, "AWS::Glue::Table", table) is None
    assert [emulator.resource(REGION, "AWS::Glue::Partition", i) for i in glue.identifiers] == [None, None]

    zone = emulator.seed_type("AWS::DataZone::Project", REGION, count=2, parents=1)
    (domain,) = zone.parents["AWS::DataZone::Domain"]
    token = client.delete_resource(TypeName="AWS::DataZone::Domain", Identifier=domain)["ProgressEvent"]
    event = wait_failed(client, token["RequestToken"])
    assert event["ErrorCode"] == "ResourceConflict"
    assert event["StatusMessage"].startswith(
        "Domain has projects attached (Service: Datazone, Status Code: 409"
    )
    assert emulator.resource(REGION, "AWS::DataZone::Domain", domain) is not None
    assert all(emulator.resource(REGION, "AWS::DataZone::Project", i) for i in zone.identifiers)
