"""The sync's process, reading the worker processes' messages (``--executor processes``), stops waiting
when every group's job sent its last message (ENDED), instead of at its next wake after the last task; it
takes whole messages only, however the pipe's reads cut them, and part of one a killed worker left is no
hang."""

from __future__ import annotations

import multiprocessing
import os
import struct
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.connection import Connection
from typing import Any

import pytest

from vtab.sqlite.install import connect_with_registry
from vtab.sync.process_worker import Message
from vtab.sync.processes import READ_BYTES, WAKE_SECONDS, _Receiver
from vtab.sync.progress import Progress
from vtab.sync.worker import RetryBudget, SyncContext


class _Polls:
    """The read end of a real pipe, its polls' timeouts recorded."""

    def __init__(self, reader: Connection) -> None:
        self.reader = reader
        self.timeouts: list[float] = []

    def poll(self, timeout: float) -> bool:
        self.timeouts.append(timeout)
        return self.reader.poll(timeout)

    def recv(self) -> Any:
        return self.reader.recv()

    def fileno(self) -> int:
        return self.reader.fileno()


@pytest.fixture
def receiving() -> Iterator[SyncContext]:
    """The sync's side of a processes run, with a real registry and progress (no file: no task settles)."""
    connection, root = connect_with_registry(":memory:", tables={})
    try:
        yield SyncContext(
            sync_id="s",
            options={},
            write=lambda *_: None,
            record=lambda *_: None,
            progress=Progress(0),
            budget=RetryBudget(0),
            root=root,
        )
    finally:
        connection.close()


def test_the_receiver_stops_waiting_once_every_group_ended(receiving: SyncContext) -> None:
    reader, writer = multiprocessing.Pipe(duplex=False)
    context = receiving
    try:
        futures: list[Future[None]] = [Future(), Future()]
        for future in futures:
            future.set_result(None)
            writer.send((Message.ENDED, None))
        polls = _Polls(reader)
        _Receiver(polls, context, threading.Event()).until_ended(futures)  # type: ignore[arg-type]
        # one wait, whose read brings both ENDED (whole messages are taken as a read brings them); then
        # only the drain's look (no wait for a wake)
        assert polls.timeouts == [WAKE_SECONDS, 0]
    finally:
        reader.close()
        writer.close()


@pytest.mark.timeout(60)  # on main the receiver waited for the rest of the message forever
def test_a_worker_killed_while_it_sends_leaves_the_sync_its_error_not_a_hang(receiving: SyncContext) -> None:
    """A worker SIGKILLed in the middle of sending a message (a big page of rows fills the pipe) leaves
    part of it in the pipe: the sync's process takes the whole messages before it, then raises the lost
    worker's error once the pool says so, instead of waiting for the rest of a message no one sends."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    context = receiving
    writer.send((Message.CALLS, None, 3, 1))
    os.write(writer.fileno(), struct.pack("!i", 100_000) + b"\x80" * 1000)  # what a killed sender left
    lost: Future[None] = Future()
    lost.set_exception(BrokenProcessPool("a process in the process pool was terminated abruptly"))
    with pytest.raises(BrokenProcessPool):
        _Receiver(reader, context, threading.Event()).until_ended([lost])
    assert (context.progress.calls_made, context.progress.throttles) == (3, 1)
    reader.close()
    writer.close()


def test_a_message_longer_than_a_read_is_taken_whole(receiving: SyncContext) -> None:
    """Messages read off the pipe a part at a time (a page of rows longer than the pipe holds) are taken
    whole, in order, and the ones sent before the workers' jobs ended are all taken."""
    reader, writer = multiprocessing.Pipe(duplex=False)
    context = receiving
    job: Future[None] = Future()
    big = "x" * (3 * READ_BYTES)

    def worker() -> None:
        for calls in (1, 2):
            writer.send((Message.CALLS, big, calls, 0))
        writer.send((Message.CALLS, None, 4, 0))
        job.set_result(None)

    sender = threading.Thread(target=worker)
    sender.start()
    _Receiver(reader, context, threading.Event()).until_ended([job])
    sender.join()
    assert context.progress.calls_made == 7
    reader.close()
    writer.close()
