"""One HTTP/1.1 request and its answer on a connection of the client's own pool, without http.client.

Why: botocore's HTTP session spends about 270 us of CPU on a small Cloud Control call (its proxy lookup,
urllib3's pool manager finding the pool from the URL, http.client writing the request header by header and
reading the answer's headers through the email package), five times what the exchange itself needs on a
kept connection. Every call of a listing, a poll and a start call is such a call.

What is kept of the session: its connection pool for the URL (so its TLS settings, certificate bundle,
client certificate, timeouts and pool size are the client's), and urllib3's connections, which connect
(and speak TLS) as they do for botocore. What this module does instead: the request written as http.client
writes it (its request line, Host and Accept-Encoding, then the request's headers in order, the body) in
one ``sendall``, and the answer read from the socket: its status line, headers, and a body framed by
Content-Length, chunked, or the connection's close. A failure raises what botocore's session raises for it
(EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError, SSLError, ConnectionClosedError), so the
client's retry handler decides as it would; but a TLS handshake that times out is ConnectTimeoutError (its
wait is connect_timeout's; urllib3 calls it a read timeout), and a header holding CR or LF is
UnsendableHeader, which names the header and never its value (http.client's error quotes it).

Not taken (the session's own ``send`` stays): a URL a proxy applies to (an HTTP proxy's request line is
the absolute URL), and botocore's experimental proxy Host header setting.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import ssl
from typing import Any, cast
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import (
    BotoCoreError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import ConnectTimeoutError as URLLib3ConnectTimeoutError
from urllib3.exceptions import NewConnectionError
from urllib3.exceptions import SSLError as URLLib3SSLError
from urllib3.util import Timeout
from urllib3.util.ssl_match_hostname import CertificateError

PROXY_HOST_SETTING = "BOTO_EXPERIMENTAL__ADD_PROXY_HOST_HEADER"
"""botocore's experimental setting for proxies: a session that may need it keeps its own send."""
HEADER_END = b"\r\n\r\n"
READ_SIZE = 65536
MAX_HEAD = 65536
"""The most an answer's status line and headers may take (http.client allows 100 headers of 64 KiB)."""
NO_BODY = frozenset({204, 304})
PLAIN_TARGET = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]+")
"""A request target written as it is (RFC 3986's characters); urllib3 percent-encodes any other (a space in
an endpoint URL's path, say), so a URL holding one keeps the session's send."""


class Answer(AWSResponse):
    """An answer read whole, as botocore's session reads one it does not stream."""

    def __init__(self, url: str, status: int, headers: dict[str, str], body: bytes) -> None:
        super().__init__(url, status, cast(Any, headers), None)
        self._body = body

    @property
    def content(self) -> bytes:
        return self._body


class ClosedEarly(ConnectionError):
    """The connection ended before the answer did (urllib3 says ProtocolError, botocore
    ConnectionClosedError)."""


class UnsendableHeader(BotoCoreError):
    """A request header HTTP cannot carry. Not retried: every attempt would carry it. Its value is not
    shown (botocore's own message quotes it: a session token read with its newline would be printed)."""

    fmt = "the request's {name} header holds a line break (CR or LF), which HTTP cannot carry; {fix}"


SESSION_TOKEN_FIX = (
    "the session token of the credentials has one (the value is not shown): check AWS_SESSION_TOKEN, "
    "the profile's aws_session_token or what its credential_process prints"
)


