"""The endpoint's HTTP/1.1 framing (http_server.py) as pure functions; the wire tests use sockets."""

from __future__ import annotations

import pytest

from vtab.emulator.http_server import (
    BadRequest,
    HttpRequest,
    HttpResponse,
    chunked_body,
    content_length,
    encode_response,
    parse_head,
)


def test_headers_are_read_with_lower_cased_names_and_repeats_joined() -> None:
    head = b"POST /a HTTP/1.1\r\nX-Amz-Target: CloudApiService.ListResources\r\nAccept: a\r\nACCEPT:  b \r\n"
    method, target, version, headers = parse_head(head.rstrip(b"\r\n"))
    assert (method, target, version) == ("POST", "/a", "HTTP/1.1")
    assert headers == {"x-amz-target": "CloudApiService.ListResources", "accept": "a, b"}


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"POST /\r\nHost: x", "malformed request line 'POST /'"),
        (b"POST / HTTP/1.1\r\nno colon here", "malformed header line 'no colon here'"),
        (b"POST / HTTP/1.1\r\n Folded: x", "malformed header line ' Folded: x'"),
    ],
)
def test_a_malformed_head_is_a_bad_request_naming_the_line(head: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as raised:
        parse_head(head)
    assert raised.value.status == 400


def test_a_chunked_body_is_whole_only_after_its_last_chunk_and_trailer() -> None:
    wire = bytearray(b"HEAD\r\n\r\n4\r\nabcd\r\n3;ext=1\r\nefg\r\n0\r\n\r\nNEXT")
    start = wire.index(b"\r\n\r\n") + 4
    assert chunked_body(wire, start) == (b"abcdefg", len(wire) - len(b"NEXT"))
    for cut in (start + 2, start + 7, len(wire) - len(b"NEXT") - 1):
        assert chunked_body(wire[:cut], start) is None  # not all arrived yet
    with pytest.raises(BadRequest, match="malformed chunk size b'zz'"):
        chunked_body(bytearray(b"zz\r\n"), 0)


@pytest.mark.parametrize(
    ("chunks", "message"),
    [
        (b"-2\r\nab\r\n0\r\n\r\n", "malformed chunk size b'-2'"),  # int() takes a sign: the parse went back
        (b"0x2\r\nab\r\n0\r\n\r\n", "malformed chunk size b'0x2'"),
        (b"2\r\nabXY0\r\n\r\n", "chunk data of 2 bytes not followed by CRLF"),
    ],
)
def test_a_chunk_size_is_hex_digits_and_its_data_ends_with_crlf(chunks: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as raised:
        chunked_body(bytearray(chunks), 0)
    assert raised.value.status == 400


@pytest.mark.parametrize("length", ["\u00b2", "-1", "+1", " 1", "1_0", ""])
def test_a_content_length_is_ascii_digits(length: str) -> None:
    with pytest.raises(BadRequest, match="malformed Content-Length") as raised:
        content_length({"content-length": length})
    assert raised.value.status == 400
    assert content_length({"content-length": "12"}) == 12 and content_length({}) == 0


def test_an_answer_is_one_buffer_framed_by_its_length() -> None:
    response = HttpResponse(400, b'{"a": 1}', "application/json", (("x-amzn-RequestId", "r-1"),))
    kept = encode_response(response, close=False)
    head, _, body = kept.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 400 Bad Request" and body == b'{"a": 1}'
    assert {"Content-Type: application/json", "Content-Length: 8", "x-amzn-RequestId: r-1"} <= set(lines)
    assert "Connection: close" not in lines
    assert b"\r\nConnection: close\r\n" in encode_response(response, close=True)
    head_only = encode_response(response, close=False, head_only=True)
    assert head_only.endswith(b"\r\nContent-Length: 8\r\nx-amzn-RequestId: r-1\r\n\r\n")  # no body


def test_a_form_is_read_from_a_form_post_only() -> None:
    form = {"content-type": "application/x-www-form-urlencoded; charset=utf-8"}
    body = b"Action=AssumeRole&RoleSessionName=a%20b&Action=Other&Empty="
    assert HttpRequest("POST", "/", "", form, body).form == {
        "Action": "AssumeRole",
        "RoleSessionName": "a b",
        "Empty": "",
    }
    assert HttpRequest("POST", "/", "", {"content-type": "application/json"}, body).form == {}
    assert HttpRequest("GET", "/", "", form, body).form == {}
