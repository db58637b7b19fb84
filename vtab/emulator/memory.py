"""The schema-driven in-memory provider: any catalog type with handlers, from the catalog's facts alone.

A resource is its model (a JSON object) kept per region in creation order. The handlers behave as the
catalog says the real ones do: read-only properties are generated (identifiers first: ARN-like when the
name ends in ``Arn``, short random ids otherwise), a second resource with the same primary (or complete
additional) identifier is ``AlreadyExists``, a list demands the inputs its handlerSchema (or the catalog's
derived walk) requires and lists only that parent's children (an account-wide list names this account, or
is ``AccessDenied``), and a child whose parent (the walk's parent type and property) does not exist is
``NotFound``, on create as on list. A global type's resources are shared by every region of the partition
(their ARNs carry no region), and a fixed list value the catalog confines to some regions (WAFv2's
CLOUDFRONT scope: us-east-1) is ``InvalidRequest`` anywhere else.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from vtab.catalog import CatalogEntry, load_catalog
from vtab.catalog.columns import snake_case
from vtab.catalog.facts import TypeFacts
from vtab.catalog.list_plan import Feed, FeedKind, LinkSource
from vtab.catalog.schema import Scope
from vtab.emulator.deletes import IN_USE_ERROR, blocks, in_use_message
from vtab.emulator.errors import HandlerFailure, not_found_message
from vtab.emulator.ids import (
    NUMBERED,
    Draw,
    built_from_own_arn,
    default_value,
    identifier_value,
    is_own_arn,
)
from vtab.emulator.provider import ListInputs, Provider
from vtab.emulator.rules import TypeRules
from vtab.emulator.samples import fits
from vtab.emulator.state import RegionState, Store

ProviderFinder = Callable[[str], Provider | None]
"""Type name -> the provider serving it (None when none does): how a child's handler finds its parents."""


@functools.cache
def catalog_rules(type_name: str) -> TypeRules:
    """One TypeRules per catalog type for the whole process (validators are cached per instance)."""
    return TypeRules.from_facts(load_catalog().facts(type_name))


@functools.cache
def _child_feeds() -> dict[str, list[tuple[str, Feed]]]:
    """Parent type -> (child type, feed) of every walk that feeds a child's input from it. The walks are
    in the catalog's index: no type's facts are loaded for this."""
    catalog = load_catalog()
    found: dict[str, list[tuple[str, Feed]]] = {}
    for name in catalog.type_names():
        for feed in catalog.entry(name).plan.feeds:
            if feed.kind is FeedKind.PARENT and feed.parent and feed.parent != name:
                found.setdefault(feed.parent, []).append((name, feed))
    return found


def same_value(stored: Any, given: Any) -> bool:
    """Whether a stored property equals a ResourceModel value (which may be its string form)."""
    if stored == given:
        return True
    return stored is not None and not isinstance(stored, dict | list) and str(stored) == str(given)


def _base(name: str) -> str:
    """``ApplicationIdentifier`` / ``ApplicationId`` / ``ApplicationArn`` -> ``application``."""
    lower = name.lower()
    for suffix in ("identifier", "arn", "id", "name"):
        if lower.endswith(suffix) and len(lower) > len(suffix):
            return lower[: -len(suffix)]
    return lower


def derived_from(facts: TypeFacts, read_only: frozenset[str], prop: str) -> str | None:
    """The writable property a read-only id is derived from, by name: DataZone's ``DomainId`` from the
    ``DomainIdentifier`` given at create, AppRegistry's ``ApplicationArn`` from ``Application``; None when
    no single writable string property matches (a name never becomes an id or an ARN)."""
    lower = prop.lower()
    if not lower.endswith(("id", "arn")):
        return None
    base = _base(prop)
    matches = [
        name
        for name, spec in facts.properties.items()
        if name not in read_only
        and _base(name) == base
        and not name.lower().endswith("name")
        and spec.get("type", "string") == "string"
    ]
    return matches[0] if len(matches) == 1 else None


def own_names(facts: TypeFacts, read_only: frozenset[str]) -> tuple[str, ...]:
    """The type's own name property (``<Resource>Name``: EKS Nodegroup's ``NodegroupName``) when it is an
    optional, writable, create-only string: CloudFormation's handlers generate one when the create leaves
    it out. (Primary identifier parts are generated anyway.)"""
    name = facts.resource + "Name"
    spec = facts.properties.get(name)
    if spec is None or spec.get("type", "string") != "string":
        return ()
    if name in read_only or name in facts.required or name in facts.primary_identifier:
        return ()
    return (name,) if name in facts.create_only else ()


