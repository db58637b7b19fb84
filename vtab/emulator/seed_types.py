"""Seed any served type, parents first, for tests and benchmarks: ``seed_type(..., "AWS::EKS::Nodegroup")``.

A minimal DesiredState is made from the catalog's facts: every required property with a value of its JSON
type (an enum's first value), the walk's parent properties taken from the parents just created, fixed list
values (WAFv2 ``Scope``) and the account id where the walk says so, and the keep values a parent must have
(WebSocket APIs). Writes go straight to the providers under the lock (no HTTP), after the same validation
CreateResource does, so thousands of resources take about a second.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vtab.catalog import load_catalog
from vtab.catalog.facts import Verb
from vtab.catalog.list_plan import FeedKind, ListPlan
from vtab.emulator.memory import derived_from
from vtab.emulator.rules import property_rules
from vtab.emulator.samples import sample_value
from vtab.emulator.served import ServedTypes
from vtab.emulator.state import ACCOUNT_ID, AccountState
from vtab.emulator.validation import validate_model

CREATE_HINTS: dict[str, dict[str, Any]] = {
    "AWS::ApiGatewayV2::Api": {
        "Name": "seeded-api",
        "ProtocolType": "WEBSOCKET",
        "RouteSelectionExpression": "$request.body.action",
    },
}
"""Values a type needs although its schema does not require them (the Api needs Name and ProtocolType
unless it is imported from a Body: a condition no ``required`` list states)."""


@dataclass(frozen=True)
class SeededType:
    """What one :func:`seed_type` call created: the type's identifiers and its parents', per type."""

    region: str
    type_name: str
    identifiers: tuple[str, ...]
    parents: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def example_value(name: str, spec: dict[str, Any], index: int) -> Any:
    """A value of the property that keeps its rules (type, enum, limits, pattern, required members)."""
    return sample_value(name, property_rules(spec), index)


def minimal_desired_state(
    type_name: str,
    parents: dict[str, dict[str, Any]],
    index: int = 0,
    extra: dict[str, Any] | None = None,
    region: str | None = None,
) -> dict[str, Any]:
    """The smallest DesiredState the type's facts allow, under ``parents`` (type name -> created model), in
    ``region`` (a fixed value confined to other regions is not chosen; None: any value)."""
    catalog = load_catalog()
    facts = catalog.facts(type_name)
    read_only = {name for name in facts.read_only if "/" not in name}
    desired: dict[str, Any] = {}
    for name in facts.required:
        if name not in read_only:
            desired[name] = example_value(name, facts.properties.get(name, {}), index)
    for feed in catalog.entry(type_name).plan.feeds:
        prop: str | None = feed.property_name
        if prop in read_only:  # filled by the handler from the property it derives from, if any
            prop = derived_from(facts, frozenset(read_only), feed.property_name)
        if prop is None or prop not in facts.properties:
            continue
        if feed.kind is FeedKind.PARENT and feed.parent in parents and feed.parent_property:
            value = parents[feed.parent].get(feed.parent_property)
            if value is not None:
                desired[prop] = value
        elif feed.kind is FeedKind.VALUES and feed.values:
            allowed = [
                v for v in feed.values if region is None or region in feed.value_regions.get(v, (region,))
            ]
            desired[prop] = (allowed or feed.values)[0]
        elif feed.kind is FeedKind.ACCOUNT_ID:
            desired[prop] = ACCOUNT_ID
        elif prop not in desired:
            desired[prop] = example_value(prop, facts.properties[prop], index)
    desired.update(CREATE_HINTS.get(type_name, {}))
    desired.update(extra or {})
    return desired


def ancestors(type_name: str) -> list[str]:
    """The types to create before ``type_name``, outermost first: its walk's chain, or, when the type
    needs WHERE, the parents its walkable inputs still name (each after its own ancestors)."""
    catalog = load_catalog()
    order: list[str] = []
    for feed in catalog.entry(type_name).plan.feeds:
        if feed.kind is FeedKind.PARENT and feed.parent and feed.parent != type_name:
            for name in [*ancestors(feed.parent), feed.parent]:
                if name not in order:
                    order.append(name)
    return order


def _needed_by_children(plans: list[ListPlan], parent: str, facts_read_only: set[str]) -> set[str]:
    """The parent's properties that its descendants' walks read, other than generated ones."""
    return {
        feed.parent_property
        for plan in plans
        for feed in plan.feeds
        if feed.parent == parent and feed.parent_property and feed.parent_property not in facts_read_only
    }


def walk_desired_state(
    type_name: str, name: str, parents: dict[str, dict[str, Any]], index: int = 0, region: str | None = None
) -> dict[str, Any]:
    """The DesiredState of ``name``, one level of ``type_name``'s walk (or the type itself), under
    ``parents``: the minimal one, plus the keep values the walk filters on and the properties its
    descendants list by (so a walk down from it finds them)."""
    catalog = load_catalog()
    plan = catalog.entry(type_name).plan
    plans = [catalog.entry(ancestor).plan for ancestor in ancestors(type_name)] + [plan]
    facts = catalog.facts(name)
    extra: dict[str, Any] = dict(plan.keep.get(name, {}))
    generated = {p for p in facts.read_only if "/" not in p} | set(facts.primary_identifier)
    for prop in _needed_by_children(plans, name, generated):
        extra.setdefault(prop, example_value(prop, facts.properties.get(prop, {}), index))
    return minimal_desired_state(name, parents, index, extra, region)


def seed_type(
    state: AccountState,
    types: ServedTypes,
    region: str,
    type_name: str,
    *,
    count: int = 1,
    parents: int = 1,
) -> SeededType:
    """Create ``parents`` resources of each type in the walk (per resource of the level above) and
    ``count`` resources of ``type_name`` under each innermost one. CloudControlError (as CreateResource
    would answer) or HandlerFailure (as its request would end) when the type cannot be created so."""
    if count < 0 or parents < 1:
        raise ValueError("count must be >= 0 and parents >= 1")
    chain = ancestors(type_name)
    created: dict[str, list[str]] = {}
    contexts: list[dict[str, dict[str, Any]]] = [{}]
    with state.lock:
        region_state = state.region(region)

        def create(name: str, context: dict[str, dict[str, Any]], index: int) -> dict[str, Any]:
            provider = types.get(name, Verb.CREATE)
            desired = walk_desired_state(type_name, name, context, index, region)
            validate_model(provider.rules, desired)
            model = provider.create(region_state, desired)
            created.setdefault(name, []).append(provider.rules.identifier_of(model))
            return model

        stores = (region_state, region_state.partition)
        serial = len(region_state.backend.apis) + sum(len(t) for st in stores for t in st.resources.values())
        for ancestor in chain:
            next_contexts = []
            for context in contexts:
                for _ in range(parents):
                    next_contexts.append({**context, ancestor: create(ancestor, context, serial)})
                    serial += 1
            contexts = next_contexts
        for context in contexts:
            for _ in range(count):
                create(type_name, context, serial)
                serial += 1
    return SeededType(
        region=region,
        type_name=type_name,
        identifiers=tuple(created.get(type_name, ())),
        parents={name: tuple(created.get(name, ())) for name in chain},
    )
