"""A decision to drop rows asks AWS afresh: a parent's NotFound remembered by the cache (cache_ttl) never
makes a failed child listing read as "the parent is gone", since the parent may exist by now."""

from __future__ import annotations

import json
from typing import Any

import apsw

from tests.readhelpers import connect, rows
from tests.test_writes_helpers import error_of
from vtab.emulator import Emulator

GROUP = "AWS::Logs::LogGroup"
STREAM = "AWS::Logs::LogStream"
STREAMS_OF = (
    "SELECT log_stream_name FROM logs_log_streams WHERE region = 'us-east-1' AND log_group_name IN ({})"
)


def create(client: Any, type_name: str, desired: dict[str, Any]) -> None:
    token = client.create_resource(TypeName=type_name, DesiredState=json.dumps(desired))["ProgressEvent"][
        "RequestToken"
    ]
    while client.get_resource_request_status(RequestToken=token)["ProgressEvent"]["OperationStatus"] not in (
        "SUCCESS",
        "FAILED",
    ):
        pass


def test_a_remembered_not_found_of_a_parent_never_drops_its_children(
    emulator: Emulator, cloudcontrol: Any
) -> None:
    client = cloudcontrol()
    create(client, GROUP, {"LogGroupName": "old"})
    for name in ("a", "b", "c", "d"):
        create(client, STREAM, {"LogGroupName": "old", "LogStreamName": name})
    db = connect(emulator, cache_ttl=30)
    # Remembered for 30 s: the group 'new' does not exist, and the streams of 'old'.
    assert (
        rows(db, "SELECT * FROM logs_log_groups WHERE region = 'us-east-1' AND data__Identifier = 'new'")
        == []
    )
    assert len(rows(db, STREAMS_OF.format("'old'"))) == 4
    # Another client creates 'new' with one stream; then the listing of its streams fails once.
    create(client, GROUP, {"LogGroupName": "new"})
    create(client, STREAM, {"LogGroupName": "new", "LogStreamName": "e"})
    emulator.switches.fail_next_call("GeneralServiceException", "Internal failure, try again")

    error = error_of(db, STREAMS_OF.format("'old', 'new'"))

    # Not 4 of the 5 streams: asked afresh, 'new' exists, so its failed listing is an error.
    assert isinstance(error, apsw.Error)
    assert "GeneralServiceException" in str(error)
    gets = rows(
        db,
        "SELECT cache FROM vtab_calls WHERE operation = 'GetResource' AND identifier = 'new' ORDER BY seq",
    )
    assert gets == [("miss",), ("miss",)]  # the first SELECT's, then the decision's own
    assert sorted(name for (name,) in rows(db, STREAMS_OF.format("'old', 'new'"))) == [
        "a",
        "b",
        "c",
        "d",
        "e",
    ]
