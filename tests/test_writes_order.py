"""One transaction's writes go in dependency order, as CloudFormation and Terraform send them, whichever
table SQLite syncs first: a parent's CREATE before its children's, the children's DELETEs before their
parent's. A parent that fails fails its children without sending them."""

from __future__ import annotations

import apsw

from tests.readhelpers import API, INTEGRATION, IR, connect, rows
from tests.test_writes_helpers import error_of
from vtab.emulator import Emulator

GROUP = "AWS::Logs::LogGroup"
STREAM = "AWS::Logs::LogStream"
INSERT_STREAM = (
    "INSERT INTO logs_log_streams (log_group_name, log_stream_name, region) VALUES ('app', ?, 'us-east-1')"
)
INSERT_GROUP = "INSERT INTO logs_log_groups (log_group_name, region) VALUES ('app', 'us-east-1')"
STREAMS = "SELECT log_stream_name FROM logs_log_streams WHERE region = 'us-east-1' AND log_group_name = 'app'"


def creates(emulator: Emulator) -> list[str]:
    """The types of the CreateResource calls the endpoint answered, in order."""
    return [str(call.type_name) for call in emulator.calls if call.operation == "CreateResource"]


def test_children_inserted_before_their_parent_are_created_after_it(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(INSERT_STREAM, ("web-1",))
    db.execute(INSERT_STREAM, ("web-2",))
    db.execute(INSERT_GROUP)

    db.execute("COMMIT")

    assert creates(emulator) == [GROUP, STREAM, STREAM]
    assert sorted(rows(db, STREAMS)) == [("web-1",), ("web-2",)]


def test_a_parent_that_fails_fails_its_children_without_sending_them(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(INSERT_STREAM, ("web-1",))
    db.execute(INSERT_GROUP)
    emulator.fail_next_write("InvalidRequest", "no such KMS key")

    error = error_of(db, "COMMIT")

    assert creates(emulator) == [GROUP]  # the stream was never sent
    assert str(error) == (
        "InvalidRequest: 1 of 1 write to logs_log_groups failed; none applied:\n"
        "  FAILED CREATE row 1 (log_group_name='app') in us-east-1: InvalidRequest: no such KMS key "
        f"(RequestToken {emulator.calls[-1].request_token})\n"
        "Local changes of this transaction were rolled back by SQLite.\n"
        "Not sent: 1 write(s) to logs_log_streams, which follow those:\n"
        "  NOT_SENT CREATE row 1 (log_group_name='app', log_stream_name='web-1') in us-east-1: waits for "
        "logs_log_groups CREATE row 1 (log_group_name='app') in us-east-1"
    )
    assert not db.in_transaction


def test_a_parent_that_fails_busy_leaves_its_children_queued_for_commit_again(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute(INSERT_STREAM, ("web-1",))
    db.execute(INSERT_GROUP)
    emulator.fail_next_write("ServiceLimitExceeded", "too many log groups")

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError and db.in_transaction
    assert "NOT_SENT CREATE row 1 (log_group_name='app', log_stream_name='web-1')" in str(error)
    db.execute("COMMIT")
    assert creates(emulator) == [GROUP, GROUP, STREAM]
    assert rows(db, STREAMS) == [("web-1",)]


def test_a_parent_deleted_before_its_children_is_deleted_after_them(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(INSERT_GROUP)
    db.execute(INSERT_STREAM, ("web-1",))
    emulator.clear_calls()
    db.execute("BEGIN")
    db.execute("DELETE FROM logs_log_groups WHERE region = 'us-east-1' AND log_group_name = 'app'")
    db.execute("DELETE FROM logs_log_streams WHERE region = 'us-east-1' AND log_group_name = 'app'")

    db.execute("COMMIT")  # AWS deletes a group's streams with it: the stream's DELETE would be NotFound

    deletes = [call.type_name for call in emulator.calls if call.operation == "DeleteResource"]
    assert deletes == [STREAM, GROUP]
    assert rows(db, "SELECT * FROM logs_log_groups WHERE region = 'us-east-1'") == []


def test_an_api_deleted_first_is_deleted_after_its_integrations_and_their_responses(
    emulator: Emulator,
) -> None:
    """Three levels: the order follows the walk (apis -> integrations -> integration responses)."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2, http_apis=0)
    api_id, _ = seeded.integrations[0]
    db = connect(emulator)
    db.execute("BEGIN")
    db.execute("DELETE FROM apigatewayv2_apis WHERE region = 'us-east-1' AND api_id = ?", (api_id,))
    db.execute("DELETE FROM apigatewayv2_integrations WHERE region = 'us-east-1' AND api_id = ?", (api_id,))
    db.execute("DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = ?", (api_id,))

    db.execute("COMMIT")

    deletes = [call.type_name for call in emulator.calls if call.operation == "DeleteResource"]
    assert deletes == [IR, IR, INTEGRATION, API]
    assert rows(db, "SELECT * FROM apigatewayv2_apis WHERE region = 'us-east-1'") == []
