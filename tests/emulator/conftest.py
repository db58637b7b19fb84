"""Fixtures of the emulator tests; the shared `emulator` and `cloudcontrol` are in tests/conftest.py."""

from __future__ import annotations

import pytest

from vtab.emulator import Emulator, Seeded


@pytest.fixture
def seeded(emulator: Emulator) -> Seeded:
    """us-east-1 with one WebSocket API, one integration, three responses, and one HTTP API."""
    return emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3, http_apis=1)
