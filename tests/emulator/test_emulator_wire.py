"""The wire protocol seen raw, the control routes, and the server lifecycle."""

from __future__ import annotations

import errno
import json
import socket
import threading
import urllib.error
import urllib.request
import warnings
from typing import Any, BinaryIO

import boto3
import pytest
from emulator_helpers import API, IR, parent_model

from vtab.emulator import Emulator, Seeded

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250101/{region}/cloudcontrolapi/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0000"
)


def raw(
    emulator: Emulator, target: str | None, body: Any, region: str | None = "us-east-1", method: str = "POST"
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """One HTTP call with a fake SigV4 header; returns status, headers and the decoded JSON body."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(emulator.endpoint_url + "/", data=data, method=method)
    request.add_header("Content-Type", "application/x-amz-json-1.0")
    if target is not None:
        request.add_header("X-Amz-Target", f"CloudApiService.{target}")
    if region is not None:
        request.add_header("Authorization", AUTH.format(region=region))
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def control(emulator: Emulator, path: str, body: Any = None, method: str | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{emulator.endpoint_url}/_emulator/{path}", data=data, method=method or ("POST" if data else "GET")
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_success_reply_shape(emulator: Emulator, seeded: Seeded) -> None:
    status, headers, body = raw(emulator, "GetResource", {"TypeName": IR, "Identifier": seeded.responses[1]})
    assert status == 200
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert body["TypeName"] == IR
    assert "null" not in body["ResourceDescription"]["Properties"]


def test_progress_event_timestamps_are_epoch_seconds_and_nulls_are_omitted(
    emulator: Emulator, seeded: Seeded
) -> None:
    status, _, body = raw(emulator, "DeleteResource", {"TypeName": IR, "Identifier": seeded.responses[0]})
    event = body["ProgressEvent"]
    assert status == 200
    assert isinstance(event["EventTime"], float) and isinstance(event["RetryAfter"], float)
    assert set(event) == {
        "TypeName",
        "RequestToken",
        "Operation",
        "OperationStatus",
        "EventTime",
        "RetryAfter",
        "Identifier",
    }


def test_error_body_shape(emulator: Emulator) -> None:
    status, headers, body = raw(emulator, "GetResource", {"TypeName": IR, "Identifier": "a|b|c"})
    assert status == 400
    assert headers["Content-Type"] == "application/x-amz-json-1.0"
    assert body == {
        "__type": "com.amazon.cloudapiservice#ResourceNotFoundException",
        "Message": f"Resource of type '{IR}' with identifier 'a|b|c' was not found.",
    }


@pytest.mark.parametrize(
    ("target", "body", "region", "status", "code"),
    [
        ("ListResources", {"TypeName": API}, None, 403, "MissingAuthenticationTokenException"),
        ("ListResources", b"{not json", "us-east-1", 400, "SerializationException"),
        ("ListResources", [1], "us-east-1", 400, "SerializationException"),
        ("Frobnicate", {}, "us-east-1", 400, "UnknownOperationException"),
        (None, {}, "us-east-1", 400, "UnknownOperationException"),
        ("GetResource", {"TypeName": IR}, "us-east-1", 400, "ValidationException"),
        ("UpdateResource", {"TypeName": IR, "Identifier": "x"}, "us-east-1", 400, "ValidationException"),
    ],
)
def test_protocol_errors(
    emulator: Emulator, target: str | None, body: Any, region: str | None, status: int, code: str
) -> None:
    got_status, _, got = raw(emulator, target, body, region)
    assert got_status == status
    assert got["__type"].endswith(f"#{code}")


def test_region_comes_from_the_credential_scope(emulator: Emulator) -> None:
    emulator.seed("sa-east-1", websocket_apis=1, http_apis=0)
    _, _, east = raw(emulator, "ListResources", {"TypeName": API}, "us-east-1")
    _, _, south = raw(emulator, "ListResources", {"TypeName": API}, "sa-east-1")
    assert east["ResourceDescriptions"] == [] and len(south["ResourceDescriptions"]) == 1
    assert [c.region for c in emulator.calls] == ["us-east-1", "sa-east-1"]


def test_credentials_are_not_recorded(emulator: Emulator) -> None:
    raw(emulator, "ListResources", {"TypeName": API})
    assert "AKIDEXAMPLE" not in repr(emulator.calls)


def test_control_settings_route(emulator: Emulator, cloudcontrol) -> None:
    status, body = control(emulator, "settings")
    assert status == 200 and body["settings"]["page_size"] == 25 and body["settings"]["latency"] == 0.0
    status, body = control(
        emulator,
        "settings",
        {
            "page_size": 2,
            "identifier_only_lists": True,
            "throttle_next": 1,
            "deny_next": 2,
            "fail_next_call": {"exception": "GeneralServiceException", "message": "boom"},
            "fail_next_write": {"error_code": "NotStabilized", "message": "slow"},
            "refuse_type": {"type": API, "region": "eu-west-1", "exception": "TypeNotFoundException"},
        },
    )
    assert status == 200
    assert body["settings"]["page_size"] == 2 and body["settings"]["identifier_only_lists"] is True
    assert body["pending"] == {
        "throttle_next": 1,
        "deny_next": 2,
        "fail_next_call": [["GeneralServiceException", "boom"]],
        "fail_next_write": [["NotStabilized", "slow"]],
        "refuse_type": [{"type": API, "region": "eu-west-1", "exception": "TypeNotFoundException"}],
    }
    assert emulator.settings.page_size == 2
    control(emulator, "settings", {"throttle_next": 0, "latency": 0.0})
    status, body = control(emulator, "settings", {"page_size": 0})
    assert status == 400 and "page_size" in body["error"]
    status, body = control(emulator, "settings", {"bogus": 1})
    assert status == 400 and "bogus" in body["error"]


def test_control_calls_reset_and_seed_routes(emulator: Emulator, cloudcontrol) -> None:
    status, body = control(emulator, "seed", {"region": "eu-west-1", "websocket_apis": 2, "responses": 1})
    assert status == 200
    (seeded,) = body["seeded"]
    assert seeded["region"] == "eu-west-1" and len(seeded["websocket_api_ids"]) == 2
    assert len(seeded["responses"]) == 2 and len(seeded["http_api_ids"]) == 1
    listed = cloudcontrol("eu-west-1").list_resources(TypeName=API)["ResourceDescriptions"]
    assert sorted(d["Identifier"] for d in listed) == sorted(
        seeded["websocket_api_ids"] + seeded["http_api_ids"]
    )
    status, body = control(emulator, "calls")
    assert [c["operation"] for c in body["calls"]] == ["ListResources"]
    assert body["calls"][0]["region"] == "eu-west-1" and body["calls"][0]["items"] == 3
    assert control(emulator, "calls", method="DELETE") == (200, {"ok": True})
    assert emulator.calls == []
    assert control(emulator, "reset", {}) == (200, {"ok": True})
    assert cloudcontrol("eu-west-1").list_resources(TypeName=API)["ResourceDescriptions"] == []
    status, body = control(emulator, "seed", {"demo": True})
    assert status == 200 and {s["region"] for s in body["seeded"]} == {"us-east-1", "eu-west-1"}
    assert control(emulator, "seed", {"bogus": 1})[0] == 400
    assert control(emulator, "nope")[0] == 404
    assert control(emulator, "health") == (200, {"ok": True})
    # Control calls are not Cloud Control calls.
    assert [c.operation for c in emulator.calls] == ["ListResources"]


def test_the_seed_routes_seed_the_account_they_name(emulator: Emulator, cloudcontrol) -> None:
    member = emulator.seed_org(2).account_ids[1]
    status, body = control(emulator, "seed", {"region": "us-east-1", "account": member, "http_apis": 0})
    assert status == 200
    status, _ = control(emulator, "seed", {"type": "AWS::Logs::LogGroup", "account": member, "count": 2})
    assert status == 200
    assert cloudcontrol().list_resources(TypeName=API)["ResourceDescriptions"] == []  # not the caller's
    assert cloudcontrol().list_resources(TypeName="AWS::Logs::LogGroup")["ResourceDescriptions"] == []
    answer = emulator.state.account(member).region("us-east-1")
    assert sorted(answer.backend.apis) == sorted(body["seeded"][0]["websocket_api_ids"])
    status, body = control(emulator, "seed", {"region": "us-east-1", "account": "42"})
    assert (status, body) == (400, {"error": "seed account '42' is not a 12-digit account id"})


def test_describe_regions_answers_the_enabled_regions(emulator: Emulator) -> None:
    ec2 = boto3.client("ec2", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    assert len(ec2.describe_regions()["Regions"]) == 17
    emulator.configure(enabled_regions=("eu-west-1", "us-east-1"))
    assert [r["RegionName"] for r in ec2.describe_regions()["Regions"]] == ["eu-west-1", "us-east-1"]
    assert [call.operation for call in emulator.calls] == ["DescribeRegions", "DescribeRegions"]


def test_reset_from_python_drops_state_calls_and_pending_faults(
    emulator: Emulator, cloudcontrol, seeded: Seeded
) -> None:
    cloudcontrol().delete_resource(TypeName=IR, Identifier=seeded.responses[0])
    emulator.throttle_next(5)
    emulator.configure(page_size=3)
    emulator.reset()
    assert emulator.calls == [] and emulator.backend("us-east-1").apis == {}
    assert cloudcontrol().list_resource_requests()["ResourceRequestStatusSummaries"] == []
    assert emulator.settings.page_size == 3


def test_boto3_finds_the_endpoint_through_the_environment(
    emulator: Emulator, seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", emulator.endpoint_url)
    client = boto3.client("cloudcontrol", region_name="us-east-1")
    out = client.list_resources(TypeName=IR, ResourceModel=parent_model(*seeded.integrations[0]))
    assert [d["Identifier"] for d in out["ResourceDescriptions"]] == list(seeded.responses)


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("vtab-emulator") and t.is_alive()]


def test_stop_closes_the_port_and_joins_threads_even_with_keep_alive_clients() -> None:
    before = set(_emulator_threads())  # other emulators' threads may come and go meanwhile
    emulator = Emulator().start()
    port = emulator.port
    client = boto3.client("cloudcontrol", endpoint_url=emulator.endpoint_url, region_name="us-east-1")
    client.list_resources(TypeName=API)  # leaves a keep-alive connection open
    started = set(_emulator_threads()) - before
    assert started  # the server's thread and the keep-alive connection's
    emulator.stop()
    assert [thread.name for thread in started if thread.is_alive()] == []
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        pass
    emulator.stop()  # stopping twice is harmless
    with pytest.raises(RuntimeError):
        _ = emulator.endpoint_url


def test_a_connection_that_cannot_be_set_up_is_closed_and_the_next_one_served(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The accepted socket's setsockopt fails (macOS answers EINVAL for a peer that reset before it was
    set up; here the OS call is made to fail for the endpoint's sockets): the endpoint closes that socket,
    rather than leave it to the garbage collector (an unclosed-socket ResourceWarning) or hold it open,
    says why in its log, and serves the next connection."""
    port = emulator.port
    real = socket.socket.setsockopt

    def refuse(sock: socket.socket, level: int, option: int, *value: Any) -> None:
        if sock.getsockname()[1] == port and (level, option) == (socket.IPPROTO_TCP, socket.TCP_NODELAY):
            raise OSError(errno.EINVAL, "Invalid argument")
        real(sock, level, option, *value)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        monkeypatch.setattr(socket.socket, "setsockopt", refuse)
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            assert sock.recv(1) == b""  # closed by the endpoint (the timeout only bounds a failure)
        monkeypatch.undo()
    assert [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)] == []
    assert "could not set up a connection: [Errno 22] Invalid argument" in caplog.text
    assert control(emulator, "health") == (200, {"ok": True})


