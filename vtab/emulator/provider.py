"""What the service asks of a resource provider, whichever kind serves the type.

Two kinds implement :class:`Provider`: the moto-backed ApiGatewayV2 providers (``providers.py``) and the
schema-driven in-memory provider of every other catalog type (``memory.py``). The service (``service.py``)
owns everything Cloud Control does around a handler (validation, async requests, idempotency, pages,
switches); a provider only lists, reads, creates, updates and deletes, raising :class:`HandlerFailure`
the way a resource handler fails. Callers hold the emulator lock.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vtab.emulator.errors import HandlerFailure, invalid_request, not_found_message
from vtab.emulator.rules import TypeRules

if TYPE_CHECKING:
    from vtab.emulator.state import RegionState


@dataclass(frozen=True)
class ListInputs:
    """The ResourceModel keys a list handler demands: all of ``required``, plus every key of at least one
    of ``choices`` (a handlerSchema's anyOf/oneOf branches) when there are choices."""

    required: tuple[str, ...] = ()
    choices: tuple[tuple[str, ...], ...] = ()
    one_of: bool = False
    optional: tuple[str, ...] = ()
    """Inputs the handler filters on when given (a handlerSchema's optional properties)."""

    def given(self, type_name: str, model: dict[str, Any]) -> dict[str, Any]:
        """The inputs given in ``model`` (required, chosen and optional ones); InvalidRequest in AWS's wording
        when a required one is missing or empty."""
        missing = [name for name in self.required if _absent(model.get(name))]
        violations = [f"#: required key [{name}] not found" for name in missing]
        chosen: tuple[str, ...] = ()
        if self.choices:
            complete = [branch for branch in self.choices if not any(_absent(model.get(k)) for k in branch)]
            if complete:
                chosen = complete[0]
            else:
                if self.one_of:
                    head = "#: 0 subschemas matched instead of one"
                else:
                    head = f"#: no subschema matched out of the total {len(self.choices)} subschemas"
                keys = [k for branch in self.choices for k in branch if _absent(model.get(k))]
                inner = ", ".join(f"#: required key [{k}] not found" for k in dict.fromkeys(keys))
                violations.append(f"{head} ({inner})")
        if violations:
            raise invalid_request(
                f"Missing or invalid ResourceModel property in {type_name} list handler request "
                f"input.Required property: ({', '.join(violations)})"
            )
        names = [*self.required, *chosen, *(k for k in self.optional if not _absent(model.get(k)))]
        return {name: model[name] for name in dict.fromkeys(names)}


def _absent(value: Any) -> bool:
    return value is None or value == "" or value == []


class Provider(ABC):
    """One resource type's handlers. ``rules`` are what Cloud Control checks before a handler runs;
    ``list_inputs`` what its list handler demands in ResourceModel."""

    type_name: str
    rules: TypeRules
    list_inputs: ListInputs
    is_global: bool = False
    """Whether every region of a partition shares the type's resources (IAM, Route 53, CloudFront)."""

    def list_filter(self, model: dict[str, Any]) -> dict[str, Any]:
        """The ResourceModel values the list handler uses; InvalidRequest when required ones are missing."""
        return self.list_inputs.given(self.type_name, model)

    @abstractmethod
    def list_objects(self, region: RegionState, parent: dict[str, Any]) -> Sequence[Any]:
        """The resources under ``parent`` (the list inputs), in a stable order; HandlerFailure NotFound when
        the parent does not exist."""

    @abstractmethod
    def identifier(self, obj: Any, parent: dict[str, Any]) -> str:
        """The primary identifier of a listed object."""

    @abstractmethod
    def describe(self, obj: Any, parent: dict[str, Any]) -> dict[str, Any]:
        """A listed object's model as GetResource shows it (nulls and write-only properties left out)."""

    @abstractmethod
    def read(self, region: RegionState, ids: dict[str, str]) -> dict[str, Any]:
        """The model named by the identifier parts; HandlerFailure NotFound when it does not exist."""

    @abstractmethod
    def create(self, region: RegionState, desired: dict[str, Any]) -> dict[str, Any]:
        """Create from a validated DesiredState; returns the model (with its identifier)."""

    @abstractmethod
    def update(self, region: RegionState, ids: dict[str, str], desired: dict[str, Any]) -> dict[str, Any]:
        """Make the resource match ``desired`` (the current model with the patch applied)."""

    @abstractmethod
    def delete(self, region: RegionState, ids: dict[str, str]) -> None: ...

    @abstractmethod
    def matching(self, region: RegionState, values: dict[str, Any]) -> list[dict[str, Any]]:
        """The models whose properties equal ``values``: how a child's handler finds its parent."""

    def not_found(self, ids: dict[str, str]) -> HandlerFailure:
        return HandlerFailure("NotFound", not_found_message(self.type_name, self.rules.identifier_of(ids)))
