"""How each type is listed: region-wide, by walking its parents, with fixed values or the account id, or only
with WHERE.

About 390 types can only be listed with their parents' ids in ListResources' ``ResourceModel``. This module
derives, from the catalog's facts and the overlays, where each such input comes from and records the source
of every link, so that a walk is explainable and a wrong guess is fixed in an overlay, not in code:

- which inputs a list needs: the list ``handlerSchema`` (required, or a branch of anyOf/oneOf), else the
  parts of a composite primary identifier that name another type of the service (IntegrationResponse's
  ``ApiId|IntegrationId|...``: no handlerSchema declares those), plus inputs an overlay adds;
- where each value comes from: an overlay, a ``relationshipRef``, a type of the same service named like the
  input or having it as identifier (``ApiId`` -> ApiGatewayV2::Api), the property's enum, or nowhere (the
  user gives it in WHERE).

Pure logic over ``TypeFacts`` and ``Overlays``: the generator stores the result in the catalog's index.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from vtab.catalog.facts import ListSchema, TypeFacts, Verb
from vtab.catalog.list_plan import Alias, Feed, FeedKind, LinkSource, ListMode, ListPlan
from vtab.catalog.overlays import InputFact, Overlays

ID_SUFFIXES = ("Identifier", "Name", "Arn", "Id")
"""Suffixes stripped from an input to find the type it names (``ClusterName`` -> ``Cluster``)."""


def _wants_arn(spec: dict[str, Any]) -> bool:
    """Whether the property's pattern takes an ARN only (``^arn:aws...``)."""
    pattern = spec.get("check", {}).get("pattern", "")
    return isinstance(pattern, str) and pattern.startswith("^arn:")


@dataclass(frozen=True)
class _Wanted:
    """A list input before resolution."""

    name: str
    property_name: str
    needed_by: LinkSource


