"""Which provider serves a type, and how Cloud Control refuses the types and verbs it does not serve.

The three ApiGatewayV2 types are served by their moto-backed providers; every other catalog type with
handlers by a :class:`~vtab.emulator.memory.MemoryProvider`, built at the type's first use (the catalog's
index is parsed then, and only the facts of that type's service). Nothing is loaded at start.
"""

from __future__ import annotations

from vtab.catalog import CatalogEntry, load_catalog
from vtab.catalog.facts import Verb
from vtab.catalog.list_plan import ListMode
from vtab.emulator.errors import CloudControlError
from vtab.emulator.memory import MemoryProvider
from vtab.emulator.provider import Provider
from vtab.emulator.providers import PROVIDERS

VERB_OF_OPERATION = {
    "ListResources": Verb.LIST,
    "GetResource": Verb.READ,
    "CreateResource": Verb.CREATE,
    "UpdateResource": Verb.UPDATE,
    "DeleteResource": Verb.DELETE,
}


class ServedTypes:
    """The providers of one emulator: moto-backed ones, and in-memory ones made on first use."""

    def __init__(self) -> None:
        self._memory: dict[str, MemoryProvider] = {}
        self._entries: dict[str, CatalogEntry] = {}
        """The catalog's entry of each type asked for: every call names one, and building it anew cost
        the endpoint 5% of a call's CPU."""

    def get(self, type_name: object, verb: Verb | None) -> Provider:
        """The provider of ``type_name`` for ``verb`` (None: any), or the error AWS answers:
        TypeNotFoundException for a type the registry does not have, UnsupportedActionException for one
        Cloud Control does not serve (no handlers, or left out of the catalog) or whose schema has no
        handler for the verb."""
        if not isinstance(type_name, str):
            raise type_not_found(type_name)
        moto = PROVIDERS.get(type_name)
        if moto is not None:
            if verb is not None and verb.value not in moto.schema.permissions:
                raise _unsupported_verb(type_name, verb)
            return moto
        entry = self._entries.get(type_name)
        if entry is None:
            try:
                entry = self._entries[type_name] = load_catalog().entry(type_name)
            except KeyError:
                raise type_not_found(type_name) from None
        if not entry.verbs or entry.plan.mode is ListMode.EXCLUDED:
            raise unsupported_type(type_name)
        if verb is not None and verb not in entry.verbs:
            raise _unsupported_verb(type_name, verb)
        return self._memory_provider(type_name)

    def find(self, type_name: str) -> Provider | None:
        """The provider serving ``type_name`` (any verb), or None: how a child finds its parent's type."""
        try:
            return self.get(type_name, None)
        except CloudControlError:
            return None

    def _memory_provider(self, type_name: str) -> MemoryProvider:
        provider = self._memory.get(type_name)
        if provider is None:
            catalog = load_catalog()
            provider = MemoryProvider(catalog.facts(type_name), self._entries[type_name], self.find)
            self._memory[type_name] = provider
        return provider


def unsupported_type(type_name: object) -> CloudControlError:
    return CloudControlError(
        "UnsupportedActionException", f"The resource {type_name} is not yet supported via Cloud Control API"
    )


def type_not_found(type_name: object) -> CloudControlError:
    return CloudControlError(
        "TypeNotFoundException", f"The type '{type_name}' does not exist in the CloudFormation registry."
    )


def _unsupported_verb(type_name: str, verb: Verb) -> CloudControlError:
    message = f"Resource type {type_name} does not support {verb.value.upper()} action"
    return CloudControlError("UnsupportedActionException", message)
