"""A plan that is one listing is read on the SQLite thread itself: no worker thread, no hand-over; an
interrupt still ends it, and the connection answers the next query.

What the endpoint answered (its recorder) shows which pages were fetched; the threads alive before and
after a statement show whether it started one (a pool's threads outlive a scan that ran to its end).
"""

from __future__ import annotations

import threading

import apsw
import pytest

from tests.readhelpers import KNOWN_ACCOUNT, connect, rows
from vtab.emulator import Emulator

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
