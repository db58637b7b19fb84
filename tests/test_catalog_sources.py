"""Where the catalog's schemas come from (scripts/gen_catalog.py): every region's types, us-east-1's first, so
that types cfn-lint publishes elsewhere only are tables (IoT Events); and the registry's own schema where
cfn-lint cut a type down for linting (CloudFormation Stack's StackName), end to end on the local endpoint."""

from __future__ import annotations

import apsw
import orjson
import pytest

import vtab
from tests.readhelpers import connect
from vtab.catalog.store import data_folder, load_catalog
from vtab.emulator import Emulator

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/iot-events"


def columns(db: apsw.Connection, table: str) -> dict[str, int]:
    """Column -> required (vtab_columns)."""
    sql = 'SELECT "column", required FROM vtab_columns WHERE "table" = ?'
    return dict(db.execute(sql, (table,)).fetchall())


def test_types_us_east_1_lacks_come_from_another_regions_schema() -> None:
    source = orjson.loads((data_folder() / "index.json").read_bytes())["source"]
    catalog = load_catalog()
    for type_name in ("AWS::IoTEvents::DetectorModel", "AWS::IoTEvents::Input", "AWS::DeviceFarm::Project"):
        assert source["fromOtherRegions"][type_name] != REGION
        assert catalog.entry(type_name).table is not None
    assert "AWS::EC2::VPC" not in source["fromOtherRegions"]  # us-east-1's schema comes first
    assert not any(name.startswith("AWS::Serverless::") for name in source["fromOtherRegions"])  # SAM


def test_iot_events_tables_have_their_columns() -> None:
    db = vtab.connect(regions=REGION, endpoint_url="http://127.0.0.1:9")
    assert columns(db, "iotevents_inputs").items() >= {("input_name", 0), ("input_definition", 1)}
    assert columns(db, "iotevents_detector_models").items() >= {
        ("detector_model_name", 0),
        ("detector_model_definition", 1),
        ("role_arn", 1),
    }


def test_iot_events_create_list_and_get_under_stackqls_names(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT INTO awscc.iotevents.inputs (input_name, input_definition, region) "
        "VALUES ('pressure', '{\"Attributes\": [{\"JsonPath\": \"psi\"}]}', 'us-east-1')"
    )
    definition = {
        "InitialStateName": "normal",
        "States": [{"StateName": "normal", "OnEnter": {"Events": []}}],
    }
    db.execute(
        "INSERT INTO aws.iotevents.detector_models (detector_model_name, detector_model_definition, "
        "role_arn, region) VALUES ('pump', ?, ?, 'us-east-1')",
        (orjson.dumps(definition).decode(), ROLE),
    )
    assert db.execute(
        "SELECT input_name, json_extract(input_definition, '$.Attributes[0].JsonPath') "
        "FROM aws.iotevents.inputs WHERE region = 'us-east-1'"
    ).fetchall() == [("pressure", "psi")]
    ((identifier, name, role),) = db.execute(
        "SELECT Identifier, detector_model_name, role_arn FROM awscc.iotevents.detector_models "
        "WHERE region = 'us-east-1'"
    )
    assert (identifier, name, role) == ("pump", "pump", ROLE)
    got = db.execute(
        "SELECT json_extract(detector_model_definition, '$.InitialStateName') "
        "FROM aws.iotevents.detector_models WHERE region = 'us-east-1' AND Identifier = 'pump'"
    ).fetchall()
    assert got == [("normal",)]
    assert emulator.resource(REGION, "AWS::IoTEvents::DetectorModel", "pump") is not None


def test_cloudformation_stack_has_the_registrys_properties_and_requires_stack_name() -> None:
    db = vtab.connect(regions=REGION, endpoint_url="http://127.0.0.1:9")
    have = columns(db, "cloudformation_stacks")
    assert have.items() >= {("stack_name", 1), ("capabilities", 0), ("template_body", 0), ("template_url", 0)}
    schema = load_catalog().schema("AWS::CloudFormation::Stack")
    assert schema.required == ("StackName",)
    assert "StackName" in schema.create_only and "Outputs" in schema.read_only


def test_a_stack_is_created_with_its_name_and_capabilities(emulator: Emulator) -> None:
    db = connect(emulator)
    with pytest.raises(apsw.ConstraintError, match=r"requires StackName .*give stack_name a value"):
        db.execute(
            "INSERT INTO cloudformation_stacks (template_url, region) "
            "VALUES ('https://s3.amazonaws.com/b/t.json', 'us-east-1')"
        )
    db.execute(
        "INSERT INTO aws.cloudformation.stacks (StackName, Capabilities, TemplateURL, region) "
        "VALUES ('orders', '[\"CAPABILITY_IAM\"]', 'https://s3.amazonaws.com/b/t.json', 'us-east-1')"
    )
    assert db.execute(
        "SELECT stack_name, capabilities FROM cloudformation_stacks WHERE region = 'us-east-1'"
    ).fetchall() == [("orders", '["CAPABILITY_IAM"]')]