def list_inputs_of(facts: TypeFacts, entry: CatalogEntry) -> ListInputs:
    """What the list handler demands: its handlerSchema's required keys and anyOf/oneOf branches, plus the
    inputs the catalog derived without a handlerSchema (a composite identifier's parents, overlays)."""
    derived = tuple(
        feed.input for feed in entry.plan.feeds if feed.needed_by is not LinkSource.HANDLER_SCHEMA
    )
    schema = facts.list_schema
    if schema is None:
        return ListInputs(required=derived)
    choices = schema.one_of or schema.any_of
    demanded = {*schema.required, *derived, *(name for branch in choices for name in branch)}
    return ListInputs(
        required=tuple(dict.fromkeys((*schema.required, *derived))),
        choices=choices,
        one_of=bool(schema.one_of),
        optional=tuple(name for name in schema.inputs if name not in demanded),
    )


class MemoryProvider(Provider):
    """Handlers of one catalog type over the region's in-memory models."""

    def __init__(self, facts: TypeFacts, entry: CatalogEntry, find_provider: ProviderFinder) -> None:
        self.type_name = facts.type_name
        self.facts = facts
        self.rules = catalog_rules(facts.type_name)
        self.list_inputs = list_inputs_of(facts, entry)
        self._find_provider = find_provider
        schema_inputs = facts.list_schema.inputs if facts.list_schema else {}
        self._input_property = {name: item.property_name for name, item in schema_inputs.items()}
        self._array_inputs = frozenset(name for name, item in schema_inputs.items() if item.is_array)
        self._parent_feeds: tuple[Feed, ...] = tuple(
            feed for feed in entry.plan.feeds if feed.kind is FeedKind.PARENT and feed.parent
        )
        self.is_global = entry.scope is Scope.GLOBAL
        self.listed_account_wide = entry.scope is Scope.LISTED_ACCOUNT_WIDE
        """Its listing answers the resources of every region of the partition (S3 buckets), as AWS does."""
        self._confined: tuple[Feed, ...] = tuple(feed for feed in entry.plan.feeds if feed.value_regions)
        """List inputs whose fixed values exist in some regions only."""
        self._account_inputs = tuple(
            feed.input for feed in entry.plan.feeds if feed.kind is FeedKind.ACCOUNT_ID
        )
        """List inputs that name the account (QuickSight's AwsAccountId, Glue's CatalogId)."""
        self._derived = {
            name: source
            for name in sorted(self.rules.read_only)
            if (source := derived_from(facts, self.rules.read_only, name)) is not None
        }
        """Read-only ids the handler fills from the writable property given at create."""
        self._own_names = own_names(facts, self.rules.read_only)
        """The type's own name when the create may leave it out: AWS generates one (EKS NodegroupName)."""
        for feed in entry.plan.feeds:
            self._input_property.setdefault(feed.input, feed.property_name)
        self._not_naming = self.rules.read_only | self.rules.write_only | set(self._input_property.values())

    def _where(self, region: RegionState) -> Store:
        return region.store(self.is_global)

    def _store(self, region: RegionState) -> dict[str, dict[str, Any]]:
        return self._where(region).resources.setdefault(self.type_name, {})

    # --- reads ---------------------------------------------------------------------------------
    def list_objects(self, region: RegionState, parent: dict[str, Any]) -> Sequence[Any]:
        for name in self._account_inputs:
            if name in parent and parent[name] != region.account_id:
                # Another account's resources: AWS refuses (the handlers' standard AccessDenied wording).
                raise HandlerFailure("AccessDenied", f"Access denied for operation '{self.type_name}'.")
        given = {self._input_property.get(name, name): value for name, value in parent.items()}
        self._check_regions(region, given)
        self._require_parents(region, given)
        models = [model for where in self._listed(region) for model in self._store(where).values()]
        for name, value in parent.items():
            prop = self._input_property.get(name, name)
            if name in self._array_inputs and isinstance(value, list):
                models = [m for m in models if any(same_value(m.get(prop), v) for v in value)]
            else:
                models = [m for m in models if same_value(m.get(prop), value)]
        return models

    def _listed(self, region: RegionState) -> list[RegionState]:
        """The regions a listing in ``region`` answers: its own, or its partition's for a type listed
        account-wide (sorted by name, so that pages stay stable)."""
        if not self.listed_account_wide:
            return [region]
        return sorted(region.partition.regions, key=lambda where: where.name)

    def identifier(self, obj: Any, parent: dict[str, Any]) -> str:
        return self.rules.identifier_of(obj)

    def describe(self, obj: Any, parent: dict[str, Any]) -> dict[str, Any]:
        return self.rules.as_read(obj)

    def read(self, region: RegionState, ids: dict[str, str]) -> dict[str, Any]:
        self._check_regions(region, ids)
        model = self._store(region).get(self.rules.identifier_of(ids))
        if model is None:
            raise self.not_found(ids)
        return self.describe(model, {})

    def matching(self, region: RegionState, values: dict[str, Any]) -> list[dict[str, Any]]:
        return [
            self.describe(model, {})
            for model in self._store(region).values()
            if all(same_value(model.get(k), v) for k, v in values.items())
        ]

    # --- writes --------------------------------------------------------------------------------
    def create(self, region: RegionState, desired: dict[str, Any]) -> dict[str, Any]:
        model = {k: copy.deepcopy(v) for k, v in desired.items() if v is not None}
        for prop, source in self._derived.items():
            value = model.get(source)
            if isinstance(value, str) and fits(self.facts.properties[prop].get("check", {}), value):
                model[prop] = value  # else generated: an ARN is not SpendingLimit's amount, as AWS makes it
        self._check_regions(region, model)
        self._require_parent_ids(model)
        self._require_parents(region, model)
        self._generate(model, region)
        store = self._store(region)
        identifier = self.rules.identifier_of(model)
        if any(identifier in self._store(where) for where in {region, *self._listed(region)}):
            raise _already_exists(self.type_name, identifier)  # a bucket's name is the partition's
        names = self._names(region)
        keys = self._name_keys(model)
        self._check_names(names, keys, identifier)
        store[identifier] = model
        names.update(dict.fromkeys(keys, identifier))
        return self.describe(model, {})

    def update(self, region: RegionState, ids: dict[str, str], desired: dict[str, Any]) -> dict[str, Any]:
        self._check_regions(region, ids)
        store = self._store(region)
        identifier = self.rules.identifier_of(ids)
        current = store.get(identifier)
        if current is None:
            raise self.not_found(ids)
        kept = {k: v for k, v in current.items() if k in self.rules.write_only and k not in desired}
        updated = {**kept, **{k: v for k, v in desired.items() if v is not None}}
        names = self._names(region)
        keys = self._name_keys(updated)
        self._check_names(names, keys, identifier)
        for key in self._name_keys(current):
            names.pop(key, None)
        store[identifier] = updated
        names.update(dict.fromkeys(keys, identifier))
        return self.describe(updated, {})

    def delete(self, region: RegionState, ids: dict[str, str]) -> None:
        """Delete one resource; one with children fails ResourceConflict, as AWS refuses, unless AWS
        documents that its delete takes them along (``deletes.DELETE_RULES``): then they go too."""
        self._check_regions(region, ids)
        identifier = self.rules.identifier_of(ids)
        model = self._store(region).get(identifier)
        if model is None:
            raise self.not_found(ids)
        children = self._children(region, model)
        for child, _ in children:
            if blocks(self.type_name, child.type_name):
                raise HandlerFailure(IN_USE_ERROR, in_use_message(self.type_name, child.type_name))
        for child, child_identifier in children:
            child._remove(region, child_identifier)
        self._remove(region, identifier)

    def _remove(self, region: RegionState, identifier: str) -> None:
        """Drop a resource and, as a cascading delete does, everything under it."""
        model = self._store(region).pop(identifier, None)
        if model is None:
            return
        names = self._names(region)
        for key in self._name_keys(model):
            names.pop(key, None)
        for child, child_identifier in self._children(region, model):
            child._remove(region, child_identifier)

    def _children(self, region: RegionState, model: dict[str, Any]) -> list[tuple[MemoryProvider, str]]:
        """The resources of other in-memory types whose walk names this one as their parent."""
        found = []
        for where in (region.store(is_global=False), region.store(is_global=True)):
            for type_name, store in list(where.resources.items()):
                child = self._find_provider(type_name) if store and type_name != self.type_name else None
                if not isinstance(child, MemoryProvider) or child._where(region) is not where:
                    continue
                found += [
                    (child, key) for key, item in list(store.items()) if child.is_child(item, self, model)
                ]
        return found

    def is_child(self, model: dict[str, Any], parent: MemoryProvider, parent_model: dict[str, Any]) -> bool:
        """Whether ``model`` (of this type) lives under ``parent_model``: every input the walk feeds from
        the parent type holds its value, and so does every other input the parent has as a property (a
        Glue Partition's database as well as its table)."""
        feeds = [feed for feed in self._parent_feeds if feed.parent == parent.type_name]
        if not feeds:
            return False
        for feed in feeds:
            if model.get(feed.property_name) is None or not same_value(
                parent_model.get(feed.parent_property or ""), model.get(feed.property_name)
            ):
                return False
        return all(
            same_value(parent_model.get(other.property_name), model[other.property_name])
            for other in self._parent_feeds
            if other.parent != parent.type_name
            and other.property_name in parent.rules.properties
            and model.get(other.property_name) is not None
        )

    # --- handler rules -------------------------------------------------------------------------
    def _check_regions(self, region: RegionState, values: dict[str, Any]) -> None:
        """InvalidRequest, in WAFv2's wording (the one such fact), when a property holds a fixed value that
        exists in other regions only: CLOUDFRONT web ACLs live in us-east-1 alone."""
        for feed in self._confined:
            value = values.get(feed.property_name)
            allowed = feed.value_regions.get(value) if isinstance(value, str) else None
            if allowed is not None and region.name not in allowed:
                field = snake_case(feed.property_name).upper()
                raise HandlerFailure(
                    "InvalidRequest",
                    f"Error reason: The {snake_case(feed.property_name).replace('_', ' ')} is not valid., "
                    f"field: {field}_VALUE, parameter: {value}",
                )

    def _require_parent_ids(self, model: dict[str, Any]) -> None:
        """InvalidRequest, in CloudFormation's model validation wording, when a create leaves out the id of
        the parent its list handler demands: AWS's create handler needs it (a Cases field belongs to a
        domain), although some schemas leave it out of ``required`` (Cases' DomainId, ELB ListenerRule's
        ListenerArn); made up, it would name no parent and the resource would list under none. Of
        alternatives (a handlerSchema's anyOf), one complete branch does. A read-only one the handler
        fills (S3 Tables' TableBucketARN, from the TableARN given) is not asked for."""
        fed = {feed.input for feed in self._parent_feeds if feed.property_name not in self.rules.read_only}

        def absent(name: str) -> bool:
            return model.get(self._input_property.get(name, name)) in (None, "", [])

        missing = [name for name in self.list_inputs.required if name in fed and absent(name)]
        choices = self.list_inputs.choices
        if any(fed.intersection(branch) for branch in choices) and all(any(map(absent, b)) for b in choices):
            missing += [k for k in choices[0] if absent(k)]
        if missing:
            keys = ", ".join(f"#: required key [{self._input_property.get(k, k)}] not found" for k in missing)
            raise HandlerFailure("InvalidRequest", f"Model validation failed ({keys})")

    def _require_parents(self, region: RegionState, values: dict[str, Any]) -> None:
        """NotFound unless each parent the walk names (and that serves) has the given value; a parent is
        also matched on the other given inputs it has as properties (an Integration of *that* Api)."""
        for feed in self._parent_feeds:
            value = values.get(feed.property_name)
            parent = self._find_provider(feed.parent or "")
            if value is None or parent is None or feed.parent_property is None:
                continue
            wanted = {feed.parent_property: value}
            for other in self._parent_feeds:
                given = values.get(other.property_name)
                if other.parent != feed.parent and other.property_name in parent.rules.properties and given:
                    wanted.setdefault(other.property_name, given)
            if not parent.matching(region, wanted):
                if (feed.parent_property,) == parent.rules.primary_identifier and len(wanted) == 1:
                    named = str(value)
                else:
                    named = ", ".join(f"{k}={v}" for k, v in wanted.items())
                raise HandlerFailure("NotFound", not_found_message(parent.type_name, named))

    @functools.cached_property
    def _child_rules(self) -> dict[str, list[dict[str, Any]]]:
        """Property -> the ``check`` rules of the child properties the walks feed from it (Cognito's
        UserPoolClient/UserPoolId pattern tells what a UserPoolId looks like)."""
        catalog = load_catalog()
        found: dict[str, list[dict[str, Any]]] = {}
        for child, feed in _child_feeds().get(self.type_name, ()):
            check = catalog.facts(child).properties.get(feed.property_name, {}).get("check")
            if check and feed.parent_property:
                found.setdefault(feed.parent_property, []).append(check)
        return found

    def _draw(self, region: RegionState, model: dict[str, Any]) -> Draw:
        where = "" if self.is_global else region.name
        return Draw(
            region.random, self.type_name, where, model, self.rules.primary_identifier, region.account_id
        )

    def _new_id(self, name: str, path: str, region: RegionState, model: dict[str, Any]) -> Any:
        spec, also = self.facts.properties.get(path, {}), self._child_rules.get(path, ())
        return identifier_value(self._draw(region, model), name, spec, also)

    def _generate(self, model: dict[str, Any], region: RegionState) -> None:
        """Fill the type's own name and the primary identifier parts not given, then cheap defaults of
        other read-only properties, the resource's own ARN last (it is built from the names and ids).
        Always in the same order, so that a seeded emulator draws the same ids."""
        for name in self._own_names:
            if model.get(name) in (None, ""):
                model[name] = self._new_id(name, name, region, model)
        numbered = NUMBERED.get(self.type_name)
        if numbered is not None and model.get(numbered[0]) in (None, ""):
            model[numbered[0]] = self._next_number(region, model, *numbered)
        for path in self.rules.primary_identifier:
            if self.rules.value_at(model, path) in (None, ""):
                _set_path(model, path, self._new_id(path.rsplit("/", 1)[-1], path, region, model))
        for name in sorted(self.rules.read_only, key=self._generated_order):
            if name not in model:
                spec, also = self.facts.properties.get(name, {}), self._child_rules.get(name, ())
                value = default_value(self._draw(region, model), name, spec, also)
                if value is not None:
                    model[name] = value

    def _generated_order(self, name: str) -> tuple[bool, bool, str]:
        """The order read-only properties are made in: by name, the resource's own ARN after the rest (it
        is built from names and ids), what is built from that ARN after it (a table's StreamArn)."""
        return (built_from_own_arn(self.type_name, name), is_own_arn(self.type_name, name), name)

    def _next_number(self, region: RegionState, model: dict[str, Any], prop: str, per: str) -> str:
        """One more than the highest ``prop`` of the resources with this model's ``per`` (``'1'`` first)."""
        taken = [
            int(other[prop])
            for other in self._store(region).values()
            if same_value(other.get(per), model.get(per)) and str(other.get(prop, "")).isdigit()
        ]
        return str(max(taken, default=0) + 1)

    def _names(self, region: RegionState) -> dict[str, str]:
        return self._where(region).names.setdefault(self.type_name, {})

    def _name_keys(self, model: dict[str, Any]) -> list[str]:
        """One key per complete additional identifier the caller chose: the values that must be unique.
        Groups with a generated, write-only or list-input part are skipped: generated ones are unique by
        construction, and schemas that list a parent's id as an additional identifier (DataZone
        EnvironmentActions' EnvironmentIdentifier) would forbid siblings."""
        keys = []
        for index, group in enumerate(self.rules.additional_identifiers):
            values = [self.rules.value_at(model, part) for part in group]
            if any(part in self._not_naming for part in group) or any(v is None for v in values):
                continue
            keys.append(f"{index}:" + orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode())
        return keys

    def _check_names(self, names: dict[str, str], keys: list[str], identifier: str) -> None:
        """AlreadyExists when another resource holds one of ``keys``."""
        for key in keys:
            holder = names.get(key)
            if holder is not None and holder != identifier:
                values = orjson.loads(key.split(":", 1)[1])
                raise _already_exists(self.type_name, "|".join(str(v) for v in values))


def _already_exists(type_name: str, identifier: str) -> HandlerFailure:
    """The CloudFormation handlers' standard AlreadyExists wording."""
    return HandlerFailure(
        "AlreadyExists", f"Resource of type '{type_name}' with identifier '{identifier}' already exists."
    )


def _set_path(model: dict[str, Any], path: str, value: Any) -> None:
    *heads, last = path.split("/")
    target = model
    for head in heads:
        if not isinstance(target.get(head), dict):
            target[head] = {}
        target = target[head]
    target[last] = value