def _answer(sock: socket.socket) -> tuple[bytes, dict[str, str], bytes]:
    """One HTTP answer read off ``sock``: status line, headers (lower-cased names) and the body its
    Content-Length frames. (Its reader buffers ahead: for two answers sent at once, read both off one
    ``sock.makefile("rb")`` with ``_read_answer``.)"""
    return _read_answer(sock.makefile("rb"))


def _read_answer(stream: BinaryIO) -> tuple[bytes, dict[str, str], bytes]:
    """The next HTTP answer on ``stream``."""
    status = stream.readline().strip()
    headers = {}
    while line := stream.readline().strip():
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    return status, headers, stream.read(int(headers["content-length"]))


def test_a_connection_stays_open_for_the_next_call_as_aws_keeps_it(emulator: Emulator) -> None:
    """AWS keeps connections open; an endpoint that closed each one cost every call a TCP setup. Two
    calls go over one socket, the first with a body the route never reads (it must not be taken for the
    second request)."""
    host, port = emulator.endpoint_url.removeprefix("http://").split(":")
    call = (
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n"
        "X-Amz-Target: CloudApiService.ListResources\r\nAuthorization: {auth}\r\nContent-Length: {length}"
        "\r\n\r\n{body}"
    )
    body = json.dumps({"TypeName": API})
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        unread = "x" * 100
        sock.sendall(
            f"GET /_emulator/health HTTP/1.1\r\nHost: {host}\r\nContent-Length: 100\r\n\r\n{unread}".encode()
        )
        status, headers, answer = _answer(sock)
        assert (status, json.loads(answer)) == (b"HTTP/1.1 200 OK", {"ok": True})
        assert headers.get("connection") != "close"
        auth = AUTH.format(region="us-east-1")
        sock.sendall(call.format(host=host, auth=auth, length=len(body), body=body).encode())
        status, headers, answer = _answer(sock)
        assert status == b"HTTP/1.1 200 OK" and json.loads(answer)["ResourceDescriptions"] == []
        assert headers.get("connection") != "close"
    assert [call.operation for call in emulator.calls] == ["ListResources"]


