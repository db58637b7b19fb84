"""What write messages say of a row: a create is named by what tells it apart (its unique key, its
identifier parts, its required properties, else its first columns, else only its row number), and a bad
identifier part gets the fix that fits it (take a parent's id from the parent's table, or choose another
value of the type's own)."""

from __future__ import annotations

from typing import Any

import apsw
import pytest

from tests.test_writes_helpers import connect, error_of, write_calls
from vtab.catalog import load_catalog
from vtab.emulator import Emulator
from vtab.write.operation import SHOWN_VALUE_CHARS, row_text

CATALOG = load_catalog()
REGION = "us-east-1"


# -- how a create is named (pure: the catalog's schemas, no endpoint) -----------------------------------


def test_a_row_is_named_by_its_unique_key_when_it_gives_it() -> None:
    schema = CATALOG.schema("AWS::Logs::LogGroup")  # LogGroupName is its (optional) identifier and key
    assert row_text(schema, {"LogGroupName": "app", "RetentionInDays": 7}) == "log_group_name='app'"
    responses = CATALOG.schema("AWS::ApiGatewayV2::IntegrationResponse")
    desired = {
        "ApiId": "a",
        "IntegrationId": "b",
        "IntegrationResponseKey": "$default",
        "ResponseTemplates": {},
    }
    assert (
        row_text(responses, desired) == "api_id='a', integration_id='b', integration_response_key='$default'"
    )


def test_a_row_without_a_key_is_named_by_its_identifier_parts_then_its_required_properties() -> None:
    # Logs LogStream: no unique key; both identifier parts given
    streams = CATALOG.schema("AWS::Logs::LogStream")
    assert row_text(streams, {"LogGroupName": "g", "LogStreamName": "s"}) == (
        "log_group_name='g', log_stream_name='s'"
    )
    # LogStreamName left to AWS: the part given, then the required properties not shown yet
    assert row_text(streams, {"LogGroupName": "g"}) == "log_group_name='g'"
    # DataZone Project: its identifier DomainId|Id is generated, so its required properties name it (the
    # registry lists DomainIdentifier as write-only: masked, as every write-only value is)
    project = CATALOG.schema("AWS::DataZone::Project")
    desired = {"DomainIdentifier": "d-1", "Name": "p", "Description": "x"}
    assert row_text(project, desired) == "domain_identifier=(sensitive value), name='p'"


def test_a_row_with_nothing_identifying_is_named_by_its_first_columns_cut_short() -> None:
    schema = CATALOG.schema("AWS::Logs::LogGroup")  # no required property; the name is left to AWS
    desired = {
        "DataProtectionPolicy": {"Name": "p" * 80},
        "KmsKeyId": "k" * 100,
        "LogGroupClass": "STANDARD",
        "RetentionInDays": 7,
    }
    text = row_text(schema, desired)
    policy = '{"Name":"' + "p" * (SHOWN_VALUE_CHARS - len('{"Name":"'))
    assert text == (
        f"data_protection_policy='{policy}…', kms_key_id='{'k' * SHOWN_VALUE_CHARS}…', "
        "log_group_class='STANDARD', ..."
    )
    assert row_text(schema, {"RetentionInDays": 7}) == "retention_in_days=7"
    assert row_text(schema, {}) == ""


# -- the same, end to end: the failure message of a create -------------------------------------------


@pytest.mark.parametrize(
    ("columns", "shown"),
    [
        (
            {"log_group_name": "app", "retention_in_days": 7},
            "CREATE row 1 (log_group_name='app') in us-east-1",
        ),
        ({"retention_in_days": 7}, "CREATE row 1 (retention_in_days=7) in us-east-1"),
        ({}, "CREATE row 1 in us-east-1"),
    ],
)
def test_a_failed_create_names_its_row_by_what_it_gave(
    emulator: Emulator, columns: dict[str, Any], shown: str
) -> None:
    db = connect(emulator)
    emulator.fail_next_write("ServiceLimitExceeded", "Too many log groups")
    names = ", ".join(["region", *columns])
    marks = ", ".join("?" for _ in range(len(columns) + 1))
    error = error_of(
        db, f"INSERT INTO logs_log_groups ({names}) VALUES ({marks})", (REGION, *columns.values())
    )
    assert f"\n  FAILED {shown}: ServiceLimitExceeded: Too many log groups" in str(error)
    assert "()" not in str(error)


