"""Builds the catalog's index from the types' facts and the overlays (used by scripts/gen_catalog.py).

The index is what connecting reads: per type its table and StackQL names, verbs, derived ListPlan, the
writable properties that hold the caller's account id and, for a global type, why it is global. It is
written one type per line, so that a regeneration's diff shows which types changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from vtab.catalog.facts import TypeFacts, Verb
from vtab.catalog.list_plan import ListMode, ListPlan
from vtab.catalog.naming import ALIASES, stackql_name, table_names
from vtab.catalog.overlays import Overlays
from vtab.catalog.schema import Scope
from vtab.catalog.walks import derive_plans

VERB_ORDER = tuple(Verb)


def has_table(facts: TypeFacts, plan: ListPlan) -> bool:
    """A type is a table when it has handlers (it is provisionable) and no overlay excludes it."""
    return bool(facts.permissions) and plan.mode is not ListMode.EXCLUDED


def build_index(
    facts: Mapping[str, TypeFacts], overlays: Overlays, source: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, ListPlan]]:
    """(the index document, every type's ListPlan)."""
    unknown = sorted(set(overlays.types) - set(facts))
    if unknown:
        raise ValueError(f"overlays name types the catalog does not have: {', '.join(unknown)}")
    services = {type_facts.service for type_facts in facts.values()}
    unknown = sorted(set(overlays.services) - services)
    if unknown:
        raise ValueError(f"overlays name services the catalog does not have: {', '.join(unknown)}")
    plans = derive_plans(facts, overlays)
    tabled = [name for name in sorted(facts) if has_table(facts[name], plans[name])]
    tables = table_names(tabled)
    types: dict[str, Any] = {}
    for name in sorted(facts):
        entry: dict[str, Any] = {}
        if name in tables:
            entry["table"] = tables[name]
            entry["stackql"] = stackql_name(name)
        entry["verbs"] = [verb.value for verb in VERB_ORDER if verb in facts[name].permissions]
        entry["list"] = plans[name].to_json()
        scope, why = overlays.scope(name)
        if scope is Scope.GLOBAL:
            entry["global"] = why
        elif scope is Scope.LISTED_ACCOUNT_WIDE:
            entry["listedAccountWide"] = why
        writable = [prop for prop in facts[name].properties if prop not in facts[name].read_only]
        account = overlays.account_properties(name, writable)
        if account:
            entry["accountId"] = list(account)
        types[name] = entry
    index = {"source": dict(source), "aliases": dict(ALIASES), "types": types}
    return index, plans


def dump_lines(doc: Mapping[str, Any], key: str) -> bytes:
    """JSON with one member of ``doc[key]`` per line (the rest of ``doc`` compact), for reviewable diffs."""
    head = {name: value for name, value in doc.items() if name != key}
    lines = [b"{"]
    for name, value in head.items():
        lines.append(orjson.dumps(name) + b": " + orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + b",")
    lines.append(orjson.dumps(key) + b": {")
    members = list(doc[key].items())
    for i, (name, value) in enumerate(members):
        comma = b"," if i < len(members) - 1 else b""
        lines.append(orjson.dumps(name) + b": " + orjson.dumps(value, option=orjson.OPT_SORT_KEYS) + comma)
    lines += [b"}", b"}", b""]
    return b"\n".join(lines)
