"""Status polls are calls too: each write is polled just until it completes, polls of started writes go
on while later rows wait for a start slot, and neither kind of call exceeds its budget."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from itertools import pairwise

import apsw
import pytest

from tests.test_writes_helpers import connect, connect_with_registry, sent_writes
from vtab.aws.cloudcontrol import POLLS_PER_WORKER
from vtab.catalog.facts import Verb
from vtab.emulator import Emulator
from vtab.emulator.recorder import CallRecord
from vtab.write.operation import Operation
from vtab.write.send import Sender

INSERT_SELECT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3) "
    "SELECT ?1, ?2, 'k' || i, 'us-east-1' FROM n"
)
POLL = "GetResourceRequestStatus"


def _insert_rows(db: apsw.Connection, emulator: Emulator, count: int) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    db.execute(INSERT_SELECT, (*seeded.integrations[0], count))


def _most_in_flight(calls: list[CallRecord]) -> int:
    """The most of these calls the endpoint was serving at one moment (from arrival to answer)."""
    edges = sorted([(c.at, 1) for c in calls] + [(c.finished_at, -1) for c in calls])
    most = current = 0
    for _, step in edges:  # an answer at the same instant as an arrival counts first (-1 < 1)
        current += step
        most = max(most, current)
    return most


def test_each_write_is_polled_until_it_completes_and_not_once_more(emulator: Emulator) -> None:
    emulator.configure(polls_before_complete=3)
    db = connect(emulator, max_workers=4)

    _insert_rows(db, emulator, 20)

    creates = sent_writes(emulator, "CreateResource")
    polls = sent_writes(emulator, POLL)
    assert len(creates) == 20 and len(polls) == 60  # 4 calls per write: the start and its 3 polls
    for create in creates:
        mine = [p for p in polls if p.request_token == create.request_token]
        assert [p.operation_status for p in mine] == ["IN_PROGRESS", "IN_PROGRESS", "SUCCESS"]
        assert mine[0].at >= create.finished_at  # polled only once its RequestToken was known
    assert db.execute("SELECT sum(pages) FROM vtab_calls WHERE operation = 'CreateResource'").fetchall() == [
        (60,)
    ]  # vtab_calls counts each write's polls as its pages


def test_polls_of_started_writes_go_on_while_later_rows_wait_for_a_start_slot(emulator: Emulator) -> None:
    emulator.configure(latency=0.05, polls_before_complete=2)
    db = connect(emulator, max_workers=1)  # one start call at a time

    _insert_rows(db, emulator, 3)

    creates = sent_writes(emulator, "CreateResource")
    assert len(creates) == 3
    # The start calls kept their one slot: each was sent after the previous one was answered ...
    assert all(later.at >= earlier.finished_at for earlier, later in pairwise(creates))
    # ... and the first write was polled before the last row's start call was sent, not after it.
    first_polls = [p for p in sent_writes(emulator, POLL) if p.request_token == creates[0].request_token]
    assert first_polls[0].at < creates[-1].at
    assert [p.operation_status for p in first_polls] == ["IN_PROGRESS", "SUCCESS"]


def _sender(
    emulator: Emulator, rows: int, slots: int, interrupted: Callable[[], bool]
) -> tuple[apsw.Connection, Sender, list[Operation]]:
    """A table's Sender with ``slots`` start slots and the ``interrupted`` check given, ``rows`` creates
    of integration responses to send, and the connection, which must outlive them."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db, registry = connect_with_registry(emulator)
    db.execute(
        "SELECT 1 FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = 'a|b|c'"
    )
    (table,) = registry.tables
    ops = [
        Operation(
            Verb.CREATE,
            "us-east-1",
            row,
            0,
            desired={"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": f"k{row}"},
        )
        for row in range(1, rows + 1)
    ]
    context = table.context
    sender = Sender(
        context.cloud,
        table.schema,
        context.pool,
        context.poll_pool,
        concurrency=slots,
        timeout=30,
        interrupted=interrupted,
    )
    return db, sender, ops


def test_a_start_slot_sends_the_next_row_without_waiting_for_the_scheduler(emulator: Emulator) -> None:
    """A start slot goes from its answer to the next row's start call itself: the rows go out while the
    scheduler (the SQLite thread) is busy elsewhere, here held in its interrupt check until all have."""
    rows, slots = 6, 2
    emulator.configure(polls_before_complete=1)
    checks: list[bool] = []

    def interrupted() -> bool:
        """The scheduler's check between two rounds: the second one holds it until every row is sent."""
        if len(checks) == 1:
            checks.append(
                emulator.recorder.wait_for(
                    lambda calls: sum(c.operation == "CreateResource" for c in calls) == rows, 10
                )
            )
        else:
            checks.append(False)
        return False

    db, sender, ops = _sender(emulator, rows, slots, interrupted)
    outcomes = sender.run(ops)
    db.close()

    assert checks[1] is True  # all rows were sent while the scheduler was held
    assert [o.status for o in outcomes] == ["SUCCESS"] * rows
    assert _most_in_flight(sent_writes(emulator, "CreateResource")) <= slots


