"""What a sync does: its settings, the types it copies, and its tasks (account, region, type) in the order
they run. Pure logic, no calls.

Tasks are grouped into shards by (account, region), never by table: Cloud Control's throttle budget is per
account and region, so one shard owns one budget, whichever executor runs it. Inside a shard the types
run in a shuffled order with a fixed seed (the same every run), a walk's parents first (by walk depth),
and the shards' tasks are interleaved, so no account-region is the queue.
"""

from __future__ import annotations

import fnmatch
import random
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from vtab.options import OptionError


class SyncMode(StrEnum):
    """How a task's rows replace the rows an earlier sync wrote (``--mode``)."""

    OVERWRITE_DELETE_STALE = "overwrite-delete-stale"
    """The task's (account, region, table) holds exactly its rows: those gone since are removed, but
    only where the task succeeded (a failed task leaves the earlier rows as they were)."""
    OVERWRITE = "overwrite"
    """Each row replaces the row of the same resource; rows of resources gone since are kept."""
    APPEND = "append"
    """Every sync adds its rows beside the earlier ones (``_vtab_synced_at`` tells them apart): history."""


class OnError(StrEnum):
    """What a sync does when a task fails (``--on-error``)."""

    SKIP = "skip"
    """Record the failure in ``_vtab_sync`` and go on with the other tasks."""
    FAIL = "fail"
    """Start no further task; the tasks not run stay ``pending`` (``--resume`` runs them)."""


class TaskStatus(StrEnum):
    """A task's ``status`` in ``_vtab_sync``."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


LISTABLE_MODES = frozenset({"region_wide", "walk", "fixed", "account_id"})
"""vtab_types.list_mode values a sync can list without a WHERE of the user's (needs_where and no_list
types cannot)."""

GLOBAL_SCOPE = "global"
"""vtab_types.scope of a type listed once per partition: synced through one region per account."""

SHUFFLE_SEED = 19
"""The fixed seed of the types' order in each shard: the same order every run, a different one per shard."""


@dataclass(frozen=True)
class SyncType:
    """A type a sync copies, with the table it is named as (vtab_types' table_name)."""

    table_name: str
    type_name: str
    is_global: bool
    depth: int = 0
    """How many parents its walk lists first (0: it lists without a walk)."""


@dataclass(frozen=True)
class Task:
    """One (account, region, type): its rows are written in one transaction."""

    account_id: str
    region: str
    table_name: str
    type_name: str

    @property
    def shard(self) -> tuple[str, str]:
        return (self.account_id, self.region)


@dataclass(frozen=True)
class ParentListing:
    """A walk parent's listing in a shard's account and region that a resumed shard already holds: the
    rows its own task wrote earlier in the same run (vtab/sync/seeds.py), as a listing's items."""

    type_name: str
    model: dict[str, str]
    """The ResourceModel it is listed with (empty: none)."""
    items: list[tuple[str, dict[str, str]]]
    """(identifier, the properties walks read of it) of each resource."""


@dataclass(frozen=True)
class Shard:
    """The tasks of one (account, region): one throttle budget, one executor slot."""

    account_id: str
    region: str
    tasks: tuple[Task, ...]
    profile: str | None = None
    """The profile that reaches the account (the ``profiles`` option), else None (assumed or own)."""
    listings: tuple[ParentListing, ...] = field(default=(), compare=False)
    """A resume's: the walk parents its tasks take from the file instead of listing them again."""


@dataclass(frozen=True)
class TypeRow:
    """What a sync reads of a vtab_types row."""

    type_name: str
    table_name: str
    scope: str
    list_mode: str
    canonical: bool = True
    """False for another name of the type (an alias: ``integration_responses``): a sync writes the type
    under its canonical name only, so one file never holds a type twice."""
    depth: int = 0
    """How many parents its walk lists first (the length of its ListPlan's chain)."""


