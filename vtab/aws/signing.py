"""One Cloud Control client per region signs for every account: each call names its account's credentials.

Why: a botocore client is bound to one region and, through its signer, to one set of credentials; making
one costs 4-6 ms of CPU (its event hooks copied, its endpoint, its signer) and its first call another 2 ms
(operation and endpoint models built for it). An estate of 50 accounts in 2 regions made 100 such clients
before its first rows, all under one GIL. The clients of one region differ only in their credentials, and
botocore's signer takes a call's own credentials from the request context (``request_credentials``, what
S3 Express signs with): so a region's one client serves every account, and its HTTP connections too.

How: ``signing_as(credentials)`` around the call sets them for the calling thread (a ContextVar; botocore
signs, and re-signs each retry, on the thread that makes the call), and the ``before-sign`` handler that
``install`` registers puts them in the request's signing context. No credentials set: the client's own
(the caller's session's).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

_CALL_CREDENTIALS: ContextVar[Credentials | None] = ContextVar("vtab_call_credentials", default=None)


@contextmanager
def signing_as(credentials: Credentials | None) -> Iterator[None]:
    """Calls made on this thread inside the block sign with ``credentials`` (None: the client's own)."""
    token = _CALL_CREDENTIALS.set(credentials)
    try:
        yield
    finally:
        _CALL_CREDENTIALS.reset(token)


def _choose_credentials(request: AWSRequest, **_: Any) -> None:
    credentials = _CALL_CREDENTIALS.get()
    if credentials is not None:
        request.context.setdefault("signing", {})["request_credentials"] = credentials


def install(client: Any) -> None:
    """Sign ``client``'s calls with the credentials ``signing_as`` names, when it names some."""
    service = client.meta.service_model.service_id.hyphenize()
    client.meta.events.register(f"before-sign.{service}", _choose_credentials, unique_id="vtab-signing-as")
