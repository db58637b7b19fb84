"""vtab's own facts about resource types, kept beside (never inside) AWS's schemas.

Each file ``vtab/catalog/overlays/<service>.toml`` holds the facts of one service that no schema states:
where a list input's value comes from when name matching guesses wrong or finds nothing, fixed values (and
the regions a value exists in) and account ids to list with, keep filters on parents, types that list
region-wide although their identifier looks like a child's, types left out, and services and types that
are global (one set of resources per partition, whichever region is asked), each with the reason. Their
format is shown in docs/catalog.md (Overlays).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from vtab.catalog.schema import Scope


class OverlayError(ValueError):
    """An overlay file says something vtab cannot use; the message names the file, the key and the fix."""


@dataclass(frozen=True)
class InputFact:
    """Where the value of one list input comes from (exactly one of parent, values, account_id, where)."""

    why: str
    parent: str | None = None
    property: str | None = None
    values: tuple[str, ...] = ()
    account_id: bool = False
    where: bool = False
    """No walk can find it: the user gives it in WHERE (``why`` says why)."""
    regions: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Value -> the only regions it exists in (WAFv2's CLOUDFRONT scope: us-east-1); other values: all."""


@dataclass(frozen=True)
class TypeOverlay:
    """vtab's facts about one type; ``inputs`` are list inputs, added to the schema's when not declared."""

    inputs: dict[str, InputFact] = field(default_factory=dict)
    keep: dict[str, dict[str, str]] = field(default_factory=dict)
    """Parent type -> property values a parent must have for the walk to go into it (e.g. WebSocket APIs)."""
    region_wide: str | None = None
    """Why the type lists without input although its identifier has several parts (None: not said)."""
    exclude: str | None = None
    """Why vtab offers no table for the type (None: it does)."""
    global_: str | None = None
    """Why the type is global although its service is not (TOML key ``global``)."""
    regional: str | None = None
    """Why the type is regional although its service is global."""
    listed_account_wide: str | None = None
    """Why the type's listing answers every region's resources although each lives in one region."""


@dataclass(frozen=True)
class ServiceOverlay:
    """vtab's facts about a whole service."""

    global_: str | None = None
    """Why every type of the service is global: one set of resources per partition, the same whichever
    region Cloud Control is asked in (TOML key ``global``)."""


@dataclass(frozen=True)
class Overlays:
    """All overlay files: per type, per service, and per service defaults for inputs every type of the
    service has."""

    types: dict[str, TypeOverlay] = field(default_factory=dict)
    service_inputs: dict[str, dict[str, InputFact]] = field(default_factory=dict)
    services: dict[str, ServiceOverlay] = field(default_factory=dict)

    def of(self, type_name: str) -> TypeOverlay:
        return self.types.get(type_name, TypeOverlay())

    def scope(self, type_name: str) -> tuple[Scope, str]:
        """Whether the type is global (or listed account-wide), and why: the type's own fact, else its
        service's (regional: '')."""
        overlay = self.of(type_name)
        if overlay.listed_account_wide:
            return Scope.LISTED_ACCOUNT_WIDE, overlay.listed_account_wide
        if overlay.regional:
            return Scope.REGIONAL, ""
        why = overlay.global_ or self.services.get(type_name.split("::")[1], ServiceOverlay()).global_
        return (Scope.GLOBAL, why) if why else (Scope.REGIONAL, "")

    def account_properties(self, type_name: str, properties: Iterable[str]) -> tuple[str, ...]:
        """Those of ``properties`` that hold the caller's account id: an ``account_id`` fact names them, for
        the type or its service (QuickSight's AwsAccountId), whether or not its list needs them."""
        return tuple(
            name
            for name in properties
            if (fact := self.input_fact(type_name, name)) is not None and fact.account_id
        )

    def input_fact(self, type_name: str, name: str) -> InputFact | None:
        """The overlay's fact for input ``name`` of the type, else the service default, else None."""
        fact = self.of(type_name).inputs.get(name)
        if fact is None:
            fact = self.service_inputs.get(type_name.split("::")[1], {}).get(name)
        return fact


_INPUT_KEYS = {"why", "parent", "property", "values", "account_id", "where", "regions"}
_TYPE_KEYS = {"inputs", "keep", "region_wide", "exclude", "global", "regional", "listed_account_wide"}
_SERVICE_KEYS = {"global"}
_TOP_KEYS = ("types", "service_inputs", "services")


