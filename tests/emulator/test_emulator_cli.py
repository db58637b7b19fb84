"""``python -m vtab.emulator`` as a user runs it: a subprocess on a free port, answering boto3."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import boto3
import pytest
from emulator_helpers import API


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_listening(process: subprocess.Popen[str], port: int, timeout: float = 30.0) -> None:
    """Poll for a TCP connection (the process needs a moment to import moto)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"emulator exited early: {process.communicate()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("emulator did not start listening")


@pytest.fixture
def cli() -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vtab.emulator", "--port", str(port), "--seed", "demo", "--latency", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        _wait_until_listening(process, port)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def test_cli_serves_the_demo_data_and_prints_how_to_connect(cli: tuple[subprocess.Popen[str], int]) -> None:
    process, port = cli
    url = f"http://127.0.0.1:{port}"
    for region in ("us-east-1", "eu-west-1"):
        client = boto3.client("cloudcontrol", endpoint_url=url, region_name=region)
        apis = client.list_resources(TypeName=API)["ResourceDescriptions"]
        assert len(apis) == 4
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert f"AWS_ENDPOINT_URL_CLOUDCONTROL={url}" in out
    assert f'endpoint_url="{url}"' in out
    assert "seeded us-east-1: 4 APIs, 6 WebSocket integrations, 24 integration responses" in out
    assert "testing" not in err


def test_cli_reports_a_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "vtab.emulator", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode != 0
    assert str(port) in result.stderr


def _demo_api_ids(hash_seed: str) -> list[str]:
    """Start ``--seed demo`` (with the given PYTHONHASHSEED), list its Apis, stop it."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "vtab.emulator", "--port", str(port), "--seed", "demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONHASHSEED": hash_seed},
    )
    try:
        _wait_until_listening(process, port)
        client = boto3.client(
            "cloudcontrol", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1"
        )
        return [d["Identifier"] for d in client.list_resources(TypeName=API)["ResourceDescriptions"]]
    finally:
        process.kill()
        process.communicate()


def test_cli_seed_demo_gives_the_same_ids_every_run() -> None:
    first = _demo_api_ids("1")
    assert len(first) == 4
    assert _demo_api_ids("2") == first
