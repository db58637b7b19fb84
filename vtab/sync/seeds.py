"""A resumed shard's walk parents, taken from its own file instead of listed again.

A walk lists its parents (log groups, APIs, their integrations) before its own type, and a run killed
half-way has written many of those parents' rows already, each in its own task. A resume seeds its shard's
read cache with the listing of every parent whose task is done in the same run, built from the rows that
run wrote (``_vtab_synced_at`` its start), so that the two runs together list each parent once, as one run
does. An earlier sync's rows, a parent task not done, and a parent listed account-wide (its listing spans
regions) are listed as before.

Only what a walk reads of a parent goes in: its identifier, and the text properties the listings below it
take (``ApiId``), its steps keep (``ProtocolType``) and its own listing was made with (which listing an
item belongs to). A parent any of whose rows cannot say its own listing's inputs is listed as before. A
listing that found nothing (the routes of an API without any) is seeded only where the file tells it was
made: its parent's rows, done in the same run, name it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence

import orjson

from vtab.catalog import load_catalog
from vtab.catalog.columns import quote
from vtab.catalog.schema import InputSource, ListInput, ResourceSchema
from vtab.sync.plan import ParentListing, Shard, TaskStatus
from vtab.sync.store import IDENTIFIER_COLUMN, SYNCED_AT_COLUMN, TASKS_TABLE, Run, Store


def with_parents(store: Store, run: Run, shards: Iterable[Shard]) -> list[Shard]:
    """Each shard with the parent listings its tasks' walks can take from the file."""
    written = Written(store, run)
    return [dataclasses.replace(shard, listings=written.parent_listings(shard)) for shard in shards]


Rows = list[tuple[str, dict[str, str]]]
"""(identifier, properties) of a type's rows in the file."""