class WalkDeriver:
    """Derives every type's ListPlan; plans are memoised, since a child's walk extends its parent's."""

    def __init__(self, facts: Mapping[str, TypeFacts], overlays: Overlays) -> None:
        self.facts = facts
        self.overlays = overlays
        self.plans: dict[str, ListPlan] = {}
        self._deriving: set[str] = set()
        self.by_service: dict[str, list[TypeFacts]] = {}
        for type_facts in facts.values():
            self.by_service.setdefault(type_facts.service, []).append(type_facts)

    def all(self) -> dict[str, ListPlan]:
        return {type_name: self.plan(type_name) for type_name in sorted(self.facts)}

    def plan(self, type_name: str) -> ListPlan:
        if type_name not in self.plans:
            self._deriving.add(type_name)
            try:
                self.plans[type_name] = self._derive(self.facts[type_name])
            finally:
                self._deriving.discard(type_name)
        return self.plans[type_name]

    # -- which inputs ----------------------------------------------------------------------------------

    def _derive(self, facts: TypeFacts) -> ListPlan:
        overlay = self.overlays.of(facts.type_name)
        if overlay.exclude:
            return ListPlan(facts.type_name, ListMode.EXCLUDED, reason=overlay.exclude)
        if Verb.LIST not in facts.permissions:
            why = "no list handler" if facts.permissions else "no handlers (not provisionable)"
            return ListPlan(facts.type_name, ListMode.NO_LIST, reason=why)
        if overlay.region_wide:
            return ListPlan(facts.type_name, ListMode.REGION_WIDE, reason=overlay.region_wide)
        schema = facts.list_schema
        if schema is None:
            return self._resolve(facts, self._hidden_inputs(facts))
        if schema.needs_input:
            return self._from_handler_schema(facts, schema)
        # a handlerSchema of optional filters: AWS says the list needs no input
        return self._resolve(facts, self._overlay_inputs(facts, set(schema.inputs)))

    def _from_handler_schema(self, facts: TypeFacts, schema: ListSchema) -> ListPlan:
        required = [self._wanted(schema, name) for name in schema.required]
        branches = schema.one_of or schema.any_of
        required += self._overlay_inputs(facts, {*schema.required, *(name for b in branches for name in b)})
        if not branches:
            return self._resolve(facts, required)
        plans = [
            self._resolve(facts, required + [self._wanted(schema, n) for n in branch]) for branch in branches
        ]
        for plan in plans:
            if plan.mode is not ListMode.NEEDS_WHERE:
                return plan
        choices = " or ".join("(" + ", ".join(plan.where_columns) + ")" for plan in plans)
        return ListPlan(
            facts.type_name, ListMode.NEEDS_WHERE, plans[0].feeds, reason=f"give one of {choices}"
        )

    @staticmethod
    def _wanted(schema: ListSchema, name: str) -> _Wanted:
        item = schema.inputs.get(name)
        return _Wanted(name, item.property_name if item else name, LinkSource.HANDLER_SCHEMA)

    def _hidden_inputs(self, facts: TypeFacts) -> list[_Wanted]:
        """The parts of a composite identifier that another type of the service (or an overlay) provides:
        IntegrationResponse's ``ApiId`` and ``IntegrationId``, GuardDuty::Filter's ``DetectorId``. Bare
        ``Id``/``Name``/``Arn`` parts are the type's own, and so is at least one part: parts matching nothing
        are not inputs (AppStream::User's ``UserName|AuthenticationType`` lists region-wide)."""
        parts = [part for part in facts.primary_identifier if "/" not in part and part not in ID_SUFFIXES]
        provided = [
            part
            for part in parts
            if part in self.overlays.of(facts.type_name).inputs or self._name_match(facts, part)[0]
        ]
        if len(provided) == len(facts.primary_identifier):
            provided = provided[:-1]
        wanted = [_Wanted(part, part, LinkSource.PRIMARY_IDENTIFIER) for part in provided]
        return wanted + self._overlay_inputs(facts, set(provided))

    def _overlay_inputs(self, facts: TypeFacts, declared: set[str]) -> list[_Wanted]:
        """Inputs the type's overlay names that the schema does not require (optional handlerSchema inputs
        included: the overlay says the list needs them)."""
        names = [name for name in self.overlays.of(facts.type_name).inputs if name not in declared]
        return [_Wanted(name, name, LinkSource.OVERLAY) for name in names]

    # -- where each value comes from ---------------------------------------------------------------------

    def _resolve(self, facts: TypeFacts, wanted: list[_Wanted]) -> ListPlan:
        overlay = self.overlays.of(facts.type_name)
        feeds = [self._resolve_input(facts, item) for item in wanted]
        feeds = [self._check_parent(facts, feed) for feed in feeds]
        inputs = {feed.property_name for feed in feeds}
        feeds = [replace(feed, aliases=self._aliases(facts, feed, inputs)) for feed in feeds]
        if not feeds:
            return ListPlan(facts.type_name, ListMode.REGION_WIDE)
        if any(feed.kind is FeedKind.WHERE for feed in feeds):
            reasons = "; ".join(
                f"{feed.column}: {feed.reason}" for feed in feeds if feed.kind is FeedKind.WHERE
            )
            return ListPlan(facts.type_name, ListMode.NEEDS_WHERE, tuple(feeds), reason=reasons)
        parents = list(dict.fromkeys(feed.parent for feed in feeds if feed.parent))
        if not parents:
            account = any(feed.kind is FeedKind.ACCOUNT_ID for feed in feeds)
            return ListPlan(facts.type_name, ListMode.ACCOUNT_ID if account else ListMode.FIXED, tuple(feeds))
        chain = self._chain(parents)
        if chain is None:
            names = ", ".join(parents)
            where = tuple(
                replace(f, kind=FeedKind.WHERE, reason=f"unrelated parents {names}") if f.parent else f
                for f in feeds
            )
            why = f"its inputs come from unrelated parents ({names}); a walk would list every combination"
            return ListPlan(facts.type_name, ListMode.NEEDS_WHERE, where, reason=why)
        keep = {parent: values for parent, values in overlay.keep.items() if parent in chain}
        return ListPlan(facts.type_name, ListMode.WALK, tuple(feeds), chain, keep)

    def _resolve_input(self, facts: TypeFacts, item: _Wanted) -> Feed:
        fact = self.overlays.input_fact(facts.type_name, item.name)
        if fact is not None:
            return _from_overlay(item, fact)
        refs = [ref for ref in facts.relationships(item.property_name) if ref[0] != facts.type_name]
        ref_types = list(dict.fromkeys(ref[0] for ref in refs))
        if len(ref_types) == 1 and ref_types[0] in self.facts:
            return _feed(
                item,
                FeedKind.PARENT,
                LinkSource.RELATIONSHIP_REF,
                parent=refs[0][0],
                parent_property=refs[0][1],
            )
        match, why = self._name_match(facts, item.property_name)
        if match is not None:
            return _feed(
                item, FeedKind.PARENT, LinkSource.NAME_MATCH, parent=match[0], parent_property=match[1]
            )
        enum = facts.properties.get(item.property_name, {}).get("enum")
        if enum:
            return _feed(item, FeedKind.VALUES, LinkSource.ENUM, values=tuple(str(value) for value in enum))
        if len(ref_types) > 1:
            why = f"its relationshipRefs name several types ({', '.join(ref_types)})"
        return _feed(item, FeedKind.WHERE, None, reason=why)

    def _name_match(
        self, facts: TypeFacts, prop: str, strict: bool = False
    ) -> tuple[tuple[str, str] | None, str]:
        """(parent type, parent property) of the service's type that provides ``prop``, or None and why not.

        First the type named like ``prop`` without its suffix (``ClusterName`` -> Cluster, whose property is
        ``ClusterName``, else ``Name``, else, unless ``strict``, the last part of its identifier); else the
        one listable type whose whole identifier, or an additional identifier, is ``prop`` (several:
        ambiguous, no guess).
        """
        others = [t for t in self.by_service.get(facts.service, ()) if t.type_name != facts.type_name]
        base = _base(prop)
        named = [t for t in others if t.resource.lower() in (base.lower(), prop.lower())]
        if len(named) == 1:
            parent = named[0]
            suffix = prop[len(base) :]
            fallback = "" if strict else parent.primary_identifier[-1]
            candidates = [prop, suffix, "Id" if suffix == "Identifier" else "", fallback]
            if _wants_arn(facts.properties.get(prop, {})) and prop not in parent.properties:
                candidates.insert(0, "Arn")  # Connect's InstanceId is the instance's ARN, by its pattern
            for candidate in candidates:
                if candidate and candidate in parent.properties:
                    return (parent.type_name, candidate), ""
        listable = [t for t in others if Verb.LIST in t.permissions]
        for tier in (
            [t for t in listable if t.primary_identifier == (prop,)],
            [t for t in listable if (prop,) in t.additional_identifiers],
        ):
            if len(tier) == 1:
                return (tier[0].type_name, prop), ""
            if len(tier) > 1:
                names = ", ".join(t.type_name for t in tier)
                return None, f"several types of {facts.service} have {prop} as identifier ({names})"
        return None, f"no type of {facts.service} has {prop} as its identifier or name"

    def _aliases(self, facts: TypeFacts, feed: Feed, inputs: set[str]) -> tuple[Alias, ...]:
        """The type's other properties that hold the input's value: those whose relationshipRef (else their
        name, strictly) links them to the input's parent type and property (DataZone Environment's
        ``ProjectId`` and its ``ProjectIdentifier`` input both name a Project's ``Id``), and the input's
        ``Id`` form. Not aliases: bare ``Id``/``Name``/``Arn`` (the type's own), other inputs, other JSON
        types, and names that match the parent only through its identifier (a ``KeyspaceArn`` is not the
        ``KeyspaceName`` the walk feeds)."""
        kind = _json_type(facts, feed.property_name)
        if kind not in SCALAR_TYPES:
            return ()
        found = []
        for prop in facts.properties:
            if prop in inputs or prop in ID_SUFFIXES or _json_type(facts, prop) != kind:
                continue
            link, source = self._link(facts, prop)
            if feed.parent and feed.parent_property and link == (feed.parent, feed.parent_property):
                found.append(Alias(prop, source))
            elif _id_forms(prop, feed.property_name):
                found.append(Alias(prop, LinkSource.ID_FORM))
        return tuple(found)

    def _link(self, facts: TypeFacts, prop: str) -> tuple[tuple[str, str] | None, LinkSource]:
        """The parent type and property ``prop`` names, as an input's would be found (no fallback)."""
        refs = [ref for ref in facts.relationships(prop) if ref[0] != facts.type_name]
        if len({ref[0] for ref in refs}) == 1:
            return refs[0], LinkSource.RELATIONSHIP_REF
        return self._name_match(facts, prop, strict=True)[0], LinkSource.NAME_MATCH

    def _check_parent(self, facts: TypeFacts, feed: Feed) -> Feed:
        """A parent that cannot itself be walked to turns the input into a WHERE input, saying why."""
        if feed.kind is not FeedKind.PARENT or feed.parent is None:
            return feed

        def where(reason: str) -> Feed:
            """The input as WHERE must give it; the link found stays, to show which parent was meant."""
            return replace(feed, kind=FeedKind.WHERE, reason=reason)

        if feed.parent not in self.facts:
            return where(f"parent {feed.parent} is not in the catalog")
        if feed.parent == facts.type_name or feed.parent in self._deriving:
            return where(f"parent {feed.parent} needs this type first (a cycle)")
        parent = self.plan(feed.parent)
        if parent.mode in (ListMode.NO_LIST, ListMode.EXCLUDED):
            return where(f"parent {feed.parent} cannot be listed ({parent.reason})")
        if parent.mode is ListMode.NEEDS_WHERE:
            columns = ", ".join(parent.where_columns) or "?"
            return where(f"parent {feed.parent} needs WHERE on {columns}")
        return feed

    def _chain(self, parents: list[str]) -> tuple[str, ...] | None:
        """The walk through all ``parents``: the chain of the one whose own walk passes the others."""
        for candidate in parents:
            chain = (*self.plan(candidate).chain, candidate)
            if all(parent in chain for parent in parents):
                return chain
        return None