def test_a_stray_crlf_between_calls_is_skipped_and_a_malformed_length_is_a_400(emulator: Emulator) -> None:
    """Some clients end a POST's body with an extra CRLF: RFC 9112 has a server ignore empty lines before a
    request line (it was taken for a malformed one). A Content-Length of non-ASCII digits ('²' passes
    isdigit) is answered 400, not dropped with no answer."""
    host, port = emulator.endpoint_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(_call_bytes(host, "ListResources", {"TypeName": API}) + b"\r\n")
        sock.sendall(_call_bytes(host, "ListResources", {"TypeName": API}))
        stream = sock.makefile("rb")  # one reader for both answers: they may arrive in one read
        for _ in range(2):
            status, headers, answer = _read_answer(stream)
            assert status == b"HTTP/1.1 200 OK" and json.loads(answer)["ResourceDescriptions"] == []
        sock.sendall("POST / HTTP/1.1\r\nContent-Length: \u00b2\r\n\r\nab".encode("latin-1"))
        status, headers, answer = _read_answer(stream)
        assert (status, headers["connection"]) == (b"HTTP/1.1 400 Bad Request", "close")
        assert answer == "malformed Content-Length '\u00b2'".encode()
    assert [call.operation for call in emulator.calls] == ["ListResources", "ListResources"]


