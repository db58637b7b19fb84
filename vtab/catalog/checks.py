"""One JSON Schema validator (``jsonschema``, Draft 7) for the catalog's rules: a property's ``check`` facts
(see ``vtab/catalog/facts.py``) before a write is sent, and the emulator's model validation.

Both sides use this one so that a value vtab refuses is one the emulator refuses, and the other way round.
``jsonschema`` is imported when the first validator is built, not with the catalog: ``vtab.connect()``
does not pay for it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from jsonschema.protocols import Validator


@functools.cache
def compiled_pattern(pattern: str) -> re.Pattern[str] | None:
    """The (ECMA 262) ``pattern`` as Python's ``re`` reads it, or None when it cannot (``\\p{L}``): the
    catalog keeps only patterns it compiles, and the emulator generates values from those."""
    try:
        return re.compile(pattern)
    except re.error:
        return None


def is_integer(checker: Any, value: Any) -> bool:
    """An integer is an int, never a bool and never a float such as 1.0 (Cloud Control's validator agrees:
    ``1.0`` for an integer property is ``expected type: Integer, found: Number``)."""
    return isinstance(value, int) and not isinstance(value, bool)


@functools.cache
def _strict_class() -> type[Validator]:
    from jsonschema import Draft7Validator, validators

    checker = Draft7Validator.TYPE_CHECKER.redefine("integer", is_integer)
    cls: type[Validator] = validators.extend(Draft7Validator, type_checker=checker)
    return cls


def strict_validator(schema: Mapping[str, Any]) -> Validator:
    """A Draft 7 validator of ``schema`` whose integers are strict (see :func:`is_integer`); ``pattern``
    is searched with Python's ``re`` (the catalog keeps only patterns ``re`` compiles)."""
    return _strict_class()(dict(schema))
