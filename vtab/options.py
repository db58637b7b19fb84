"""Options of ``vtab.register(...)`` and ``CREATE VIRTUAL TABLE ... USING integration_responses(...)``.

One dataclass serves both spellings, so a name means the same thing in Python and in SQL, and an unknown
name is an error that lists the known ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

WRITE_OPTIONS = frozenset({"max_writes", "read_only", "dry_run", "write_timeout"})
"""Options that only matter to INSERT, UPDATE and DELETE (``vtab snapshot`` does not offer them)."""


class OptionError(ValueError):
    """A bad option name or value; the message names the option and the fix."""


@dataclass(frozen=True)
class Options:
    """Every knob of a vtab table. Defaults suit ad-hoc inventory against real AWS latencies."""

    profile: str | None = None
    """AWS profile name; None means boto3's standard credential chain."""
    regions: tuple[str, ...] = ()
    """Regions read when a query does not constrain ``region`` (comma-separated in SQL and on the command
    line); empty means boto3's default region."""
    role_arn: str | None = None
    """Passed as Cloud Control's RoleArn: the role CloudFormation assumes to run the handlers."""
    endpoint_url: str | None = None
    """Cloud Control endpoint; None means boto3's (which honours AWS_ENDPOINT_URL_CLOUDCONTROL)."""
    cache_ttl: float = 30.0
    """Seconds a read result is reused by later statements; 0 turns the cross-statement cache off."""
    max_workers: int = 16
    """Threads for parallel calls (regions, APIs, integrations, gets, writes)."""
    rate_limit: float | None = 25.0
    """Calls per second per region, shared by the connection's tables (Cloud Control throttles near
    25-30/s); None for unlimited."""
    max_attempts: int = 5
    """botocore standard-mode attempts per call (throttling and transient errors are retried)."""
    max_writes: int = 100
    """Most write operations one statement may send; more is refused before anything is sent."""
    read_only: bool = False
    """Refuse every INSERT, UPDATE and DELETE before anything is sent."""
    dry_run: bool = False
    """Record the writes that would be sent (see the vtab_dry_run table) without sending them."""
    write_timeout: float = 600.0
    """Seconds to wait for each write to reach SUCCESS or FAILED."""
    connect_timeout: float = 5.0
    """Seconds to wait for a connection to Cloud Control before the attempt fails (and is retried)."""
    read_timeout: float = 20.0
    """Seconds to wait for an answer, or for the rest of one, on an open connection before the attempt fails
    (and is retried): a stalled call ends within about read_timeout x max_attempts."""
    progress: bool = False
    """Show a read's progress (parents listed, rows so far, calls in flight) on stderr once it has run half a
    second; the vtab command turns it on when stderr is a terminal."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied; values are converted and checked like SQL option text."""
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise OptionError(
                f"unknown option {', '.join(unknown)}; known options: {', '.join(self.names())}"
            )
        converted = {name: _convert(name, value) for name, value in changes.items()}
        return dataclasses.replace(self, **converted)

    def with_sql_args(self, args: tuple[str, ...]) -> Options:
        """Apply ``CREATE VIRTUAL TABLE`` arguments, which apsw passes as raw SQL tokens (``name=value``)."""
        changes: dict[str, Any] = {}
        for arg in args:
            name, sep, value = arg.partition("=")
            if not sep:
                raise OptionError(
                    f"option {arg.strip()!r} has no value; write name=value, e.g. regions='us-east-1'"
                )
            changes[name.strip()] = _unquote(value.strip())
        return self.replace(**changes)


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        quote = token[0]
        return token[1:-1].replace(quote * 2, quote)
    return token


_BOOL_TEXT = {
    "1": True,
    "true": True,
    "yes": True,
    "on": True,
    "0": False,
    "false": False,
    "no": False,
    "off": False,
}


def _convert(name: str, value: Any) -> Any:
    """Options arrive as Python values or as SQL text; both end up as the field's type."""
    if name == "regions":
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        return tuple(value)
    if name in ("profile", "role_arn", "endpoint_url"):
        return None if value in (None, "", "none", "None") else str(value)
    if name in ("read_only", "dry_run", "progress"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text not in _BOOL_TEXT:
            raise OptionError(f"option {name}={value!r} is not a boolean; use true or false")
        return _BOOL_TEXT[text]
    if name == "rate_limit" and value in (None, "none", "None", "", "0", 0):
        return None
    if name in ("max_workers", "max_writes", "max_attempts"):
        number = _number(name, value, int)
        if number < 1:
            raise OptionError(f"option {name}={value!r} must be at least 1")
        return number
    if name in ("cache_ttl", "rate_limit", "write_timeout", "connect_timeout", "read_timeout"):
        number = _number(name, value, float)
        if number < 0 or (name != "cache_ttl" and number == 0):
            raise OptionError(f"option {name}={value!r} must be positive")
        return number
    return value


def _number(name: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise OptionError(f"option {name}={value!r} is not a number") from None