def test_a_scheduler_that_fails_stops_the_start_slots(emulator: Emulator) -> None:
    """Rows queued for a start slot are not sent once the statement's scheduler has failed: the slots stop
    with it (each call in flight is answered, no new one leaves)."""
    rows = 4
    emulator.configure(latency=0.3, polls_before_complete=1)
    checks: list[int] = []

    def interrupted() -> bool:
        checks.append(1)
        if len(checks) == 2:  # after the first answer
            raise RuntimeError("the scheduler failed")
        return False

    db, sender, ops = _sender(emulator, rows, 1, interrupted)
    with pytest.raises(RuntimeError, match="the scheduler failed"):
        sender.run(ops)
    sender.pool.shutdown(wait=True)  # every slot thread has ended: what was sent is all that will be
    db.close()

    assert 1 <= len(sent_writes(emulator, "CreateResource")) < rows


def test_start_calls_and_polls_each_stay_within_their_budget(emulator: Emulator) -> None:
    emulator.configure(latency=0.02, polls_before_complete=3)
    db = connect(emulator, max_workers=2)

    _insert_rows(db, emulator, 16)

    assert _most_in_flight(sent_writes(emulator, "CreateResource")) <= 2
    assert _most_in_flight(sent_writes(emulator, POLL)) <= POLLS_PER_WORKER * 2
    assert len(sent_writes(emulator, POLL)) == 48


def test_no_connection_is_opened_only_to_be_dropped(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """The connection pool has room for every start call and poll in flight, so urllib3 never discards a
    connection after one use (on AWS, each new connection costs a TLS handshake)."""
    emulator.configure(latency=0.05, polls_before_complete=3)
    db = connect(emulator, max_workers=8)

    with caplog.at_level(logging.WARNING, logger="urllib3"):
        _insert_rows(db, emulator, 50)

    assert len(sent_writes(emulator, "CreateResource")) == 50
    assert [r.getMessage() for r in caplog.records if "pool is full" in r.getMessage()] == []


def test_an_interrupt_while_rows_wait_for_a_start_slot_reports_them_not_sent() -> None:
    """Stopped once a poll has been answered: writes sent are reported with their RequestToken (or as
    maybe accepted, when the answer to their start call had not arrived), the rows never sent as not
    sent; the endpoint confirms each."""
    rows = 12
    with Emulator(latency=0.2, polls_before_complete=1_000_000) as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
        db = connect(emulator, max_workers=1, write_timeout=60)
        polled = threading.Event()

        def interrupt() -> None:
            if emulator.recorder.wait_for(lambda calls: any(c.operation == POLL for c in calls), 60):
                polled.set()
                db.interrupt()

        thread = threading.Thread(target=interrupt)
        thread.start()
        with pytest.raises(apsw.InterruptError) as caught:
            db.execute(INSERT_SELECT, (*seeded.integrations[0], rows))
        thread.join()
        assert polled.is_set()
        message = str(caught.value)
        lines = {
            f"k{i}": next(line for line in message.splitlines() if f"='k{i}')" in line) for i in range(1, 13)
        }
        not_sent = {key for key, line in lines.items() if line.lstrip().startswith("NOT_SENT ")}
        assert not_sent  # the statement ended long before the last rows got their start slot
        # Every write that left was sent to the endpoint (wait until the last one has been answered).
        assert emulator.recorder.wait_for(
            lambda calls: sum(c.operation == "CreateResource" for c in calls) == rows - len(not_sent), 60
        )
    assert message.startswith(f"Interrupted: {rows} of {rows} writes to integration_responses did not finish")
    creates = {
        (c.desired_state or {})["IntegrationResponseKey"]: c for c in sent_writes(emulator, "CreateResource")
    }
    assert set(creates) == set(lines) - not_sent
    for key, create in creates.items():
        assert lines[key].lstrip().startswith("INTERRUPTED ")
        assert (
            f"(RequestToken {create.request_token})" in lines[key]
            or "interrupted while its CreateResource call was waiting for an answer" in lines[key]
        )
    assert any(f"(RequestToken {c.request_token})" in lines[k] for k, c in creates.items())  # the polled one


def test_statements_poll_on_threads_the_table_keeps(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Starting a thread waits until it runs: a table keeps its poll threads across statements, so later
    statements' polls do not wait for threads to start (a 50-row INSERT started 32). However many
    statements, no more poll threads start than the poll budget."""
    emulator.configure(polls_before_complete=2)
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    db = connect(emulator, max_workers=1)
    budget = POLLS_PER_WORKER * 1
    started: list[str] = []
    start = threading.Thread.start

    def recorded(thread: threading.Thread) -> None:
        started.append(thread.name)
        start(thread)

    monkeypatch.setattr(threading.Thread, "start", recorded)
    statements = budget + 1
    for n in range(statements):
        db.execute(INSERT_SELECT.replace("'k' || i", f"'s{n}-' || i"), (*seeded.integrations[0], 2))

    assert len(sent_writes(emulator, POLL)) == statements * 2 * 2  # each write polled twice
    poll_threads = [name for name in started if "poll" in name]
    assert 1 <= len(poll_threads) <= budget
