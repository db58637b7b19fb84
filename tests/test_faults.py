"""Transport faults end to end: SQL through apsw, boto3 through the fault proxy, then the local endpoint.

Every fault ends in exact rows or a clear apsw error naming the call; nothing partial is cached (the next
healthy query returns every row); writes happen exactly once (the endpoint's resources are counted).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import apsw
import boto3
import pytest

from tests.faultproxy import FORWARDED, Fault, FaultProxy
from tests.readhelpers import connect, rows
from tests.test_writes_helpers import IR, error_of, sent_writes
from vtab.emulator import Emulator
from vtab.write.send import MAX_LOST_POLLS

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
    assert str(error).endswith(
        "the network or the endpoint failed: try again, or raise max_attempts "
        f"(request id {proxy.last_request_id['ListResources']})"
    )
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
        f"try again (request id {proxy.last_request_id['ListResources']})"
    )
    assert proxy.calls["ListResources"] == 2
    assert rows(db, "SELECT error_code FROM vtab_calls") == [("RepeatedNextToken",)]


ANSWERED = [
    Fault.ERROR_500_EMPTY,
    Fault.ERROR_503_HTML,
    Fault.ERROR_500_TRUNCATED_JSON,
    *MALFORMED_200,
    Fault.EMPTY_JSON_200,
]
"""Faults whose every attempt got an answer, with an x-amzn-RequestId: the error names the last one."""


@pytest.mark.parametrize("fault", ANSWERED, ids=lambda f: f.name)
@pytest.mark.parametrize("operation", ["ListResources", "GetResource"])
def test_a_read_that_fails_after_retries_names_the_last_answers_request_id(
    paged: Emulator, proxy: FaultProxy, fault: Fault, operation: str
) -> None:
    api_id, integration_id, expected = seed16(paged)
    db = through(paged, proxy)
    proxy.inject(fault, operation, times=ATTEMPTS)
    if operation == "ListResources":
        error = error_of(db, LISTING, (api_id, integration_id))
    else:
        error = error_of(db, GET, (expected[0][0],))

    assert type(error) is apsw.IOError
    assert proxy.injected[fault] == ATTEMPTS
    last = proxy.last_request_id[operation]
    # One id, the last attempt's: the answer that ended the call, the one AWS support would look up.
    assert str(error).endswith(f" (request id {last})"), str(error)
    assert str(error).count("request id") == 1
    # A forwarded answer keeps the endpoint's id; each injected one has its own (the last attempt's here).
    assert last.startswith("faultproxy-") is (fault not in FORWARDED)


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
    if fault in (Fault.RESET_BEFORE, Fault.RESET_AFTER):
        assert "request id" not in text  # no answer came
    else:
        assert f"(request id {proxy.last_request_id['CreateResource']})" in text
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


# -- throttling -----------------------------------------------------------------------------------------

WALK = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' ORDER BY 1"


def test_a_progress_event_with_a_garbled_timestamp_is_lost_not_refused(
    paged: Emulator, proxy: FaultProxy
) -> None:
    # botocore would raise ValueError parsing it after its retry loop; the answer check makes it a
    # transport fault, so the accepted create is LOST (BusyError) and COMMIT again acts once.
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy, max_attempts=2)
    proxy.inject(Fault.BAD_TIMESTAMP_200, "CreateResource", times=2)
    db.execute("BEGIN")
    db.execute(INSERT_ONE, (api_id, integration_id, "k1"))
    error = error_of(db, "COMMIT")
    assert isinstance(error, apsw.BusyError)
    assert "LOST CREATE row 1" in str(error) and "RetryAfter that is not a timestamp" in str(error)
    assert db.in_transaction
    db.execute("COMMIT")
    assert [r["IntegrationResponseKey"] for r in responses(paged, api_id, integration_id)] == ["k1"]


def test_a_throttled_or_replace_listing_at_commit_keeps_every_write_queued(
    paged: Emulator, proxy: FaultProxy
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = through(paged, proxy, max_attempts=2)
    db.execute("BEGIN")
    db.execute(INSERT_ONE.replace("INSERT", "INSERT OR REPLACE"), (api_id, integration_id, "k1"))
    db.execute(INSERT_ONE, (api_id, integration_id, "k2"))
    proxy.inject(Fault.THROTTLE, "ListResources", times=2)
    assert isinstance(error_of(db, "COMMIT"), apsw.BusyError)
    assert db.in_transaction
    assert sent_writes(paged, "CreateResource") == []
    db.execute("COMMIT")  # the retried COMMIT sends both
    keys = sorted(r["IntegrationResponseKey"] for r in responses(paged, api_id, integration_id))
    assert keys == ["k1", "k2"]


def test_a_failed_or_replace_relisting_still_reports_the_applied_rows(
    paged: Emulator, proxy: FaultProxy
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    paged.configure(invisible_for=30)  # '$default' exists but stays out of listings: OR REPLACE relists
    connect(paged).execute(INSERT_ONE, (api_id, integration_id, "$default"))
    db = through(paged, proxy, max_attempts=2)
    proxy.inject(Fault.EMPTY_200, "ListResources", times=100, after=1)
    error = error_of(
        db,
        "INSERT OR REPLACE INTO integration_responses "
        "(api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, '$default', 'us-east-1'), (?1, ?2, 'k2', 'us-east-1')",
        (api_id, integration_id),
    )
    assert isinstance(error, apsw.IOError)
    text = str(error)
    assert "FAILED CREATE row 1" in text and "could not list" in text
    assert "applied: CREATE row 2" in text and "'k2'" in text


@pytest.mark.parametrize("rate", [0.3, 0.6])
def test_throttled_reads_give_the_same_rows_or_a_clear_busy_error(
    paged: Emulator, proxy: FaultProxy, rate: float
) -> None:
    seeded = paged.seed("us-east-1", websocket_apis=2, integrations=2, responses=3)
    expected = sorted((identifier,) for identifier in seeded.responses)
    db = through(paged, proxy, max_attempts=5, cache_ttl=0)
    proxy.throttle(rate, seed=7)

    try:
        assert rows(db, WALK) == expected
    except apsw.BusyError as error:
        assert str(error).startswith("ThrottlingException: Rate exceeded [ListResources AWS::ApiGatewayV2::")
        assert "retries were exhausted: lower rate_limit or max_workers, or try again later" in str(error)
    assert proxy.injected[Fault.THROTTLE] > 0
    proxy.throttle(0)
    assert rows(db, WALK) == expected


# -- stress (make stress) -------------------------------------------------------------------------------

SPRINKLED = [f for f in Fault if f is not Fault.THROTTLE]
ONE_KEY = "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ? AND integration_response_key = ?"
KEYED = (
    "SELECT integration_response_key, template_selection_expression FROM integration_responses "
    "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?"
)


class Campaign:
    """One connection's share of a stress run: writes in transactions, COMMIT retried while busy (the
    documented retry), reads compared with what it wrote. Counts what it had to retry."""

    def __init__(self, db: apsw.Connection, api_id: str, integration_id: str) -> None:
        self.db = db
        self.parent = (api_id, integration_id)
        self.expected: dict[str, str | None] = {}
        self.retried: dict[str, int] = {"statement": 0, "commit": 0}
        self.operations = 0

    def write(self, sql: str, bindings: tuple[Any, ...]) -> None:
        for _ in range(20):
            self.db.execute("BEGIN")
            try:
                self.db.execute(sql, bindings)
            except (apsw.BusyError, apsw.IOError):  # its read failed: nothing was queued
                if self.db.in_transaction:  # SQLite itself rolls back on some errors (IOERR, BUSY)
                    self.db.execute("ROLLBACK")
                self.retried["statement"] += 1
                continue
            for _ in range(20):
                try:
                    self.db.execute("COMMIT")
                except apsw.BusyError:
                    assert self.db.in_transaction
                    self.retried["commit"] += 1
                    continue
                self.operations += 1
                return
            raise AssertionError(f"COMMIT of {sql} still busy after 20 tries")
        raise AssertionError(f"{sql} still failing to read after 20 tries")

    def read(self) -> None:
        for _ in range(20):
            try:
                found = rows(self.db, KEYED, self.parent)
            except (apsw.BusyError, apsw.IOError):
                self.retried["statement"] += 1
                continue
            assert sorted(found) == sorted(self.expected.items(), key=lambda kv: kv[0])
            self.operations += 1
            return
        raise AssertionError("a read kept failing after 20 tries")

    def run(self, rounds: int) -> None:
        where = ONE_KEY
        for i in range(rounds):
            key = f"key-{i}"
            self.write(INSERT_ONE, (*self.parent, key))
            self.expected[key] = None
            if i % 3 == 1:
                self.write(
                    f"UPDATE integration_responses SET template_selection_expression = 'v{i}' {where}",
                    (*self.parent, f"key-{i - 1}"),
                )
                self.expected[f"key-{i - 1}"] = f"v{i}"
            if i % 3 == 2:
                self.write(f"DELETE FROM integration_responses {where}", (*self.parent, f"key-{i - 2}"))
                del self.expected[f"key-{i - 2}"]
            self.read()


def run_campaigns(
    emulator: Emulator, proxy: FaultProxy, connections: int, rounds: int
) -> tuple[list[Campaign], list[BaseException]]:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=connections // 2, responses=0)
    campaigns = [
        Campaign(through(emulator, proxy, max_attempts=5, read_timeout=1.0), *seeded.integrations[n])
        for n in range(connections)
    ]
    failures: list[BaseException] = []

    def work(campaign: Campaign) -> None:
        try:
            campaign.run(rounds)
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=work, args=(c,)) for c in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    return campaigns, failures


def assert_exactly_what_was_written(emulator: Emulator, campaigns: list[Campaign]) -> None:
    for campaign in campaigns:
        remote = emulator.integration_responses("us-east-1", *campaign.parent)
        found = sorted((r["IntegrationResponseKey"], r.get("TemplateSelectionExpression")) for r in remote)
        assert found == sorted(campaign.expected.items(), key=lambda kv: kv[0])


def report(
    capsys: pytest.CaptureFixture[str], name: str, proxy: FaultProxy, campaigns: list[Campaign]
) -> None:
    """One line of figures per stress run (docs/reliability.md quotes them)."""
    statements = sum(c.retried["statement"] for c in campaigns)
    commits = sum(c.retried["commit"] for c in campaigns)
    others = {f.name: n for f, n in proxy.injected.items() if f is not Fault.THROTTLE}
    with capsys.disabled():
        print(
            f"\n[{name}] {sum(c.operations for c in campaigns)} SQL operations, {sum(proxy.calls.values())} "
            f"calls, {sum(proxy.injected.values())} faults injected ({proxy.injected[Fault.THROTTLE]} "
            f"throttled answers, {others}"
            f"), {statements} statements and {commits} COMMITs retried after a clear error; resources lost "
            "or duplicated: 0"
        )


@pytest.mark.stress
def test_eight_connections_mixing_reads_and_writes_through_faults_lose_and_duplicate_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with Emulator(page_size=5) as emu, FaultProxy(emu.endpoint_url, lifetime=900, stall_for=3) as proxy:
        proxy.throttle(0.3, seed=11)
        for n, fault in enumerate(SPRINKLED):
            for operation in (
                "ListResources",
                "CreateResource",
                "UpdateResource",
                "DeleteResource",
                "GetResourceRequestStatus",
            ):
                if fault is Fault.REPEAT_TOKEN and operation != "ListResources":
                    continue
                proxy.inject(fault, operation, times=3, after=5 + 7 * n)

        campaigns, failures = run_campaigns(emu, proxy, connections=8, rounds=12)

        assert failures == []
        assert_exactly_what_was_written(emu, campaigns)
        assert proxy.pending() < sum(proxy.injected.values())
        report(capsys, "8 connections", proxy, campaigns)


@pytest.mark.stress
@pytest.mark.parametrize("rate", [0.3, 0.6])
def test_long_throttled_runs_give_exact_rows_and_exact_resources(
    capsys: pytest.CaptureFixture[str], rate: float
) -> None:
    with Emulator(page_size=5) as emu, FaultProxy(emu.endpoint_url, lifetime=900) as proxy:
        proxy.throttle(rate, seed=int(rate * 10))

        campaigns, failures = run_campaigns(emu, proxy, connections=4, rounds=9)

        assert failures == []
        assert_exactly_what_was_written(emu, campaigns)
        report(capsys, f"throttling {rate:.0%}", proxy, campaigns)
