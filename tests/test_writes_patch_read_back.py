"""An UPDATE's patch is checked for what it changes, not for what it read back and never wrote.

A required write-only property (ACM PCA's Subject, RefactorSpaces Route's RouteType) never reads back, so
the resource a patch applies to lacks it: that is not the patch removing it. A read-only value AWS returned
outside its own schema (a version 0 under a minimum of 1) is AWS's business: a patch that leaves it alone
is sent. What the patch does change is still checked, and a required property it removes still refused.
"""

from __future__ import annotations

import json

import apsw
import pytest

from tests.test_writes_helpers import connect, error_of, sent_writes
from vtab.emulator import Emulator
from vtab.write.constraints import violation

REGION = "us-east-1"
TAGS = [{"Key": "team", "Value": "pki"}]
ADD_TAGS = json.dumps([{"op": "add", "path": "/Tags", "value": TAGS}])


@pytest.mark.parametrize(
    ("type_name", "table", "write_only_required"),
    [
        ("AWS::ACMPCA::CertificateAuthority", "acmpca_certificate_authorities", "Subject"),
        ("AWS::RefactorSpaces::Route", "refactorspaces_routes", "RouteType"),
    ],
)
def test_a_patch_of_a_type_with_a_required_write_only_property_is_sent(
    emulator: Emulator, type_name: str, table: str, write_only_required: str
) -> None:
    (identifier,) = emulator.seed_type(type_name, REGION).identifiers
    read = emulator.resource(REGION, type_name, identifier)
    assert read is not None and write_only_required not in read  # it never reads back
    db = connect(emulator)
    emulator.clear_calls()
    db.execute(
        f"UPDATE {table} SET PatchDocument = string(?) WHERE region = ? AND Identifier = ?",
        (ADD_TAGS, REGION, identifier),
    ).fetchall()
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == json.loads(ADD_TAGS)
    assert (emulator.resource(REGION, type_name, identifier) or {})["Tags"] == TAGS


def test_a_patch_removing_a_required_property_is_still_refused(emulator: Emulator) -> None:
    (identifier,) = emulator.seed_type("AWS::SageMaker::ImageVersion", REGION).identifiers
    db = connect(emulator)
    emulator.clear_calls()
    patch = json.dumps([{"op": "remove", "path": "/BaseImage"}])
    error = error_of(
        db,
        "UPDATE sagemaker_image_versions SET PatchDocument = ? WHERE region = ? AND Identifier = ?",
        (patch, REGION, identifier),
    )
    # BaseImage is also create-only, which is named first; either way nothing is sent.
    assert isinstance(error, (apsw.ConstraintError, apsw.ReadOnlyError))
    assert sent_writes(emulator, "UpdateResource") == []


def test_a_read_only_value_outside_its_schema_does_not_stop_a_patch_that_leaves_it(
    emulator: Emulator,
) -> None:
    """SageMaker ImageVersion's Version has a minimum of 1; AWS (here the emulator's state) says 0. vtab
    sends the patch (the endpoint, validating the whole model as the emulator does, may refuse it: then
    the error is the endpoint's, not vtab's refusal naming version)."""
    type_name = "AWS::SageMaker::ImageVersion"
    (identifier,) = emulator.seed_type(type_name, REGION).identifiers
    stored = emulator.state.region(REGION).resources[type_name][identifier]
    stored["Version"] = 0
    db = connect(emulator)
    emulator.clear_calls()
    patch = json.dumps([{"op": "add", "path": "/ReleaseNotes", "value": "faster"}])
    try:
        db.execute(
            "UPDATE sagemaker_image_versions SET PatchDocument = ? WHERE region = ? AND Identifier = ?",
            (patch, REGION, identifier),
        ).fetchall()
    except apsw.SQLError as error:
        assert "[UpdateResource AWS::SageMaker::ImageVersion" in str(error)  # the endpoint's answer
    (update,) = [call for call in emulator.calls if call.operation == "UpdateResource"]
    assert update.patch_document == json.loads(patch)


def test_what_a_patch_changes_is_still_checked(emulator: Emulator) -> None:
    type_name = "AWS::SageMaker::ImageVersion"
    (identifier,) = emulator.seed_type(type_name, REGION).identifiers
    db = connect(emulator)
    emulator.clear_calls()
    patch = json.dumps([{"op": "add", "path": "/JobType", "value": "NOT_A_JOB_TYPE"}])
    error = error_of(
        db,
        "UPDATE sagemaker_image_versions SET PatchDocument = ? WHERE region = ? AND Identifier = ?",
        (patch, REGION, identifier),
    )
    assert "job_type = 'NOT_A_JOB_TYPE': not one of the values JobType allows" in str(error)
    assert sent_writes(emulator, "UpdateResource") == []


RULES = {
    "type": "object",
    "properties": {"Version": {"type": "integer", "minimum": 1}, "Notes": {"type": "string", "maxLength": 3}},
}


def test_a_member_left_as_read_back_is_not_checked_and_a_changed_one_is() -> None:
    before = {"Version": 0, "Notes": "ok"}
    assert violation("T", "P", RULES, {"Version": 0, "Notes": "new"}, before) is None
    changed = violation("T", "P", RULES, {"Version": 0, "Notes": "longer"}, before)
    assert changed is not None and changed.path == ("P", "Notes")
    written = violation("T", "P", RULES, {"Version": 0, "Notes": "ok"})  # an INSERT's: all checked
    assert written is not None and written.path == ("P", "Version")