def _call_bytes(host: str, target: str, body: dict[str, Any], chunked: bool = False) -> bytes:
    """A Cloud Control call as raw HTTP/1.1, its body framed by Content-Length or in two chunks."""
    data = json.dumps(body).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: CloudApiService.{target}\r\nAuthorization: {AUTH.format(region='us-east-1')}\r\n"
    ).encode()
    if not chunked:
        return head + f"Content-Length: {len(data)}\r\n\r\n".encode() + data
    half = len(data) // 2
    chunks = b"".join(f"{len(part):x}\r\n".encode() + part + b"\r\n" for part in (data[:half], data[half:]))
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


def test_160_kept_connections_wait_out_their_latency_together_without_a_thread_each(
    emulator: Emulator, seeded: Seeded
) -> None:
    """A sync keeps 80-160 connections open. Each call's latency is a timer, not a sleeping thread: all
    160 calls are held at once (none queued behind another's sleep), and no connection gets a thread of
    its own (160 threads contending for the GIL doubled the endpoint's CPU per call)."""
    host, port = emulator.endpoint_url.removeprefix("http://").split(":")
    before = set(_emulator_threads())
    emulator.configure(latency=0.5)
    sockets = [socket.create_connection((host, int(port)), timeout=30) for _ in range(160)]
    try:
        for sock in sockets:
            sock.sendall(_call_bytes(host, "ListResources", {"TypeName": API}))
        answers = [_answer(sock) for sock in sockets]
        started = set(_emulator_threads()) - before
    finally:
        for sock in sockets:
            sock.close()
    assert {status for status, _, _ in answers} == {b"HTTP/1.1 200 OK"}
    assert all(json.loads(body)["ResourceDescriptions"] for _, _, body in answers)
    calls = emulator.calls
    assert len(calls) == 160
    assert max(c.at for c in calls) < min(c.finished_at for c in calls)  # all 160 were held at once
    assert [thread.name for thread in started] == []


