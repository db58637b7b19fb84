"""The shipped catalog, loaded lazily: the index at first use, a service's facts at the first use of one of
its types.

``data/index.json`` holds, per type, its table and StackQL names, its verbs, its derived ListPlan and
whether it is global (about 0.5 MB, parsed in about 5 ms); ``data/types/<service>.json`` hold the facts of
each service's types. The hand-verified schemas in ``vtab/schemas`` are authoritative: their facts replace
the generated ones.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

import orjson

from vtab.catalog.facts import TypeFacts, Verb, compact
from vtab.catalog.list_plan import ListPlan
from vtab.catalog.schema import ResourceSchema, Scope, load_schema, schema_file_name

INDEX_FILE = "index.json"
TYPES_FOLDER = "types"


def data_folder() -> Traversable:
    return resources.files("vtab.catalog") / "data"


def service_file(type_name: str) -> str:
    """The file holding a type's facts: ``AWS::EKS::Nodegroup`` -> ``eks.json``."""
    return type_name.split("::")[1].lower() + ".json"


@dataclass(frozen=True)
class CatalogEntry:
    """What the index says of one type; ``table`` is None when vtab offers no table for it (no handlers, or
    excluded: ``plan.reason`` says why)."""

    type_name: str
    table: str | None
    stackql: str | None
    verbs: frozenset[Verb]
    plan: ListPlan
    scope: Scope = Scope.REGIONAL
    scope_reason: str = ""
    """Why the type is global (empty for a regional type)."""
    account_properties: tuple[str, ...] = ()
    """Writable properties that hold the caller's account id (an overlay's account_id fact names them)."""


class Catalog:
    """Every type vtab knows, by type name and by table name."""

    def __init__(self, index: dict[str, Any], folder: Traversable) -> None:
        self.source: dict[str, Any] = index["source"]
        self._types: dict[str, dict[str, Any]] = index["types"]
        self._folder = folder
        self._by_table = {entry["table"]: name for name, entry in self._types.items() if entry.get("table")}
        self.aliases: dict[str, str] = dict(index.get("aliases", {}))
        """Seed names kept beside the generated ones (``integration_responses``): table -> type."""
        self._by_table.update(self.aliases)
        self._services: dict[str, dict[str, Any]] = {}
        self._facts: dict[str, TypeFacts] = {}
        self._schemas: dict[str, ResourceSchema] = {}
        self._entries: dict[str, CatalogEntry] = {}
        """Entries built (their ListPlan parsed) once: a sync asks a type's about 4 times a task."""

    def type_names(self) -> list[str]:
        return list(self._types)

    def table_names(self) -> list[str]:
        """Every table name, aliases included."""
        return list(self._by_table)

    def tables(self) -> dict[str, tuple[str, str | None]]:
        """Table name -> (type name, StackQL name) of every type with a table, read from the index alone
        (no ListPlan is built: register() calls this for 1,700 types)."""
        return {
            doc["table"]: (type_name, doc.get("stackql"))
            for type_name, doc in self._types.items()
            if doc.get("table")
        }

    def type_of_table(self, table: str) -> str:
        """The type behind a table name; KeyError says the name is not a catalog table."""
        try:
            return self._by_table[table]
        except KeyError:
            raise KeyError(f"{table!r} is not a table of the vtab catalog") from None

    def entry(self, type_name: str) -> CatalogEntry:
        found = self._entries.get(type_name)
        if found is None:
            found = self._entries[type_name] = self._entry(type_name)
        return found

    def _entry(self, type_name: str) -> CatalogEntry:
        doc = self._known(type_name)
        return CatalogEntry(
            type_name=type_name,
            table=doc.get("table"),
            stackql=doc.get("stackql"),
            verbs=frozenset(Verb(verb) for verb in doc.get("verbs", ())),
            plan=ListPlan.from_json(type_name, doc["list"]),
            scope=(
                Scope.GLOBAL
                if "global" in doc
                else Scope.LISTED_ACCOUNT_WIDE
                if "listedAccountWide" in doc
                else Scope.REGIONAL
            ),
            scope_reason=doc.get("global", doc.get("listedAccountWide", "")),
            account_properties=tuple(doc.get("accountId", ())),
        )

    def facts(self, type_name: str) -> TypeFacts:
        """The type's facts: from its hand-verified schema when vtab ships one, else from the catalog."""
        self._known(type_name)
        if type_name not in self._facts:
            verified = hand_verified_schema(type_name)
            if verified is not None:
                self._facts[type_name] = compact(verified)
            else:
                self._facts[type_name] = TypeFacts.from_json(self._service_types(type_name)[type_name])
        return self._facts[type_name]

    def schema(self, type_name: str) -> ResourceSchema:
        """The ResourceSchema the table, the reads and the writes use: the hand-verified one when vtab ships
        it, else built from the type's facts and derived ListPlan (read at first use, then kept)."""
        if type_name not in self._schemas:
            if hand_verified_schema(type_name) is not None:
                self._schemas[type_name] = load_schema(type_name)
            else:
                entry = self.entry(type_name)
                table = entry.table or type_name.replace("::", "_").lower()
                self._schemas[type_name] = ResourceSchema.from_facts(
                    self.facts(type_name),
                    entry.plan,
                    table,
                    scope=entry.scope,
                    scope_reason=entry.scope_reason,
                    account_properties=entry.account_properties,
                )
        return self._schemas[type_name]

    def _known(self, type_name: str) -> dict[str, Any]:
        try:
            return self._types[type_name]
        except KeyError:
            raise KeyError(
                f"{type_name} is not in the vtab catalog (cfn-lint {self.source['cfnLint']})"
            ) from None

    def _service_types(self, type_name: str) -> dict[str, Any]:
        """The facts (JSON) of every type of the type's service: its file is parsed once per catalog."""
        name = service_file(type_name)
        if name not in self._services:
            self._services[name] = orjson.loads((self._folder / TYPES_FOLDER / name).read_bytes())["types"]
        return self._services[name]


def hand_verified_schema(type_name: str) -> dict[str, Any] | None:
    """The registry schema vtab ships in ``vtab/schemas`` for the type, or None."""
    path = resources.files("vtab.catalog") / "schemas" / schema_file_name(type_name)
    if not path.is_file():
        return None
    doc: dict[str, Any] = orjson.loads(path.read_bytes())
    return doc


@functools.cache
def load_catalog() -> Catalog:
    """The catalog shipped in the package (the index is parsed at the first call)."""
    folder = data_folder()
    return Catalog(orjson.loads((folder / INDEX_FILE).read_bytes()), folder)
