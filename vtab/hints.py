"""How error hints name an option: ``regions=`` for Python callers, ``--regions`` for the ``vtab`` command.

Messages say how to fix a problem in the words the reader can type. The vocabulary is one process-wide
setting (the command sets it once at start; worker threads raise errors too, so a context variable, which
threads do not inherit, would not reach them).
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Iterator


class Audience(enum.Enum):
    PYTHON = "python"
    """Keyword arguments of vtab.register() / vtab.connect()."""
    COMMAND = "command"
    """Flags of the vtab command."""


_audience = Audience.PYTHON


def current() -> Audience:
    return _audience


@contextlib.contextmanager
def speaking_to(audience: Audience) -> Iterator[None]:
    """Hints name options for ``audience`` inside the block (the command wraps its whole run in it)."""
    global _audience
    previous, _audience = _audience, audience
    try:
        yield
    finally:
        _audience = previous


def option(name: str) -> str:
    """The option as the reader spells it: ``rate_limit`` or ``--rate-limit``."""
    if _audience is Audience.COMMAND:
        return "--" + name.replace("_", "-")
    return name


def assignment(name: str, value: str) -> str:
    """An option with a value as the reader writes it: ``max_writes=100`` or ``--max-writes 100``."""
    if _audience is Audience.COMMAND:
        return f"{option(name)} {value}"
    return f"{name}={value}"


def set_option(name: str, value: str) -> str:
    """How to set an option for the whole connection: ``pass regions=X to vtab.register()`` or
    ``add --regions X to the command``."""
    if _audience is Audience.COMMAND:
        return f"add {option(name)} {value} to the vtab command"
    return f"pass {name}={value} to vtab.register()"
