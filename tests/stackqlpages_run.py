"""StackQL's page statements run end to end on the local endpoint, as the pages write them (placeholders
filled): a type's INSERT ... RETURNING (which must give the new identifier), list, get by Identifier, UPDATE
with PatchDocument ... RETURNING, DELETE ... RETURNING. Used by tests/test_returning.py (a sample of types)
and scripts/stackql_pages_e2e.py (which reports the failures by cause).

For each type: its parents are seeded (the emulator's seed_type); the page's INSERT is filled with values
that keep the rules of its required properties; the UPDATE patches one updatable property. The first step
that fails ends the type (``StepFailed``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from enum import StrEnum
from typing import Any

import apsw
import orjson

from tests.stackqlpages import Kind, fill, page_statements
from vtab.catalog.columns import stackql_column
from vtab.catalog.facts import Verb
from vtab.catalog.store import load_catalog
from vtab.emulator import Emulator
from vtab.emulator.seed_types import example_value, walk_desired_state

REGION = "us-east-1"
ALL_VERBS = {Verb.CREATE, Verb.READ, Verb.UPDATE, Verb.DELETE, Verb.LIST}


class Outcome(StrEnum):
    """How a type's page statements ran (a step that fails raises StepFailed instead)."""

    EVERY_STEP = "every step as written"
    LIST_NEEDS_WHERE = "every step as written but the list, whose error names the WHERE inputs it needs"
    """AWS lists the type only under inputs no walk finds (a parent with no CloudFormation type, an ARN
    of any service): the page's ``WHERE region = ...`` cannot list it, in StackQL either, and vtab says
    which columns to add."""


NEEDS_WHERE = re.compile(r"^\w+: AWS::\S+ can only be listed with [\w, ]+ given in WHERE ")
"""vtab's error for a listing that needs inputs in WHERE (vtab.sqlite.cursor)."""


class StepFailed(Exception):
    """A step of a type's run failed: which one, and why."""

    def __init__(self, step: str, why: str) -> None:
        super().__init__(f"{step}: {why}")
        self.step = step
        self.why = why


def sample(types: int, per_service: int) -> list[str]:
    """Types to run: every handler, a required property (the INSERT is SQL), spread over services."""
    catalog = load_catalog()
    by_service: dict[str, list[str]] = defaultdict(list)
    for table, (type_name, stackql) in sorted(catalog.tables().items()):
        entry = catalog.entry(type_name)
        if not stackql or entry.table != table or not entry.verbs >= ALL_VERBS:
            continue
        facts = catalog.facts(type_name)
        read_only = set(facts.read_only)
        if not [p for p in facts.required if p not in read_only]:
            continue
        by_service[stackql.split(".")[1]].append(type_name)
    chosen: list[str] = []
    for round_ in range(per_service):
        for service in sorted(by_service):
            if len(chosen) < types and round_ < len(by_service[service]):
                chosen.append(by_service[service][round_])
    return chosen


def sql_text(value: Any) -> str:
    """A value as the text a user writes between the page's quotes (objects and arrays as JSON)."""
    if isinstance(value, dict | list):
        return orjson.dumps(value).decode().replace("'", "''")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("'", "''")


def filled_insert(sql: str, desired: dict[str, Any]) -> str:
    """The page's INSERT with each ``'{{ name }}'`` the desired value of its property."""
    by_column = {stackql_column(prop): value for prop, value in desired.items()}

    def value(match: re.Match[str]) -> str:
        name = match[1].strip()
        return f"'{sql_text(by_column[name])}'" if name in by_column else match[0]

    return fill(re.sub(r"'\{\{ (\w+) \}\}'", value, sql))


def identifier_part(value: Any) -> str:
    """A listed column's value as Cloud Control's identifier spells it: a REAL column's whole number
    (Wisdom's VersionNumber, a JSON number) without its ``.0``."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def with_identifier(sql: str, identifier: str) -> str:
    """The page's ``Identifier = '{{ a }}|{{ b }}'`` given ``identifier`` (quotes doubled, as SQL wants)."""
    quoted = identifier.replace("'", "''")
    return re.sub(r"Identifier = '[^']*'", lambda _: f"Identifier = '{quoted}'", sql)


