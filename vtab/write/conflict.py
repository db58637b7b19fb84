"""INSERT OR IGNORE / INSERT OR REPLACE, done by the module (SQLite leaves REPLACE to virtual tables, and
apsw re-raises a ConstraintError even under OR IGNORE).

A resource "already exists" when one with the same unique key is listed under the same parent: for an
integration response, the same IntegrationResponseKey on the same integration. The key is derived from
the schema: the parent ids a listing needs plus the other required, user-set properties.

A type listed account-wide (S3 buckets: vtab.read.regions) lists the account's resources of every region
wherever it is asked, and a bucket's name is taken in all of them: a listed resource is placed in its own
region, and one of the key in another region than the row's is ignored (OR IGNORE) or refused before
anything is sent (OR REPLACE: a bucket cannot move, and an update in the row's region would not find it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import apsw

from vtab.aws import errors
from vtab.aws.cloudcontrol import Properties
from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.read.context import TableContext
from vtab.read.fetch import Fetcher
from vtab.read.regions import home_region
from vtab.sql import interrupt
from vtab.write.operation import IGNORE, REPLACE, Operation, Outcome, WriteStatus, unique_key
from vtab.write.patch import replace_patch

Place = tuple[str | None, str]
"""(account, region): where a resource lives (vtab.write.operation.Operation.place)."""
Key = tuple[Place, tuple[Any, ...]]
"""((account, region), unique-key values)."""

ELSEWHERE = ""
"""The region of a resource listed account-wide that its listing region's GetResource does not answer: it
lives in another region, which its properties do not name."""

RELIST_DELAYS = (0.0, 0.1, 0.3)
"""An OR REPLACE create answered AlreadyExists lists its parent again after these pauses (seconds), until
the existing resource shows (a listing can lag behind a recent create)."""


def create_key(schema: ResourceSchema, op: Operation) -> Key | None:
    """((account, region), unique-key values) of a create; None when the schema has no unique key."""
    key = unique_key(schema)
    if not key or op.verb is not Verb.CREATE or op.desired is None:
        return None
    return (op.place, tuple(op.desired.get(p) for p in key))


def frees_key(schema: ResourceSchema, delete: Operation, create: Operation) -> bool:
    """Whether ``delete`` may free the unique key ``create`` needs: the same key, or one that is not known
    (a row read from an identifier-only listing) under the same parents. The create must wait for it."""
    key = unique_key(schema)
    if not key or delete.place != create.place or create.desired is None:
        return False
    known = delete.properties or {}
    return all(known[p] == create.desired.get(p) for p in key if p in known)


def key_text(schema: ResourceSchema, desired: dict[str, Any]) -> str:
    """``api_id='a', integration_id='b', integration_response_key='$default'``."""
    return ", ".join(
        f"{schema.column_of(p)}={schema.sensitive.literal(p, desired.get(p))}" for p in unique_key(schema)
    )


@dataclass
class Skipped:
    """An operation that needs no call: ignored, or already exactly as a REPLACE wants it."""

    op: Operation
    reason: str


def _once_per_delete(ops: list[Operation]) -> tuple[list[Operation], list[Skipped]]:
    """A second DELETE of a resource the transaction already deletes is a no-op (it would fail NotFound)."""
    deleted: dict[tuple[Place, str | None], Operation] = {}
    kept: list[Operation] = []
    skipped: list[Skipped] = []
    for op in ops:
        if op.verb is Verb.DELETE:
            first = deleted.get((op.place, op.identifier))
            if first is not None:
                skipped.append(Skipped(op, f"{op.identifier} is already deleted by an earlier DELETE"))
                continue
            deleted[(op.place, op.identifier)] = op
        kept.append(op)
    return kept, skipped


@dataclass
class _Plan:
    first: Operation
    existing: tuple[str, Properties] | None
    desired: dict[str, Any] | None
    mode: int
    """The first row's on_conflict."""
    reason: str = ""


