"""vtab.aws.exchange against botocore's own HTTP session, on a raw TCP server: the same request bytes, the
same answer read, the same error raised for each way an exchange can go wrong, and the pool's connections
kept, replaced and returned as urllib3 keeps them."""

from __future__ import annotations

import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import apsw
import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from botocore.httpsession import URLLib3Session

import vtab
from tests.readhelpers import KNOWN_ACCOUNT, connect, rows
from vtab.aws.exchange import Exchange, UnsendableHeader
from vtab.emulator import Emulator

BODY = b'{"TypeName":"AWS::Logs::LogGroup"}'
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nx-amzn-RequestId: r-1\r\n"


def _framed(body: bytes, *extra: bytes) -> bytes:
    return OK + b"".join(extra) + b"Content-Length: %d\r\n\r\n" % len(body) + body


@dataclass
class RawServer:
    """A TCP server on 127.0.0.1 that reads each HTTP request whole, records its bytes, and does the next
    of its ``actions``: ("send", bytes), ("trickle", bytes) one byte per send, ("close",), ("hang",) (no
    answer until the test ends), each then keeping the connection unless the action closes it."""

    actions: deque[tuple[Any, ...]] = field(default_factory=deque)
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/"
        self._done = threading.Event()
        self._ended = threading.Condition()
        self.closed = 0
        """Connections the server has closed (``wait_closed``)."""
        self._threads: list[threading.Thread] = []
        self._accept = threading.Thread(target=self._accepting, daemon=True)
        self._accept.start()

    def _accepting(self) -> None:
        while True:
            try:
                peer, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(peer,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, peer: socket.socket) -> None:
        try:
            self._answer(peer)
        finally:
            with self._ended:
                self.closed += 1
                self._ended.notify_all()

    def wait_closed(self, count: int) -> None:
        """Until the server has closed ``count`` connections (their end reached the client's kernel: a
        loopback close sends its FIN at once)."""
        with self._ended:
            assert self._ended.wait_for(lambda: self.closed >= count, timeout=10)

    def _answer(self, peer: socket.socket) -> None:
        buffer = b""
        with peer:
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = peer.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(rest) < length:
                    rest += peer.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + rest[:length])
                buffer = rest[length:]
                action = self.actions.popleft()
                if action[0] == "send":
                    peer.sendall(action[1])
                elif action[0] == "trickle":
                    for byte in action[1]:
                        peer.send(bytes([byte]))
                elif action[0] == "hang":
                    self._done.wait()
                    return
                if action[0] == "close" or (len(action) > 2 and action[2] == "then close"):
                    return

    def close(self) -> None:
        self._done.set()
        self._listener.close()


@contextmanager
def raw_server(*actions: tuple[Any, ...]) -> Iterator[RawServer]:
    server = RawServer(deque(actions))
    try:
        yield server
    finally:
        server.close()


def _request(url: str) -> AWSPreparedRequest:
    headers = {
        "X-Amz-Target": "CloudApiService.ListResources",
        "Content-Type": "application/x-amz-json-1.0",
        "User-Agent": "vtab-test",
        "X-Amz-Date": b"20261207T000000Z",
        "Content-Length": str(len(BODY)),
    }
    return AWSPreparedRequest("POST", url, headers, BODY, False)  # type: ignore[arg-type]


def _session(read_timeout: float = 5.0) -> URLLib3Session:
    return URLLib3Session(timeout=cast(Any, (5.0, read_timeout)))


def _exchange(session: URLLib3Session, url: str) -> Exchange:
    exchange = Exchange.of(session, url)
    assert exchange is not None
    return exchange


def _outcome(send: Any, request: AWSPreparedRequest) -> tuple[Any, ...]:
    try:
        answer = send(request)
    except Exception as error:
        return ("raised", type(error))
    return (
        answer.status_code,
        dict(sorted((k.lower(), v) for k, v in answer.headers.items())),
        answer.content,
    )