def test_a_chunked_call_keeps_the_connection_open_for_the_next_one(
    emulator: Emulator, seeded: Seeded
) -> None:
    """A body sent in chunks (Transfer-Encoding: chunked) is read whole, and the connection serves the
    next call as after any other (werkzeug's server closed it)."""
    host, port = emulator.endpoint_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(_call_bytes(host, "ListResources", {"TypeName": API}, chunked=True))
        status, headers, answer = _answer(sock)
        assert status == b"HTTP/1.1 200 OK" and headers.get("connection") != "close"
        assert [d["Identifier"] for d in json.loads(answer)["ResourceDescriptions"]] == list(seeded.api_ids)
        sock.sendall(_call_bytes(host, "GetResource", {"TypeName": API, "Identifier": seeded.api_ids[0]}))
        status, _, answer = _answer(sock)
        assert status == b"HTTP/1.1 200 OK"
        assert json.loads(answer)["ResourceDescription"]["Identifier"] == seeded.api_ids[0]
    assert [call.operation for call in emulator.calls] == ["ListResources", "GetResource"]


def test_a_call_whose_client_left_during_its_latency_is_still_made(emulator: Emulator) -> None:
    """As AWS acts on a request whose client stopped waiting (a client's read timeout does not undo a
    create), the endpoint makes a call whose connection closed while it was held; a client that
    half-closes after sending still gets its answer."""
    host, port = emulator.endpoint_url.removeprefix("http://").split(":")
    emulator.configure(latency=0.3)
    create = {"TypeName": "AWS::Logs::LogGroup", "DesiredState": json.dumps({"LogGroupName": "left"})}
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(_call_bytes(host, "CreateResource", create))
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(_call_bytes(host, "ListResources", {"TypeName": API}))
        sock.shutdown(socket.SHUT_WR)
        status, _, _ = _answer(sock)
        assert status == b"HTTP/1.1 200 OK"
    assert emulator.recorder.wait_for(lambda calls: len(calls) == 2, timeout=30)
    assert sorted(call.operation for call in emulator.calls) == ["CreateResource", "ListResources"]


def test_binds_loopback_only(emulator: Emulator) -> None:
    assert emulator.endpoint_url.startswith("http://127.0.0.1:")
    assert emulator._server is not None
    assert emulator._server.address[0] == "127.0.0.1"


def test_an_emulator_bug_is_a_500_internal_failure_not_a_hang(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(operation: str, region: str, params: dict[str, Any], account_id: str) -> dict[str, Any]:
        raise RuntimeError("boom")

    monkeypatch.setattr(emulator.service, "handle", broken)
    status, _, body = raw(emulator, "ListResources", {"TypeName": API})
    assert status == 500
    assert body["__type"].endswith("#InternalFailure")
    assert "boom" in caplog.text
    assert emulator.calls[-1].error_code == "InternalFailure"
