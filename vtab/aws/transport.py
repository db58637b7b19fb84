"""Answers checked on the wire: a 2xx body that is incomplete, not JSON, or lacks its operation's member is
a transport fault, raised inside botocore's retry loop so it is retried like a reset connection.

Why here: botocore reads bodies with ``enforce_content_length=False`` (a body cut short of its
Content-Length is accepted), and its JSON parser turns an empty or unparseable body into ``{}``, which
reads as an empty last page. Nothing after the parser can tell "no rows" from "no answer", and a check
after botocore's call could no longer retry. The ``before-send`` event is the one hook inside botocore's
retry loop that sees the raw answer: the handler sends the request on the client's own HTTP session
(so proxies, TLS and timeouts stay botocore's) and raises :class:`MalformedAnswerError`, an
``HTTPClientError``, which standard-mode retries count against ``max_attempts`` like any transport fault.
vtab's own calls are sent by ``vtab.aws.wire``, which runs the same check in its retry loop; the hooks
serve botocore's full calls (an operation whose request wire.py cannot rebuild exactly).

One parse per answer: the check parses the body (orjson) and botocore is handed that parse through its
``before-parse`` event instead of parsing the body again with ``json`` and walking it member by member
(about a seventh of a big scan's client instructions, 7-9% of a write's start call or poll). Where the
output is plain JSON (ListResources, GetResource) the parse is botocore's as it stands; a ProgressEvent's
timestamps are converted as botocore's parser converts them. Answers holding members we cannot convert
exactly (GetResourceRequestStatus's HooksProgressEvent) and error answers are botocore's to parse.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, NamedTuple

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


class Answer(NamedTuple):
    """What the check made of an answer: its body parsed (a complete 2xx answer), or why it is malformed."""

    parsed: dict[str, Any] | None = None
    problem: str | None = None


def check_answer(status: int, length: str | None, body: bytes, member: Member | None) -> Answer:
    """A 2xx answer (``length`` is its Content-Length header) parsed, or why it cannot be a complete
    response of its operation; an error answer is neither (botocore's: 5xx are retried, every error raises
    ClientError)."""
    if not 200 <= status < 300:
        return Answer()
    if length is not None and length.isdigit() and int(length) != len(body):
        return Answer(
            problem=f"the body ended after {len(body)} of the {length} bytes its Content-Length announced"
        )
    if not body:
        return Answer(problem="the body is empty")
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:
        return Answer(problem=f"the body is not JSON: {_preview(body)}")
    if not isinstance(parsed, dict):
        return Answer(problem=f"the body is not a JSON object: {_preview(body)}")
    if member is not None:
        name, kind = member
        if not isinstance(parsed.get(name), kind):
            return Answer(
                problem=f"it has no {name} ({'a list' if kind is list else 'an object'}): {_preview(body)}"
            )
        if name == "ProgressEvent":
            return Answer(parsed, _timestamp_problem(parsed[name]))
    return Answer(parsed)


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


PLAIN_TYPES = frozenset({"string", "boolean", "integer", "long", "list", "map", "structure"})
"""Shape types whose JSON botocore's parser returns as it reads them (no timestamps, blobs or floats)."""


def is_plain(shape: Any) -> bool:
    """Whether botocore's parse of ``shape`` would give back the JSON itself (less unmodelled members and
    nulls): only plain types, no member renamed, no document or union to decode."""
    if shape.type_name not in PLAIN_TYPES or shape.serialization.get("name"):
        return False
    if shape.type_name == "structure":
        if shape.is_document_type or shape.is_tagged_union:
            return False
        return all(is_plain(member) for member in shape.members.values())
    if shape.type_name == "list":
        return is_plain(shape.member)
    if shape.type_name == "map":
        return is_plain(shape.key) and is_plain(shape.value)
    return True


FLAT_MEMBER_TYPES = frozenset({"string", "boolean", "integer", "long", "timestamp"})
"""Member types of a structure converted here as botocore converts them (a ProgressEvent's)."""

Reader = Callable[[dict[str, Any]], "dict[str, Any] | None"]
"""Botocore's parse of an answer made from the check's parse of it, or None where only botocore's own parse
is exact (botocore then parses the body as ever)."""


def _modelled(members: Collection[str], value: dict[str, Any]) -> dict[str, Any]:
    """What botocore keeps of a structure: its modelled members that are not null."""
    return {name: found for name, found in value.items() if found is not None and name in members}


def _is_flat(shape: Any) -> bool:
    """A structure of scalars and timestamps, none renamed: converted member by member here, exactly."""
    return (
        shape.type_name == "structure"
        and not shape.is_document_type
        and not shape.is_tagged_union
        and all(
            member.type_name in FLAT_MEMBER_TYPES and not member.serialization.get("name")
            for member in shape.members.values()
        )
    )


class _FlatReader:
    """A flat structure (a ProgressEvent) as botocore parses it: modelled members that are not null, the
    timestamps parsed by botocore's own parser function (``parse_timestamp``)."""

    def __init__(self, shape: Any) -> None:
        self._members = frozenset(shape.members)
        self._timestamps = tuple(
            name for name, member in shape.members.items() if member.type_name == "timestamp"
        )

    def __call__(self, value: Any) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            return None
        parsed = _modelled(self._members, value)
        for name in self._timestamps:
            if name in parsed:
                try:
                    parsed[name] = parse_timestamp(parsed[name])
                except (TypeError, ValueError, OverflowError, OSError):
                    return None  # botocore's parse raises as it would have without us
        return parsed


