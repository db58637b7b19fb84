"""A fault-injecting HTTP proxy on 127.0.0.1, in front of the local Cloud Control endpoint.

Each test scripts it: ``proxy.inject(Fault.RESET_AFTER, "CreateResource", times=2)`` makes the next two
CreateResource calls reach the endpoint and lose their answer; ``proxy.throttle(0.3)`` answers 30% of
calls with ThrottlingException without forwarding them. Everything else is forwarded unchanged. It is
bounded: every rule has a count, a stall lasts at most ``stall_for`` seconds, and the proxy stops by
itself after ``lifetime`` seconds. ``injected`` counts what it did, for assertions and the figures of
docs/reliability.md.

Every answer carries an ``x-amzn-RequestId`` header, as AWS's do: a forwarded answer the endpoint's, an
injected one its own (``faultproxy-500-7``: status and a count, so each answer's id is distinct);
``last_request_id`` keeps the latest per operation, for asserting that an error names it.
"""

from __future__ import annotations

import contextlib
import enum
import http.client
import itertools
import random
import socket
import socketserver
import struct
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson


class Fault(enum.Enum):
    ERROR_500_EMPTY = "HTTP 500, empty body"
    ERROR_503_HTML = "HTTP 503, an HTML page"
    ERROR_500_TRUNCATED_JSON = "HTTP 500, JSON cut in the middle"
    RESET_BEFORE = "connection reset before forwarding (the endpoint never saw the call)"
    RESET_AFTER = "forwarded, then the connection reset (the endpoint acted, the answer is lost)"
    STALL = "the request is read, no answer ever comes"
    STALL_BODY = "forwarded; headers and half the body, then no more"
    TRUNCATED_BODY = "forwarded; half the body, then the connection closes (short of Content-Length)"
    EMPTY_200 = "HTTP 200 with an empty body (not forwarded)"
    HTML_200 = "HTTP 200 with an HTML page (not forwarded)"
    EMPTY_JSON_200 = "HTTP 200 with the JSON object {} (not forwarded)"
    TRUNCATED_JSON_200 = "forwarded; HTTP 200 whose JSON is cut, Content-Length matching"
    REPEAT_TOKEN = "forwarded; a ListResources page answers the NextToken it was asked with"
    THROTTLE = "HTTP 400 ThrottlingException (not forwarded)"
    BAD_TIMESTAMP_200 = "forwarded; HTTP 200 whose ProgressEvent.RetryAfter is not a timestamp"


FORWARDED = {
    Fault.RESET_AFTER,
    Fault.STALL_BODY,
    Fault.TRUNCATED_BODY,
    Fault.TRUNCATED_JSON_200,
    Fault.REPEAT_TOKEN,
    Fault.BAD_TIMESTAMP_200,
}
"""Faults of calls that reach the endpoint (it acts on them)."""

_HTML = b"<html><head><title>502 Bad Gateway</title></head><body>upstream failed</body></html>"
_THROTTLED = b'{"__type":"com.amazon.coral.availability#ThrottlingException","message":"Rate exceeded"}'


@dataclass
class _Rule:
    fault: Fault
    operation: str | None
    times: int
    after: int = 0
    """Matching calls to let through first."""


@dataclass
class _Request:
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def operation(self) -> str:
        target = next((v for k, v in self.headers if k.lower() == "x-amz-target"), "")
        return target.rsplit(".", 1)[-1]

    def next_token(self) -> str | None:
        try:
            token = orjson.loads(self.body).get("NextToken")
        except (orjson.JSONDecodeError, AttributeError):
            return None
        return token if isinstance(token, str) else None


