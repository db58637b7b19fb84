"""Resource type facts, read from the registry schema JSON shipped in ``vtab/schemas``.

Everything type-specific (properties, identifiers, create-only and read-only paths, IAM permissions, the
parent chain a list needs) lives in that JSON, so a second resource type is a schema file, not new code.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from typing import TYPE_CHECKING, Any

from vtab.catalog.columns import column_names, snake_case
from vtab.catalog.sensitive import Sensitive

if TYPE_CHECKING:
    from vtab.catalog.facts import TypeFacts
    from vtab.catalog.list_plan import Feed, ListPlan

IDENTIFIER_SEPARATOR = "|"
"""Joins the parts of a compound Cloud Control identifier."""

_PROPERTY_PATH = re.compile(r"^/properties/([^/]+)$")

JSON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
    "integer": (int,),
    "number": (int, float),
}
"""Schema ``type`` -> the Python types of a JSON value of that type (bool is never a number)."""


def is_json_type(value: object, kind: str) -> bool:
    """Whether ``value`` (parsed JSON) has the schema ``type`` ``kind``, one of JSON_TYPES."""
    if isinstance(value, bool) and kind in ("integer", "number"):
        return False
    return isinstance(value, JSON_TYPES[kind])


def _unwalked_reason(plan: ListPlan, feed: Feed) -> str:
    """Why a parent's id must come from WHERE: the type needs WHERE for another input, so no walk lists
    the parent ('' for any other input)."""
    if feed.parent is None or not plan.unwalked(feed):
        return ""
    others = ", ".join(f.column for f in plan.where_feeds if f.parent is None or f.parent in plan.chain)
    others = others or "another input"
    return f"the id of its {feed.parent}, which is not walked since {others} must come from WHERE"


def _property_path(path: str) -> tuple[str, ...]:
    """``/properties/A/B`` (a registry path) or ``A/B`` (the catalog's) -> ``("A", "B")``; ``*`` stands for
    every item of an array."""
    return tuple(path.removeprefix("/properties/").split("/"))


def whole_properties(paths: Iterable[str]) -> frozenset[str]:
    """The properties a path names whole: ``A`` counts, ``A/B`` (one member of ``A``) does not."""
    return frozenset(parts[0] for parts in map(_property_path, paths) if len(parts) == 1)


def member_paths(paths: Iterable[str]) -> tuple[tuple[str, ...], ...]:
    """The paths that name a member inside a property (``A/B``, ``A/*/C``), as their parts."""
    return tuple(parts for parts in map(_property_path, paths) if len(parts) > 1)


def without_member(value: Any, parts: tuple[str, ...]) -> Any:
    """``value`` (a property's, parsed JSON) without the member at ``parts`` (below the property; ``*``:
    in every array item), as AWS reads back a property whose member is write-only. A copy where changed."""
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [without_member(item, rest) for item in value] if isinstance(value, list) else value
    if not isinstance(value, dict) or head not in value:
        return value
    if not rest:
        return {key: member for key, member in value.items() if key != head}
    return {**value, head: without_member(value[head], rest)}


def read_view(
    model: dict[str, Any], write_only: frozenset[str], members: tuple[tuple[str, ...], ...]
) -> dict[str, Any]:
    """``model`` as a read handler returns it: nulls, write-only properties and write-only members
    (``members``, as parts) left out. The client's view of a patched row and the emulator's reads."""
    shown = {prop: value for prop, value in model.items() if value is not None and prop not in write_only}
    for parts in members:
        if parts[0] in shown:
            shown[parts[0]] = without_member(shown[parts[0]], parts[1:])
    return shown


def values_at(value: Any, parts: tuple[str, ...]) -> list[Any]:
    """The values at member path ``parts`` (below its property) inside ``value``; ``*`` goes into every
    array item. Absent members are left out, so ``[]`` means the member is not set anywhere."""
    if not parts:
        return [] if value is None else [value]
    head, rest = parts[0], parts[1:]
    if head == "*":
        return [found for item in value for found in values_at(item, rest)] if isinstance(value, list) else []
    return values_at(value.get(head), rest) if isinstance(value, dict) else []


@dataclass(frozen=True)
class ParentStep:
    """One level of the walk that lists a child type: list ``type_name`` and keep items matching ``keep``."""

    type_name: str
    keep: dict[str, str]

    def keeps(self, properties: dict[str, Any]) -> bool:
        """Whether a listed parent with these properties is one the walk goes into."""
        return all(properties.get(name) == value for name, value in self.keep.items())


class Scope(StrEnum):
    """Where a type's resources live: in one region, or once per partition (IAM, Route 53, CloudFront)."""

    REGIONAL = "regional"
    GLOBAL = "global"
    """The same resources whichever region Cloud Control is asked in: a scan lists them through one region
    of the query's, and a write may be sent through any."""
    LISTED_ACCOUNT_WIDE = "listed account-wide"
    """Regional resources whose ListResources answers the account's resources of every region of the
    partition, whichever region it is asked in (S3 buckets); GetResource, and every write, answer only in
    the resource's own region. A scan lists them once per partition and learns each one's region
    (vtab.read.regions)."""


class InputSource(StrEnum):
    """Where the value of one list input (a key of ListResources' ResourceModel) comes from."""

    PARENT = "parent"
    """A property of a parent type the walk lists first (EKS Nodegroup's ClusterName: a Cluster's Name)."""
    VALUES = "values"
    """Fixed values, one listing per value (WAFv2 Scope: REGIONAL, CLOUDFRONT)."""
    ACCOUNT_ID = "account_id"
    """The caller's account id (QuickSight AwsAccountId): the account_id option, or WHERE."""
    WHERE = "where"
    """Nothing vtab knows: the SELECT must give the column in WHERE (``reason`` says why)."""


@dataclass(frozen=True)
class ListInput:
    """One key of the ResourceModel a listing of the type needs, and what fills it."""

    input: str
    property_name: str
    source: InputSource
    parent: str | None = None
    parent_property: str | None = None
    values: tuple[str, ...] = ()
    reason: str = ""
    found_by: str = ""
    """How the link was found (handler_schema, relationship_ref, name_match, enum, overlay)."""
    aliases: tuple[str, ...] = ()
    """Other properties of the type holding the same value (DataZone Project's ``DomainId`` for its
    ``DomainIdentifier`` input): a WHERE on one of their columns gives the input too."""
    value_regions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Fixed value -> the only regions it exists in (WAFv2's CLOUDFRONT scope: us-east-1)."""

    @property
    def holders(self) -> tuple[str, ...]:
        """The properties holding the input's value: its own, then its aliases."""
        return (self.property_name, *self.aliases)

    def exists_in(self, value: object, region: str) -> bool:
        """Whether ``value`` of this input can exist in ``region`` (a value without regions: anywhere)."""
        regions = self.value_regions.get(value) if isinstance(value, str) else None
        return regions is None or region in regions

    def can_list(self, value: object, region: str) -> bool:
        """Whether a listing with ``value`` can find anything in ``region``: not when the input takes fixed
        values and it is none of them (WAFv2 answers an unknown Scope with an error, not an empty list)."""
        if self.source is InputSource.VALUES and isinstance(value, str) and value not in self.values:
            return False
        return self.exists_in(value, region)


@dataclass(frozen=True)
class ResourceSchema:
    """The facts of one resource type that the table, the writes and the emulator need."""

    type_name: str
    properties: dict[str, dict[str, Any]]
    required: tuple[str, ...]
    create_only: frozenset[str]
    """Properties that are create-only whole (a member path such as ``A/B`` is in ``create_only_members``)."""
    read_only: frozenset[str]
    """Properties that are read-only whole (a member path such as ``A/B`` is in ``read_only_members``)."""
    write_only: frozenset[str]
    """Properties that are write-only whole: a read never shows them (a member path such as ``Code/S3Key``
    is in ``write_only_members``: a read shows ``Code`` without it)."""
    primary_identifier: tuple[str, ...]
    permissions: dict[str, tuple[str, ...]]
    additional_properties: bool
    table_name: str
    list_requires: tuple[str, ...]
    """The list inputs in walk order (outermost parent's first): the keys of ListResources' ResourceModel."""
    parents: tuple[ParentStep, ...]
    list_inputs: tuple[ListInput, ...] = ()
    """What fills each of ``list_requires`` (same order)."""
    list_reason: str = ""
    """Why the type cannot be listed without WHERE, when a list input has no source vtab knows."""
    additional_identifiers: tuple[tuple[str, ...], ...] = field(default=())
    unique_key: tuple[str, ...] | None = None
    """The properties that make a resource unique (INSERT OR IGNORE / OR REPLACE look it up); None: the
    hand-verified rule (the parents' ids and the type's own required properties), () when none is known."""
    listable: bool = True
    """False for a type without a list handler (or excluded): only GetResource by identifier reads it."""
    column_names: dict[str, str] = field(default_factory=dict)
    """Property -> column where it differs from snake_case (a ``Region`` property is ``resource_region``)."""
    scope: Scope = Scope.REGIONAL
    scope_reason: str = ""
    """Why the type is global (an overlay's ``global`` fact); empty for a regional type."""
    read_only_members: tuple[tuple[str, ...], ...] = ()
    """Read-only members inside writable properties (EKS's ``KubernetesNetworkConfig/ServiceIpv6Cidr``)."""
    create_only_members: tuple[tuple[str, ...], ...] = ()
    write_only_members: tuple[tuple[str, ...], ...] = ()
    """Create-only members inside updatable properties (EKS's ``KubernetesNetworkConfig/IpFamily``)."""
    account_properties: tuple[str, ...] = ()
    """Writable properties that hold the caller's account id (QuickSight's AwsAccountId, Glue's CatalogId):
    an INSERT that leaves a required one NULL gets the caller's account id."""

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> ResourceSchema:
        extra = doc.get("x-vtab", {})
        identifier = []
        for path in doc["primaryIdentifier"]:
            match = _PROPERTY_PATH.match(path)
            if not match:
                raise ValueError(f"unsupported primaryIdentifier path {path!r}")
            identifier.append(match.group(1))
        list_requires = tuple(extra.get("listRequires", ()))
        parents = tuple(ParentStep(p["typeName"], dict(p.get("keep", {}))) for p in extra.get("parents", ()))
        return cls(
            type_name=doc["typeName"],
            properties=dict(doc["properties"]),
            required=tuple(doc.get("required", ())),
            create_only=whole_properties(doc.get("createOnlyProperties", [])),
            read_only=whole_properties(doc.get("readOnlyProperties", [])),
            write_only=whole_properties(doc.get("writeOnlyProperties", [])),
            write_only_members=member_paths(doc.get("writeOnlyProperties", [])),
            read_only_members=member_paths(doc.get("readOnlyProperties", [])),
            create_only_members=member_paths(doc.get("createOnlyProperties", [])),
            primary_identifier=tuple(identifier),
            permissions={
                verb: tuple(handler.get("permissions", ()))
                for verb, handler in doc.get("handlers", {}).items()
            },
            additional_properties=bool(doc.get("additionalProperties", True)),
            table_name=extra.get("table", snake_case(doc["typeName"].split("::")[-1]) + "s"),
            list_requires=list_requires,
            parents=parents,
            # hand-verified walks: level i's parent provides input i under the same property name
            list_inputs=tuple(
                ListInput(name, name, InputSource.PARENT, step.type_name, name, found_by="overlay")
                for name, step in zip(list_requires, parents, strict=True)
            ),
        )

    @classmethod
    def from_facts(
        cls,
        facts: TypeFacts,
        plan: ListPlan,
        table_name: str,
        scope: Scope = Scope.REGIONAL,
        scope_reason: str = "",
        account_properties: Iterable[str] = (),
    ) -> ResourceSchema:
        """The schema of a catalog type: its facts, and its derived ListPlan as list inputs and parents;
        ``account_properties``: those the index says hold the account id (besides account-id list inputs)."""
        columns = {prop: name for prop, name in column_names(facts).items() if name != snake_case(prop)}
        order = {name: i for i, name in enumerate(plan.chain)}
        feeds = sorted(plan.feeds, key=lambda feed: order.get(feed.parent or "", len(order)))
        inputs = tuple(
            ListInput(
                input=feed.input,
                property_name=feed.property_name,
                source=InputSource(feed.kind.value),
                parent=feed.parent if feed.kind.value == InputSource.PARENT else None,
                parent_property=feed.parent_property if feed.kind.value == InputSource.PARENT else None,
                values=feed.values,
                reason=feed.reason or _unwalked_reason(plan, feed),
                found_by=feed.found_by.value if feed.found_by else feed.needed_by.value,
                aliases=tuple(alias.property_name for alias in feed.aliases),
                value_regions=dict(feed.value_regions),
            )
            for feed in feeds
        )
        read_only = whole_properties(facts.read_only)
        ids = facts.primary_identifier
        # A primary identifier the create gives (a log group's name) is a unique key, and its listing is
        # found from the same values when every list input is one of its parts; a generated one is not.
        keyed = bool(ids) and not any(p in read_only or "/" in p for p in ids)
        keyed = keyed and all(i.input == i.property_name and i.input in ids for i in inputs)
        return cls(
            type_name=facts.type_name,
            properties=dict(facts.properties),
            required=facts.required,
            create_only=whole_properties(facts.create_only),
            read_only=read_only,
            write_only=whole_properties(facts.write_only),
            write_only_members=member_paths(facts.write_only),
            read_only_members=member_paths(facts.read_only),
            create_only_members=member_paths(facts.create_only),
            primary_identifier=facts.primary_identifier,
            permissions={verb.value: perms for verb, perms in facts.permissions.items()},
            additional_properties=True,
            table_name=table_name,
            list_requires=tuple(item.input for item in inputs),
            parents=tuple(ParentStep(parent, dict(plan.keep.get(parent, {}))) for parent in plan.chain),
            list_inputs=inputs,
            list_reason=plan.reason,
            listable=plan.mode.value not in ("no_list", "excluded"),
            additional_identifiers=facts.additional_identifiers,
            column_names=columns,
            unique_key=ids if keyed else (),
            scope=scope,
            scope_reason=scope_reason,
            account_properties=tuple(
                name
                for name in dict.fromkeys(
                    [
                        *(i.property_name for i in inputs if i.source is InputSource.ACCOUNT_ID),
                        *account_properties,
                    ]
                )
                if name in facts.properties and name not in read_only
            ),
        )

    def input_columns_of(self, item: ListInput) -> tuple[str, ...]:
        """The columns whose value is the list input: its own, then its aliases' (``domain_identifier``,
        ``domain_id``)."""
        return tuple(self.column_of(prop) for prop in item.holders)

    def input_given(self, item: ListInput, given: Iterable[str]) -> list[str]:
        """The columns of ``item`` (its own, its aliases') among ``given``."""
        names = set(given)
        return [column for column in self.input_columns_of(item) if column in names]

    @property
    def where_inputs(self) -> tuple[ListInput, ...]:
        """The list inputs a SELECT must give in WHERE: no walked parent, fixed value or account id fills
        them (the account id is the account_id option, or looked up with STS when a listing needs it). A
        parent's id is one of them when the walk does not list that parent (the type needs WHERE anyway)."""
        chain = {step.type_name for step in self.parents}
        return tuple(
            item
            for item in self.list_inputs
            if item.source is InputSource.WHERE
            or (item.source is InputSource.PARENT and item.parent not in chain)
        )

    @property
    def is_global(self) -> bool:
        return self.scope is Scope.GLOBAL

    @property
    def is_listed_account_wide(self) -> bool:
        return self.scope is Scope.LISTED_ACCOUNT_WIDE

    def column_of(self, prop: str) -> str:
        return self.column_names.get(prop) or snake_case(prop)

    def is_updatable(self, prop: str) -> bool:
        """Whether an update may change ``prop``: it is neither create-only nor read-only."""
        return prop not in self.create_only and prop not in self.read_only

    def changed_members(
        self, prop: str, before: Any, after: Any
    ) -> list[tuple[tuple[str, ...], list[Any], list[Any], bool]]:
        """The create-only or read-only members of ``prop`` that an update from ``before`` to ``after``
        changes: (path, values before, values after, whether read-only). A read-only member left out
        of ``after`` is no change (AWS keeps setting it); a create-only one left out is."""
        changed = []
        for parts, read_only in [
            *((parts, False) for parts in self.create_only_members),
            *((parts, True) for parts in self.read_only_members),
        ]:
            if parts[0] != prop:
                continue
            old, new = values_at(before, parts[1:]), values_at(after, parts[1:])
            if old != new and not (read_only and not new):
                changed.append((parts, old, new, read_only))
        return changed

    @functools.cached_property
    def sensitive(self) -> Sensitive:
        """The write-only values, which every message, report and log shows as ``(sensitive value)``."""
        return Sensitive(self.write_only, self.write_only_members)

    def as_read(self, properties: dict[str, Any]) -> dict[str, Any]:
        """``properties`` as a GetResource returns them: without write-only properties and members."""
        return read_view(properties, self.write_only, self.write_only_members)

    def write_only_member(self, parts: tuple[str, ...]) -> tuple[str, ...] | None:
        """The write-only member path that ``parts`` (a JSON Pointer's, array indexes as numbers) is or
        lies inside, or None: ``("Code", "S3Key")`` for ``/Code/S3Key``."""
        for member in self.write_only_members:
            if len(parts) >= len(member) and all(
                want == got or (want == "*" and got.isdigit())
                for want, got in zip(member, parts, strict=False)
            ):
                return member
        return None

    def is_partial(self, properties: dict[str, Any]) -> bool:
        """Whether ``properties`` lack a required property (a listing's item): GetResource has the rest.
        (Asked of every listed row: a set comparison, in C.)"""
        return not properties.keys() >= self.required_set

    @functools.cached_property
    def required_set(self) -> frozenset[str]:
        """``required`` as a set, which a dict's keys compare with in C."""
        return frozenset(self.required)

    def enum(self, prop: str) -> tuple[str, ...] | None:
        values = self.properties[prop].get("enum")
        return tuple(values) if values else None

    def identifier_of(self, model: dict[str, Any]) -> str:
        """The compound primary identifier Cloud Control uses: the id values joined by ``|``."""
        return "|".join(str(model[name]) for name in self.primary_identifier)

    def split_identifier(self, identifier: str) -> dict[str, str]:
        """Parse ``A|B|C`` into its named parts; ValueError says what is wrong and what is expected. A
        type whose identifier has one part takes the identifier whole: ``cpu|high`` is an alarm's name."""
        parts = identifier.split("|") if len(self.primary_identifier) > 1 else [identifier]
        expected = "|".join(self.primary_identifier)
        if len(parts) != len(self.primary_identifier):
            raise ValueError(
                f"identifier {identifier!r} has {len(parts)} part(s); {self.type_name} identifiers have "
                f"{len(self.primary_identifier)}: '{expected}'"
            )
        for name, part in zip(self.primary_identifier, parts, strict=True):
            if not part:  # ' ' is a name AWS allows; only '' is empty
                raise ValueError(f"identifier {identifier!r} has an empty {name}; expected '{expected}'")
        return dict(zip(self.primary_identifier, parts, strict=True))


def schema_file_name(type_name: str) -> str:
    return type_name.replace("::", "_") + ".json"


@functools.cache
def load_schema(type_name: str) -> ResourceSchema:
    """The schema of a supported type; KeyError names the supported types when it is not one."""
    path = resources.files("vtab.catalog") / "schemas" / schema_file_name(type_name)
    if not path.is_file():
        raise KeyError(f"{type_name} is not a supported type; supported: {', '.join(supported_types())}")
    return ResourceSchema.from_json(json.loads(path.read_text()))


def supported_types() -> list[str]:
    folder = resources.files("vtab.catalog") / "schemas"
    return sorted(
        json.loads(entry.read_text())["typeName"]
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    )