def _input_fact(where: str, doc: Mapping[str, Any]) -> InputFact:
    unknown = set(doc) - _INPUT_KEYS
    if unknown:
        raise OverlayError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_INPUT_KEYS)}")
    if not doc.get("why"):
        raise OverlayError(f"{where}: every input fact needs a 'why' (where the fact comes from)")
    fact = InputFact(
        why=doc["why"],
        parent=doc.get("parent"),
        property=doc.get("property"),
        values=tuple(doc.get("values", ())),
        account_id=bool(doc.get("account_id", False)),
        where=bool(doc.get("where", False)),
    )
    given = [bool(fact.parent), bool(fact.values), fact.account_id, fact.where]
    if sum(given) != 1:
        raise OverlayError(f"{where}: give exactly one of parent (with property), values, account_id, where")
    if fact.parent and not fact.property:
        raise OverlayError(f"{where}: parent {fact.parent!r} needs the 'property' that feeds the input")
    return replace(fact, regions=_value_regions(where, fact.values, doc.get("regions", {})))


def _value_regions(where: str, values: tuple[str, ...], doc: Any) -> dict[str, tuple[str, ...]]:
    """``regions = { CLOUDFRONT = ["us-east-1"] }``: each key one of ``values``, each list not empty."""
    if not isinstance(doc, dict):
        raise OverlayError(f"{where}: regions must map values to lists of regions: {{ V = ['us-east-1'] }}")
    result = {}
    for value, regions in doc.items():
        if value not in values:
            raise OverlayError(f"{where}: regions names {value!r}, which is not one of values {list(values)}")
        if not isinstance(regions, list) or not regions or not all(isinstance(r, str) for r in regions):
            raise OverlayError(f"{where}: regions.{value} must be a non-empty list of region names")
        result[value] = tuple(regions)
    return result


def _type_overlay(where: str, entry: Mapping[str, Any]) -> TypeOverlay:
    unknown = set(entry) - _TYPE_KEYS
    if unknown:
        raise OverlayError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_TYPE_KEYS)}")
    if sum(bool(entry.get(key)) for key in ("global", "regional", "listed_account_wide")) > 1:
        raise OverlayError(
            f"{where}: a type is either global, regional or listed_account_wide; give one of them"
        )
    return TypeOverlay(
        inputs={key: _input_fact(f"{where}.inputs.{key}", v) for key, v in entry.get("inputs", {}).items()},
        keep={parent: dict(values) for parent, values in entry.get("keep", {}).items()},
        region_wide=entry.get("region_wide"),
        exclude=entry.get("exclude"),
        global_=_why(where, "global", entry),
        regional=_why(where, "regional", entry),
        listed_account_wide=_why(where, "listed_account_wide", entry),
    )


def _service_overlay(where: str, entry: Mapping[str, Any]) -> ServiceOverlay:
    unknown = set(entry) - _SERVICE_KEYS
    if unknown:
        raise OverlayError(f"{where}: unknown key(s) {sorted(unknown)}; use {sorted(_SERVICE_KEYS)}")
    return ServiceOverlay(global_=_why(where, "global", entry))


def _why(where: str, key: str, entry: Mapping[str, Any]) -> str | None:
    """A fact whose value is its reason: a non-empty string, or absent."""
    value = entry.get(key)
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise OverlayError(f'{where}: {key} takes the reason as text ({key} = "why"), not {value!r}')
    return value


def parse(files: Iterable[tuple[str, str]]) -> Overlays:
    """Overlays from (file name, TOML text) pairs; OverlayError names the file and key of a mistake."""
    types: dict[str, TypeOverlay] = {}
    service_inputs: dict[str, dict[str, InputFact]] = {}
    services: dict[str, ServiceOverlay] = {}
    for name, text in files:
        doc = tomllib.loads(text)
        for service, inputs in doc.pop("service_inputs", {}).items():
            service_inputs.setdefault(service, {}).update(
                {
                    key: _input_fact(f"{name} service_inputs.{service}.{key}", value)
                    for key, value in inputs.items()
                }
            )
        for service, entry in doc.pop("services", {}).items():
            where = f"{name} services.{service}"
            if service in services:
                raise OverlayError(f"{where}: the service has facts in two overlay files; keep them in one")
            services[service] = _service_overlay(where, entry)
        for type_name, entry in doc.pop("types", {}).items():
            where = f"{name} types.{type_name!r}"
            if type_name in types:
                raise OverlayError(f"{where}: the type has facts in two overlay files; keep them in one")
            types[type_name] = _type_overlay(where, entry)
        if doc:
            keys = ", ".join(repr(key) for key in _TOP_KEYS)
            raise OverlayError(f"{name}: unknown top-level key(s) {sorted(doc)}; use {keys}")
    for type_name, overlay in types.items():
        service = type_name.split("::")[1] if type_name.count("::") == 2 else ""
        if overlay.regional and not services.get(service, ServiceOverlay()).global_:
            raise OverlayError(
                f"types.{type_name!r}: regional overrides a global service, but {service or type_name} "
                "is not global; drop it"
            )
    return Overlays(types, service_inputs, services)


def load_overlays() -> Overlays:
    """The overlay files shipped in ``vtab/catalog/overlays``."""
    folder = resources.files("vtab.catalog") / "overlays"
    files = sorted(
        (entry.name, entry.read_text()) for entry in folder.iterdir() if entry.name.endswith(".toml")
    )
    return parse(files)