def run_type(db: apsw.Connection, emulator: Emulator, type_name: str) -> Outcome:
    catalog = load_catalog()
    facts = catalog.facts(type_name)
    stackql = catalog.entry(type_name).stackql
    assert stackql is not None
    page = {s.kind: s.sql for s in page_statements(facts, stackql)}
    seeded = emulator.seed_type(type_name, REGION, count=0, parents=1)
    context = {
        parent: emulator.resource(REGION, parent, ids[0]) or {} for parent, ids in seeded.parents.items()
    }
    desired = walk_desired_state(type_name, type_name, context, 0, REGION)
    try:
        rows = db.execute(filled_insert(page[Kind.INSERT_REQUIRED], desired)).fetchall()
    except apsw.Error as error:
        raise StepFailed("insert", str(error)) from None
    if len(rows) != 1 or not rows[0][2]:
        raise StepFailed("insert", f"RETURNING gave {rows!r}")
    identifier = str(rows[0][2])
    if emulator.resource(REGION, type_name, identifier) is None:
        raise StepFailed("insert", "the returned identifier does not exist")

    ids = [stackql_column(p) for p in facts.primary_identifier]
    outcome = Outcome.EVERY_STEP
    try:
        cursor = db.execute(fill(page[Kind.LIST]))
        listed = ["|".join(identifier_part(v) for v in row[1:]) for row in cursor]
    except apsw.SQLError as error:
        if not NEEDS_WHERE.match(str(error)):
            raise StepFailed("list", str(error)) from None
        outcome, listed = Outcome.LIST_NEEDS_WHERE, [identifier]
    except apsw.Error as error:
        raise StepFailed("list", str(error)) from None
    if identifier not in listed:
        raise StepFailed("list", f"the new resource is not listed ({len(listed)} rows; {ids})")
    try:
        got = db.execute(fill(with_identifier(page[Kind.GET], identifier))).fetchall()
    except apsw.Error as error:
        raise StepFailed("get", str(error)) from None
    if len(got) != 1:
        raise StepFailed("get", f"{len(got)} rows")

    if Kind.UPDATE in page:
        patch = update_patch(type_name)
        sql = re.sub(
            r"string\('.*?'\)", lambda _: f"string('{sql_text(patch)}')", page[Kind.UPDATE], flags=re.DOTALL
        )
        try:
            updated = db.execute(fill(with_identifier(sql, identifier))).fetchall()
        except apsw.Error as error:
            raise StepFailed("update", str(error)) from None
        if [row[4] for row in updated] != ["SUCCESS"]:
            raise StepFailed("update", f"RETURNING gave {updated!r}")

    try:
        deleted = db.execute(fill(with_identifier(page[Kind.DELETE], identifier))).fetchall()
    except apsw.Error as error:
        raise StepFailed("delete", str(error)) from None
    if [row[3] for row in deleted] != ["DELETE"] or emulator.resource(REGION, type_name, identifier):
        raise StepFailed("delete", f"RETURNING gave {deleted!r}")
    return outcome


def update_patch(type_name: str) -> list[dict[str, Any]]:
    """A patch of the page's first updatable property that is neither required nor write-only (else the
    first updatable one), to a value that keeps its rules."""
    facts = load_catalog().facts(type_name)
    fixed = {p.split("/")[0] for p in (*facts.read_only, *facts.create_only)}
    updatable = [p for p in facts.properties if p not in fixed]
    plain = [p for p in updatable if p not in facts.required and p not in set(facts.write_only)]
    prop = (plain or updatable)[0]
    return [{"op": "add", "path": f"/{prop}", "value": example_value(prop, facts.properties[prop], 7)}]


def cause(error: str) -> str:
    """The message with its values masked, so failures of one kind group together."""
    text = error.splitlines()[0] if "\n" not in error[:200] else " ".join(error.split("\n")[:2])
    text = re.sub(r"'[^']*'", "'…'", text)
    text = re.sub(r"\b[0-9a-f-]{36}\b", "<token>", text)
    return re.sub(r"\[[^\]]*\]$", "", text)[:220]


def service_of(type_name: str) -> str:
    stackql = load_catalog().entry(type_name).stackql
    assert stackql is not None
    return stackql.split(".")[1]
