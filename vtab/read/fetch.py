"""The fetch layer: GetResource and ListResources answered from the statement's memo, then the
connection's cache, else asked of Cloud Control (whose client logs, rate-limits and retries each call).

A read scan fetches through the memo and the cache; the write side (the OR IGNORE/REPLACE listing, an
UPDATE's old row) fetches with neither (``Fetcher.fresh``), as a write must see AWS as it is now. Whether a
failed listing means "no rows" is vtab.read.absence's rule, which the fetcher asks.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from typing import Any

import apsw
import orjson

from vtab.aws.cloudcontrol import CloudControl, Page, Properties
from vtab.catalog.schema import ResourceSchema
from vtab.read.absence import listing_cannot_apply
from vtab.read.cache import Key, ResultStore
from vtab.read.regions import PartitionOf, cache_region
from vtab.read.stream import Cancelled

NOT_CANCELLED = threading.Event()
"""For fetchers no scan can close (never set)."""


class Fetcher:
    """GetResource and ListResources for one scan (or one write): answered from ``stores`` in order (each a
    (call-log name, store) pair: ``memo``, then ``hit`` for the TTL cache), else asked, and remembered in
    every store."""

    def __init__(
        self,
        cloud: CloudControl,
        stores: Sequence[tuple[str, ResultStore]] = (),
        cancelled: threading.Event = NOT_CANCELLED,
        *,
        judges_absence: bool = True,
        account: str | None = None,
    ) -> None:
        self.cloud = cloud
        self._account = account
        self._account_key = _account_key(account)
        """What the keys of this account's results start with (the connection's own unnamed: nothing)."""
        self.judges_absence = judges_absence
        """Whether a failed listing is judged by vtab.read.absence (a scan's), or raised (a write's, which
        has its own rule: nothing can exist under a missing parent, and the create says why)."""
        self.stores = list(stores)
        self._cancelled = cancelled
        """The scan's: set when it is closed, so a call not yet made is not made."""
        self._asked: set[Key] = set()
        """The calls this fetcher made itself: their answers are fresh enough to drop rows by."""
        self._max_items = min((store.max_items for _, store in self.stores), default=0)
        """The most resources a listing may hold to be remembered (0: none is)."""

    @classmethod
    def scan(
        cls,
        cloud: CloudControl,
        memo: ResultStore,
        cache: ResultStore,
        cancelled: threading.Event,
        account: str | None = None,
    ) -> Fetcher:
        """A scan's in ``account``: the statement's memo, then the connection's cache."""
        return cls(cloud, [("memo", memo), ("hit", cache)], cancelled, account=account)

    @classmethod
    def fresh(cls, cloud: CloudControl) -> Fetcher:
        """A write's: every call asked of AWS, nothing remembered, a failed listing raised."""
        return cls(cloud, judges_absence=False)

    def _lookup(self, key: Key) -> tuple[str | None, Any]:
        for name, store in self.stores:
            found, value = store.get(key)
            if found:
                return name, value
        return None, None

    def _remember(self, key: Key, value: Any, size: int) -> None:
        for _, store in self.stores:
            store.put(key, value, size)

    def _cache_region(self, schema: ResourceSchema, region: str) -> str:
        return self._account_key + cache_region(schema, region, self.cloud.partition_of)

    def get(
        self, region: str, schema: ResourceSchema, identifier: str, *, dropping: bool = False
    ) -> Properties | None:
        """GetResource (None: no such resource). ``dropping``: a NotFound would drop rows (a parent gone),
        so one remembered from before this scan is asked again: the resource may exist by now."""
        key = (self._cache_region(schema, region), schema.type_name, "get", identifier)
        source, value = self._lookup(key)
        if source and not (dropping and value is None and key not in self._asked):
            self.cloud.log_start("GetResource", region, schema.type_name, identifier=identifier, cache=source)
            return value
        if self._cancelled.is_set():
            raise Cancelled
        properties = self.cloud.get(region, schema, identifier)
        self._asked.add(key)
        self._remember(key, properties, 1)
        return properties

    def listing(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None, *, dropping: bool = False
    ) -> Iterable[Page]:
        """ListResources, page by page; no pages when the listing failed because it cannot apply (its
        parent gone or excluded: vtab.read.absence). ``dropping``: what the listing lacks would drop rows,
        so a listing remembered from before this scan is made again."""
        key = listing_key(schema, region, model, self.cloud.partition_of, self._account)
        source, pages = self._lookup(key)
        if source and not (dropping and key not in self._asked):
            record = self.cloud.log_start(
                "ListResources",
                region,
                schema.type_name,
                resource_model=(
                    orjson.dumps(schema.sensitive.model(model), option=orjson.OPT_SORT_KEYS).decode()
                    if model
                    else None
                ),
                cache=source,
            )
            record.items = sum(len(page) for page in pages)
            yield from pages
            return
        kept: list[Page] | None = [] if self.stores else None
        size = 0
        try:
            for page in self.cloud.list_pages(region, schema, model):
                if self._cancelled.is_set():
                    raise Cancelled
                if kept is not None:
                    size += len(page)
                    kept.append(page)
                    if size > self._max_items:
                        kept = None  # too big to remember: stream it through
                yield page
        except (apsw.NotFoundError, apsw.SQLError):
            if self.judges_absence and listing_cannot_apply(self, region, schema, model):
                return
            raise
        self._asked.add(key)
        if kept is not None:
            self._remember(key, kept, max(size, 1))


def listing_key(
    schema: ResourceSchema,
    region: str,
    model: dict[str, str] | None,
    partition_of: PartitionOf,
    account: str | None = None,
) -> Key:
    """The key a listing is remembered under, by a scan in ``account`` (None: the connection's own,
    unnamed): also what a resumed sync seeds its walk parents under (vtab.sqlite.registry)."""
    model_key = orjson.dumps(model or None, option=orjson.OPT_SORT_KEYS).decode()  # {} lists as None
    region_key = _account_key(account) + cache_region(schema, region, partition_of, listing=True)
    return (region_key, schema.type_name, "list", model_key)


def _account_key(account: str | None) -> str:
    return "" if account is None else f"{account}/"