class _OutputReader:
    """An output whose members are plain or flat structures: botocore's parse of it, unless the answer
    holds a member of another kind (which it then leaves to botocore)."""

    def __init__(self, shape: Any) -> None:
        members = shape.members
        self._members = frozenset(members)
        self._flat = {name: _FlatReader(member) for name, member in members.items() if _is_flat(member)}
        self._foreign = frozenset(
            name
            for name, member in members.items()
            if name not in self._flat and (member.serialization.get("name") or not is_plain(member))
        )

    def __call__(self, answer: dict[str, Any]) -> dict[str, Any] | None:
        parsed = _modelled(self._members, answer)
        if not self._foreign.isdisjoint(parsed):
            return None
        for name, read in self._flat.items():
            if name in parsed:
                found = read(parsed[name])
                if found is None:
                    return None
                parsed[name] = found
        return parsed


def answer_reader(shape: Any) -> Reader | None:
    """How botocore's parse of an answer of ``shape`` is made from the check's, or None when it cannot be
    for any answer (the output has no member converted here)."""
    if is_plain(shape):
        members = frozenset(shape.members)
        return lambda answer: _modelled(members, answer)
    if shape.type_name != "structure" or shape.serialization.get("name"):
        return None
    return _OutputReader(shape) if any(_is_flat(member) for member in shape.members.values()) else None


SENT_ELSEWHERE = "vtab_sent_elsewhere"
"""A request context key: the request's sender (vtab.aws.wire) sends it and checks its answer itself, so
the ``before-send`` check leaves it alone."""

_sending = threading.local()
"""When this thread last handed a request to the HTTP pool (``time.monotonic()``)."""


def note_sent() -> None:
    """A request of this thread leaves for AWS now (each attempt): what ``last_sent_at`` reports."""
    _sending.at = time.monotonic()


def last_sent_at(default: float) -> float:
    """When this thread's last Cloud Control request left for AWS (its last attempt, when botocore retried),
    else ``default``: what a poll's backoff counts from, so time spent building and signing a request
    under load does not shorten the wait AWS sees between two polls."""
    return float(getattr(_sending, "at", default))


class AnswerCheck:
    """A ``before-send`` handler: sends the request itself and raises on a malformed answer. As a
    ``before-parse`` handler (``hand_over``) it gives botocore the parse of a plain answer."""

    def __init__(
        self, http_session: Any, members: Mapping[str, Member], readers: Mapping[str, Reader]
    ) -> None:
        self._session = http_session
        self._members = members
        self._readers = readers
        """The operations whose answers botocore takes from the check's parse, and how."""
        self._parsed = threading.local()
        """This thread's last answer to hand over: (its body, its parse, its reader), until botocore's
        parser takes it."""

    def __call__(self, request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse | None:
        if (getattr(request, "context", None) or {}).get(SENT_ELSEWHERE):
            return None
        note_sent()
        response: AWSResponse = self._session.send(request)  # the body is read whole here
        operation = event_name.rsplit(".", 1)[-1]
        answer = check_answer(
            response.status_code,
            response.headers.get("content-length"),
            response.content,
            self._members.get(operation),
        )
        if answer.problem is not None:
            raise MalformedAnswerError(
                endpoint_url=request.url,
                error=answer.problem,
                request_id=response.headers.get(REQUEST_ID_HEADER),
            )
        reader = self._readers.get(operation)
        self._parsed.answer = (response.content, answer.parsed, reader) if reader is not None else None
        return response

    def hand_over(
        self,
        operation_model: Any,
        response_dict: dict[str, Any],
        customized_response_dict: dict[str, Any],
        **_: Any,
    ) -> None:
        """Give botocore the members of the answer just checked (on this thread) and leave it an empty
        body to parse; any other answer (an error's, one retried, one the reader leaves) is parsed by
        botocore as ever."""
        found, self._parsed.answer = getattr(self._parsed, "answer", None), None
        if found is None or found[0] is not response_dict["body"] or found[1] is None:
            return
        parsed = found[2](found[1])
        if parsed is None:
            return
        customized_response_dict.update(parsed)
        response_dict["body"] = b""


def install(client: Any, members: Mapping[str, Member]) -> None:
    """Check every answer ``client`` receives; ``members`` maps an operation to the member it must hold."""
    model = client.meta.service_model
    service = model.service_id.hyphenize()
    readers = {
        name: reader
        for name in members
        if (reader := answer_reader(model.operation_model(name).output_shape)) is not None
    }
    # botocore exposes no public handle on the client's HTTP session; _endpoint has held it since 2015.
    check = AnswerCheck(client._endpoint.http_session, members, readers)
    client.meta.events.register(f"before-send.{service}", check, unique_id=f"vtab-answer-check-{service}")
    client.meta.events.register(
        f"before-parse.{service}", check.hand_over, unique_id=f"vtab-answer-parse-{service}"
    )