def _feed(item: _Wanted, kind: FeedKind, found_by: LinkSource | None, **extra: Any) -> Feed:
    return Feed(item.name, item.property_name, item.needed_by, kind, found_by, **extra)


def _from_overlay(item: _Wanted, fact: InputFact) -> Feed:
    if fact.parent:
        return _feed(
            item, FeedKind.PARENT, LinkSource.OVERLAY, parent=fact.parent, parent_property=fact.property
        )
    if fact.values:
        return _feed(
            item, FeedKind.VALUES, LinkSource.OVERLAY, values=fact.values, value_regions=dict(fact.regions)
        )
    if fact.account_id:
        return _feed(item, FeedKind.ACCOUNT_ID, LinkSource.OVERLAY)
    return _feed(item, FeedKind.WHERE, LinkSource.OVERLAY, reason=fact.why)


def _base(prop: str) -> str:
    """``ClusterName`` -> ``Cluster``, ``TableBucketARN`` -> ``TableBucket`` (unchanged when no suffix is
    stripped or nothing would remain)."""
    for suffix in ID_SUFFIXES:
        if prop.lower().endswith(suffix.lower()) and len(prop) > len(suffix):
            return prop[: -len(suffix)]
    return prop


SCALAR_TYPES = ("string", "integer")
"""JSON types an alias can share with its input (an object ``Resource`` is no ``ResourceIdentifier``)."""


def _json_type(facts: TypeFacts, prop: str) -> str:
    """The property's JSON type (string when the schema does not say: a handlerSchema input)."""
    kind = facts.properties.get(prop, {}).get("type", "string")
    return kind if isinstance(kind, str) else "several"


def _id_forms(first: str, second: str) -> bool:
    """Whether one name is the other's ``Id`` form: ``DomainId`` and ``DomainIdentifier``."""
    suffix = "identifier"
    return any(
        a.lower().endswith(suffix) and len(a) > len(suffix) and b.lower() == a[: -len(suffix)].lower() + "id"
        for a, b in ((first, second), (second, first))
    )


def derive_plans(facts: Mapping[str, TypeFacts], overlays: Overlays) -> dict[str, ListPlan]:
    """The ListPlan of every type in ``facts``."""
    return WalkDeriver(facts, overlays).all()


def walk_steps(plans: Mapping[str, ListPlan], type_name: str) -> list[tuple[str, tuple[Feed, ...]]]:
    """The full walk to ``type_name``: (type, its feeds) for each level, outermost parent first."""
    plan = plans[type_name]
    return [(name, plans[name].feeds) for name in plan.chain] + [(type_name, plan.feeds)]