class ConflictResolver:
    """Turns OR IGNORE / OR REPLACE creates into nothing, a create, or an update of the existing resource."""

    def __init__(self, table: TableContext) -> None:
        self.interrupted = table.interrupted
        self.schema = table.schema
        self.pool = table.pool
        self.cloud_of = table.cloud_of
        """Account -> its Cloud Control: listings and gets asked afresh (Fetcher.fresh), as what exists
        now decides, never a remembered answer."""
        self.key = unique_key(table.schema)

    def resolve(self, ops: list[Operation]) -> tuple[list[Operation], list[Skipped]]:
        """Operations to send (in queue order) and those that need nothing."""
        ops, skipped = _once_per_delete(ops)
        send, resolved = self._resolve_creates(ops)
        return send, skipped + resolved

    def _resolve_creates(self, ops: list[Operation]) -> tuple[list[Operation], list[Skipped]]:
        wanted = [op for op in ops if op.verb is Verb.CREATE and op.on_conflict in (IGNORE, REPLACE)]
        if not wanted:
            return ops, []
        keys = {self._values(op) for op in ops if op.verb is Verb.CREATE}
        whole = {self._values(op) for op in wanted if op.on_conflict == REPLACE}
        existing = self._existing({(op.place, self._parents(op)) for op in wanted}, keys, whole)
        plans: dict[Key, _Plan] = {}
        slots: list[Operation | _Plan] = []
        skipped: list[Skipped] = []
        deleted: set[tuple[Place, str | None]] = set()
        """Resources an earlier DELETE of the transaction removes: absent for the rows after it."""
        for op in ops:
            if op.verb is Verb.DELETE:
                deleted.add((op.place, op.identifier))
            if op.verb is not Verb.CREATE:
                slots.append(op)
                continue
            # Every create seeds the key map, so an OR IGNORE / OR REPLACE row meets a plain INSERT's row
            # of the same key too.
            key = (op.place, self._values(op))
            plan = plans.get(key)
            if plan is None:
                found = existing.get(key) if op.on_conflict in (IGNORE, REPLACE) else None
                if found is not None and (op.place, found[0]) in deleted:
                    found = None
                plan = plans[key] = _Plan(op, found, op.desired, op.on_conflict)
                slots.append(plan)
                if found is not None and op.on_conflict == IGNORE:
                    plan.desired = None
                    plan.reason = f"INSERT OR IGNORE: {self._key_text(op)} already exists as {found[0]}"
                elif found is None and op.on_conflict in (IGNORE, REPLACE):
                    self._elsewhere(op, existing, plan)
                continue
            # A second row with the same key in this transaction: it conflicts with the first one.
            if op.on_conflict == IGNORE:
                skipped.append(
                    Skipped(op, f"INSERT OR IGNORE: {self._key_text(op)} is already in row {plan.first.row}")
                )
            elif op.on_conflict == REPLACE:
                plan.desired, plan.first = op.desired, op
            else:
                slots.append(op)  # plain INSERTs of one key are refused when queued; never merged
        send: list[Operation] = []
        for slot in slots:
            if isinstance(slot, Operation):
                send.append(slot)
                continue
            result = self._materialise(slot)
            if isinstance(result, Skipped):
                skipped.append(result)
            else:
                send.append(result)
        return send, skipped

    def _elsewhere(self, op: Operation, existing: dict[Key, tuple[str, Properties]], plan: _Plan) -> None:
        """An OR IGNORE / OR REPLACE row of a type listed account-wide whose key exists in another region:
        ignored, or refused (nothing is sent: the statement's writes are still all queued)."""
        if not self.schema.is_listed_account_wide:
            return
        values = self._values(op)
        away = next(
            (
                region
                for (account, region), key in existing
                if account == op.account and key == values and region != op.region
            ),
            None,
        )
        if away is None:
            return
        where = f"in {away}" if away != ELSEWHERE else "in another region"
        if op.on_conflict == IGNORE:
            plan.desired = None
            plan.reason = f"INSERT OR IGNORE: {self._key_text(op)} already exists {where}"
            return
        target = f"region = '{away}'" if away != ELSEWHERE else "its own region"
        raise apsw.ConstraintError(
            f"INSERT OR REPLACE: {self._key_text(op)} already exists {where}, not in region = "
            f"'{op.region}', and {self.schema.type_name} resources stay in the region they were created "
            f"in: replace it there ({target}), or DELETE it first; nothing was sent "
            f"[{self.schema.table_name} row {op.row}]"
        )

    def _materialise(self, plan: _Plan) -> Operation | Skipped:
        op = plan.first
        if plan.desired is None:
            return Skipped(op, plan.reason)
        if plan.existing is None:
            # The create itself (its ClientToken kept). A plain INSERT that an OR REPLACE row of the same
            # key replaced is still a plain create: an existing key fails it, as it would the INSERT.
            if plan.mode not in (IGNORE, REPLACE):
                op.on_conflict = plan.mode
            elif op.on_conflict == IGNORE:
                op.note = (
                    f"INSERT OR IGNORE: {self._key_text(op)} is not listed, so it is created; an "
                    "AlreadyExists answer (a listing that lags) makes the row ignored"
                )
            else:
                op.note = (
                    f"INSERT OR REPLACE: {self._key_text(op)} is not listed, so it is created; an "
                    "AlreadyExists answer (a listing that lags) makes it an update of the existing resource"
                )
            return op
        return self._replacing(op, plan.existing, plan.desired)

    def _replacing(
        self, op: Operation, existing: tuple[str, Properties], desired: dict[str, Any]
    ) -> Operation | Skipped:
        """The update that makes the existing resource of ``op``'s key what ``desired`` says."""
        identifier, current = existing
        patch = replace_patch(
            self.schema, current, desired, f"{identifier} [{self.schema.type_name} row {op.row}]"
        )
        if not patch:
            return Skipped(op, f"INSERT OR REPLACE: {identifier} already has exactly these values")
        return Operation(
            Verb.UPDATE,
            op.region,
            op.row,
            op.seq,
            identifier=identifier,
            patch=patch,
            statement=op.statement,
            note=f"INSERT OR REPLACE: {self._key_text(op)} exists as {identifier}",
            account=op.account,
        )

    # -- after sending ---------------------------------------------------------------------------------

    def settle(
        self, outcomes: list[Outcome], send: Callable[[list[Operation]], list[Outcome]]
    ) -> list[Outcome]:
        """OR IGNORE / OR REPLACE creates that AWS answered AlreadyExists although the listing did not show
        the key (it can lag behind a recent create): an IGNORE row is skipped; a REPLACE row becomes an
        update of the existing resource, sent with ``send``, once a listing shows it."""
        settled = list(outcomes)
        replacing: list[int] = []
        for i, outcome in enumerate(outcomes):
            op = outcome.op
            if not (
                outcome.status is WriteStatus.FAILED
                and op.verb is Verb.CREATE
                and errors.error_stem(outcome.error_code or "") == "AlreadyExists"
            ):
                continue
            if op.on_conflict == IGNORE:
                settled[i] = Outcome(
                    op,
                    WriteStatus.SKIPPED,
                    request_token=outcome.request_token,
                    error_code=outcome.error_code,
                    message=f"INSERT OR IGNORE: {self._key_text(op)} already exists (AlreadyExists)",
                )
            elif op.on_conflict == REPLACE:
                replacing.append(i)
        if not replacing:
            return settled
        try:
            found = self._relist([outcomes[i].op for i in replacing])
        except apsw.Error as error:
            # Interrupted, or the listing failed: those rows fail with that error, and the statement's
            # report still lists every other row (the applied ones above all).
            interrupted = isinstance(error, apsw.InterruptError)
            why = (
                "the statement was interrupted before INSERT OR REPLACE could turn it into an update"
                if interrupted
                else f"INSERT OR REPLACE could not list {self.schema.type_name} to make it an update: {error}"
            )
            for i in replacing:
                outcome = outcomes[i]
                settled[i] = Outcome(
                    outcome.op,
                    outcome.status,
                    outcome.identifier,
                    outcome.request_token,
                    "Interrupted" if interrupted else outcome.error_code,
                    f"{outcome.message}; {why}",
                    type(error),
                )
            return settled
        updates: list[tuple[int, Operation]] = []
        for i in replacing:
            outcome = outcomes[i]
            op = outcome.op
            existing = found.get((op.place, self._values(op)))
            if existing is None:
                settled[i] = Outcome(
                    op,
                    outcome.status,
                    outcome.identifier,
                    outcome.request_token,
                    outcome.error_code,
                    f"{outcome.message}; INSERT OR REPLACE could not turn it into an update: "
                    f"ListResources still does not list {self._key_text(op)} after {len(RELIST_DELAYS)} "
                    "tries (a listing that lags behind a recent create); run the statement again shortly",
                    outcome.error_class,
                )
                continue
            assert op.desired is not None
            result = self._replacing(op, existing, op.desired)
            if isinstance(result, Skipped):
                settled[i] = Outcome(op, WriteStatus.SKIPPED, existing[0], message=result.reason)
            else:
                updates.append((i, result))
        if updates:
            for (i, _), outcome in zip(updates, send([op for _, op in updates]), strict=True):
                settled[i] = outcome
        return settled

    def _relist(self, ops: list[Operation]) -> dict[Key, tuple[str, Properties]]:
        """What exists under the parents of ``ops``, listed until every one of their keys shows."""
        wanted = {(op.place, self._values(op)) for op in ops}
        scopes = {(op.place, self._parents(op)) for op in ops}
        found: dict[Key, tuple[str, Properties]] = {}
        for delay in RELIST_DELAYS:
            interrupt.sleep(delay, self.interrupted, "the listing for INSERT OR REPLACE")
            values = {values for _, values in wanted}
            found = self._existing(scopes, values, values)
            if wanted <= found.keys():
                break
        return found

    # -- what exists ----------------------------------------------------------------------------------

    def _parents(self, op: Operation) -> tuple[Any, ...]:
        assert op.desired is not None
        return tuple(op.desired.get(p) for p in self.schema.list_requires)

    def _values(self, op: Operation) -> tuple[Any, ...]:
        assert op.desired is not None
        return tuple(op.desired.get(p) for p in self.key)

    def _key_text(self, op: Operation) -> str:
        assert op.desired is not None
        return key_text(self.schema, op.desired)

    def _existing(
        self,
        scopes: set[tuple[Place, tuple[Any, ...]]],
        keys: set[tuple[Any, ...]],
        whole: set[tuple[Any, ...]],
    ) -> dict[Key, tuple[str, Properties]]:
        """Unique key -> (identifier, properties) of every resource under the given parents (of a type
        listed account-wide: those of the unique-key values ``keys`` only, placed in their own regions);
        those of the keys ``whole`` (OR REPLACE rows) read whole (``_item``)."""
        futures = [
            self.pool.submit(self._list, place, parents, keys, whole)
            for place, parents in sorted(scopes, key=str)
        ]
        found: dict[Key, tuple[str, Properties]] = {}
        try:
            listed = [
                interrupt.result(f, self.interrupted, "the listing for OR IGNORE/REPLACE") for f in futures
            ]
        finally:
            for future in futures:
                future.cancel()  # only those not started: after an interrupt
        for items in listed:
            for place, identifier, props in items:
                found.setdefault((place, tuple(props.get(p) for p in self.key)), (identifier, props))
        return found

    def _list(
        self, place: Place, parents: tuple[Any, ...], keys: set[tuple[Any, ...]], whole: set[tuple[Any, ...]]
    ) -> list[tuple[Place, str, Properties]]:
        account, region = place
        model = dict(zip(self.schema.list_requires, parents, strict=True))
        items: list[tuple[Place, str, Properties]] = []
        fetch = Fetcher.fresh(self.cloud_of(account))
        try:
            for page in fetch.listing(region, self.schema, model):
                for identifier, props in page:
                    props = {**self.schema.split_identifier(identifier), **props}
                    values = tuple(props.get(p) for p in self.key)
                    if self.schema.is_listed_account_wide and values not in keys:
                        continue  # the account's other resources cost no GetResource
                    item = self._item(fetch, place, identifier, props, whole=values in whole)
                    if item is not None:
                        items.append(item)
        except (apsw.NotFoundError, apsw.SQLError):
            # The parent is missing (or the listing refused): nothing can exist under it, and the create
            # itself will report the real reason.
            return []
        return items

    def _item(
        self, fetch: Fetcher, place: Place, identifier: str, props: Properties, *, whole: bool
    ) -> tuple[Place, str, Properties] | None:
        """(its place, identifier, properties) of a resource listed in ``place`` (account, region), or
        None when it is gone. GetResource reads it when the listing's item may lack properties: a partial
        one, and any one an OR REPLACE row patches (``whole``: the row's NULLs remove what the resource
        has, which a listing that gives identifiers only does not show). A type listed account-wide is
        placed in its own region: the one its properties name, else the listing region when GetResource
        answers there (ELSEWHERE when it does not)."""
        account, region = place
        account_wide = self.schema.is_listed_account_wide
        home = home_region(self.schema, props) if account_wide else region
        if home not in (None, region):
            return (account, home), identifier, props  # another region's: an OR REPLACE of it is refused
        if home is None or whole or self.schema.is_partial(props):
            full = fetch.get(region, self.schema, identifier)
            if full is None:
                return ((account, ELSEWHERE), identifier, props) if account_wide else None
            props = {**self.schema.split_identifier(identifier), **full}
        return place, identifier, props