@dataclass
class Selection:
    """``--tables`` and ``--skip-tables``: comma-separated names or globs (``ec2_*``), case-insensitive."""

    tables: Sequence[str] = ("*",)
    skip_tables: Sequence[str] = ()
    unmatched: list[str] = field(default_factory=list)
    """The ``tables`` patterns that name no table (a typo; not one whose tables ``skip_tables`` left out)."""
    unmatched_skips: list[str] = field(default_factory=list)
    """The ``skip_tables`` patterns that name no table: a typo would copy what the user meant to skip."""

    def types(self, rows: Iterable[TypeRow]) -> list[SyncType]:
        """The listable types the patterns select, each once and under its canonical table name, whichever
        of its names selected it; an exact name of a type a sync cannot list is an error."""
        wanted = [pattern.lower() for pattern in self.tables]
        skipped = [pattern.lower() for pattern in self.skip_tables]
        every = list(rows)
        canonical = {row.type_name: row.table_name for row in every if row.canonical}
        chosen: dict[str, SyncType] = {}
        refused: list[str] = []
        matched: set[str] = set()
        for row in every:
            name = row.table_name.lower()
            hits = [pattern for pattern in wanted if fnmatch.fnmatchcase(name, pattern)]
            skips = [pattern for pattern in skipped if fnmatch.fnmatchcase(name, pattern)]
            matched.update(hits, skips)
            if not hits or skips:
                continue
            if row.list_mode not in LISTABLE_MODES:
                if name in wanted:
                    refused.append(f"{row.table_name} (list_mode {row.list_mode})")
                continue
            table = canonical.get(row.type_name, row.table_name)
            kind = SyncType(table, row.type_name, row.scope == GLOBAL_SCOPE, row.depth)
            chosen.setdefault(row.type_name, kind)
        if refused:
            raise OptionError(
                f"--tables names tables a sync cannot list without a WHERE of yours: {', '.join(refused)}; "
                "leave them out (vtab types shows each table's list_mode) and read them with vtab query"
            )
        self.unmatched = [pattern for pattern in wanted if pattern not in matched]
        self.unmatched_skips = [pattern for pattern in skipped if pattern not in matched]
        return sorted(chosen.values(), key=lambda found: found.table_name)


def patterns(text: str | Sequence[str] | None) -> tuple[str, ...]:
    """``'ec2_*, eks_*'`` or a list of them -> the patterns, blanks dropped."""
    if text is None:
        return ()
    items = text.split(",") if isinstance(text, str) else list(text)
    return tuple(item.strip() for item in items if item.strip())


@dataclass(frozen=True)
class Place:
    """An account a sync reads, the profile that reaches it (None: assumed, or the caller's own) and the
    regions it is read in."""

    account_id: str
    profile: str | None
    regions: tuple[str, ...]


def build_shards(places: Sequence[Place], types: Sequence[SyncType]) -> list[Shard]:
    """One shard per (account, region), each with its types in a shuffled order (fixed seed), a walk's
    parents before it (by walk depth): its walk then finds them listed in the shard's read cache, and a
    resume after a kill finds them done in the file (vtab/sync/seeds.py). A global type is a task of one
    region of the account only (listed once per partition, its rows carry that region): the first in name
    order, so that syncs giving the same regions in another order agree."""
    depth = {kind.type_name: kind.depth for kind in types}
    shards = []
    for place in places:
        account_id, profile = place.account_id, place.profile
        first = min(place.regions, default=None)
        for region in place.regions:
            tasks = [
                Task(account_id, region, kind.table_name, kind.type_name)
                for kind in types
                if region == first or not kind.is_global
            ]
            random.Random(SHUFFLE_SEED ^ zlib.crc32(f"{account_id}/{region}".encode())).shuffle(tasks)
            tasks.sort(key=lambda task: depth[task.type_name])  # stable: shuffled within a depth
            if tasks:
                shards.append(Shard(account_id, region, tuple(tasks), profile))
    return shards


def interleaved(shards: Sequence[Shard]) -> list[Task]:
    """Every shard's tasks, round-robin across the shards: the order tasks are recorded and started."""
    order: list[Task] = []
    longest = max((len(shard.tasks) for shard in shards), default=0)
    for position in range(longest):
        order.extend(shard.tasks[position] for shard in shards if position < len(shard.tasks))
    return order
