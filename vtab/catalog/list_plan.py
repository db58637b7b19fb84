"""What the catalog records of how a type is listed (``ListPlan``): its mode, and for each input of a walk
the feed its value comes from and the source of that link. ``vtab.catalog.walks`` derives them; the
catalog's index stores them; the read side, the emulator and the docs read them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vtab.catalog.columns import property_column


class LinkSource(StrEnum):
    """Where a fact of a walk comes from."""

    HANDLER_SCHEMA = "handler_schema"
    """The list handlerSchema requires the input."""
    PRIMARY_IDENTIFIER = "primary_identifier"
    """The input is a leading part of a composite primary identifier (no handlerSchema declares it)."""
    RELATIONSHIP_REF = "relationship_ref"
    """The property's relationshipRef names the parent type and property."""
    NAME_MATCH = "name_match"
    """A type of the same service has the input as (part of) its identifier, or is named like it."""
    ENUM = "enum"
    """The property's enum: the list runs once per value."""
    OVERLAY = "overlay"
    """vtab's overlay files say so."""
    ID_FORM = "id_form"
    """The property is the input's ``Id`` form, or the reverse (``DomainId`` for ``DomainIdentifier``)."""


class FeedKind(StrEnum):
    """What fills one list input."""

    PARENT = "parent"
    VALUES = "values"
    ACCOUNT_ID = "account_id"
    WHERE = "where"


class ListMode(StrEnum):
    """How a SELECT with only a region lists the type."""

    REGION_WIDE = "region_wide"
    WALK = "walk"
    FIXED = "fixed"
    """Inputs with fixed values (an enum) only: one list per value, no parents."""
    ACCOUNT_ID = "account_id"
    """The caller's account id (and maybe fixed values), no parents: the account_id option, else looked up
    once per connection with STS GetCallerIdentity."""
    NEEDS_WHERE = "needs_where"
    NO_LIST = "no_list"
    EXCLUDED = "excluded"


@dataclass(frozen=True)
class Alias:
    """Another property of the type that holds a list input's value under another name: DataZone
    Project's identifier part ``DomainId`` is the ``DomainIdentifier`` its list needs. ``found_by``: its
    relationshipRef or its name links it to the input's parent type and property, or it is the input's
    ``Id`` form (ID_FORM)."""

    property_name: str
    found_by: LinkSource

    def to_json(self) -> dict[str, str]:
        return {"property": self.property_name, "foundBy": self.found_by.value}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Alias:
        return cls(doc["property"], LinkSource(doc["foundBy"]))


@dataclass(frozen=True)
class Feed:
    """One list input and what fills it. ``parent``/``parent_property``: the walk's type and property whose
    value is the input; ``values``: fixed values; ``reason``: why a WHERE input cannot be found;
    ``aliases``: the type's other properties holding the same value (a WHERE on either gives the input)."""

    input: str
    property_name: str
    needed_by: LinkSource
    kind: FeedKind
    found_by: LinkSource | None = None
    parent: str | None = None
    parent_property: str | None = None
    values: tuple[str, ...] = ()
    reason: str = ""
    aliases: tuple[Alias, ...] = ()
    value_regions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Fixed value -> the only regions it exists in (an overlay's ``regions``)."""

    @property
    def column(self) -> str:
        return property_column(self.property_name)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"input": self.input, "neededBy": self.needed_by.value, "kind": self.kind.value}
        if self.property_name != self.input:
            doc["property"] = self.property_name
        for key, value in (
            ("foundBy", self.found_by and self.found_by.value),
            ("parent", self.parent),
            ("parentProperty", self.parent_property),
            ("values", list(self.values)),
            ("reason", self.reason),
            ("aliases", [alias.to_json() for alias in self.aliases]),
            ("valueRegions", {value: list(regions) for value, regions in self.value_regions.items()}),
        ):
            if value:
                doc[key] = value
        return doc

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Feed:
        return cls(
            input=doc["input"],
            property_name=doc.get("property", doc["input"]),
            needed_by=LinkSource(doc["neededBy"]),
            kind=FeedKind(doc["kind"]),
            found_by=LinkSource(doc["foundBy"]) if "foundBy" in doc else None,
            parent=doc.get("parent"),
            parent_property=doc.get("parentProperty"),
            values=tuple(doc.get("values", ())),
            reason=doc.get("reason", ""),
            aliases=tuple(Alias.from_json(alias) for alias in doc.get("aliases", ())),
            value_regions={value: tuple(regions) for value, regions in doc.get("valueRegions", {}).items()},
        )


@dataclass(frozen=True)
class ListPlan:
    """How one type is listed. ``chain``: the parent types a walk lists, outermost first (each one's own
    feeds are in its own plan); ``keep``: property values a parent in the chain must have to be walked
    into."""

    type_name: str
    mode: ListMode
    feeds: tuple[Feed, ...] = ()
    chain: tuple[str, ...] = ()
    keep: dict[str, dict[str, str]] = field(default_factory=dict)
    reason: str = ""

    @property
    def where_feeds(self) -> tuple[Feed, ...]:
        """The inputs a SELECT must give in WHERE (NEEDS_WHERE only): those nothing fills, and a parent's
        id the type needs besides, since a type that needs WHERE has no walk to list that parent."""
        return tuple(feed for feed in self.feeds if self.unwalked(feed))

    def unwalked(self, feed: Feed) -> bool:
        """Whether ``feed`` must come from WHERE: no walk fills it."""
        return feed.kind is FeedKind.WHERE or (feed.kind is FeedKind.PARENT and feed.parent not in self.chain)

    @property
    def where_columns(self) -> tuple[str, ...]:
        """The columns a SELECT must give in WHERE (NEEDS_WHERE only)."""
        return tuple(feed.column for feed in self.where_feeds)

    @property
    def list_requires(self) -> tuple[str, ...]:
        """The inputs in ResourceModel, in the order the walk's parents provide them (vtab/schemas' form)."""
        order = {name: i for i, name in enumerate(self.chain)}
        return tuple(
            feed.input
            for feed in sorted(self.feeds, key=lambda feed: order.get(feed.parent or "", len(order)))
        )

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"mode": self.mode.value}
        if self.feeds:
            doc["feeds"] = [feed.to_json() for feed in self.feeds]
        if self.chain:
            doc["chain"] = list(self.chain)
        if self.keep:
            doc["keep"] = self.keep
        if self.reason:
            doc["reason"] = self.reason
        return doc

    @classmethod
    def from_json(cls, type_name: str, doc: Mapping[str, Any]) -> ListPlan:
        return cls(
            type_name=type_name,
            mode=ListMode(doc["mode"]),
            feeds=tuple(Feed.from_json(feed) for feed in doc.get("feeds", ())),
            chain=tuple(doc.get("chain", ())),
            keep={parent: dict(values) for parent, values in doc.get("keep", {}).items()},
            reason=doc.get("reason", ""),
        )