class Exchange:
    """Requests to one URL on the pool the client's HTTP session keeps for it, from any thread."""

    def __init__(self, url: str, pool: Any) -> None:
        self.url = url
        self._pool = pool
        target = _target(url)
        host = pool.host.encode("idna") if not pool.host.isascii() else pool.host.encode()
        if b":" in host:  # an IPv6 address, as http.client writes it
            host = b"[" + host + b"]"
        if pool.port not in (None, pool.ConnectionCls.default_port):
            host += b":%d" % pool.port
        self._head = b"%s " + target.encode() + b" HTTP/1.1\r\nHost: " + host
        self._head += b"\r\nAccept-Encoding: identity\r\n"
        self._head_breaks = self._head.count(b"\n")
        timeout = pool.timeout if isinstance(pool.timeout, Timeout) else Timeout.from_float(pool.timeout)
        self._connect_timeout = timeout.connect_timeout
        self._read_timeout = timeout.read_timeout

    @classmethod
    def of(cls, session: Any, url: str) -> Exchange | None:
        """The exchange for ``url`` on botocore's HTTP ``session``, or None when the session's own send must
        send it (a proxy applies, or a session this module does not know)."""
        if not PLAIN_TARGET.fullmatch(_target(url)):  # urllib3 percent-encodes it: the session's send does
            return None
        try:
            if session._proxy_config.proxy_url_for(url) or os.environ.get(PROXY_HOST_SETTING):
                return None
            pool = session._get_connection_manager(url, None).connection_from_url(url)
            session._setup_ssl_cert(pool, url, session._verify)
            pool._get_conn, pool._put_conn, pool._validate_conn  # noqa: B018 - urllib3's, since 1.x
        except AttributeError:  # not botocore's URLLib3Session, or another urllib3
            return None
        return cls(url, pool)

    def send(self, request: AWSPreparedRequest) -> AWSResponse:
        """``request`` sent on a pooled connection (a new one when none is idle), its answer read whole.
        A kept connection the server closed is found as urllib3 finds it, before the request goes out;
        one closed a moment later fails the attempt, as it fails botocore's (the retry handler decides:
        the server may have acted on the request, and ``max_attempts`` counts every sending)."""
        data = self._written(request)
        pool = self._pool
        connection = pool._get_conn()
        kept = False
        try:
            # raises botocore's own errors: outside the next clause, which would take them for OSErrors
            # (botocore's ConnectTimeoutError and SSLError are, through requests' exceptions)
            self._connected(connection)
            try:
                connection.sock.settimeout(self._read_timeout)
                status, headers, body, kept = self._exchange(connection.sock, data, request.method)
            except TimeoutError as error:
                raise ReadTimeoutError(endpoint_url=self.url, error=error) from error
            except (ClosedEarly, OSError, ValueError) as error:
                raise ConnectionClosedError(error=error, request=request, endpoint_url=self.url) from error
        finally:
            if not kept:
                connection.close()
            pool._put_conn(connection if kept else None)
        return Answer(self.url, status, headers, body)

    def _connected(self, connection: Any) -> None:
        """A pooled connection connects on its first request, as urllib3 connects it (TLS included)."""
        if connection.sock is not None:
            return
        connection.timeout = self._connect_timeout
        try:
            self._pool._validate_conn(connection)  # HTTPS: connects (and warns when unverified)
            if connection.sock is None:
                connection.connect()
        except URLLib3SSLError as error:
            raise SSLError(endpoint_url=self.url, error=error) from error
        except (NewConnectionError, socket.gaierror) as error:
            raise EndpointConnectionError(endpoint_url=self.url, error=error) from error
        except URLLib3ConnectTimeoutError as error:
            raise ConnectTimeoutError(endpoint_url=self.url, error=error) from error
        except TimeoutError as error:  # a TLS handshake, under connect_timeout
            raise ConnectTimeoutError(endpoint_url=self.url, error=error) from error
        except (ssl.SSLError, CertificateError) as error:  # as urllib3's pool: a certificate not trusted,
            # another host's, an endpoint not speaking TLS; botocore's message names the reason
            raise SSLError(endpoint_url=self.url, error=URLLib3SSLError(error)) from error
        except OSError as error:
            raise EndpointConnectionError(endpoint_url=self.url, error=error) from error
        except Exception as error:  # as botocore's session: anything else is an HTTP client error
            raise HTTPClientError(error=error) from error

    def _written(self, request: AWSPreparedRequest) -> bytes:
        """The request's bytes, as http.client writes them: its request line, Host and Accept-Encoding, its
        headers in order, the body. A header holding CR or LF is refused before anything is sent, as
        http.client refuses it: written, it would end the header early (the rest of the request read as
        its body, and that body as a next request on a kept connection)."""
        lines = [self._head % request.method.encode()]
        try:
            for name, value in request.headers.items():
                lines.append(b"%s: %s\r\n" % (_latin(name), _latin(value)))
            lines.append(b"\r\n")
            body = request.body or b""
            if not isinstance(body, bytes):  # botocore's bodies are bytes; a text encoded as http.client does
                body = _latin(cast(str, body))
        except UnicodeEncodeError as error:  # as botocore's session: http.client's error
            raise HTTPClientError(error=error) from error
        head = b"".join(lines)
        breaks = len(lines) + self._head_breaks - 1
        if head.count(b"\n") != breaks or head.count(b"\r") != breaks:
            name = _broken(request.headers)
            raise UnsendableHeader(name=name, fix=_fix(name))
        return head + body if body else head

    def _exchange(
        self, sock: socket.socket, data: bytes, method: str
    ) -> tuple[int, dict[str, str], bytes, bool]:
        """(status, headers, body, whether the connection may be kept)."""
        # as urllib3: a server may close after a complete answer, which is still read
        with contextlib.suppress(BrokenPipeError):
            sock.sendall(data)
        reader = _Reader(sock)
        status, headers, keep = _head(reader.head())
        while 100 <= status < 200:  # informational answers precede the answer
            status, headers, keep = _head(reader.head())
        if status in NO_BODY or method == "HEAD":
            return status, headers, b"", keep
        if "chunked" in headers.get("transfer-encoding", "").lower():
            body = reader.chunked()
            return status, headers, body, keep and not reader.closed
        length = headers.get("content-length")
        if length is not None:
            # a header said twice is one value "2, 2" (a proxy may repeat it): one length, as urllib3 reads it
            said = {text.strip() for text in length.split(",")}
            size = said.pop()
            if said or not size.isascii() or not size.isdigit():
                raise ClosedEarly(f"the answer's Content-Length is not a number: {length!r}")
            body = reader.up_to(int(size))  # short when the connection closed: transport's check says so
            return status, headers, body, keep and len(body) == int(size)
        return status, headers, reader.until_closed(), False


