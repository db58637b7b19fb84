"""All mutable state of one emulator instance, behind one short lock.

Each instance owns its moto backends (one ``ApiGatewayV2Backend`` per region, account 123456789012)
instead of moto's process-global ``apigatewayv2_backends``, so two emulators never share resources; the
in-memory resources of the other catalog types live beside them, per region.
"""

from __future__ import annotations

import secrets
import threading
from typing import Any

from moto.apigatewayv2.models import ApiGatewayV2Backend

from vtab.emulator.requests import RequestStore

ACCOUNT_ID = "123456789012"


class RegionState:
    """One region: its moto backend (ApiGatewayV2), the in-memory resources of every other type, and the
    created resources List must not show yet."""

    def __init__(self, region: str) -> None:
        self.name = region
        self.backend = ApiGatewayV2Backend(region, ACCOUNT_ID)
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}
        """type name -> identifier -> stored model (write-only properties included), in creation order."""
        self.names: dict[str, dict[str, str]] = {}
        """type name -> the values of an additional identifier (a key) -> the identifier holding them."""
        self.hidden: dict[str, dict[str, int]] = {}
        """type name -> identifier -> list calls of that type it stays invisible for."""


class EmulatorState:
    """Backends per region, the request store and the page-token key. Hold ``lock`` to touch any."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.token_key = secrets.token_bytes(16)
        self._regions: dict[str, RegionState] = {}
        self.requests = RequestStore()

    def region(self, name: str) -> RegionState:
        with self.lock:
            state = self._regions.get(name)
            if state is None:
                state = self._regions[name] = RegionState(name)
            return state

    def reset(self) -> None:
        with self.lock:
            self._regions = {}
            self.requests = RequestStore()
