"""vtab.aws.exchange over TLS, against botocore's own HTTP session on a local TLS server (a CA made for the
test, given as the client's ``verify`` bundle): a trusted certificate answers as over HTTP, and every TLS
failure is botocore's SSLError, which names the certificate problem (not "could not connect")."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
import warnings
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

import apsw
import pytest
from botocore.exceptions import SSLError
from botocore.httpsession import URLLib3Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import vtab
from tests.test_exchange import RawServer, _framed, _outcome, _request
from vtab.aws.exchange import Exchange
from vtab.emulator import Emulator


def _name(text: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _certificates(folder: Path, tag: str, dns: str | None, ip: str | None) -> tuple[str, str, str]:
    """(the CA's bundle, a server certificate it signed for ``dns``/``ip``, that certificate's key)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name(f"vtab test CA {tag}"))
        .issuer_name(_name(f"vtab test CA {tag}"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names: list[x509.GeneralName] = [x509.DNSName(dns)] if dns else []
    names += [x509.IPAddress(ipaddress.ip_address(ip))] if ip else []
    certificate = (
        x509.CertificateBuilder()
        .subject_name(_name(dns or ip or "server"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = [folder / f"{tag}-ca.pem", folder / f"{tag}-cert.pem", folder / f"{tag}-key.pem"]
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_bytes = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths[2].write_bytes(key_bytes)
    return str(paths[0]), str(paths[1]), str(paths[2])


class TLSServer(RawServer):
    """RawServer behind TLS with the given certificate (``plain``: answers HTTP at once, no TLS at all)."""

    def __init__(self, actions: deque[tuple[Any, ...]], certificate: tuple[str, str] | None) -> None:
        self._context: ssl.SSLContext | None = None
        if certificate is not None:
            self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._context.load_cert_chain(*certificate)
        super().__init__(actions)
        self.url = self.url.replace("http://", "https://")

    def _serve(self, peer: socket.socket) -> None:
        if self._context is None:
            with peer:
                peer.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                peer.recv(65536)
            return
        try:
            secured = self._context.wrap_socket(peer, server_side=True)
        except (ssl.SSLError, OSError):
            peer.close()
            return
        super()._serve(secured)


@contextmanager
def tls_server(certificate: tuple[str, str] | None, *actions: tuple[Any, ...]) -> Iterator[TLSServer]:
    server = TLSServer(deque(actions), certificate)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str, str]]:
    folder = tmp_path_factory.mktemp("tls")
    return {
        "ours": _certificates(folder, "ours", "localhost", "127.0.0.1"),
        "other CA": _certificates(folder, "other", "localhost", "127.0.0.1"),
        "another name": _certificates(folder, "name", "example.test", None),
    }


def _outcomes(certificate: tuple[str, str] | None, verify: Any) -> list[tuple[Any, ...]]:
    """What botocore's session, then the exchange on the same session's pool, make of one request."""
    outcomes = []
    for via_exchange in (False, True):
        with tls_server(certificate, ("send", _framed(b"{}"))) as server:
            session = URLLib3Session(verify=verify, timeout=cast(Any, (5.0, 5.0)))
            exchange = Exchange.of(session, server.url)
            assert exchange is not None
            send = exchange.send if via_exchange else session.send
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # verify=False: urllib3's InsecureRequestWarning
                outcomes.append(_outcome(send, _request(server.url)))
    return outcomes


def test_a_trusted_certificate_answers_as_over_http(certificates: dict[str, tuple[str, str, str]]) -> None:
    ca, certificate, key = certificates["ours"]
    outcomes = _outcomes((certificate, key), ca)
    assert outcomes[0][0] == 200
    assert outcomes[1] == outcomes[0]
    assert _outcomes((certificate, key), False)[1][0] == 200  # verify=False: nothing checked


@pytest.mark.parametrize(
    ("served", "verify"),
    [
        ("ours", "other CA"),  # a CA the bundle does not hold (a company's proxy CA not given)
        ("another name", "another name"),  # a certificate for another host name
        ("ours", "the default bundle"),  # a private CA, checked against the system's CAs
        ("plain HTTP", "ours"),  # an https:// URL for an HTTP endpoint (the emulator's)
    ],
)
def test_each_tls_failure_is_botocores_ssl_error(
    certificates: dict[str, tuple[str, str, str]], served: str, verify: str
) -> None:
    certificate = None if served == "plain HTTP" else certificates[served][1:]
    bundle = True if verify == "the default bundle" else certificates[verify][0]
    outcomes = _outcomes(cast(Any, certificate), bundle)
    assert outcomes[1] == outcomes[0] == ("raised", SSLError)


def test_the_ssl_error_says_what_failed(certificates: dict[str, tuple[str, str, str]]) -> None:
    _, certificate, key = certificates["ours"]
    with tls_server((certificate, key)) as server:
        exchange = Exchange.of(URLLib3Session(verify=certificates["other CA"][0]), server.url)
        assert exchange is not None
        with pytest.raises(SSLError, match="CERTIFICATE_VERIFY_FAILED"):
            exchange.send(_request(server.url))
    assert not server.requests  # nothing was sent on a connection not trusted


def test_a_tls_server_that_never_answers_the_handshake_is_a_timeout_not_a_lost_answer() -> None:
    silent = socket.create_server(("127.0.0.1", 0))
    url = f"https://127.0.0.1:{silent.getsockname()[1]}/"
    accepted: list[socket.socket] = []
    thread = threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True)
    thread.start()
    try:
        exchange = Exchange.of(URLLib3Session(timeout=cast(Any, (0.2, 5.0))), url)
        assert exchange is not None
        with pytest.raises(Exception) as raised:
            exchange.send(_request(url))
        # the handshake waits under connect_timeout: botocore's ConnectTimeoutError (vtab: "raise
        # connect_timeout"), not ConnectionClosedError ("lost its answer")
        assert type(raised.value).__name__ == "ConnectTimeoutError"
    finally:
        silent.close()
        for peer in accepted:
            peer.close()


def test_an_https_url_for_the_emulator_says_to_check_the_scheme(emulator: Emulator) -> None:
    # the emulator speaks http:// and waits for a request line that the TLS hello never ends
    connection = apsw.Connection(":memory:")
    url = emulator.endpoint_url.replace("http://", "https://")
    options = {"regions": "us-east-1", "account_id": "123456789012", "cache_ttl": 0}
    vtab.register(connection, endpoint_url=url, connect_timeout=0.2, max_attempts=1, **options)
    with pytest.raises(
        apsw.IOError, match=r"TLS handshake within connect_timeout=0\.2s.*check the endpoint URL's scheme"
    ):
        connection.execute("SELECT log_group_name FROM logs_log_groups").fetchall()