class _Reader:
    """The answer's bytes, read from the socket as they come."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self.closed = False
        """Whether the server closed the connection (it is not kept then)."""

    def _more(self) -> None:
        chunk = self._sock.recv(READ_SIZE)
        if not chunk:
            self.closed = True
            raise ClosedEarly("the connection closed before the answer ended")
        self._buffer += chunk

    def head(self) -> bytes:
        """The status line and headers, without the empty line that ends them."""
        buffer = self._buffer
        while (end := buffer.find(HEADER_END)) < 0:
            if len(buffer) > MAX_HEAD:
                raise ClosedEarly("the answer's headers are too long")
            self._more()
        head = bytes(buffer[:end])
        del buffer[: end + len(HEADER_END)]
        return head

    def exactly(self, length: int) -> bytes:
        buffer = self._buffer
        while len(buffer) < length:
            self._more()
        body = bytes(buffer[:length])
        del buffer[:length]
        return body

    def up_to(self, length: int) -> bytes:
        """``length`` bytes, or fewer when the connection closes first (as urllib3 reads a body for
        botocore, which does not enforce its length: ``transport.check_answer`` finds it short)."""
        try:
            return self.exactly(length)
        except (ClosedEarly, ConnectionResetError):
            body = bytes(self._buffer)
            self._buffer.clear()
            return body

    def line(self) -> bytes:
        buffer = self._buffer
        while (end := buffer.find(b"\r\n")) < 0:
            if len(buffer) > MAX_HEAD:
                raise ClosedEarly("a chunk's size line is too long")
            self._more()
        line = bytes(buffer[:end])
        del buffer[: end + 2]
        return line

    def chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_text = self.line().split(b";", 1)[0].strip()
            if not size_text or not all(c in b"0123456789abcdefABCDEF" for c in size_text):
                raise ClosedEarly(f"a chunk's size is not hexadecimal: {size_text!r}")
            size = int(size_text, 16)
            if size == 0:
                # trailers, up to the empty line; a server may close without it (as http.client and
                # urllib3 read it, the body is whole)
                with contextlib.suppress(ClosedEarly):
                    while self.line():
                        pass
                return b"".join(parts)
            parts.append(self.exactly(size))
            if self.exactly(2) != b"\r\n":
                raise ClosedEarly("a chunk does not end with CRLF")

    def until_closed(self) -> bytes:
        while True:
            chunk = self._sock.recv(READ_SIZE)
            if not chunk:
                body = bytes(self._buffer)
                self._buffer.clear()
                return body
            self._buffer += chunk


def _head(head: bytes) -> tuple[int, dict[str, str], bool]:
    """(status, headers by lower-case name, whether the connection stays open) of an answer's head."""
    status_line, _, rest = head.partition(b"\r\n")
    version, _, after = status_line.partition(b" ")
    code = after[:3]
    if not version.startswith(b"HTTP/") or len(code) != 3 or not code.isdigit():
        raise ClosedEarly(f"not an HTTP status line: {status_line[:80]!r}")
    headers: dict[str, str] = {}
    for line in rest.split(b"\r\n") if rest else ():
        name, colon, value = line.partition(b":")
        if not colon:
            raise ClosedEarly(f"not an HTTP header line: {line[:80]!r}")
        key = name.strip().decode("latin-1")
        text = value.strip().decode("latin-1")
        found = headers.get(key.lower())
        headers[key.lower()] = text if found is None else f"{found}, {text}"
    connection = headers.get("connection", "").lower()
    keep = "close" not in connection if version != b"HTTP/1.0" else "keep-alive" in connection
    return int(code), headers, keep


def _latin(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("latin-1")


def _broken(headers: Any) -> str:
    """The name of the first header whose name or value holds CR or LF."""
    for name, value in headers.items():
        if any(byte in b"\r\n" for byte in _latin(name) + _latin(value)):
            return str(name)
    return "?"


def _fix(name: str) -> str:
    if name.lower() == "x-amz-security-token":
        return SESSION_TOKEN_FIX
    return "check the setting it comes from (the value is not shown)"


def _target(url: str) -> str:
    """The request target of ``url``: its path and query, as botocore's session takes them."""
    parts = urlsplit(url)
    target = parts.path or "/"
    return f"{target}?{parts.query}" if parts.query else target
