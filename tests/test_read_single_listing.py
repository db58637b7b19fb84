"""A plan that is one listing is read on the SQLite thread itself: no worker thread, no hand-over; an
interrupt still ends it, and the connection answers the next query.

What the endpoint answered (its recorder) shows which pages were fetched; the threads alive before and
after a statement show whether it started one (a pool's threads outlive a scan that ran to its end).
"""

from __future__ import annotations

import threading
import time

import apsw
import pytest

from tests.readhelpers import KNOWN_ACCOUNT, connect, rows
from vtab.emulator import Emulator
from vtab.emulator.recorder import CallRecord

PAGE = 25
"""The emulator's page size."""

LISTING = (
    "SELECT {columns} FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? "
    "AND integration_id = ?"
)


def _started_threads(before: set[threading.Thread]) -> list[str]:
    return sorted(thread.name for thread in set(threading.enumerate()) - before)


@pytest.mark.parametrize(
    ("columns", "options"),
    [("integration_response_key", {}), ("*", KNOWN_ACCOUNT)],
    ids=["some columns", "select star with the account id known"],
)
def test_a_single_listing_is_read_whole_without_starting_a_thread(
    emulator: Emulator, columns: str, options: dict[str, str]
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3 * PAGE + 1)
    db = connect(emulator, **options)
    before = set(threading.enumerate())
    got = rows(db, LISTING.format(columns=columns), seeded.integrations[0])
    assert len(got) == 3 * PAGE + 1
    assert _started_threads(before) == []
    listed = [call for call in emulator.calls if call.operation == "ListResources"]
    assert len(listed) == 4


def test_an_interrupt_ends_a_single_listing_after_its_page_in_flight_and_the_next_query_is_answered() -> None:
    """The listing's calls are made on the SQLite thread, which sees the interrupt between pages (once a
    call in flight answers): the pages after it are never asked for, and no thread was started."""
    with Emulator(latency=1.0) as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=4 * PAGE)
        db = connect(emulator)
        emulator.clear_calls()
        seen = threading.Event()

        def interrupt_after_the_first_page() -> None:
            if emulator.recorder.wait_for(lambda calls: len(calls) >= 1, timeout=120):
                seen.set()
                db.interrupt()

        before = set(threading.enumerate())
        interrupter = threading.Thread(target=interrupt_after_the_first_page, name="interrupter")
        interrupter.start()
        with pytest.raises(apsw.InterruptError):
            rows(db, LISTING.format(columns="integration_response_key"), seeded.integrations[0])
        interrupter.join()
        assert seen.is_set()
        assert _started_threads(before) == []
        # The first page, and at most the one in flight when the interrupt came, were asked for (the
        # SQLite thread made them, so none is in flight now).
        listed = [call for call in emulator.calls if call.operation == "ListResources"]
        assert 1 <= len(listed) <= 2
        emulator.switches.configure(latency=0.0)
        count = rows(db, LISTING.format(columns="count(*)"), seeded.integrations[0])
        assert count == [(4 * PAGE,)]


SCAN_STOPPED = r"^Interrupted: the scan of AWS::ApiGatewayV2::IntegrationResponse stopped"


def _interrupt_once_answered(
    db: apsw.Connection, emulator: Emulator, operation: str, error: str
) -> tuple[threading.Thread, list[float]]:
    """A thread that interrupts ``db`` as soon as the endpoint has answered ``operation`` with ``error``
    (a condition on its recorder, no sleep); its list then holds when interrupt() had returned, on the
    clock of the endpoint's ``at`` (time.monotonic): a call that arrived later was sent after it."""
    interrupted_at: list[float] = []

    def answered(calls: list[CallRecord]) -> bool:
        return any(call.operation == operation and call.error_code == error for call in calls)

    def run() -> None:
        if emulator.recorder.wait_for(answered, timeout=120):
            db.interrupt()
            interrupted_at.append(time.monotonic())

    thread = threading.Thread(target=run, name="interrupter")
    thread.start()
    return thread, interrupted_at


def test_an_interrupt_during_a_single_listings_retry_back_off_ends_it_without_sending_the_retry() -> None:
    """Every attempt is throttled, each answered after a second: the interrupt comes once the first is
    answered, while the SQLite thread reads that answer or backs off before the next attempt. The back-off
    answers to the interrupt, so no further attempt is sent (before, every attempt was, and the statement
    failed with the throttling error once they were spent)."""
    with Emulator(latency=1.0) as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3)
        db = connect(emulator, max_attempts=4)
        emulator.clear_calls()
        emulator.throttle_next(1000)
        interrupter, interrupted_at = _interrupt_once_answered(
            db, emulator, "ListResources", "ThrottlingException"
        )
        before = set(threading.enumerate()) - {interrupter}
        with pytest.raises(apsw.InterruptError, match=SCAN_STOPPED):
            rows(db, LISTING.format(columns="integration_response_key"), seeded.integrations[0])
        interrupter.join()
        assert interrupted_at, "the endpoint never answered a throttled ListResources"
        assert _started_threads(before) == []
        listed = [call for call in emulator.calls if call.operation == "ListResources"]
        assert 1 <= len(listed) < 4
        assert [call for call in emulator.calls if call.at > interrupted_at[0]] == []
        emulator.throttle_next(0)
        emulator.switches.configure(latency=0.0)
        assert rows(db, LISTING.format(columns="count(*)"), seeded.integrations[0]) == [(3,)]


def test_an_interrupt_during_a_single_listings_rate_limit_wait_ends_it_without_sending_the_call() -> None:
    """A listing under an integration that does not exist fails, and the absence rule then asks for the
    integration (vtab.read.absence), a call of the same listing on the SQLite thread. The bucket's one
    token went to the listing, so that GetResource waits ten seconds for the next: the interrupt, sent as
    soon as the listing is answered, ends the wait and the GetResource is never sent (before, it was sent
    once the wait was over, and the statement ended without an error, no rows)."""
    with Emulator() as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3)
        api, _ = seeded.integrations[0]
        db = connect(emulator, rate_limit=0.1)
        emulator.clear_calls()
        interrupter, interrupted_at = _interrupt_once_answered(
            db, emulator, "ListResources", "GeneralServiceException"
        )
        with pytest.raises(apsw.InterruptError, match=SCAN_STOPPED):
            rows(db, LISTING.format(columns="integration_response_key"), (api, "gone"))
        interrupter.join()
        assert interrupted_at, "the endpoint never answered the listing under a missing integration"
        assert [(call.operation, call.type_name) for call in emulator.calls] == [
            ("ListResources", "AWS::ApiGatewayV2::IntegrationResponse")
        ]
        assert [call for call in emulator.calls if call.at > interrupted_at[0]] == []