class Written:
    """What a run wrote in its file: its done tasks (asked once), and their rows."""

    def __init__(self, store: Store, run: Run) -> None:
        self.db = store.db
        self.run = run
        self._done: dict[tuple[str, str, str], tuple[str, str]] = {}
        """(account, region, type name) -> (table, region) of each task done in the run; a global type's
        also under the region ``''`` (its one task is in the account's first region)."""
        for account, region, type_name, table in self.db.execute(
            f"SELECT account_id, region, type_name, table_name FROM {TASKS_TABLE} "
            "WHERE sync_id = ? AND status = ?",
            (run.sync_id, TaskStatus.DONE.value),
        ):
            place = (str(table), str(region))
            self._done[(str(account), str(region), str(type_name))] = place
            self._done[(str(account), "", str(type_name))] = place
        self._columns: dict[str, set[str]] = {}

    def parent_listings(self, shard: Shard) -> tuple[ParentListing, ...]:
        """The listings of the walk parents of ``shard``'s tasks whose own task is done in the run."""
        catalog = load_catalog()
        read: dict[str, set[str]] = {}
        """Parent type -> the properties the walks below it read of it."""
        for type_name in sorted({task.type_name for task in shard.tasks}):
            schema = catalog.schema(type_name)
            levels = [catalog.schema(step.type_name) for step in schema.parents] + [schema]
            for step in schema.parents:
                wanted = read.setdefault(step.type_name, set())
                wanted.update(step.keep)
                wanted.update(
                    item.parent_property
                    for level in levels
                    for item in level.list_inputs
                    if item.parent == step.type_name and item.parent_property
                )
        found: list[ParentListing] = []
        for parent, wanted in sorted(read.items()):
            found.extend(self._listings(shard, catalog.schema(parent), wanted))
        return tuple(found)

    def _listings(self, shard: Shard, schema: ResourceSchema, wanted: set[str]) -> list[ParentListing]:
        inputs = {item.property_name for item in schema.list_inputs}
        rows = self._rows(shard, schema, wanted | inputs)
        if rows is None:
            return []
        groups: dict[str, ParentListing] = {}
        for made in self._made(shard, schema):
            groups[_key(made)] = ParentListing(schema.type_name, made, [])
        for identifier, properties in rows:
            model = _model(schema.list_inputs, properties, lambda item: item.property_name)
            if model is None:
                return []  # which listing holds it cannot be told: the parent is listed as before
            listing = groups.setdefault(_key(model), ParentListing(schema.type_name, model, []))
            listing.items.append((identifier, properties))
        return list(groups.values())

    def _made(self, shard: Shard, schema: ResourceSchema) -> list[dict[str, str]]:
        """The listings of ``schema`` its own task made, those that found nothing included: one without
        inputs; else one per item of its parent in the file, when every input is that parent's (``ApiId``)
        and no step of its walk left parents out but the last, whose filter is checked here. Otherwise none
        can be told (only the listings that hold rows are seeded)."""
        if not schema.list_inputs:
            return [{}]
        if not schema.parents or any(step.keep for step in schema.parents[:-1]):
            return []
        step = schema.parents[-1]
        if any(
            item.source is not InputSource.PARENT or item.parent != step.type_name
            for item in schema.list_inputs
        ):
            return []
        fed = {item.parent_property for item in schema.list_inputs if item.parent_property}
        parents = self._rows(shard, load_catalog().schema(step.type_name), fed | set(step.keep))
        if parents is None:
            return []
        made = []
        for _, properties in parents:
            model = _model(schema.list_inputs, properties, lambda item: item.parent_property)
            if model is None:
                return []
            if step.keeps(properties):
                made.append(model)
        return made

    def _rows(self, shard: Shard, schema: ResourceSchema, wanted: set[str]) -> Rows | None:
        """The rows the run wrote of ``schema`` in the shard's account and region, with the ``wanted``
        properties the file holds as they were read (and the identifier's parts); None when its task is
        not done in the run, or it is listed account-wide (its listing spans regions)."""
        if schema.is_listed_account_wide:
            return None
        region = "" if schema.is_global else shard.region  # a global type's task is in one region only
        done = self._done.get((shard.account_id, region, schema.type_name))
        if done is None:
            return None
        table, region = done
        present = self._present(table)
        columns = {
            prop: schema.column_of(prop)
            for prop in sorted(wanted)
            if schema.column_of(prop) in present and _plain_text(schema, prop)
        }
        selected = ", ".join(quote(column) for column in [IDENTIFIER_COLUMN, *columns.values()])
        found: Rows = []
        for identifier, *values in self.db.execute(
            f"SELECT {selected} FROM {quote(table)} "
            f"WHERE account_id = ? AND region = ? AND {SYNCED_AT_COLUMN} = ? ORDER BY rowid",
            (shard.account_id, region, self.run.started_at),
        ):
            try:
                parts = schema.split_identifier(str(identifier))
            except ValueError:
                return None
            shown = {
                prop: value for prop, value in zip(columns, values, strict=True) if isinstance(value, str)
            }
            found.append((str(identifier), parts | shown))
        return found

    def _present(self, table: str) -> set[str]:
        """The columns of the file's ``table``."""
        if table not in self._columns:
            info = self.db.execute(f"PRAGMA table_info({quote(table)})")
            self._columns[table] = {str(row[1]) for row in info}
        return self._columns[table]


def _model(
    inputs: Sequence[ListInput], properties: dict[str, str], holder: Callable[[ListInput], str | None]
) -> dict[str, str] | None:
    """The ResourceModel of a listing, each input taken from the property ``holder`` names (the item's own,
    or its parent's); None when ``properties`` lack one of them."""
    model = {item.input: properties[name] for item in inputs if (name := holder(item)) in properties}
    return model if len(model) == len(inputs) else None


def _key(model: dict[str, str]) -> str:
    return orjson.dumps(model or None, option=orjson.OPT_SORT_KEYS).decode()


def _plain_text(schema: ResourceSchema, prop: str) -> bool:
    """Whether the file holds ``prop`` as its value: a string, never masked (write-only)."""
    return schema.properties.get(prop, {}).get("type", "string") == "string" and not schema.sensitive.holds(
        prop
    )