ANSWERS: dict[str, list[tuple[Any, ...]]] = {
    "framed": [("send", _framed(b'{"ResourceDescriptions":[]}'))],
    "trickled one byte at a time": [("trickle", _framed(b'{"a":1}'))],
    "chunked": [
        (
            "send",
            OK
            + b'Transfer-Encoding: chunked\r\n\r\n5;ext=1\r\n{"a":\r\n2\r\n1}\r\n0\r\nX-Trailer: t\r\n\r\n',
        )
    ],
    # the last chunk, then the connection closed without the empty line that ends the trailers (http.client
    # and urllib3 take the body: "some sites may not end with CRLF")
    "a chunked body closed before its trailers' end": [
        ("send", OK + b"Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n", "then close")
    ],
    "until the connection closes": [("send", OK + b"Connection: close\r\n\r\n{}", "then close")],
    "after 100 Continue": [("send", b"HTTP/1.1 100 Continue\r\n\r\n" + _framed(b"{}"))],
    "an error status": [("send", b"HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\n{}")],
    "a repeated header": [("send", _framed(b"{}", b"X-Many: 1\r\n", b"x-many: 2\r\n"))],
    # a proxy's copy of the header (RFC 9110 8.6: one length, said twice), then the next answer
    "a Content-Length said twice": [
        ("send", OK + b"Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}"),
    ],
    "a body short of its length": [("send", OK + b"Content-Length: 10\r\n\r\n{}", "then close")],
    "closed before answering": [("close",)],
    "a chunked body cut short": [("send", OK + b"Transfer-Encoding: chunked\r\n\r\n9\r\n{}", "then close")],
    "not HTTP": [("send", b"SSH-2.0-OpenSSH\r\n\r\n", "then close")],
}


@pytest.mark.parametrize("name", list(ANSWERS))
def test_each_answer_is_read_as_botocores_session_reads_it(name: str) -> None:
    outcomes = []
    for via_exchange in (False, True):
        with raw_server(*ANSWERS[name]) as server:
            session = _session()
            send = _exchange(session, server.url).send if via_exchange else session.send
            outcomes.append(_outcome(send, _request(server.url)))
    assert outcomes[1] == outcomes[0]
    if name == "closed before answering":
        assert outcomes[1] == ("raised", ConnectionClosedError)


def test_the_request_is_the_bytes_urllib3_writes() -> None:
    with raw_server(("send", _framed(b"{}")), ("send", _framed(b"{}"))) as server:
        session = _session()
        session.send(_request(server.url))
        _exchange(_session(), server.url).send(_request(server.url))
    assert len(server.requests) == 2
    assert server.requests[1] == server.requests[0]
    assert server.requests[1].startswith(b"POST / HTTP/1.1\r\nHost: 127.0.0.1:")


def test_a_read_that_times_out_raises_botocores_read_timeout() -> None:
    for via_exchange in (False, True):
        with raw_server(("hang",)) as server:
            session = _session(read_timeout=0.2)
            send = _exchange(session, server.url).send if via_exchange else session.send
            with pytest.raises(ReadTimeoutError):
                send(_request(server.url))


def test_a_refused_connection_raises_botocores_endpoint_connection_error() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/"
    listener.close()  # nothing listens there now
    with pytest.raises(EndpointConnectionError):
        _exchange(_session(), url).send(_request(url))


def test_a_kept_connection_serves_the_next_request_and_a_closed_one_is_replaced() -> None:
    answers = [("send", _framed(b"{}")), ("send", _framed(b"{}"), "then close")]
    answers += [("send", _framed(b"{}")), ("send", OK + b"Connection: close\r\nContent-Length: 2\r\n\r\n{}")]
    answers += [("send", _framed(b"{}"))]
    with raw_server(*answers) as server:
        exchange = _exchange(_session(), server.url)
        for _ in range(2):
            assert exchange.send(_request(server.url)).status_code == 200
        assert server.connections == 1
        # the server closed that connection after its answer: the next request finds it dropped (once the
        # close happened: else the request goes out on it and fails, as botocore's would)
        server.wait_closed(1)
        assert exchange.send(_request(server.url)).content == b"{}"
        assert server.connections == 2
        # an answer that says Connection: close ends its connection
        exchange.send(_request(server.url))
        exchange.send(_request(server.url))
        assert server.connections == 3


def test_a_kept_connection_closed_unanswered_fails_the_attempt_as_botocores_session_does() -> None:
    # the server reads the second request on the kept connection and closes it unanswered (it may have
    # acted on it): the retry handler decides, as for botocore's own send, so max_attempts counts it
    for via_exchange in (False, True):
        with raw_server(("send", _framed(b"{}")), ("close",)) as server:
            session = _session()
            send = _exchange(session, server.url).send if via_exchange else session.send
            send(_request(server.url))
            with pytest.raises(ConnectionClosedError):
                send(_request(server.url))
            assert (server.connections, len(server.requests)) == (1, 2)


def test_a_failed_exchange_gives_its_slot_back_to_the_pool() -> None:
    with raw_server(*[("close",)] * 12, ("send", _framed(b"{}"))) as server:
        session: Any = URLLib3Session(timeout=cast(Any, (5.0, 5.0)), max_pool_connections=2)
        exchange = _exchange(session, server.url)
        for _ in range(12):
            with pytest.raises(ConnectionClosedError):
                exchange.send(_request(server.url))
        assert exchange.send(_request(server.url)).status_code == 200
        pool = session._get_connection_manager(server.url, None).connection_from_url(server.url)
        assert pool.pool.qsize() == 2


