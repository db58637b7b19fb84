"""Write-only members inside an object column: a schema's ``writeOnlyProperties`` entry
``/properties/LifecycleConfiguration/Rules/*/Transition`` hides that member from reads, not the whole
column. The column reads back (without the member), a NULL removes it, and a patch can only ``add`` the
member, since AWS patches the resource as it reads it."""

from __future__ import annotations

import json

import apsw
import pytest

from tests.test_writes_helpers import connect, error_of, rows, sent_writes, write_calls
from vtab.emulator import Emulator

BUCKET = "AWS::S3::Bucket"
RULE = {"Id": "old", "Status": "Enabled", "Transition": {"StorageClass": "GLACIER", "TransitionInDays": 30}}
WHERE = "WHERE region = 'us-east-1' AND bucket_name = 'logs-archive'"


@pytest.fixture
def db(emulator: Emulator) -> apsw.Connection:
    """A bucket `logs-archive` whose lifecycle rule moves objects to GLACIER (a write-only member)."""
    db = connect(emulator)
    db.execute(
        "INSERT INTO s3_buckets (bucket_name, lifecycle_configuration, region) VALUES ('logs-archive', ?, "
        "'us-east-1')",
        (json.dumps({"Rules": [RULE]}),),
    )
    emulator.clear_calls()
    return db


def test_a_column_with_a_write_only_member_reads_back_without_it(db: apsw.Connection) -> None:
    ((config,),) = rows(db, f"SELECT lifecycle_configuration FROM s3_buckets {WHERE}")
    assert json.loads(config) == {"Rules": [{"Id": "old", "Status": "Enabled"}]}


def test_setting_the_column_null_removes_it(emulator: Emulator, db: apsw.Connection) -> None:
    db.execute(f"UPDATE s3_buckets SET lifecycle_configuration = NULL {WHERE}")
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [{"op": "remove", "path": "/LifecycleConfiguration"}]
    model = emulator.resource("us-east-1", BUCKET, "logs-archive")
    assert model is not None
    assert "LifecycleConfiguration" not in model


def test_a_patch_replacing_a_write_only_member_is_refused_naming_it(
    emulator: Emulator, db: apsw.Connection
) -> None:
    patch = json.dumps(
        [
            {
                "op": "replace",
                "path": "/LifecycleConfiguration/Rules/0/Transition",
                "value": {"StorageClass": "X"},
            }
        ]
    )
    error = error_of(db, f"UPDATE s3_buckets SET data__PatchDocument = ? {WHERE}", (patch,))
    assert isinstance(error, apsw.SQLError)
    message = str(error)
    assert "path /LifecycleConfiguration/Rules/0/Transition in operation 0, op 'replace'" in message
    assert "LifecycleConfiguration/Rules/*/Transition is write-only" in message
    assert 'set it with "op": "add" instead' in message
    assert write_calls(emulator) == []


def test_a_patch_adding_a_write_only_member_is_sent(emulator: Emulator, db: apsw.Connection) -> None:
    value = {"StorageClass": "DEEP_ARCHIVE", "TransitionInDays": 90}
    patch = [{"op": "add", "path": "/LifecycleConfiguration/Rules/0/Transition", "value": value}]
    db.execute(f"UPDATE s3_buckets SET data__PatchDocument = ? {WHERE}", (json.dumps(patch),))
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == patch
    polls = sent_writes(emulator, "GetResourceRequestStatus")
    assert [p.operation_status for p in polls if p.request_token == update.request_token][-1] == "SUCCESS"


def test_insert_or_replace_without_the_column_removes_it(emulator: Emulator, db: apsw.Connection) -> None:
    db.execute("INSERT OR REPLACE INTO s3_buckets (bucket_name, region) VALUES ('logs-archive', 'us-east-1')")
    (update,) = sent_writes(emulator, "UpdateResource")
    assert {"op": "remove", "path": "/LifecycleConfiguration"} in update.patch_document
    model = emulator.resource("us-east-1", BUCKET, "logs-archive")
    assert model is not None
    assert "LifecycleConfiguration" not in model
