"""HTTP/1.1 on 127.0.0.1 for the local endpoint: four asyncio loops, a thread each, serve every connection.

Why not a thread per connection (werkzeug's server, used before): a sync keeps 80-160 connections open,
and as many threads then contend for the GIL, each handing it over per call; werkzeug's request and
response objects and http.server's header parsing (the email package) cost more than the emulator's own
work. Here a request is parsed from the connection's bytes, answered by the app in its loop's thread and
written in one ``write`` (headers and body together, so no segment waits for a delayed ACK). A request's
injected latency is a timer on the loop, not a sleeping thread: any number of calls wait at once, and
none is queued behind another's sleep.

Connections stay open for the client's next call, as AWS keeps them (``Connection: close`` or HTTP/1.0
closes after the answer). Bodies are framed by Content-Length or chunked; ``Expect: 100-continue`` is
honoured. Requests on one connection are answered in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import logging
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from functools import cached_property
from http import HTTPStatus
from typing import Protocol
from urllib.parse import parse_qsl, unquote

log = logging.getLogger("vtab.emulator")

HOST = "127.0.0.1"
MAX_HEAD = 65536
"""Bytes of a request line and headers before the request is refused (431)."""
BACKLOG = 1024
"""Pending connections the listening socket holds: a sync opens 160 at once."""
SERVER_NAME = "vtab-emulator"
LOOPS = 4
_HEX_SIZE = re.compile(rb"[0-9A-Fa-f]+")
_DECIMAL = re.compile(r"[0-9]+")


@dataclass
class HttpRequest:
    """One request as read off the wire; header names are lower-cased."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    arrived_at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` when the whole request had arrived (before any injected latency)."""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    @property
    def mimetype(self) -> str:
        return self.header("content-type").partition(";")[0].strip().lower()

    @cached_property
    def form(self) -> dict[str, str]:
        """The fields of a form-encoded body (the query protocol's), else none; the first of repeats."""
        if self.method != "POST" or self.mimetype != "application/x-www-form-urlencoded":
            return {}
        fields: dict[str, str] = {}
        for name, value in parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True):
            fields.setdefault(name, value)
        return fields


