"""All mutable state of one emulator instance, behind one short lock.

Every resource lives in one account: each account (123456789012 unless the caller's credentials were
assumed into another, see ``accounts.py``) has its own regions and requests. Each instance owns its moto
backends (one ``ApiGatewayV2Backend`` per account and region) instead of moto's process-global
``apigatewayv2_backends``, so two emulators never share resources; the in-memory resources of the other
catalog types live beside them, per region, except those of global types (IAM, Route 53, CloudFront...),
which every region of a partition shares, as in AWS.
"""

from __future__ import annotations

import functools
import secrets
import threading
from random import Random
from typing import Any

import botocore.session
from botocore.exceptions import UnknownRegionError
from moto.apigatewayv2.models import ApiGatewayV2Backend

from vtab.emulator.requests import RequestStore

ACCOUNT_ID = "123456789012"
"""The account of every caller whose credentials were not assumed into another (the organization's
management account when one is created)."""


@functools.cache
def partition_of(region: str) -> str:
    """``eu-west-1`` -> ``aws``, ``cn-north-1`` -> ``aws-cn`` (botocore's endpoint data); a region botocore
    does not know is a partition of its own."""
    try:
        partition: str = _session().get_partition_for_region(region)
    except UnknownRegionError:
        return region
    return partition


@functools.cache
def _session() -> botocore.session.Session:
    return botocore.session.Session()


class Store:
    """The in-memory resources of the catalog types: a region's own, or those a partition's regions share."""

    def __init__(self) -> None:
        self.resources: dict[str, dict[str, dict[str, Any]]] = {}
        """type name -> identifier -> stored model (write-only properties included), in creation order."""
        self.names: dict[str, dict[str, str]] = {}
        """type name -> the values of an additional identifier (a key) -> the identifier holding them."""
        self.hidden: dict[str, dict[str, int]] = {}
        """type name -> identifier -> list calls of that type it stays invisible for."""
        self.regions: list[RegionState] = []
        """A partition's store: its regions used so far (where a type listed account-wide lists from)."""


class RegionState(Store):
    """One region: its moto backend (ApiGatewayV2), the in-memory resources of every other regional type,
    and its partition's store of the global types."""

    def __init__(self, region: str, partition: Store, rng: Random, account_id: str = ACCOUNT_ID) -> None:
        super().__init__()
        self.name = region
        self.account_id = account_id
        self.backend = ApiGatewayV2Backend(region, account_id)
        self.partition = partition
        self.random = rng
        """The emulator's one source of generated ids (``EmulatorState.random``)."""

    def store(self, is_global: bool) -> Store:
        """Where a type's resources live: the partition's store for a global type, else the region's."""
        return self.partition if is_global else self


class AccountState:
    """One account's regions, partitions' stores and resource requests; the lock and the Random are the
    emulator's (``EmulatorState``), shared by every account."""

    def __init__(self, account_id: str, lock: threading.RLock, rng: Random) -> None:
        self.account_id = account_id
        self.lock = lock
        self.random = rng
        self._regions: dict[str, RegionState] = {}
        self._partitions: dict[str, Store] = {}
        self.requests = RequestStore(rng)

    def region(self, name: str) -> RegionState:
        with self.lock:
            state = self._regions.get(name)
            if state is None:
                partition = self._partitions.setdefault(partition_of(name), Store())
                state = self._regions[name] = RegionState(name, partition, self.random, self.account_id)
                partition.regions.append(state)
            return state


class EmulatorState:
    """The accounts, the page-token key and the Random every generated id is drawn from: seeded from
    ``seed`` (``"demo"``) the ids repeat run after run, and again after a reset; without one they differ
    every run. Hold ``lock`` to touch any. ``region`` and ``requests`` are the default account's."""

    def __init__(self, seed: str | None = None) -> None:
        self.lock = threading.RLock()
        self.token_key = secrets.token_bytes(16)
        self.seed = seed
        self.random = Random(seed)
        self._accounts: dict[str, AccountState] = {}

    def account(self, account_id: str = ACCOUNT_ID) -> AccountState:
        """The account's state, created on first use (an account holds nothing until written to)."""
        with self.lock:
            state = self._accounts.get(account_id)
            if state is None:
                state = self._accounts[account_id] = AccountState(account_id, self.lock, self.random)
            return state

    def region(self, name: str) -> RegionState:
        return self.account().region(name)

    @property
    def requests(self) -> RequestStore:
        return self.account().requests

    def reset(self) -> None:
        with self.lock:
            self._accounts = {}
            self.random.seed(self.seed)
