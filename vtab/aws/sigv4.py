"""SigV4 for requests that differ only in their body, date and credentials: the signing key derived once.

Why: botocore signs each request anew: its headers canonicalized through an ``email.message``-based map,
then four HMACs to derive the signing key from the secret, before the one HMAC that signs. Every page of
a listing and every poll of a write is the same request but for its body, so all that is fixed per
(URL, static headers) is canonicalized once here, and the key is derived once per (secret, day, region,
service) and kept. What is signed is exactly what botocore's ``SigV4Auth`` signs (tests/unit/
test_sigv4.py compares the Authorization headers byte for byte, with and without a session token), and
``vtab.aws.wire`` checks each operation's first request against botocore's own before it signs alone.
"""

from __future__ import annotations

import hmac
import threading
from hashlib import sha256

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

ALGORITHM = "AWS4-HMAC-SHA256"
TIMESTAMP = SIGV4_TIMESTAMP
"""``20261207T203000Z``: the X-Amz-Date of a request (UTC)."""

_KEYS: dict[tuple[str, str, str, str], bytes] = {}
_KEYS_LOCK = threading.Lock()
_MOST_KEYS = 1024
"""Keys kept at most (an estate's accounts x regions for a day or two); the cache starts over past it."""


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.digest(key, text.encode(), "sha256")


def derive_key(secret: str, day: str, region: str, service: str) -> bytes:
    """The SigV4 signing key of (secret, day, region, service): four HMACs, as the protocol defines it."""
    key = _hmac(f"AWS4{secret}".encode(), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    """The signing key, derived on first use per (secret, day, region, service) and then kept."""
    scope = (secret, day, region, service)
    found = _KEYS.get(scope)
    if found is None:
        found = derive_key(secret, day, region, service)
        with _KEYS_LOCK:
            if len(_KEYS) >= _MOST_KEYS:
                _KEYS.clear()
            _KEYS[scope] = found
    return found


_NO_CREDENTIALS = ReadOnlyCredentials("", "", None)
"""What a canonical request is made without (botocore's signer only needs credentials to sign)."""


def _trimmed(value: str) -> str:
    """A header value as SigV4 canonicalizes it (botocore's ``_header_value``): runs of spaces as one."""
    return " ".join(value.split())


class Signer:
    """Signs requests of one method and URL whose other signed headers are fixed (``headers``), for one
    region and service: what is fixed is canonicalized once, by botocore's own ``SigV4Auth``."""

    def __init__(self, method: str, url: str, headers: dict[str, str], region: str, service: str) -> None:
        self.region = region
        self.service = service
        fixed = AWSRequest(method=method, url=url, headers=headers, data=b"")
        lines = SigV4Auth(_NO_CREDENTIALS, service, region).canonical_request(fixed).split("\n")
        self._prefix = "\n".join(lines[:3])  # method, path, query
        fixed_lines = {line.split(":", 1)[0]: line for line in lines[3 : lines.index("", 3)]}
        self._layouts = {with_token: _layout(fixed_lines, with_token) for with_token in (False, True)}

    def sign(self, credentials: ReadOnlyCredentials, stamp: str, body: bytes) -> list[tuple[str, str]]:
        """The headers SigV4 adds to a request with ``body`` sent at ``stamp`` (TIMESTAMP format), in the
        order botocore adds them: X-Amz-Date, X-Amz-Security-Token (with a session token), Authorization."""
        token = credentials.token
        entries, signed_names = self._layouts[bool(token)]
        values = {"x-amz-date": stamp, "x-amz-security-token": _trimmed(token) if token else ""}
        block = "\n".join(line if line is not None else f"{name}:{values[name]}" for name, line in entries)
        canonical = f"{self._prefix}\n{block}\n\n{signed_names}\n{sha256(body).hexdigest()}"
        day = stamp[:8]
        scope = f"{day}/{self.region}/{self.service}/aws4_request"
        string_to_sign = f"{ALGORITHM}\n{stamp}\n{scope}\n{sha256(canonical.encode()).hexdigest()}"
        key = signing_key(str(credentials.secret_key), day, self.region, self.service)
        signature = hmac.new(key, string_to_sign.encode(), sha256).hexdigest()
        added = [("X-Amz-Date", stamp)]
        if token:
            added.append(("X-Amz-Security-Token", token))
        added.append(
            (
                "Authorization",
                f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
                f"SignedHeaders={signed_names}, Signature={signature}",
            )
        )
        return added


Layout = tuple[list[tuple[str, "str | None"]], str]
"""(each signed header in SigV4's order: its name and its fixed canonical line, None where the line is
the request's own (date, token)), and the SignedHeaders list."""


def _layout(fixed_lines: dict[str, str], with_token: bool) -> Layout:
    dynamic = ["x-amz-date", "x-amz-security-token"] if with_token else ["x-amz-date"]
    names = sorted(set(fixed_lines) - {"x-amz-date", "x-amz-security-token"} | set(dynamic))
    entries = [(name, None if name in dynamic else fixed_lines[name]) for name in names]
    return entries, ";".join(names)
