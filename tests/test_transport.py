"""Pure logic of the transport checks: which answers are malformed, which failures leave a write's fate
open. (End to end, through SQL and a fault proxy: tests/test_faults.py.)"""

from __future__ import annotations

import apsw
import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from vtab.aws import errors
from vtab.aws.transport import MalformedAnswerError, check_answer

PAGE = ("ResourceDescriptions", list)
PAGE_BODY = b'{"TypeName":"T","ResourceDescriptions":[]}'


def test_a_complete_answer_holding_its_member_is_fine() -> None:
    assert check_answer(200, str(len(PAGE_BODY)), PAGE_BODY, PAGE).problem is None
    assert check_answer(200, None, PAGE_BODY, PAGE).problem is None  # chunked: no Content-Length to compare


@pytest.mark.parametrize(
    ("length", "body", "problem"),
    [
        (
            "80",
            PAGE_BODY,
            f"the body ended after {len(PAGE_BODY)} of the 80 bytes its Content-Length announced",
        ),
        ("0", b"", "the body is empty"),
        (None, b"<html>down</html>", "the body is not JSON: '<html>down</html>'"),
        (None, b'{"ResourceDescriptions": [', """the body is not JSON: '{"ResourceDescriptions": ['"""),
        (None, b"[]", "the body is not a JSON object: '[]'"),
        (None, b"{}", "it has no ResourceDescriptions (a list): '{}'"),
        (
            None,
            b'{"ResourceDescriptions": {}}',
            """it has no ResourceDescriptions (a list): '{"ResourceDescriptions": {}}'""",
        ),
    ],
)
def test_a_malformed_2xx_answer_says_what_is_wrong(length: str | None, body: bytes, problem: str) -> None:
    assert check_answer(200, length, body, PAGE).problem == problem


def test_error_answers_are_left_to_botocore() -> None:
    assert check_answer(503, "10", b"<html>", PAGE).problem is None


def test_a_long_body_is_shown_cut() -> None:
    body = b"<html>" + b"x" * 100
    problem = check_answer(200, None, body, None).problem
    assert problem == f"the body is not JSON: {(body[:60].decode() + '...')!r}"


def _client_error(status: int, code: str = "InternalFailure") -> ClientError:
    response = {"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "CreateResource")  # type: ignore[arg-type]


def _wrapped(cause: BaseException) -> apsw.Error:
    """As CloudControl raises it: an apsw error whose cause is botocore's."""
    error = apsw.SQLError("x")
    error.__cause__ = cause
    return error


@pytest.mark.parametrize(
    "cause",
    [
        ConnectionClosedError(endpoint_url="http://x"),
        ReadTimeoutError(endpoint_url="http://x"),
        MalformedAnswerError(endpoint_url="http://x", error="the body is empty"),
        EndpointConnectionError(endpoint_url="http://x"),
        _client_error(503),
    ],
    ids=lambda c: type(c).__name__,
)
def test_a_call_without_a_usable_answer_may_have_acted(cause: BaseException) -> None:
    assert errors.lost_in_transport(_wrapped(cause))


@pytest.mark.parametrize(
    "cause", [_client_error(400, "ThrottlingException"), NoCredentialsError()], ids=lambda c: type(c).__name__
)
def test_a_refusal_or_a_failure_before_sending_did_not_act(cause: BaseException) -> None:
    assert not errors.lost_in_transport(_wrapped(cause))


def test_an_answer_checked_after_parsing_counts_as_lost() -> None:
    assert errors.lost_in_transport(errors.malformed_answer("CreateResource T in r", "holds no RequestToken"))


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ReadTimeoutError(endpoint_url="http://x"), "Timeout"),
        (MalformedAnswerError(endpoint_url="http://x", error="e"), "MalformedAnswer"),
        (ConnectionClosedError(endpoint_url="http://x"), "NetworkFailure"),
        (EndpointConnectionError(endpoint_url="http://x"), "NetworkFailure"),
        (NoCredentialsError(), "NoCredentialsError"),
    ],
)
def test_transport_codes(error: Exception, code: str) -> None:
    assert errors.transport_code(error) == code  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("metadata", "request_id"),
    [
        ({"RequestId": "parsed-id", "HTTPHeaders": {"x-amzn-requestid": "parsed-id"}}, "parsed-id"),
        # botocore parses no RequestId out of a bare 5xx page (empty or HTML): the header still has it
        ({"HTTPHeaders": {"x-amzn-requestid": "header-id"}}, "header-id"),
        ({"HTTPHeaders": {}}, None),
        ({}, None),
    ],
)
def test_the_request_id_comes_from_the_answer_botocore_parsed_or_its_header(
    metadata: dict[str, object], request_id: str | None
) -> None:
    response = {"Error": {"Code": "503", "Message": "Service Unavailable"}, "ResponseMetadata": metadata}
    assert errors.request_id_of(ClientError(response, "ListResources")) == request_id  # type: ignore[arg-type]


def test_a_malformed_answer_keeps_its_request_id() -> None:
    assert MalformedAnswerError(endpoint_url="http://x", error="e", request_id="r-1").request_id == "r-1"
    assert MalformedAnswerError(endpoint_url="http://x", error="e").request_id is None
