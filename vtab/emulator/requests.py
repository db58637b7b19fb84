"""The asynchronous side of Cloud Control: resource requests and their ProgressEvents.

A write is accepted as a :class:`ResourceRequest`; the service applies it and publishes its outcome only
when polled (see ``polls_before_complete``). The store indexes requests by token, by client token (for
idempotency) and by the identifier they mutate (for ConcurrentOperationException). Callers hold the
emulator lock.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from random import Random
from typing import Any

from vtab.catalog.columns import json_text
from vtab.emulator.errors import CloudControlError
from vtab.emulator.samples import random_uuid

IN_FLIGHT = frozenset({"PENDING", "IN_PROGRESS"})
CANCELLED = frozenset({"CANCEL_IN_PROGRESS", "CANCEL_COMPLETE"})


@dataclass
class Outcome:
    """What applying a request produced, kept until a poll publishes it."""

    status: str
    identifier: str | None = None
    model: dict[str, Any] | None = None
    error_code: str | None = None
    message: str | None = None


@dataclass
class ResourceRequest:
    """One Create/Update/Delete request and its current ProgressEvent state."""

    request_token: str
    region: str
    type_name: str
    operation: str
    identifier: str | None
    client_token: str | None
    fingerprint: str
    payload: Any
    forced_failure: tuple[str, str] | None
    seq: int
    retry_after: float
    status: str = "IN_PROGRESS"
    polls: int = 0
    event_time: float = field(default_factory=time.time)
    outcome: Outcome | None = None
    published: Outcome | None = None

    @property
    def applied(self) -> bool:
        return self.outcome is not None

    def event(self) -> dict[str, Any]:
        """The ProgressEvent in wire form (epoch-second timestamps, no null members)."""
        event: dict[str, Any] = {
            "TypeName": self.type_name,
            "RequestToken": self.request_token,
            "Operation": self.operation,
            "OperationStatus": self.status,
            "EventTime": self.event_time,
        }
        identifier = self.identifier
        if self.published is not None:
            identifier = self.published.identifier or identifier
            if self.published.model is not None:
                event["ResourceModel"] = json_text(self.published.model)
            if self.published.error_code is not None:
                event["ErrorCode"] = self.published.error_code
            if self.published.message is not None:
                event["StatusMessage"] = self.published.message
        if identifier is not None:
            event["Identifier"] = identifier
        if self.status in IN_FLIGHT:
            # "When to next request the status": counted from this answer, so every poll gets a fresh one.
            event["RetryAfter"] = max(self.event_time, time.time()) + self.retry_after
        return event


class RequestStore:
    """All requests of one emulator, with the indexes idempotency and concurrency checks need."""

    def __init__(self, rng: Random) -> None:
        self._random = rng
        self._by_token: dict[str, ResourceRequest] = {}
        self._by_client_token: dict[tuple[str, str], ResourceRequest] = {}
        self._in_flight: dict[tuple[str, str, str], ResourceRequest] = {}
        self._seq = itertools.count(1)

    def new(
        self,
        *,
        region: str,
        type_name: str,
        operation: str,
        identifier: str | None,
        client_token: str | None,
        fingerprint: str,
        payload: Any,
        forced_failure: tuple[str, str] | None,
        retry_after: float,
    ) -> ResourceRequest:
        request = ResourceRequest(
            request_token=random_uuid(self._random),
            region=region,
            type_name=type_name,
            operation=operation,
            identifier=identifier,
            client_token=client_token,
            fingerprint=fingerprint,
            payload=payload,
            forced_failure=forced_failure,
            seq=next(self._seq),
            retry_after=retry_after,
        )
        self._by_token[request.request_token] = request
        if client_token is not None:
            self._by_client_token[(region, client_token)] = request
        if identifier is not None:
            self._in_flight[(region, type_name, identifier)] = request
        return request

    def get(self, region: str, token: Any) -> ResourceRequest:
        """The request of ``token`` in ``region``; RequestTokenNotFoundException otherwise."""
        request = self._by_token.get(token) if isinstance(token, str) else None
        if request is None or request.region != region:
            raise CloudControlError(
                "RequestTokenNotFoundException", f"Request with token {token} was not found."
            )
        return request

    def by_client_token(self, region: str, client_token: str | None) -> ResourceRequest | None:
        if client_token is None:
            return None
        return self._by_client_token.get((region, client_token))

    def in_flight(self, region: str, type_name: str, identifier: str) -> ResourceRequest | None:
        return self._in_flight.get((region, type_name, identifier))

    def finish(self, request: ResourceRequest, status: str) -> None:
        """Move a request to a terminal status and release its identifier."""
        request.status = status
        request.event_time = time.time()
        if request.identifier is not None:
            key = (request.region, request.type_name, request.identifier)
            if self._in_flight.get(key) is request:
                del self._in_flight[key]

    def newest_first(self, region: str) -> Iterator[ResourceRequest]:
        for request in reversed(list(self._by_token.values())):
            if request.region == region:
                yield request
