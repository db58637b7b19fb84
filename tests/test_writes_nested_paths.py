"""Read-only and create-only paths inside an object column: a schema's ``/properties/A/B`` makes the member
``B`` of ``a`` read-only (or create-only), not the whole column. An EKS cluster's kubernetes_network_config
is writable although AWS sets its ServiceIpv6Cidr, and its access_config's AuthenticationMode is updatable
although BootstrapClusterCreatorAdminPermissions is create-only."""

from __future__ import annotations

import json

import apsw
import pytest

from tests.test_writes_helpers import connect, error_of, sent_writes, write_calls
from vtab.emulator import Emulator

CLUSTER = "AWS::EKS::Cluster"
INSERT = (
    "INSERT INTO eks_clusters (name, role_arn, resources_vpc_config, kubernetes_network_config, "
    "access_config) VALUES ('prod', 'arn:aws:iam::123456789012:role/eks', '{\"SubnetIds\": [\"subnet-1\"]}', "
    "?, ?)"
)
WHERE = "WHERE region = 'us-east-1' AND name = 'prod'"


@pytest.fixture
def db(emulator: Emulator) -> apsw.Connection:
    """A cluster `prod` with kubernetes_network_config {IpFamily: ipv4} and access_config {API}."""
    db = connect(emulator)
    db.execute(INSERT, ('{"IpFamily": "ipv4"}', '{"AuthenticationMode": "API"}'))
    emulator.clear_calls()
    return db


def test_an_object_with_a_read_only_member_can_be_inserted(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(INSERT, ('{"IpFamily": "ipv4"}', None))
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state is not None
    assert create.desired_state["KubernetesNetworkConfig"] == {"IpFamily": "ipv4"}


def test_an_insert_setting_a_read_only_member_is_refused_naming_it(emulator: Emulator) -> None:
    db = connect(emulator)
    error = error_of(db, INSERT, ('{"IpFamily": "ipv6", "ServiceIpv6Cidr": "fd00::/108"}', None))
    assert isinstance(error, apsw.ReadOnlyError)
    assert str(error) == (
        'kubernetes_network_config = \'{"IpFamily": "ipv6", "ServiceIpv6Cidr": "fd00::/108"}\': '
        "KubernetesNetworkConfig/ServiceIpv6Cidr is read-only (AWS sets it when the resource is created); "
        "leave ServiceIpv6Cidr out of kubernetes_network_config [eks_clusters row 1]"
    )
    assert write_calls(emulator) == []


def test_an_update_of_a_member_beside_a_create_only_one_is_sent(
    emulator: Emulator, db: apsw.Connection
) -> None:
    db.execute(
        f'UPDATE eks_clusters SET access_config = \'{{"AuthenticationMode": "API_AND_CONFIG_MAP"}}\' {WHERE}'
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [
        {"op": "replace", "path": "/AccessConfig", "value": {"AuthenticationMode": "API_AND_CONFIG_MAP"}}
    ]
    model = emulator.resource("us-east-1", CLUSTER, "prod")
    assert model is not None and model["AccessConfig"] == {"AuthenticationMode": "API_AND_CONFIG_MAP"}


def test_an_update_changing_a_create_only_member_is_refused_naming_it(
    emulator: Emulator, db: apsw.Connection
) -> None:
    error = error_of(
        db, f'UPDATE eks_clusters SET kubernetes_network_config = \'{{"IpFamily": "ipv6"}}\' {WHERE}'
    )
    assert isinstance(error, apsw.ReadOnlyError)
    assert str(error) == (
        'kubernetes_network_config = \'{"IpFamily": "ipv6"}\' (was \'{"IpFamily":"ipv4"}\'): '
        "KubernetesNetworkConfig/IpFamily is create-only and cannot change ('ipv4' -> 'ipv6'); "
        "DELETE the row and INSERT a new one instead [eks_clusters prod]"
    )
    assert write_calls(emulator) == []


def test_an_update_keeping_a_create_only_member_changes_the_rest(
    emulator: Emulator, db: apsw.Connection
) -> None:
    db.execute(
        "UPDATE eks_clusters SET kubernetes_network_config = json_set(kubernetes_network_config, "
        f"'$.ElasticLoadBalancing', json('{{\"Enabled\": true}}')) {WHERE}"
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document is not None
    assert [op["path"] for op in update.patch_document] == ["/KubernetesNetworkConfig"]
    model = emulator.resource("us-east-1", CLUSTER, "prod")
    assert model is not None
    assert json.dumps(model["KubernetesNetworkConfig"], sort_keys=True) == json.dumps(
        {"ElasticLoadBalancing": {"Enabled": True}, "IpFamily": "ipv4"}, sort_keys=True
    )


def test_an_insert_of_an_athena_work_group_with_its_configuration(emulator: Emulator) -> None:
    """Athena's WorkGroupConfiguration has a read-only EngineVersion/EffectiveEngineVersion inside."""
    db = connect(emulator)
    db.execute(
        "INSERT INTO athena_work_groups (name, work_group_configuration) "
        "VALUES ('team', '{\"EnforceWorkGroupConfiguration\": true}')"
    )
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state == {
        "Name": "team",
        "WorkGroupConfiguration": {"EnforceWorkGroupConfiguration": True},
    }


def test_a_patch_document_changing_a_create_only_member_is_refused(
    emulator: Emulator, db: apsw.Connection
) -> None:
    patch = '[{"op": "replace", "path": "/KubernetesNetworkConfig/IpFamily", "value": "ipv6"}]'
    error = error_of(db, f"UPDATE eks_clusters SET data__PatchDocument = ? {WHERE}", (patch,))
    assert isinstance(error, apsw.ReadOnlyError)
    assert "KubernetesNetworkConfig/IpFamily is create-only and cannot change ('ipv4' -> 'ipv6')" in str(
        error
    )
    assert write_calls(emulator) == []


def test_a_patch_document_changing_another_member_is_sent(emulator: Emulator, db: apsw.Connection) -> None:
    patch = (
        '[{"op": "add", "path": "/KubernetesNetworkConfig/ElasticLoadBalancing", "value": {"Enabled": true}}]'
    )
    db.execute(f"UPDATE eks_clusters SET data__PatchDocument = ? {WHERE}", (patch,))
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == json.loads(patch)


def test_insert_or_replace_changing_a_create_only_member_is_refused_naming_it(
    emulator: Emulator, db: apsw.Connection
) -> None:
    error = error_of(db, INSERT.replace("INSERT", "INSERT OR REPLACE", 1), ('{"IpFamily": "ipv6"}', None))
    assert isinstance(error, apsw.ReadOnlyError)
    assert str(error).startswith(
        "kubernetes_network_config: KubernetesNetworkConfig/IpFamily is create-only and cannot change "
        "('ipv4' -> 'ipv6'), so INSERT OR REPLACE cannot make the resource match this row; DELETE it and "
        "INSERT the row again instead (nothing was sent) prod"
    )
    assert write_calls(emulator) == []


def test_insert_or_replace_keeping_a_create_only_member_replaces_the_rest(
    emulator: Emulator, db: apsw.Connection
) -> None:
    db.execute(
        INSERT.replace("INSERT", "INSERT OR REPLACE", 1),
        ('{"IpFamily": "ipv4"}', '{"AuthenticationMode": "API_AND_CONFIG_MAP"}'),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [
        {"op": "replace", "path": "/AccessConfig", "value": {"AuthenticationMode": "API_AND_CONFIG_MAP"}}
    ]
