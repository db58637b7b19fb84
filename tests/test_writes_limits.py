"""The schema's limits (range, length, pattern, item count, and inside JSON columns each member's type,
enum and required members) are checked before sending: the error names the column, the member, the value
and the fix, and nothing reaches the endpoint (its recorder shows no write call). The emulator checks the
same rules, worded as CloudFormation's validator words them, when a client sends such a value anyway.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import apsw
import pytest
from botocore.exceptions import ClientError

from tests.test_writes_helpers import connect, error_of, write_calls
from vtab.emulator import Emulator

BAD_INSERTS = [
    pytest.param(
        "INSERT INTO sqs_queues (region, queue_name, delay_seconds) VALUES ('us-east-1', 'q', -5)",
        "delay_seconds = -5: DelaySeconds is less than 0; use 0 to 900 [sqs_queues row 1]",
        id="top-level minimum",
    ),
    pytest.param(
        "INSERT INTO iam_roles (role_name, assume_role_policy_document, max_session_duration) "
        "VALUES ('r', '{}', 10)",
        "max_session_duration = 10: MaxSessionDuration is less than 3,600; use 3,600 to 43,200 "
        "[iam_roles row 1]",
        id="top-level minimum of a global type",
    ),
    pytest.param(
        "INSERT INTO s3_buckets (region, bucket_name) VALUES ('us-east-1', 'Bad_Name')",
        "bucket_name = 'Bad_Name': BucketName does not match the pattern ^([a-z0-9][a-z0-9.-]*[a-z0-9])?$; "
        "use a value that matches it [s3_buckets row 1]",
        id="pattern",
    ),
    pytest.param(
        "INSERT INTO logs_log_groups (region, log_group_name) VALUES ('us-east-1', ?)",
        f"log_group_name = '{'g' * 200}…': LogGroupName is 513 characters, more than 512; use 1 to 512 "
        "characters [logs_log_groups row 1]",
        id="maxLength",
    ),
    pytest.param(
        """INSERT INTO sqs_queues (region, queue_name, tags) VALUES ('us-east-1', 'q', '[{"Key":"team"}]')""",
        """tags = '[{"Key":"team"}]': Tags/0/Value is required; add "Value" to Tags/0 [sqs_queues row 1]""",
        id="nested required",
    ),
    pytest.param(
        "INSERT INTO sqs_queues (region, queue_name, tags) "
        """VALUES ('us-east-1', 'q', '[{"Key":"team","Value":5}]')""",
        """tags = '[{"Key":"team","Value":5}]': Tags/0/Value 5 is a JSON number, not a string; """
        "write a string [sqs_queues row 1]",
        id="nested type",
    ),
    pytest.param(
        "INSERT INTO s3_buckets (region, bucket_name, versioning_configuration) "
        """VALUES ('us-east-1', 'my-bucket', '{"Status":"Maybe"}')""",
        """versioning_configuration = '{"Status":"Maybe"}': VersioningConfiguration/Status 'Maybe' is not """
        "one of the values it allows; use 'Enabled' or 'Suspended' [s3_buckets row 1]",
        id="nested enum",
    ),
    pytest.param(
        """INSERT INTO iam_instance_profiles (roles) VALUES ('["a","b"]')""",
        """roles = '["a","b"]': Roles has 2 items, more than 1; give 0 to 1 items """
        "[iam_instance_profiles row 1]",
        id="maxItems",
    ),
    pytest.param(
        "INSERT INTO dynamodb_tables (region, table_name, key_schema) "
        """VALUES ('us-east-1', 't', '[{"AttributeName":"id"')""",
        """key_schema = '[{"AttributeName":"id"': not valid JSON (unexpected end of data: line 1 column 23 """
        """(char 22)); write a JSON array or a JSON object as text, like '["value"]' or '{"key": "value"}' """
        "[dynamodb_tables row 1]",
        id="broken JSON in a column of several types",
    ),
]


@pytest.mark.parametrize(("sql", "message"), BAD_INSERTS)
def test_a_value_breaking_the_schemas_limits_is_refused_and_nothing_is_sent(
    emulator: Emulator, sql: str, message: str
) -> None:
    db = connect(emulator)
    bindings = ("g" * 513,) if "?" in sql else ()
    error = error_of(db, sql, bindings)
    assert isinstance(error, apsw.ConstraintError)
    assert str(error) == message
    assert write_calls(emulator) == []


def test_an_update_breaking_a_limit_is_refused_and_nothing_is_sent(emulator: Emulator) -> None:
    (queue,) = emulator.seed_type("AWS::SQS::Queue").identifiers
    emulator.clear_calls()
    db = connect(emulator)
    where = "WHERE region = 'us-east-1' AND data__Identifier = ?"
    error = error_of(db, f"UPDATE sqs_queues SET delay_seconds = -5 {where}", (queue,))
    assert isinstance(error, apsw.ConstraintError)
    assert str(error).startswith("delay_seconds = -5: DelaySeconds is less than 0; use 0 to 900 [sqs_queues")
    error = error_of(db, f"""UPDATE sqs_queues SET tags = '[{{"Key": "k"}}]' {where}""", (queue,))
    assert 'Tags/0/Value is required; add "Value" to Tags/0' in str(error)
    assert write_calls(emulator) == []
    db.execute(f"UPDATE sqs_queues SET delay_seconds = 900 {where}", (queue,))  # the limit itself is fine
    assert [call.operation for call in write_calls(emulator)][:1] == ["UpdateResource"]


def test_schema_checks_false_leaves_enums_and_limits_to_aws(emulator: Emulator) -> None:
    """For a value newer than vtab's catalog: the write is sent, and AWS's own answer (here the endpoint's
    validation) is the error, with its code and request token."""
    db = connect(emulator, schema_checks=False)
    error = error_of(
        db,
        "INSERT INTO logs_log_groups (region, log_group_name, retention_in_days) "
        "VALUES ('us-east-1', 'g', 2)",
    )
    assert [call.operation for call in write_calls(emulator)] == ["CreateResource"]
    assert "InvalidRequestException" in str(error)
    assert "#/RetentionInDays: 2 is not a valid enum value" in str(error)
    db.execute("CREATE VIRTUAL TABLE temp.checked USING sqs_queues(schema_checks=true)")
    refused = error_of(
        db, "INSERT INTO temp.checked (region, queue_name, delay_seconds) VALUES ('us-east-1', 'q', -5)"
    )
    assert str(refused).startswith("delay_seconds = -5: DelaySeconds is less than 0")
    assert [call.operation for call in write_calls(emulator)] == ["CreateResource"]


def test_values_within_the_limits_are_sent(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT INTO sqs_queues (region, queue_name, delay_seconds, tags) VALUES ('us-east-1', 'q', 0, ?)",
        ('[{"Key": "team", "Value": ""}]',),
    )
    assert [call.operation for call in write_calls(emulator)][:1] == ["CreateResource"]


QUEUE, BUCKET, PROFILE = "AWS::SQS::Queue", "AWS::S3::Bucket", "AWS::IAM::InstanceProfile"


@pytest.mark.parametrize(
    ("type_name", "desired", "message"),
    [
        (QUEUE, {"DelaySeconds": -5}, "#/DelaySeconds: -5 is not greater or equal to 0"),
        (QUEUE, {"DelaySeconds": 901}, "#/DelaySeconds: 901 is not less or equal to 900"),
        (QUEUE, {"Tags": [{"Key": "team"}]}, "#/Tags/0: required key [Value] not found"),
        (QUEUE, {"Tags": [{"Key": "", "Value": "v"}]}, "#/Tags/0/Key: expected minLength: 1, actual: 0"),
        (
            QUEUE,
            {"Tags": [{"Key": "k" * 129, "Value": "v"}]},
            "#/Tags/0/Key: expected maxLength: 128, actual: 129",
        ),
        (
            BUCKET,
            {"BucketName": "Bad_Name"},
            "#/BucketName: string [Bad_Name] does not match pattern ^([a-z0-9][a-z0-9.-]*[a-z0-9])?$",
        ),
        (
            BUCKET,
            {"VersioningConfiguration": {"Status": "Maybe"}},
            "#/VersioningConfiguration/Status: Maybe is not a valid enum value",
        ),
        (PROFILE, {"Roles": ["a", "b"]}, "#/Roles: expected maximum item count: 1, found: 2"),
    ],
)
def test_the_endpoint_refuses_what_aws_refuses_when_the_client_does_not_check(
    emulator: Emulator,
    cloudcontrol: Callable[..., Any],
    type_name: str,
    desired: dict[str, Any],
    message: str,
) -> None:
    """boto3 straight to the endpoint (no vtab checks): CreateResource is refused synchronously."""
    with pytest.raises(ClientError) as raised:
        cloudcontrol().create_resource(TypeName=type_name, DesiredState=json.dumps(desired))
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"
    assert raised.value.response["Error"]["Message"] == f"Model validation failed ({message})"


def test_the_endpoint_checks_a_patched_model_too(
    emulator: Emulator, cloudcontrol: Callable[..., Any]
) -> None:
    (queue,) = emulator.seed_type("AWS::SQS::Queue").identifiers
    patch = json.dumps([{"op": "add", "path": "/Tags", "value": [{"Value": "v"}]}])
    with pytest.raises(ClientError) as raised:
        cloudcontrol().update_resource(TypeName="AWS::SQS::Queue", Identifier=queue, PatchDocument=patch)
    assert "#/Tags/0: required key [Key] not found" in raised.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("sql", "operation"),
    [
        pytest.param(
            "INSERT INTO lambda_functions (region, function_name, role, runtime, handler, code) VALUES "
            """('us-east-1', 'f', 'arn:aws:iam::123456789012:role/r', 'python3.99', 'app.main', """
            """'{"ZipFile": "def main(event, context): pass"}')""",
            "CreateResource",
            id="a Lambda runtime newer than the catalog",
        ),
        pytest.param(
            "INSERT INTO lambda_layer_versions (region, content, compatible_runtimes) VALUES ('us-east-1', "
            """'{"S3Bucket": "my-bucket", "S3Key": "k"}', '["nodejs99.x"]')""",
            "CreateResource",
            id="a layer's runtime newer than the catalog",
        ),
    ],
)
def test_a_value_from_a_list_aws_grows_is_sent(emulator: Emulator, sql: str, operation: str) -> None:
    """cfn-lint adds enums from the service's API model (Lambda's runtimes); the registry has none, and
    Lambda adds runtimes after the catalog is generated: such a value must reach AWS, not be refused."""
    db = connect(emulator)
    db.execute(sql)
    assert [call.operation for call in write_calls(emulator)][:1] == [operation]


def test_open_enums_drops_the_enum_at_each_path_and_keeps_the_other_rules() -> None:
    from vtab.catalog.facts import open_enums

    properties: dict[str, dict[str, Any]] = {
        "Runtime": {"type": "string", "enum": ["python3.12"], "check": {"maxLength": 20}},
        "Runtimes": {"type": "array", "check": {"maxItems": 2, "items": {"enum": ["a"], "maxLength": 9}}},
        "Config": {"check": {"properties": {"Region": {"enum": ["us-east-1"]}, "Type": {"enum": ["T"]}}}},
    }
    open_enums(properties, ("Runtime", "Runtimes/*", "Config/Region", "Missing/Member"))
    assert properties == {
        "Runtime": {"type": "string", "check": {"maxLength": 20}},
        "Runtimes": {"type": "array", "check": {"maxItems": 2, "items": {"maxLength": 9}}},
        "Config": {"check": {"properties": {"Region": {}, "Type": {"enum": ["T"]}}}},
    }
