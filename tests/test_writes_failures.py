"""Writes that fail remotely: FAILED progress events, refused requests, throttling, timeouts, RetryAfter."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import apsw
import pytest

from tests.faultproxy import Fault, FaultProxy
from tests.test_writes_helpers import IR, connect, connect_with_registry, error_of, sent_writes
from vtab.catalog.facts import Verb
from vtab.catalog.store import load_catalog
from vtab.emulator import Emulator
from vtab.write.children import child_tables, in_use_hint
from vtab.write.operation import Operation
from vtab.write.schedule import FIRST_BACKOFF
from vtab.write.send import Sender

INSERT_ONE = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "VALUES (?, ?, ?, 'us-east-1')"
)


def test_duplicate_key_is_a_constraint_error_with_the_request_token(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)

    error = error_of(db, INSERT_ONE, (api_id, integration_id, "$default"))

    (create,) = sent_writes(emulator, "CreateResource")
    assert type(error) is apsw.ConstraintError
    assert str(error) == (
        "AlreadyExists: 1 of 1 write to integration_responses failed; none applied:\n"
        f"  FAILED CREATE row 1 (api_id='{api_id}', integration_id='{integration_id}', "
        "integration_response_key='$default') in us-east-1: AlreadyExists: Resource of type "
        f"'{IR}' with identifier 'IntegrationResponseKey=$default' already exists on integration "
        f"{integration_id} (existing IntegrationResponseId {seeded.responses[0].split('|')[2]}). "
        f"(RequestToken {create.request_token})"
    )
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 1
    assert list(
        db.execute(
            "SELECT status, error_code, request_token FROM vtab_calls WHERE operation = 'CreateResource'"
        )
    ) == [("FAILED", "AlreadyExists", create.request_token)]


def test_insert_under_a_deleted_parent_is_not_found_with_the_request_token(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    emulator.backend("us-east-1").delete_integration(api_id=api_id, integration_id=integration_id)

    error = error_of(db, INSERT_ONE, (api_id, integration_id, "$default"))

    (create,) = sent_writes(emulator, "CreateResource")
    assert type(error) is apsw.NotFoundError
    assert str(error).startswith("NotFound: 1 of 1 write to integration_responses failed; none applied:\n")
    assert f"Invalid Integration identifier specified 123456789012:{integration_id}" in str(error)
    assert str(error).endswith(f"(RequestToken {create.request_token})")


def test_one_failed_row_is_listed_with_the_rows_that_were_applied(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)

    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, '200', 'us-east-1'), (?1, ?2, '$default', 'us-east-1'), "
        "(?1, ?2, '500', 'us-east-1')",
        (api_id, integration_id),
    )

    assert type(error) is apsw.ConstraintError
    lines = str(error).splitlines()
    assert lines[0] == (
        "AlreadyExists: 1 of 3 writes to integration_responses failed; 2 applied (remote changes are not "
        "rolled back):"
    )
    creates = {c.desired_state["IntegrationResponseKey"]: c for c in sent_writes(emulator, "CreateResource")}  # type: ignore[index]
    models = {
        m["IntegrationResponseKey"]: m
        for m in emulator.integration_responses("us-east-1", api_id, integration_id)
    }
    assert sorted(models) == ["$default", "200", "500"]
    key = f"(api_id='{api_id}', integration_id='{integration_id}', integration_response_key="
    assert lines[1].startswith(f"  FAILED CREATE row 2 {key}'$default') in us-east-1: AlreadyExists: ")
    assert lines[1].endswith(f"(RequestToken {creates['$default'].request_token})")
    for line, row, response_key in ((lines[2], 1, "200"), (lines[3], 3, "500")):
        identifier = f"{api_id}|{integration_id}|{models[response_key]['IntegrationResponseId']}"
        assert line == (
            f"  applied: CREATE row {row} {key}'{response_key}') in us-east-1 -> {identifier} "
            f"(RequestToken {creates[response_key].request_token})"
        )
    assert len(lines) == 4


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("AlreadyExists", apsw.ConstraintError),
        ("ResourceConflict", apsw.ConstraintError),
        ("NotUpdatable", apsw.ReadOnlyError),
        ("AccessDenied", apsw.PermissionsError),
        ("Throttling", apsw.BusyError),
        ("InvalidRequest", apsw.SQLError),
        ("NotFound", apsw.NotFoundError),
        ("GeneralServiceException", apsw.SQLError),
    ],
)
def test_failed_progress_events_map_to_apsw_exceptions(
    emulator: Emulator, code: str, kind: type[apsw.Error]
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    db = connect(emulator)
    emulator.fail_next_write(code, f"injected {code}")

    error = error_of(
        db,
        "UPDATE integration_responses SET content_handling_strategy = 'CONVERT_TO_BINARY' "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (identifier,),
    )

    (update,) = sent_writes(emulator, "UpdateResource")
    assert type(error) is kind
    hint = (
        f" (update {IR} needs IAM permissions: apigateway:PATCH, apigateway:PUT, apigateway:GET)"
        if code == "AccessDenied"
        else ""
    )
    assert str(error) == (
        f"{code}: 1 of 1 write to integration_responses failed; none applied:\n"
        f"  FAILED UPDATE {identifier} in us-east-1: {code}: injected {code}{hint} "
        f"(RequestToken {update.request_token})"
    )


def test_a_refused_request_names_the_iam_permissions(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    emulator.deny_next(1)

    error = error_of(db, INSERT_ONE, (api_id, integration_id, "k"))

    assert type(error) is apsw.PermissionsError
    text = str(error)
    assert text.startswith(
        "AccessDeniedException: 1 of 1 write to integration_responses failed; none applied:"
    )
    assert "REFUSED CREATE row 1" in text
    assert f"(create {IR} needs IAM permissions: cloudformation:CreateResource, apigateway:POST)" in text
    assert text.endswith("(no RequestToken: not accepted)")
    assert emulator.integration_responses("us-east-1", api_id, integration_id) == []


def test_throttled_writes_are_retried_with_the_same_client_token(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    db.execute("CREATE TABLE keys(k TEXT)")
    db.executemany("INSERT INTO keys VALUES (?)", [(k,) for k in ("a", "b", "c", "d")])
    emulator.throttle_next(3)

    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "SELECT ?, ?, k, 'us-east-1' FROM keys",
        (api_id, integration_id),
    )

    creates = [c for c in emulator.calls if c.operation == "CreateResource"]
    throttled = [c for c in creates if c.error_code == "ThrottlingException"]
    assert len(throttled) == 3
    by_token: dict[str | None, list[Any]] = {}
    for call in creates:
        by_token.setdefault(call.client_token, []).append(call)
    assert len(by_token) == 4  # one ClientToken per row, kept across its retries
    for calls in by_token.values():
        accepted = [c for c in calls if c.error_code is None]
        assert len(accepted) == 1
        assert {c.desired_state["IntegrationResponseKey"] for c in calls} == {
            accepted[0].desired_state["IntegrationResponseKey"]
        }  # type: ignore[index]
    keys = sorted(
        m["IntegrationResponseKey"]
        for m in emulator.integration_responses("us-east-1", api_id, integration_id)
    )
    assert keys == ["a", "b", "c", "d"]  # no duplicates, none lost


def test_sending_the_same_operation_again_cannot_create_a_duplicate(emulator: Emulator) -> None:
    """A retry of an operation (same ClientToken) is answered with the original request, not a new one."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db, registry = connect_with_registry(emulator)
    db.execute(
        "SELECT 1 FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = 'a|b|c'"
    )
    (table,) = registry.tables
    op = Operation(
        Verb.CREATE,
        "us-east-1",
        1,
        0,
        desired={"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "once"},
    )
    context = table.context
    sender = Sender(context.cloud, table.schema, context.pool, context.poll_pool, concurrency=4, timeout=10)
    first = sender.run([op])
    again = sender.run([op])
    assert [o.status for o in first + again] == ["SUCCESS", "SUCCESS"]
    assert first[0].request_token == again[0].request_token
    assert first[0].identifier == again[0].identifier
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 1
    assert {c.client_token for c in emulator.calls if c.operation == "CreateResource"} == {op.client_token}


def test_write_timeout_is_a_busy_error_naming_the_request_token(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    emulator.configure(polls_before_complete=1_000_000, retry_after=0.05)
    db = connect(emulator, write_timeout=0.3)

    error = error_of(db, INSERT_ONE, (api_id, integration_id, "slow"))

    (create,) = sent_writes(emulator, "CreateResource")
    assert type(error) is apsw.BusyError
    assert str(error).startswith("Timeout: 1 of 1 write to integration_responses failed; none applied:\n")
    assert "TIMEOUT CREATE row 1" in str(error)
    assert "still IN_PROGRESS after write_timeout=0.3s; it may still complete" in str(error)
    assert str(error).endswith(f"(RequestToken {create.request_token})")
    polls = sent_writes(emulator, "GetResourceRequestStatus")
    assert polls and polls[0].at - create.at >= 0.04  # the first poll waited for RetryAfter
    # How many polls fit before write_timeout depends on the machine's load, so it is not asserted;
    # every one of them saw the write still running.
    assert {p.operation_status for p in polls} == {"IN_PROGRESS"}


def test_polls_honour_retry_after_and_never_sooner_than_a_growing_backoff(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    emulator.configure(polls_before_complete=2, retry_after=0.25)
    db = connect(emulator)

    db.execute(INSERT_ONE, (api_id, integration_id, "k"))

    (create,) = sent_writes(emulator, "CreateResource")
    first, second = sent_writes(emulator, "GetResourceRequestStatus")
    # Every answer says "ask again in 0.25 s": each poll waits for its own RetryAfter.
    assert first.at - create.at >= 0.24
    assert second.at - first.finished_at >= 0.24
    assert second.operation_status == "SUCCESS"

    # A RetryAfter that has already passed (retry_after=0) is not polled at once: the backoff floor
    # (FIRST_BACKOFF, doubling with each poll) still spaces the polls.
    emulator.configure(retry_after=0.0)
    emulator.clear_calls()
    db.execute(INSERT_ONE, (api_id, integration_id, "k2"))
    (create,) = sent_writes(emulator, "CreateResource")
    first, second = sent_writes(emulator, "GetResourceRequestStatus")
    # (The floor counts from each call's sending, which the endpoint sees as its arrival, `at`.)
    assert first.at - create.at >= FIRST_BACKOFF * 0.9
    assert second.at - first.at >= 2 * FIRST_BACKOFF * 0.9


def test_a_retry_after_in_the_past_does_not_make_polling_spin(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    emulator.configure(polls_before_complete=1_000_000, retry_after=0.0)
    db = connect(emulator, write_timeout=1)

    error = error_of(
        db,
        "UPDATE integration_responses SET template_selection_expression = 'x' WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (seeded.responses[0],),
    )

    assert type(error) is apsw.BusyError
    (update,) = sent_writes(emulator, "UpdateResource")
    polls = sent_writes(emulator, "GetResourceRequestStatus")
    # 50 ms doubling within a 1 s write_timeout: polls at about 0.05, 0.15, 0.35, 0.75 and the deadline,
    # never more (on a loaded machine fewer fit, so only the bound that shows "no spinning" is asserted).
    assert 1 <= len(polls) <= 6
    gaps = [b.at - a.at for a, b in zip([update, *polls], polls, strict=False)]
    assert all(gap >= FIRST_BACKOFF * 0.9 for gap in gaps)


def test_a_statement_with_mixed_failures_raises_the_first_failed_rows_class(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=1)
    (api_id, first), (_, second) = seeded.integrations
    db = connect(emulator)
    emulator.backend("us-east-1").delete_integration(api_id=api_id, integration_id=second)
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, '$default', 'us-east-1'), (?1, ?3, 'x', 'us-east-1')",
        (api_id, first, second),
    )
    assert type(error) is apsw.ConstraintError
    assert re.match(
        r"AlreadyExists: 2 of 2 writes to integration_responses failed; none applied:\n", str(error)
    )
    assert "\n  FAILED CREATE row 2 " in str(error) and ": NotFound: " in str(error)


def test_a_concurrent_operation_on_the_resource_is_a_busy_error(
    emulator: Emulator, cloudcontrol: Any
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    emulator.configure(polls_before_complete=5)
    patch = '[{"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_TEXT"}]'
    cloudcontrol().update_resource(TypeName=IR, Identifier=identifier, PatchDocument=patch)  # in flight
    db = connect(emulator)

    error = error_of(
        db,
        "UPDATE integration_responses SET integration_response_key = 'other' WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (identifier,),
    )

    assert type(error) is apsw.BusyError
    assert str(error).startswith(
        "ConcurrentOperationException: 1 of 1 write to integration_responses failed; none applied:\n"
        f"  REFUSED UPDATE {identifier} in us-east-1: ConcurrentOperationException: Another resource "
        "operation is currently being performed on this resource"
    )
    assert str(error).endswith("(no RequestToken: not accepted)")


@pytest.fixture
def dropping_proxy(emulator: Emulator) -> Iterator[FaultProxy]:
    """Every CreateResource reaches the endpoint, which acts; the answer is lost (a reset)."""
    with FaultProxy(emulator.endpoint_url) as proxy:
        yield proxy.inject(Fault.RESET_AFTER, "CreateResource", times=100)


def test_a_start_call_lost_in_transport_may_have_been_accepted(
    emulator: Emulator, cloudcontrol: Any, dropping_proxy: FaultProxy
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, endpoint_url=dropping_proxy.url, max_attempts=2)

    error = error_of(db, INSERT_ONE, (api_id, integration_id, "lost answer"))

    text = str(error)
    assert type(error) is apsw.BusyError
    assert "LOST CREATE row 1" in text and "NetworkFailure: CreateResource" in text
    assert text.endswith(
        "(no RequestToken: the request may or may not have been accepted (check vtab_calls / "
        "ListResourceRequests))"
    )
    assert "not accepted)" not in text
    # It was accepted: ListResourceRequests shows it (once: the retry carried the same ClientToken).
    creates = sent_writes(emulator, "CreateResource")
    assert len(creates) == 2 and len({c.request_token for c in creates}) == 1
    (request,) = cloudcontrol().list_resource_requests()["ResourceRequestStatusSummaries"]
    assert (request["Operation"], request["RequestToken"]) == ("CREATE", creates[0].request_token)


def test_a_parent_delete_refused_for_its_children_names_the_child_tables_to_delete_first(
    emulator: Emulator,
) -> None:
    """EKS refuses to delete a cluster with node groups (ResourceConflict): the error keeps AWS's code,
    message and RequestToken and says which tables hold the children, with the DELETE that empties them."""
    emulator.seed_type("AWS::EKS::Nodegroup", "us-east-1", count=1, parents=1)
    db = connect(emulator)
    ((cluster,),) = db.execute("SELECT name FROM eks_clusters WHERE region = 'us-east-1'").fetchall()
    emulator.clear_calls()

    error = error_of(db, "DELETE FROM eks_clusters WHERE region = 'us-east-1' AND name = ?", (cluster,))

    assert type(error) is apsw.ConstraintError
    (delete,) = [c for c in emulator.calls if c.operation == "DeleteResource"]
    message = str(error)
    assert (
        f"FAILED DELETE {cluster} in us-east-1: ResourceConflict: Cluster has nodegroups attached" in message
    )
    assert f"(RequestToken {delete.request_token})" in message
    assert "\n    AWS::EKS::Cluster is the parent of the rows of eks_access_entries, eks_addons, " in message
    assert "eks_fargate_profiles, eks_identity_provider_configs, eks_nodegroups, " in message
    # The example is the table AWS's message speaks of ("nodegroups").
    assert (
        f"delete its children first, e.g. DELETE FROM eks_nodegroups WHERE region = 'us-east-1' AND "
        f"cluster_name = '{cluster}', then the parent" in message
    )
    # Nothing else was sent, and the cluster is still there.
    starts = ("CreateResource", "UpdateResource", "DeleteResource")
    assert [c.operation for c in emulator.calls if c.operation in starts] == ["DeleteResource"]
    assert emulator.resource("us-east-1", "AWS::EKS::Cluster", cluster) is not None


def test_in_use_hint_names_child_tables_and_needs_the_parents_value_for_an_example() -> None:
    catalog = load_catalog()
    cluster = catalog.schema("AWS::EKS::Cluster")
    assert ("eks_nodegroups", "cluster_name", "Name") in child_tables("AWS::EKS::Cluster")
    assert in_use_hint(catalog.schema("AWS::Logs::LogStream"), "us-east-1", {}, "in use") == ""
    # AWS's message names no table: the first one is the example; no value known: no example.
    assert "e.g. DELETE FROM eks_access_entries WHERE region = 'eu-west-1' AND cluster_name = 'c'" in (
        in_use_hint(cluster, "eu-west-1", {"Name": "c"}, "Resource in use")
    )
    assert in_use_hint(cluster, "eu-west-1", None, "Resource in use").endswith(
        "eks_pod_identity_associations; delete its children first, then the parent"
    )
