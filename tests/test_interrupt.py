"""Connection.interrupt() and Ctrl-C end a running statement promptly, and the connection stays usable.

The endpoint runs with a latency, so every call takes a while; another thread interrupts as soon as the
endpoint has recorded the first call (a condition on its recorder, never a sleep). What proves the query
ended early is what the endpoint saw: the calls still queued were cancelled and never sent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable

import apsw
import pytest

from tests import ctrl_c
from tests.readhelpers import connect, rows
from vtab.emulator import Emulator
from vtab.emulator.recorder import CallRecord

LATENCY = 1.5
"""Seconds each call takes: long enough that an interrupt is seen before the next round of calls."""
WORKERS = 2
MISSING = [f"api{i}|integration|response" for i in range(12)]
"""Identifiers of nothing: each one is a GetResource that answers NotFound, so no row ever arrives."""
SCAN = (
    "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' "
    f"AND data__Identifier IN ({', '.join('?' * len(MISSING))})"
)


def _interrupt_when(
    emulator: Emulator, predicate: Callable[[list[CallRecord]], bool], interrupt: Callable[[], None]
) -> tuple[threading.Thread, threading.Event]:
    """A thread that calls ``interrupt`` once the endpoint's recorder satisfies ``predicate``."""
    seen = threading.Event()

    def run() -> None:
        if emulator.recorder.wait_for(predicate, timeout=120):
            seen.set()
            interrupt()

    thread = threading.Thread(target=run, name="interrupter")
    thread.start()
    return thread, seen


def _every_write_polled(writes: int) -> Callable[[list[CallRecord]], bool]:
    """Each of ``writes`` writes polled at least once: vtab then holds every RequestToken. (The first
    poll alone would not do: the writes are sent in parallel, and another's answer may still be on its
    way to vtab, which then rightly reports that write as maybe accepted, without a token.)"""
    return lambda calls: (
        len({c.request_token for c in calls if c.operation == "GetResourceRequestStatus"}) >= writes
    )


def _gets_of_missing(emulator: Emulator) -> list[CallRecord]:
    return [c for c in emulator.calls if c.operation == "GetResource" and c.identifier in MISSING]


def _ctrl_c_when(
    emulator: Emulator, predicate: Callable[[list[CallRecord]], bool], *args: str
) -> tuple[int, str]:
    """Run ``vtab ARGS``, press Ctrl-C (SIGINT) once the endpoint's recorder satisfies ``predicate``;
    the exit status and stderr."""
    process = subprocess.Popen(
        [sys.executable, "-m", "vtab.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
        preexec_fn=ctrl_c.as_default,
    )
    try:
        assert emulator.recorder.wait_for(predicate, timeout=120)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=60)
    finally:
        process.kill()
    return process.returncode, stderr


def test_interrupt_ends_a_scan_waiting_for_calls_and_the_connection_answers_the_next_query() -> None:
    with Emulator(latency=LATENCY) as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
        db = connect(emulator, max_workers=WORKERS)
        thread, seen = _interrupt_when(emulator, lambda calls: len(calls) >= 1, db.interrupt)
        with pytest.raises(apsw.InterruptError, match=r"^Interrupted: the scan of .* stopped"):
            db.execute(SCAN, MISSING).fetchall()
        thread.join()
        assert seen.is_set()
        emulator.switches.configure(latency=0.0)
        wanted = seeded.responses[0]
        got = rows(
            db,
            "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' "
            "AND data__Identifier = ?",
            (wanted,),
        )
        assert got == [(wanted,)]
    # The endpoint is stopped: every call that was in flight has answered and been recorded. At most two
    # rounds of WORKERS calls were sent; the rest were cancelled before sending.
    sent = _gets_of_missing(emulator)
    assert 1 <= len(sent) <= 2 * WORKERS < len(MISSING)


def test_interrupt_while_writes_are_polled_reports_every_write_sent_with_its_request_token() -> None:
    with Emulator(polls_before_complete=1_000_000) as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
        api, integration = seeded.integrations[0]
        db = connect(emulator, write_timeout=60)
        thread, seen = _interrupt_when(emulator, _every_write_polled(3), db.interrupt)
        with pytest.raises(apsw.InterruptError) as caught:
            db.execute(
                "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
                "VALUES (?1, ?2, 'a'), (?1, ?2, 'b'), (?1, ?2, 'c')",
                (api, integration),
            )
        thread.join()
        assert seen.is_set()
        message = str(caught.value)
        assert message.startswith("Interrupted: 3 of 3 writes to integration_responses did not finish")
        # The three creates are sent in parallel: each row's token is the one of the create that carried it.
        creates = [c for c in emulator.calls if c.operation == "CreateResource"]
        tokens = {(c.desired_state or {})["IntegrationResponseKey"]: c.request_token for c in creates}
        assert sorted(tokens) == ["a", "b", "c"]
        lines = message.splitlines()
        for row, token in tokens.items():
            line = next(line for line in lines if f"integration_response_key='{row}'" in line)
            assert f"(RequestToken {token})" in line
        assert "still IN_PROGRESS when the statement was interrupted" in message
        logged = rows(db, "SELECT request_token FROM vtab_calls WHERE operation = 'CreateResource'")
        assert sorted(token for (token,) in logged) == sorted(tokens.values())
        assert rows(db, "SELECT count(*) FROM integration_responses WHERE region = 'us-east-1'") == [(0,)]


@pytest.mark.parametrize("command", [["query"], ["shell", ":memory:"]], ids=["query", "shell"])
def test_ctrl_c_ends_the_command_with_a_clear_message_and_status_130(command: list[str]) -> None:
    with Emulator(latency=LATENCY) as emulator:
        ids = ", ".join(f"'{identifier}'" for identifier in MISSING)
        sql = (
            f"SELECT * FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier IN ({ids})"
        )
        flags = [
            "--endpoint-url",
            emulator.endpoint_url,
            "--max-workers",
            str(WORKERS),
            "--rate-limit",
            "none",
        ]
        status, stderr = _ctrl_c_when(emulator, lambda calls: len(calls) >= 1, *command, *flags, sql)
        assert status == 130, stderr
        assert "Interrupted: the scan of AWS::ApiGatewayV2::IntegrationResponse stopped" in stderr
        assert "Traceback" not in stderr
    assert len(_gets_of_missing(emulator)) <= 2 * WORKERS < len(MISSING)


def test_ctrl_c_while_vtab_query_waits_for_writes_reports_their_request_tokens() -> None:
    with Emulator(polls_before_complete=1_000_000) as emulator:
        seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
        api, integration = seeded.integrations[0]
        sql = (
            "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
            f"VALUES ('{api}', '{integration}', 'a'), ('{api}', '{integration}', 'b')"
        )
        status, stderr = _ctrl_c_when(
            emulator, _every_write_polled(2), "query", "--endpoint-url", emulator.endpoint_url, sql
        )
        assert status == 130, stderr
        assert "Interrupted: 2 of 2 writes to integration_responses did not finish" in stderr
        tokens = [c.request_token for c in emulator.calls if c.operation == "CreateResource"]
        assert len(tokens) == 2
        for token in tokens:
            assert f"(RequestToken {token})" in stderr
