"""Answers checked on the wire: a 2xx body that is incomplete, not JSON, or lacks its operation's member is
a transport fault, raised inside botocore's retry loop so it is retried like a reset connection.

Why here: botocore reads bodies with ``enforce_content_length=False`` (a body cut short of its
Content-Length is accepted), and its JSON parser turns an empty or unparseable body into ``{}``, which
reads as an empty last page. Nothing after the parser can tell "no rows" from "no answer", and a check
after botocore's call could no longer retry. The ``before-send`` event is the one hook inside botocore's
retry loop that sees the raw answer: the handler sends the request on the client's own HTTP session
(so proxies, TLS and timeouts stay botocore's) and raises :class:`MalformedAnswerError`, an
``HTTPClientError``, which standard-mode retries count against ``max_attempts`` like any transport fault.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import HTTPClientError
from botocore.utils import parse_timestamp

REQUEST_ID_HEADER = "x-amzn-requestid"
"""The header holding the id AWS gives every answer (``x-amzn-RequestId``; botocore's header maps are
case-insensitive, its ResponseMetadata.HTTPHeaders lower-cased)."""

Member = tuple[str, type]
"""(name, JSON type) of the member an operation's answer must hold."""


class MalformedAnswerError(HTTPClientError):
    """A 2xx answer that is not a complete Cloud Control response."""

    fmt = "Malformed answer from {endpoint_url}: {error}"

    @property
    def request_id(self) -> str | None:
        """The answer's x-amzn-RequestId, if it had one: the message names it, as for any AWS answer."""
        found = self.kwargs.get("request_id")
        return str(found) if found else None


def answer_problem(status: int, length: str | None, body: bytes, member: Member | None) -> str | None:
    """Why a 2xx answer (``length`` is its Content-Length header) cannot be a complete response of its
    operation, or None when it can."""
    if not 200 <= status < 300:
        return None  # error answers are botocore's: 5xx are retried, every error raises ClientError
    if length is not None and length.isdigit() and int(length) != len(body):
        return f"the body ended after {len(body)} of the {length} bytes its Content-Length announced"
    if not body:
        return "the body is empty"
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return f"the body is not JSON: {_preview(body)}"
    if not isinstance(parsed, dict):
        return f"the body is not a JSON object: {_preview(body)}"
    if member is not None:
        name, kind = member
        if not isinstance(parsed.get(name), kind):
            return f"it has no {name} ({'a list' if kind is list else 'an object'}): {_preview(body)}"
        if name == "ProgressEvent":
            return _timestamp_problem(parsed[name])
    return None


PROGRESS_EVENT_TIMESTAMPS = ("EventTime", "RetryAfter")
"""The ProgressEvent members botocore parses as timestamps (a bad one would raise ValueError after the
retry loop, turning an accepted write into one that looks refused)."""


def _timestamp_problem(event: dict[str, Any]) -> str | None:
    for name in PROGRESS_EVENT_TIMESTAMPS:
        value = event.get(name)
        if value is None or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            continue
        try:
            parse_timestamp(value)
        except (TypeError, ValueError, OverflowError):
            return f"its ProgressEvent has a {name} that is not a timestamp: {str(value)[:60]!r}"
    return None


def _preview(body: bytes, size: int = 60) -> str:
    text = body[:size].decode("utf-8", "replace")
    return repr(text + ("..." if len(body) > size else ""))


class AnswerCheck:
    """A ``before-send`` handler: sends the request itself and raises on a malformed answer."""

    def __init__(self, http_session: Any, members: Mapping[str, Member]) -> None:
        self._session = http_session
        self._members = members

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse:
        response: AWSResponse = self._session.send(request)  # the body is read whole here
        member = self._members.get(event_name.rsplit(".", 1)[-1])
        problem = answer_problem(
            response.status_code, response.headers.get("content-length"), response.content, member
        )
        if problem is not None:
            raise MalformedAnswerError(
                endpoint_url=request.url, error=problem, request_id=response.headers.get(REQUEST_ID_HEADER)
            )
        return response


def install(client: Any, members: Mapping[str, Member]) -> None:
    """Check every answer ``client`` receives; ``members`` maps an operation to the member it must hold."""
    service = client.meta.service_model.service_id.hyphenize()
    # botocore exposes no public handle on the client's HTTP session; _endpoint has held it since 2015.
    check = AnswerCheck(client._endpoint.http_session, members)
    client.meta.events.register(f"before-send.{service}", check, unique_id=f"vtab-answer-check-{service}")
