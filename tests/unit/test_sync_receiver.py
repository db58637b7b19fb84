"""The sync's process, reading the worker processes' messages (``--executor processes``), stops waiting
when every group's job sent its last message (ENDED), instead of at its next wake after the last task."""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import Future
from multiprocessing.connection import Connection
from typing import Any

from vtab.sqlite.install import connect_with_registry
from vtab.sync.processes import WAKE_SECONDS, Message, _Receiver
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


def test_the_receiver_stops_waiting_once_every_group_ended() -> None:
    reader, writer = multiprocessing.Pipe(duplex=False)
    connection, root = connect_with_registry(":memory:", tables={})
    try:
        context = SyncContext(
            sync_id="s",
            options={},
            write=lambda *_: None,
            record=lambda *_: None,
            progress=Progress(0),
            budget=RetryBudget(0),
            root=root,
        )
        futures: list[Future[None]] = [Future(), Future()]
        for future in futures:
            future.set_result(None)
            writer.send((Message.ENDED, None))
        polls = _Polls(reader)
        _Receiver(polls, context, threading.Event()).until_ended(futures)  # type: ignore[arg-type]
        # one wait per message; after the second ENDED only the drain's look (no wait for a wake)
        assert polls.timeouts == [WAKE_SECONDS, WAKE_SECONDS, 0]
    finally:
        connection.close()
        reader.close()
        writer.close()
