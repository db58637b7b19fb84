"""A scan's Cloud Control calls through the statement's memo and the connection's cache, and the judgement
that a failed listing means "no rows" (its parent gone, or excluded by the walk) rather than an error.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any

import apsw
import orjson

from vtab.aws.cloudcontrol import Page, Properties
from vtab.catalog.schema import ParentStep, ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.read.cache import Key, ResultStore
from vtab.read.context import ReadContext
from vtab.read.regions import cache_region
from vtab.read.stream import Cancelled


class CachedCalls:
    """GetResource and ListResources for one scan: answered from the memo, then the cache, else asked."""

    def __init__(self, ctx: ReadContext, memo: ResultStore, cancelled: threading.Event) -> None:
        self.ctx = ctx
        self.memo = memo
        self._cancelled = cancelled
        """The scan's: set when it is closed, so a call not yet made is not made."""
        self._asked: set[Key] = set()
        """The calls this scan made itself: their answers are fresh enough to drop rows by."""

    def _lookup(self, key: Key) -> tuple[str | None, Any]:
        for name, store in (("memo", self.memo), ("hit", self.ctx.cache)):
            found, value = store.get(key)
            if found:
                return name, value
        return None, None

    def _remember(self, key: Key, value: Any, size: int) -> None:
        self.memo.put(key, value, size)
        self.ctx.cache.put(key, value, size)

    def _cache_region(self, schema: ResourceSchema, region: str, *, listing: bool = False) -> str:
        return cache_region(schema, region, self.ctx.cloud.partition_of, listing=listing)

    def get(
        self, region: str, schema: ResourceSchema, identifier: str, *, dropping: bool = False
    ) -> Properties | None:
        """GetResource through the memo and the cache. ``dropping``: a NotFound would drop rows (a parent
        gone), so one remembered from before this scan is asked again: the resource may exist by now."""
        key = (self._cache_region(schema, region), schema.type_name, "get", identifier)
        source, value = self._lookup(key)
        if source and not (dropping and value is None and key not in self._asked):
            self.ctx.cloud.log.start(
                "GetResource", region, schema.type_name, identifier=identifier, cache=source
            )
            return value
        if self._cancelled.is_set():
            raise Cancelled
        properties = self.ctx.cloud.get(region, schema, identifier)
        self._asked.add(key)
        self._remember(key, properties, 1)
        return properties

    def listing(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None, *, dropping: bool = False
    ) -> Iterable[Page]:
        """ListResources through the memo and the cache. ``dropping``: what the listing lacks would drop
        rows, so a listing remembered from before this scan is made again."""
        model_key = orjson.dumps(model or None, option=orjson.OPT_SORT_KEYS).decode()  # {} lists as None
        key = (self._cache_region(schema, region, listing=True), schema.type_name, "list", model_key)
        source, pages = self._lookup(key)
        if source and not (dropping and key not in self._asked):
            record = self.ctx.cloud.log.start(
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
        kept: list[Page] | None = []
        size = 0
        try:
            for page in self.ctx.cloud.list_pages(region, schema, model):
                if self._cancelled.is_set():
                    raise Cancelled
                if kept is not None:
                    size += len(page)
                    kept.append(page)
                    if size > self.memo.max_items:
                        kept = None  # too big to remember: stream it through
                yield page
        except (apsw.NotFoundError, apsw.SQLError):
            # Missing parents answer NotFound, GeneralServiceException or InvalidRequest depending on the
            # handler; only a parent that is gone, or that cannot have children of this type (an HTTP API
            # for integration responses), makes that "no rows" rather than an error.
            if self._listing_cannot_apply(region, schema, model):
                return
            raise
        self._asked.add(key)
        if kept is not None:
            self._remember(key, kept, max(size, 1))

    def _listing_cannot_apply(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None
    ) -> bool:
        """A listing failed: is its parent gone (deleted mid-walk, never existed), or an ancestor one the
        parent chain excludes (its ``keep`` filter, e.g. a non-WebSocket API)? One memoised get per level."""
        if not model:
            return False
        catalog = load_catalog()
        by_parent: dict[tuple[str | None, str | None], Any] = {
            (item.parent, item.parent_property): model[item.input]
            for item in schema.list_inputs
            if item.parent and item.input in model
        }
        for step in reversed(schema.parents):
            ancestor = catalog.schema(step.type_name)
            fed = {
                item.parent_property: model[item.input]
                for item in schema.list_inputs
                if item.parent == step.type_name and item.parent_property and item.input in model
            }
            # the ancestor's own inputs and their aliases (an Environment is 'DomainId|Id', while the
            # listing holds the domain's id as DomainIdentifier): the values of the same parents' ids
            own = {
                prop: value
                for item in ancestor.list_inputs
                if (value := by_parent.get((item.parent, item.parent_property))) is not None
                for prop in item.holders
            }
            try:
                identifier = ancestor.identifier_of({**model, **own, **fed})
            except KeyError:
                if fed and self._absent_from_listing(region, ancestor, step, own, fed):
                    return True
                continue
            properties = self.get(region, ancestor, identifier, dropping=True)
            if properties is None:
                return True
            if not step.keeps(properties):
                return True
        return False

    def _absent_from_listing(
        self,
        region: str,
        ancestor: ResourceSchema,
        step: ParentStep,
        own: dict[str, Any],
        fed: dict[str, Any],
    ) -> bool:
        """A parent whose identifier the listing's model cannot give (an Amplify app is read by its Arn,
        its branches are listed by AppId): gone, or excluded by ``keep``, when its own listing (this
        scan's: a walk has just made it; else made afresh) shows no parent with those values, or only
        excluded ones. False when that cannot be told: the listing needs inputs not known here, fails, or
        its items lack the values."""
        if any(item.property_name not in own for item in ancestor.list_inputs):
            return False
        model = {item.input: own[item.property_name] for item in ancestor.list_inputs}
        try:
            for page in self.listing(region, ancestor, model or None, dropping=True):
                for _, properties in page:
                    if any(name not in properties for name in fed):
                        return False
                    if all(properties[name] == value for name, value in fed.items()):
                        return not step.keeps(properties)
        except apsw.Error:
            return False
        return True
