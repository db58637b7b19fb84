"""Transport faults end to end: SQL through apsw, boto3 through the fault proxy, then the local endpoint.

Every fault ends in exact rows or a clear apsw error naming the call; nothing partial is cached (the next
healthy query returns every row); writes happen exactly once (the endpoint's resources are counted).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apsw
import boto3
import pytest

from tests.faultproxy import Fault, FaultProxy
from tests.readhelpers import connect, rows
from tests.test_writes_helpers import IR, error_of, sent_writes
from vtab.apply import MAX_LOST_POLLS
from vtab.emulator import Emulator

ATTEMPTS = 3
MALFORMED_200 = [Fault.TRUNCATED_BODY, Fault.EMPTY_200, Fault.HTML_200, Fault.TRUNCATED_JSON_200]
TRANSPORT = [
    Fault.RESET_BEFORE,
    Fault.RESET_AFTER,
    Fault.ERROR_500_EMPTY,
    Fault.ERROR_503_HTML,
    Fault.ERROR_500_TRUNCATED_JSON,
]
LISTING = (
    "SELECT data__Identifier FROM integration_responses "
    "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ? ORDER BY 1"
)
GET = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?"
INSERT_ONE = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "VALUES (?, ?, ?, 'us-east-1')"
)


@pytest.fixture
def paged() -> Iterator[Emulator]:
    """An endpoint with 5-item pages: 16 responses list in 4 pages."""
    with Emulator(page_size=5) as emu:
        yield emu


@pytest.fixture
def proxy(paged: Emulator) -> Iterator[FaultProxy]:
    with FaultProxy(paged.endpoint_url, stall_for=5) as fault_proxy:
        yield fault_proxy


def through(emulator: Emulator, proxy: FaultProxy, **options: Any) -> apsw.Connection:
    """A connection whose calls pass the proxy: 3 attempts per call, the cache on."""
    return connect(
        emulator, **{"endpoint_url": proxy.url, "max_attempts": ATTEMPTS, "cache_ttl": 30, **options}
    )


def seed16(emulator: Emulator) -> tuple[str, str, list[tuple[str]]]:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=16)
    api_id, integration_id = seeded.integrations[0]
    return api_id, integration_id, sorted((identifier,) for identifier in seeded.responses)


def responses(emulator: Emulator, api_id: str, integration_id: str) -> list[dict[str, Any]]:
    return emulator.integration_responses("us-east-1", api_id, integration_id)


# -- reads ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fault", MALFORMED_200 + TRANSPORT, ids=lambda f: f.name)
def test_a_faulty_list_page_is_retried_and_every_row_arrives(
    paged: Emulator, proxy: FaultProxy, fault: Fault
) -> None:
    api_id, integration_id, expected = seed16(paged)
    proxy.inject(fault, "ListResources", times=ATTEMPTS - 1, after=3)  # the last page, twice
    db = through(paged, proxy)

    assert rows(db, LISTING, (api_id, integration_id)) == expected
    assert proxy.injected[fault] == ATTEMPTS - 1
    assert rows(db, "SELECT pages, items, error_code FROM vtab_calls WHERE operation = 'ListResources'") == [
        (4, 16, None)
    ]


@pytest.mark.parametrize("fault", MALFORMED_200, ids=lambda f: f.name)
def test_a_list_page_that_never_arrives_whole_is_an_error_and_nothing_is_cached(
    paged: Emulator, proxy: FaultProxy, fault: Fault
) -> None:
    api_id, integration_id, expected = seed16(paged)
    proxy.inject(fault, "ListResources", times=ATTEMPTS, after=3)
    db = through(paged, proxy)

    error = error_of(db, LISTING, (api_id, integration_id))

    assert type(error) is apsw.IOError
    assert str(error).startswith(
        f"MalformedAnswer: ListResources {IR} in us-east-1 got no usable answer in {ATTEMPTS} attempts ("
    )
    assert str(error).endswith("the network or the endpoint failed: try again, or raise max_attempts")
    # The 15 rows of the first 3 pages were not kept: the next query lists again and gets all 16.
    assert rows(db, LISTING, (api_id, integration_id)) == expected
    assert rows(db, "SELECT cache, pages, items, error_code FROM vtab_calls") == [
        ("miss", 3, 15, "MalformedAnswer"),
        ("miss", 4, 16, None),
    ]


def test_a_list_page_missing_its_resource_descriptions_is_malformed(
    paged: Emulator, proxy: FaultProxy
) -> None:
    api_id, integration_id, _ = seed16(paged)
    db = through(paged, proxy)
    proxy.inject(Fault.EMPTY_JSON_200, "ListResources", times=ATTEMPTS)

    error = error_of(db, LISTING, (api_id, integration_id))

    assert type(error) is apsw.IOError
    assert "MalformedAnswer: ListResources" in str(
        error
    ) and "it has no ResourceDescriptions (a list)" in str(error)


def test_a_get_that_never_arrives_whole_is_an_error_naming_the_call(
    paged: Emulator, proxy: FaultProxy
) -> None:
    _, _, expected = seed16(paged)
    identifier = expected[0][0]
    db = through(paged, proxy)
    query = GET
    proxy.inject(Fault.EMPTY_200, "GetResource", times=ATTEMPTS)

    error = error_of(db, query, (identifier,))

    assert type(error) is apsw.IOError
    assert str(error).startswith(f"MalformedAnswer: GetResource {IR} in us-east-1 got no usable answer")
    assert rows(db, query, (identifier,)) == [(identifier,)]


def test_a_repeated_next_token_is_an_error_after_the_first_repeat(paged: Emulator, proxy: FaultProxy) -> None:
    api_id, integration_id, _ = seed16(paged)
    proxy.inject(Fault.REPEAT_TOKEN, "ListResources", times=50)
    db = through(paged, proxy)

    error = error_of(db, LISTING, (api_id, integration_id))

    assert type(error) is apsw.IOError
    assert str(error) == (
        f"RepeatedNextToken: ListResources {IR} in us-east-1 answered page 2 with the NextToken of page 1 "
        "again, so the listing would never end; the endpoint failed (no rows of this listing are kept): "
        "try again"
    )
    assert proxy.calls["ListResources"] == 2
    assert rows(db, "SELECT error_code FROM vtab_calls") == [("RepeatedNextToken",)]


@pytest.mark.parametrize("fault", [Fault.STALL, Fault.STALL_BODY], ids=lambda f: f.name)
def test_a_stalled_answer_ends_at_read_timeout_naming_the_option(
    paged: Emulator, proxy: FaultProxy, fault: Fault
) -> None:
    api_id, integration_id, expected = seed16(paged)
    proxy.inject(fault, "ListResources", times=2)
    db = through(paged, proxy, read_timeout=0.2, max_attempts=2)

    error = error_of(db, LISTING, (api_id, integration_id))

    assert type(error) is apsw.BusyError
    assert str(error).startswith(
        f"Timeout: ListResources {IR} in us-east-1 got no answer within read_timeout=0.2s (2 attempts): "
    )
    assert str(error).endswith("raise read_timeout (or max_attempts), or try again later")
    assert rows(db, LISTING, (api_id, integration_id)) == expected


# -- writes ---------------------------------------------------------------------------------------------

LOST = [Fault.RESET_BEFORE, Fault.RESET_AFTER, Fault.EMPTY_200, Fault.TRUNCATED_BODY, Fault.ERROR_503_HTML]


@pytest.mark.parametrize("fault", LOST, ids=lambda f: f.name)
def test_a_create_lost_in_transport_is_busy_and_commit_again_creates_it_once(
    paged: Emulator, proxy: FaultProxy, fault: Fault
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy)
    db.execute("BEGIN")
    db.execute(INSERT_ONE, (api_id, integration_id, "lost"))
    proxy.inject(fault, "CreateResource", times=ATTEMPTS)

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError
    text = str(error)
    code = {Fault.RESET_BEFORE: "NetworkFailure", Fault.RESET_AFTER: "NetworkFailure"}.get(
        fault, "HTTP 503" if fault is Fault.ERROR_503_HTML else "MalformedAnswer"
    )
    assert text.startswith(f"{code}: 1 of 1 write to integration_responses failed; none applied:\n")
    assert f"  LOST CREATE row 1 (api_id='{api_id}', integration_id='{integration_id}', " in text
    assert f"in us-east-1: {code}: " in text
    assert "(no RequestToken: the request may or may not have been accepted (check vtab_calls" in text
    assert "The transaction is still open: COMMIT again" in text
    assert db.in_transaction

    db.execute("COMMIT")

    (created,) = responses(paged, api_id, integration_id)
    assert created["IntegrationResponseKey"] == "lost"
    tokens = {call.client_token for call in paged.calls if call.operation == "CreateResource"}
    assert len(tokens) == 1


def test_a_stalled_create_is_busy_naming_read_timeout_and_commit_again_creates_it_once(
    paged: Emulator, proxy: FaultProxy
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy, read_timeout=0.2, max_attempts=2)
    db.execute("BEGIN")
    db.execute(INSERT_ONE, (api_id, integration_id, "stalled"))
    proxy.inject(Fault.STALL, "CreateResource", times=2)

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError
    assert str(error).startswith("Timeout: 1 of 1 write to integration_responses failed; none applied:\n")
    timeout = f"Timeout: CreateResource {IR} in us-east-1 got no answer within read_timeout=0.2s"
    assert f"in us-east-1: {timeout}" in str(error)
    db.execute("COMMIT")
    assert [r["IntegrationResponseKey"] for r in responses(paged, api_id, integration_id)] == ["stalled"]


@pytest.mark.parametrize("fault", [Fault.RESET_AFTER, Fault.HTML_200], ids=lambda f: f.name)
def test_an_update_and_a_delete_lost_in_transport_are_sent_again_by_commit(
    paged: Emulator, proxy: FaultProxy, fault: Fault
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    api_id, integration_id = seeded.integrations[0]
    updated, deleted = seeded.responses
    db = through(paged, proxy)
    db.execute("BEGIN")
    db.execute(
        "UPDATE integration_responses SET template_selection_expression = 'lost' "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (updated,),
    )
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?", (deleted,)
    )
    proxy.inject(fault, "UpdateResource", times=ATTEMPTS).inject(fault, "DeleteResource", times=ATTEMPTS)

    error = error_of(db, "COMMIT")

    assert type(error) is apsw.BusyError
    assert f"  LOST UPDATE {updated} in us-east-1: " in str(error)
    assert f"  LOST DELETE {deleted} in us-east-1: " in str(error)
    db.execute("COMMIT")
    (left,) = responses(paged, api_id, integration_id)
    assert left["IntegrationResponseId"] == updated.split("|")[2]
    assert left["TemplateSelectionExpression"] == "lost"
    for operation in ("UpdateResource", "DeleteResource"):
        assert len({call.client_token for call in paged.calls if call.operation == operation}) == 1
        assert len({call.request_token for call in sent_writes(paged, operation)}) == 1


def test_an_autocommit_insert_whose_answer_is_lost_is_busy_and_acts_once(
    paged: Emulator, proxy: FaultProxy
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy)
    proxy.inject(Fault.RESET_AFTER, "CreateResource", times=ATTEMPTS)

    error = error_of(db, INSERT_ONE, (api_id, integration_id, "acted"))

    assert type(error) is apsw.BusyError
    assert str(error).endswith(
        "(no RequestToken: the request may or may not have been accepted (check vtab_calls / "
        "ListResourceRequests))"
    )
    # Every attempt reached the endpoint with one ClientToken: one request, one resource.
    creates = sent_writes(paged, "CreateResource")
    assert len(creates) == ATTEMPTS and len({c.request_token for c in creates}) == 1
    assert rows(db, "SELECT status, error_code FROM vtab_calls WHERE operation = 'CreateResource'") == [
        (None, "NetworkFailure")
    ]
    # The request runs on remotely (the emulator applies it at its first poll, here straight through boto3).
    client = boto3.client("cloudcontrol", endpoint_url=paged.endpoint_url, region_name="us-east-1")
    event = client.get_resource_request_status(RequestToken=creates[0].request_token or "")["ProgressEvent"]
    assert event["OperationStatus"] == "SUCCESS"
    assert [r["IntegrationResponseKey"] for r in responses(paged, api_id, integration_id)] == ["acted"]


def test_a_status_poll_lost_in_transport_is_polled_again(paged: Emulator, proxy: FaultProxy) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy)
    proxy.inject(Fault.EMPTY_200, "GetResourceRequestStatus", times=ATTEMPTS)  # one whole poll, 3 attempts

    db.execute(INSERT_ONE, (api_id, integration_id, "polled"))

    assert [r["IntegrationResponseKey"] for r in responses(paged, api_id, integration_id)] == ["polled"]
    calls = "SELECT status, error_code, pages FROM vtab_calls WHERE operation = 'CreateResource'"
    assert rows(db, calls) == [("SUCCESS", None, 1)]


def test_a_status_that_cannot_be_read_is_unknown_busy_and_commit_again_polls_it(
    paged: Emulator, proxy: FaultProxy
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy)
    db.execute("BEGIN")
    db.execute(INSERT_ONE, (api_id, integration_id, "unknown"))
    proxy.inject(Fault.TRUNCATED_JSON_200, "GetResourceRequestStatus", times=ATTEMPTS * MAX_LOST_POLLS)

    error = error_of(db, "COMMIT")

    (create,) = sent_writes(paged, "CreateResource")
    assert type(error) is apsw.BusyError
    assert f"  UNKNOWN CREATE row 1 (api_id='{api_id}'" in str(error)
    poll = f"GetResourceRequestStatus of CreateResource {IR}"
    assert f"its status could not be read (MalformedAnswer: {poll} in us-east-1 got no usable" in str(error)
    assert f"(RequestToken {create.request_token})" in str(error)
    db.execute("COMMIT")  # polls the same request: nothing is sent again
    assert len(sent_writes(paged, "CreateResource")) == 1
    assert [r["IntegrationResponseKey"] for r in responses(paged, api_id, integration_id)] == ["unknown"]