def test_a_url_behind_a_proxy_keeps_the_sessions_own_send() -> None:
    session = URLLib3Session(proxies={"http": "http://127.0.0.1:3128"})
    assert Exchange.of(session, "http://127.0.0.1:4566/") is None
    assert Exchange.of(URLLib3Session(), "http://127.0.0.1:4566/") is not None


@contextmanager
def never_connecting() -> Iterator[str]:
    """The URL of a listener whose backlog is full: the kernel drops a new connection's SYN, so a connect
    there waits until its timeout."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    waiting: list[socket.socket] = []
    try:
        while True:  # fill the backlog (one connection on Linux) until a connect no longer completes
            filler = socket.socket()
            filler.settimeout(0.2)
            waiting.append(filler)
            try:
                filler.connect(listener.getsockname())
            except TimeoutError:
                break
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        listener.close()
        for filler in waiting:
            filler.close()


def test_a_connect_that_times_out_raises_botocores_connect_timeout() -> None:
    with never_connecting() as url:
        for via_exchange in (False, True):
            session = URLLib3Session(timeout=cast(Any, (0.2, 5.0)))
            send = _exchange(session, url).send if via_exchange else session.send
            with pytest.raises(ConnectTimeoutError):
                send(_request(url))


def test_a_statement_whose_endpoint_never_connects_says_to_raise_connect_timeout() -> None:
    with never_connecting() as url:
        connection = apsw.Connection(":memory:")
        options = {"regions": "us-east-1", "account_id": "123456789012", "cache_ttl": 0}
        vtab.register(connection, endpoint_url=url, connect_timeout=0.2, max_attempts=1, **options)
        # not "lost its answer in transport": no connection was ever made
        with pytest.raises(apsw.IOError, match=r"could not connect within connect_timeout=0\.2s"):
            connection.execute("SELECT log_group_name FROM logs_log_groups").fetchall()


@pytest.mark.parametrize("token", ["t0k3n-value\n", "t0k3n-value\r", "t0k3n-value\r\nX-Injected: 1"])
def test_a_header_holding_a_line_break_is_refused_before_anything_is_sent(token: str) -> None:
    with raw_server(("send", _framed(b"{}"))) as server:
        request = _request(server.url)
        request.headers["X-Amz-Security-Token"] = token
        with pytest.raises(UnsendableHeader) as raised:
            _exchange(_session(), server.url).send(request)
    assert "X-Amz-Security-Token" in str(raised.value)
    assert "t0k3n" not in str(raised.value)  # the value never shown
    assert (server.connections, server.requests) == (0, [])


def test_a_session_token_read_with_its_newline_is_named_and_never_shown(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # written as it was, the header ended early and the rest of the request (its signature) became its
    # body; botocore's own send quotes the token in its error
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBcaDsecret-session-token\n")
    connection = connect(emulator, **KNOWN_ACCOUNT)
    with pytest.raises(apsw.SQLError, match="X-Amz-Security-Token header holds a line break") as raised:
        rows(connection, "SELECT log_group_name FROM logs_log_groups")
    assert "secret-session-token" not in str(raised.value)
    assert "AWS_SESSION_TOKEN" in str(raised.value)
    assert not emulator.calls


@pytest.mark.parametrize("path", ["prefix/cloudcontrol", "a b", "a?q=x y", "caf\u00e9"])
def test_an_endpoint_url_with_a_path_is_requested_as_urllib3_writes_it(path: str) -> None:
    with raw_server(("send", _framed(b"{}")), ("send", _framed(b"{}"))) as server:
        url = server.url + path
        exchange = Exchange.of(_session(), url)
        for send in (_session().send, exchange.send if exchange else _session().send):
            assert send(_request(url)).status_code == 200
    assert server.requests[1] == server.requests[0]
    assert (exchange is not None) == (path == "prefix/cloudcontrol")  # the others keep the session's send


def test_a_session_token_with_a_newline_is_never_shown_behind_a_proxy_either(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # behind a proxy, botocore's own send refuses the header, and its message quoted the token
    monkeypatch.setenv("AWS_SESSION_TOKEN", "FwoGZXIvYXdzEBcaDsecret-session-token\n")
    monkeypatch.setenv("HTTP_PROXY", emulator.endpoint_url)
    connection = connect(emulator, **KNOWN_ACCOUNT, max_attempts=1)
    with pytest.raises(
        apsw.SQLError, match=r"UnsendableHeader: .* a request header holds a line break"
    ) as raised:
        rows(connection, "SELECT log_group_name FROM logs_log_groups")
    assert "secret-session-token" not in str(raised.value)
    assert "secret-session-token" not in repr(rows(connection, "SELECT * FROM vtab_calls"))
    assert not emulator.calls
