"""Shared fixtures: fake AWS credentials for the whole session, and a fresh local Cloud Control endpoint.

``emulator`` is a started :class:`vtab.emulator.Emulator` with fresh state per test;
``cloudcontrol(region="us-east-1", **client_kwargs)`` is a plain boto3 ``cloudcontrol`` client on it;
``org`` is an Organization on it (tests/orgs.py: 7 accounts in 3 OUs, log groups in each).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tests.orgs import Org, build_org
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded

if TYPE_CHECKING:
    from mypy_boto3_cloudcontrol import CloudControlApiClient

collect_ignore = ["sqlalchemy_suite"]
"""SQLAlchemy's dialect compliance suite: a pytest run of its own (its plugin takes over collection)."""

_UNSET = (
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_RETRY_MODE",
    "AWS_MAX_ATTEMPTS",
)


@pytest.fixture(scope="session", autouse=True)
def aws_test_environment() -> Iterator[None]:
    """Fake credentials, no profile/config files and no endpoint overrides: nothing reaches a real account."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.setenv("AWS_CONFIG_FILE", os.devnull)
        patch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
        for name in _UNSET:
            patch.delenv(name, raising=False)
        for name in list(os.environ):
            if name.startswith("AWS_ENDPOINT_URL"):
                patch.delenv(name)
        yield


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on: a connection to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator with default switches and empty state, stopped after the test."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def cloudcontrol(emulator: Emulator) -> Callable[..., CloudControlApiClient]:
    """Factory of boto3 ``cloudcontrol`` clients on the emulator: ``cloudcontrol(region="us-east-1")``."""
    cache: dict[str, Any] = {}

    def make(region: str = "us-east-1", **client_kwargs: Any) -> CloudControlApiClient:
        if client_kwargs:
            return boto3.client(
                "cloudcontrol", endpoint_url=emulator.endpoint_url, region_name=region, **client_kwargs
            )
        if region not in cache:
            cache[region] = boto3.client(
                "cloudcontrol", endpoint_url=emulator.endpoint_url, region_name=region
            )
        client: CloudControlApiClient = cache[region]
        return client

    return make


@pytest.fixture
def seeded(emulator: Emulator) -> Seeded:
    """The emulator with 2 WebSocket APIs x 2 integrations x 3 responses and one HTTP API in us-east-1,
    its recorder emptied afterwards so that a test sees only its own calls."""
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=3, http_apis=1)
    emulator.clear_calls()
    return seeded


@pytest.fixture
def org(emulator: Emulator) -> Org:
    """An Organization of the management account and six members in Prod, Prod/Web and Dev (one whose
    organization role cannot be assumed, one SUSPENDED), log groups in each (tests/orgs.py), built with
    plain boto3; the recorder emptied afterwards."""
    built = build_org(emulator)
    emulator.clear_calls()
    return built