class FaultProxy(socketserver.ThreadingTCPServer):
    """Forwards HTTP/1.1 calls to ``endpoint_url``, injecting the scripted faults."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, endpoint_url: str, *, lifetime: float = 240.0, stall_for: float = 10.0) -> None:
        target = urlsplit(endpoint_url)
        self.target = (target.hostname or "127.0.0.1", target.port or 80)
        self.stall_for = stall_for
        self.lifetime = lifetime
        self.injected: Counter[Fault] = Counter()
        self.calls: Counter[str] = Counter()
        self.last_request_id: dict[str, str] = {}
        """Operation -> the x-amzn-RequestId of its latest answer."""
        self.received: list[list[tuple[str, str]]] = []
        """Each request's headers as they arrived, in order."""
        self._answer_count = itertools.count(1)
        self._rules: list[_Rule] = []
        self._throttle_rate = 0.0
        self._random = random.Random(0)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._timer: threading.Timer | None = None
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- script -----------------------------------------------------------------------------------------

    def inject(
        self, fault: Fault, operation: str | None = None, times: int = 1, *, after: int = 0
    ) -> FaultProxy:
        """After ``after`` calls of ``operation`` (any, when None), the next ``times`` get ``fault``;
        rules apply in order."""
        with self._lock:
            self._rules.append(_Rule(fault, operation, times, after))
        return self

    def throttle(self, rate: float, seed: int = 0) -> FaultProxy:
        """Answer this fraction of the calls no rule takes with ThrottlingException (0 stops it)."""
        with self._lock:
            self._throttle_rate = rate
            self._random = random.Random(seed)
        return self

    def pending(self) -> int:
        """Scripted faults not yet used."""
        with self._lock:
            return sum(rule.times for rule in self._rules)

    def _fault_for(self, request: _Request) -> Fault | None:
        operation = request.operation
        with self._lock:
            self.calls[operation] += 1
            for rule in self._rules:
                if rule.times <= 0 or rule.operation not in (None, operation):
                    continue
                if rule.fault is Fault.REPEAT_TOKEN and request.next_token() is None:
                    continue
                if rule.after > 0:
                    rule.after -= 1
                    continue
                rule.times -= 1
                self.injected[rule.fault] += 1
                return rule.fault
            if self._throttle_rate and self._random.random() < self._throttle_rate:
                self.injected[Fault.THROTTLE] += 1
                return Fault.THROTTLE
        return None

    # -- lifetime ---------------------------------------------------------------------------------------

    def __enter__(self) -> FaultProxy:
        self._thread = threading.Thread(target=self.serve_forever, name="faultproxy", daemon=True)
        self._thread.start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.server_close()

    def stop(self) -> None:
        """Stop serving and end every stall (idempotent; the lifetime timer calls it too)."""
        if self._stopping.is_set():
            return
        self._stopping.set()
        if self._timer is not None:
            self._timer.cancel()
        self.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def answered(self, operation: str, status: int, request_id: str | None) -> str:
        """The request id of an answer to ``operation``: the endpoint's, or a new one of the proxy's."""
        with self._lock:
            if request_id is None:
                request_id = f"faultproxy-{status}-{next(self._answer_count)}"
            self.last_request_id[operation] = request_id
        return request_id

    def stall(self) -> None:
        self._stopping.wait(self.stall_for)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up mid-call (its timeout) is expected here, not an error to print."""


class _Handler(socketserver.StreamRequestHandler):
    server: FaultProxy

    def setup(self) -> None:
        super().setup()
        self.connection.settimeout(self.server.lifetime)

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the connection was reset on purpose, or by the client
            super().finish()

    def handle(self) -> None:
        while not self.server._stopping.is_set():  # one client connection, many calls (keep-alive)
            try:
                request = self._read_request()
            except (OSError, ValueError):
                return
            if request is not None:
                self.server.received.append(request.headers)
            if request is None or not self._serve(request, self.server._fault_for(request)):
                return

    def _read_request(self) -> _Request | None:
        line = self.rfile.readline().decode("latin-1")
        if not line.strip():
            return None
        method, path, _ = line.split(" ", 2)
        headers: list[tuple[str, str]] = []
        while (header := self.rfile.readline().decode("latin-1")) not in ("\r\n", "\n", ""):
            name, _, value = header.partition(":")
            headers.append((name.strip(), value.strip()))
        length = next((int(v) for k, v in headers if k.lower() == "content-length"), 0)
        return _Request(method, path, headers, self.rfile.read(length))

    def _serve(self, request: _Request, fault: Fault | None) -> bool:
        """Answer one call; False when the connection must end."""
        self._operation = request.operation
        self._upstream_id: str | None = None
        if fault is Fault.RESET_BEFORE:
            return self._reset()
        if fault is Fault.STALL:
            self.server.stall()
            return False
        if fault is Fault.ERROR_500_EMPTY:
            return self._answer(500, b"")
        if fault is Fault.ERROR_503_HTML:
            return self._answer(503, _HTML, "text/html")
        if fault is Fault.ERROR_500_TRUNCATED_JSON:
            return self._answer(500, b'{"__type":"InternalFailure","Message":"the ser')
        if fault is Fault.EMPTY_200:
            return self._answer(200, b"")
        if fault is Fault.EMPTY_JSON_200:
            return self._answer(200, b"{}")
        if fault is Fault.HTML_200:
            return self._answer(200, _HTML, "text/html")
        if fault is Fault.THROTTLE:
            return self._answer(400, _THROTTLED)
        status, body = self._forward(request)
        if fault is Fault.RESET_AFTER:
            return self._reset()
        if fault is Fault.TRUNCATED_JSON_200:
            return self._answer(status, body[: len(body) // 2])
        if fault is Fault.BAD_TIMESTAMP_200:
            answer = orjson.loads(body)
            answer.get("ProgressEvent", {})["RetryAfter"] = "soon"
            return self._answer(status, orjson.dumps(answer))
        if fault is Fault.REPEAT_TOKEN:
            answer = orjson.loads(body)
            answer["NextToken"] = request.next_token()
            return self._answer(status, orjson.dumps(answer))
        if fault in (Fault.TRUNCATED_BODY, Fault.STALL_BODY):
            self._answer(status, body[: len(body) // 2], length=len(body))
            if fault is Fault.STALL_BODY:
                self.server.stall()
            return False
        return self._answer(status, body)

    def _forward(self, request: _Request) -> tuple[int, bytes]:
        """The endpoint's answer (its request id is kept for the answer the proxy gives back)."""
        upstream = http.client.HTTPConnection(*self.server.target, timeout=30)
        try:
            upstream.request(request.method, request.path, body=request.body, headers=dict(request.headers))
            response = upstream.getresponse()
            self._upstream_id = response.getheader("x-amzn-RequestId")
            return response.status, response.read()
        finally:
            upstream.close()

    def _answer(
        self, status: int, body: bytes, content_type: str = "application/x-amz-json-1.0", length: int = -1
    ) -> bool:
        reason = http.client.responses.get(status, "")
        request_id = self.server.answered(self._operation, status, self._upstream_id)
        head = (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body) if length < 0 else length}\r\n"
            f"x-amzn-RequestId: {request_id}\r\n\r\n"
        )
        self.wfile.write(head.encode("latin-1") + body)
        self.wfile.flush()
        return True

    def _reset(self) -> bool:
        """Close with a TCP RST: the client sees 'connection reset', not a clean end."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        return False