@dataclass(frozen=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str
    headers: tuple[tuple[str, str], ...] = ()


class App(Protocol):
    """What the server serves: how long to hold a request first, then its answer."""

    def delay(self, request: HttpRequest) -> float: ...

    def __call__(self, request: HttpRequest) -> HttpResponse: ...


class BadRequest(Exception):
    """A request that cannot be parsed: answered with ``status`` and the connection closed."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


_REASONS = {status.value: status.phrase for status in HTTPStatus}
_date: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The Date header's value, formatted once a second."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = (now, formatdate(now, usegmt=True))
    return _date[1]


def encode_response(response: HttpResponse, close: bool, head_only: bool = False) -> bytes:
    """Status line, headers and body as one buffer."""
    lines = [
        f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Unknown')}",
        f"Server: {SERVER_NAME}",
        f"Date: {_http_date()}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
    ]
    lines.extend(f"{name}: {value}" for name, value in response.headers)
    if close:
        lines.append("Connection: close")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head if head_only else head + response.body


def parse_head(head: bytes) -> tuple[str, str, str, dict[str, str]]:
    """Method, target, version and headers (lower-cased names, repeats joined by commas)."""
    request_line, *header_lines = head.decode("latin-1").split("\r\n")
    parts = request_line.split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise BadRequest(f"malformed request line {request_line[:100]!r}")
    headers: dict[str, str] = {}
    for line in header_lines:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise BadRequest(f"malformed header line {line[:100]!r}")
        key = name.lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    return parts[0], parts[1], parts[2], headers


def chunked_body(buffer: bytearray, start: int) -> tuple[bytes, int] | None:
    """The body of a chunked request whose chunks begin at ``start``, and where it ends; None when it has
    not all arrived."""
    body = bytearray()
    at = start
    while True:
        line_end = buffer.find(b"\r\n", at)
        if line_end < 0:
            return None
        size_text = bytes(buffer[at:line_end]).partition(b";")[0].strip()
        # hex digits only: int() would also take a sign, a 0x prefix or underscores ("-2" ran the
        # parse backwards into the chunk's data and the request hung)
        if not _HEX_SIZE.fullmatch(size_text):
            raise BadRequest(f"malformed chunk size {size_text[:20]!r}")
        size = int(size_text, 16)
        at = line_end + 2
        if size == 0:
            trailer_end = buffer.find(b"\r\n\r\n", at - 2)
            return (bytes(body), trailer_end + 4) if trailer_end >= 0 else None
        if len(buffer) < at + size + 2:
            return None
        if buffer[at + size : at + size + 2] != b"\r\n":
            raise BadRequest(f"chunk data of {size} bytes not followed by CRLF")
        body += buffer[at : at + size]
        at += size + 2


def content_length(headers: dict[str, str]) -> int:
    """The body's length by its Content-Length header (0 without one): ASCII digits only (``str.isdigit``
    also takes ``²``, which ``int`` refuses)."""
    length = headers.get("content-length", "0")
    if not _DECIMAL.fullmatch(length):
        raise BadRequest(f"malformed Content-Length {length[:20]!r}")
    return int(length)


class _Connection(asyncio.Protocol):
    """One client connection: parses its requests in order and writes each answer."""

    def __init__(self, server: HttpServer, connections: set[_Connection]) -> None:
        self._server = server
        self._connections = connections
        self._buffer = bytearray()
        self._transport: asyncio.Transport | None = None
        self._waiting: asyncio.TimerHandle | None = None
        """The timer of a request held for its latency; further requests wait in the buffer."""
        self._continued = False
        self._closing = False
        self._eof = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        """The client went away: a request held for its latency is still answered (and recorded), as AWS
        acts on a request whose client stopped waiting; nothing more is read."""
        self._connections.discard(self)
        self._closing = True

    def eof_received(self) -> bool:
        """The client sent all it will (a half-close): answer what it sent, then close."""
        self._eof = True
        self._serve()
        return True  # keep the transport open to write the answers

    def abort(self) -> None:
        """Drop a held request and close at once (the server is stopping)."""
        self._closing = True
        if self._waiting is not None:
            self._waiting.cancel()
            self._waiting = None
        if self._transport is not None:
            self._transport.abort()

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        self._serve()

    def _serve(self) -> None:
        """Answer every whole request in the buffer, until one is held for its latency."""
        while self._waiting is None and not self._closing:
            try:
                request, keep_alive = self._next_request()
            except BadRequest as bad:
                self._write(HttpResponse(bad.status, str(bad).encode(), "text/plain"), close=True)
                return
            if request is None:
                if self._eof:
                    self._write_close()
                return
            delay = self._server.app.delay(request)
            if delay > 0:
                loop = asyncio.get_running_loop()
                self._waiting = loop.call_later(delay, self._answer_held, request, keep_alive)
                return
            self._answer(request, keep_alive)

    def _answer_held(self, request: HttpRequest, keep_alive: bool) -> None:
        self._waiting = None
        self._answer(request, keep_alive)
        self._serve()

    def _answer(self, request: HttpRequest, keep_alive: bool) -> None:
        try:
            response = self._server.app(request)
        except Exception:
            log.exception("the emulator failed to answer %s %s", request.method, request.path)
            body = b"Internal Server Error: the emulator failed; see its log."
            response, keep_alive = HttpResponse(500, body, "text/plain"), False
        self._write(response, close=not keep_alive, head_only=request.method == "HEAD")

    def _write(self, response: HttpResponse, close: bool, head_only: bool = False) -> None:
        assert self._transport is not None
        if self._transport.is_closing():
            return
        self._transport.write(encode_response(response, close, head_only))
        if close:
            self._write_close()

    def _write_close(self) -> None:
        """Close once the answers written are sent."""
        self._closing = True
        assert self._transport is not None
        self._transport.close()

    def _next_request(self) -> tuple[HttpRequest | None, bool]:
        """The first whole request in the buffer (removed from it) and whether the connection stays open
        after it; (None, True) while it has not all arrived."""
        buffer = self._buffer
        while buffer[:2] == b"\r\n":  # empty lines before a request line are ignored (RFC 9112 2.2)
            del buffer[:2]
        head_end = buffer.find(b"\r\n\r\n")
        if head_end < 0:
            if len(buffer) > MAX_HEAD:
                raise BadRequest("request headers too large", 431)
            return None, True
        method, target, version, headers = parse_head(bytes(buffer[:head_end]))
        body_start = head_end + 4
        if "chunked" in headers.get("transfer-encoding", "").lower():
            framed = chunked_body(buffer, body_start)
            if framed is None:
                self._continue(headers)
                return None, True
            body, end = framed
        else:
            end = body_start + content_length(headers)
            if len(buffer) < end:
                self._continue(headers)
                return None, True
            body = bytes(buffer[body_start:end])
        del buffer[:end]
        self._continued = False
        connection = headers.get("connection", "").lower()
        keep_alive = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
        path, _, query = target.partition("?")
        if path.startswith(("http://", "https://")):  # absolute form
            path = "/" + path.split("/", 3)[-1] if path.count("/") >= 3 else "/"
        request = HttpRequest(method, unquote(path), query, headers, body)
        return request, keep_alive

    def _continue(self, headers: dict[str, str]) -> None:
        """Tell a client that waits before sending its body to send it."""
        if not self._continued and headers.get("expect", "").lower() == "100-continue":
            self._continued = True
            assert self._transport is not None
            self._transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")


class _Loop:
    """One asyncio loop in its own thread, and the connections it serves."""

    def __init__(self, server: HttpServer, name: str) -> None:
        self.server = server
        self.loop = asyncio.new_event_loop()
        self.connections: set[_Connection] = set()
        self.thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_forever()
        finally:
            self.loop.close()

    def adopt(self, sock: socket.socket) -> None:
        """Serve a connection the listening loop accepted (called on this loop's thread)."""
        factory = functools.partial(_Connection, self.server, self.connections)
        self.loop.create_task(self.loop.connect_accepted_socket(factory, sock))

    def shut(self) -> None:
        for connection in list(self.connections):
            connection.abort()
        self.loop.call_soon(self.loop.stop)  # after the aborted connections' callbacks close them

    def stop(self, timeout: float) -> None:
        if self.thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self.loop.call_soon_threadsafe(self.shut)
            self.thread.join(timeout)
        elif not self.loop.is_closed():  # never started
            self.shut()
            self.loop.close()


class HttpServer:
    """Serves an :class:`App` on 127.0.0.1 from ``loops`` threads, each running an asyncio loop; the
    first also accepts connections and deals them out in turn.

    Why more than one loop: on a machine busier than its cores, one thread serving 160 connections is
    given the CPU less often than a process of several (a call's answer then waited up to 75 ms past its
    latency, against 20 ms with a thread per connection); four loops keep that near the threaded server's
    at a few percent more CPU than one."""

    def __init__(self, app: App, port: int = 0, loops: int = LOOPS) -> None:
        self.app = app
        self._loops = [_Loop(self, "vtab-emulator" if i == 0 else f"vtab-emulator-{i}") for i in range(loops)]
        self._turn = itertools.cycle(self._loops)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._listener.bind((HOST, port))
            self._listener.listen(BACKLOG)
        except OSError:
            self._listener.close()
            for each in self._loops:
                each.stop(0)
            raise OSError(f"cannot listen on {HOST}:{port}") from None
        self._listener.setblocking(False)
        self._loops[0].loop.add_reader(self._listener, self._accept)
        self.address: tuple[str, int] = self._listener.getsockname()[:2]
        self.port: int = self.address[1]

    def _accept(self) -> None:
        """Accept every pending connection; each goes to the next loop in turn."""
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # the listener was closed, or the process is out of descriptors
                log.exception("the emulator could not accept a connection")
                return
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.setblocking(False)
                target = next(self._turn)
                if target.loop is self._loops[0].loop:
                    target.adopt(sock)
                else:
                    target.loop.call_soon_threadsafe(target.adopt, sock)
            except (OSError, RuntimeError) as error:
                # A peer that reset before its socket was set up (macOS: EINVAL), or a loop already
                # closed by stop(): nothing serves the socket, so close it now rather than leak it. Logged
                # first: the peer, seeing the close, finds the reason in the log already.
                log.warning("the emulator could not set up a connection: %s", error)
                sock.close()

    @property
    def endpoint_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        for each in self._loops:
            each.thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Close the port and every connection (requests held for their latency are dropped), then
        join the loops' threads."""
        first = self._loops[0]
        if first.thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop has stopped
                first.loop.call_soon_threadsafe(self._close_listener)  # before its connections
        else:
            self._close_listener()
        for each in self._loops:
            each.stop(timeout)

    def _close_listener(self) -> None:
        """Stop accepting and close the port (on the first loop's thread while it runs)."""
        first = self._loops[0].loop
        if not first.is_closed() and self._listener.fileno() >= 0:
            first.remove_reader(self._listener)
        self._listener.close()