# -- the fix for a bad identifier part -------------------------------------------------------------------


def _refused(emulator: Emulator, sql: str, bindings: tuple[Any, ...]) -> str:
    db = connect(emulator)
    error = error_of(db, sql, bindings)
    assert isinstance(error, apsw.ConstraintError)
    assert write_calls(emulator) == []  # refused before anything was sent
    return str(error)


def test_a_parents_id_part_is_taken_from_the_parents_table(emulator: Emulator) -> None:
    text = _refused(
        emulator,
        "INSERT INTO logs_log_streams (region, log_group_name, log_stream_name) VALUES (?, ?, ?)",
        (REGION, "a|b", "s"),
    )
    assert text.startswith(
        "log_group_name = 'a|b': holds '|', but LogGroupName is part of the identifier "
        "'<LogGroupName>|<LogStreamName>', and '|' joins identifier parts; use the LogGroupName AWS gave "
        "the AWS::Logs::LogGroup (SELECT log_group_name FROM logs_log_groups) "
    )
    text = _refused(
        emulator,
        "INSERT INTO integration_responses (region, api_id, integration_id, integration_response_key) "
        "VALUES (?, ?, ?, ?)",
        (REGION, "", "i", "$default"),  # '' is empty; ' ' would be a name
    )
    assert "api_id = '': is empty, but ApiId is part of the identifier" in text
    assert (
        "; use the ApiId AWS gave the AWS::ApiGatewayV2::Api (SELECT api_id FROM apigatewayv2_apis) " in text
    )


def test_the_types_own_id_part_is_chosen_again_not_selected(emulator: Emulator) -> None:
    insert = "INSERT INTO logs_log_streams (region, log_group_name, log_stream_name) VALUES (?, ?, ?)"
    text = _refused(emulator, insert, (REGION, "g", "a|b"))
    assert text.startswith("log_stream_name = 'a|b': holds '|', but LogStreamName is part of the identifier")
    assert "; choose a log_stream_name without '|' " in text and "SELECT" not in text
    # optional: AWS generates one when it is left out
    text = _refused(emulator, insert, (REGION, "g", ""))
    assert "log_stream_name = '': is empty" in text
    assert "; give log_stream_name a non-empty value, or leave it out (NULL) for AWS to generate one " in text
    # required (Athena WorkGroup's Name is its whole identifier): no NULL to suggest
    text = _refused(emulator, "INSERT INTO athena_work_groups (region, name) VALUES (?, ?)", (REGION, ""))
    assert text.startswith("name = '': is empty, but Name is the identifier; give name a non-empty value ")
    text = _refused(
        emulator, "INSERT INTO athena_work_groups (region, name) VALUES (?, ?)", (REGION, "w" * 3000)
    )
    assert "name = 'www" in text and "3,000 characters, longer than any identifier" in text
    assert "at most), and Name is the identifier" in text
    assert "; choose a shorter name " in text


def test_a_boolean_column_was_value_reads_as_sql_shows_it(emulator: Emulator) -> None:
    """The row reads fifo_queue 0, so the message says (was 0), not Python's (was False)."""
    db = connect(emulator)
    db.execute("INSERT INTO sqs_queues (queue_name, fifo_queue) VALUES ('jobs', 0)")
    emulator.clear_calls()
    error = error_of(
        db, "UPDATE sqs_queues SET fifo_queue = 1 WHERE region = 'us-east-1' AND queue_name = 'jobs'"
    )
    assert isinstance(error, apsw.ReadOnlyError)
    assert str(error).startswith(
        "fifo_queue = 1 (was 0): FifoQueue is create-only and cannot change; DELETE the row and INSERT"
    )
    assert write_calls(emulator) == []
