"""An option's value read from Python values or SQL / command-line text, checked against its rule: every
refusal names the option, the value, the rule and the fix."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from botocore.loaders import create_loader
from botocore.regions import EndpointResolver

from vtab import hints
from vtab.catalog.limits import request_limits
from vtab.messages import sql_literal
from vtab.options.endpoints import check_endpoint_url
from vtab.options.rules import (
    ACCOUNT_ID_PATTERN,
    DEFAULT_ROLE_NAME,
    EXTERNAL_ID_PATTERN,
    ORGANIZATION,
    OU_ID_PATTERN,
    OU_PATH_PATTERN,
    ROLE_NAME_PATTERN,
    Kind,
    OptionError,
    Rule,
    number_text,
)

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
_NONE_TEXT = ("", "none")

Word = TypeVar("Word", bound=StrEnum)
"""An option's words (a StrEnum: SyncMode, OnError)."""


def sql_text(value: Any) -> str:
    """An option's value as CREATE VIRTUAL TABLE arguments spell it (``true``, ``100``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


_ACCOUNT_EXAMPLE = "'123456789012'"


def _bad(name: str, value: Any, rule: str, fix: str) -> OptionError:
    return OptionError(f"option {hints.assignment(name, repr(value))} {rule}; {fix}")


def convert(name: str, value: Any, rule: Rule, default: Any) -> Any:
    """``value`` (a Python value, or SQL / command-line text) as option ``name``'s type under ``rule``, or
    OptionError; ``default`` is the option's, which a message about a number shows as an example."""
    if rule.optional and (value is None or (isinstance(value, str) and value.strip().lower() in _NONE_TEXT)):
        return None
    if rule.kind is Kind.REGIONS:
        return _regions(name, value)
    if rule.kind is Kind.BOOL:
        return _boolean(name, value)
    if rule.kind in LIST_KINDS:
        return _list(name, value, rule.kind)
    if rule.kind in (Kind.INT, Kind.NUMBER):
        return _ranged(name, value, rule, default)
    if rule.kind is Kind.CHOICE:
        return _choice(name, value, rule)
    if not isinstance(value, str):
        fix = f"write {hints.option(name)} as text"
        if rule.kind is Kind.ACCOUNT_ID:
            example = hints.assignment(name, _ACCOUNT_EXAMPLE)
            fix = f"write it as text, like {example} (an account id can start with 0)"
        raise _bad(name, value, f"is {type(value).__name__}, not text", fix)
    if rule.kind is Kind.URL:
        return check_endpoint_url(value, f"option {hints.assignment(name, repr(value))}")
    shape = _text_shape(name, rule.kind)
    if shape is not None and not re.fullmatch(shape.pattern, value):
        raise _bad(name, value, shape.problem, shape.fix)
    if not value.strip() or value != value.strip():
        raise _bad(
            name,
            value,
            "has blanks around it or is empty",
            f"write {hints.assignment(name, repr(value.strip()))}",
        )
    return value


@dataclass(frozen=True)
class _Shape:
    """What a text option of a fixed shape must match, what a value that does not is, and the fix."""

    pattern: str | re.Pattern[str]
    problem: str
    fix: str


def _text_shape(name: str, kind: Kind) -> _Shape | None:
    """The shape option ``name`` of ``kind`` must have (its fix in the reader's words), or None."""
    if kind is Kind.ACCOUNT_ID:
        example = hints.assignment(name, _ACCOUNT_EXAMPLE)
        return _Shape(ACCOUNT_ID_PATTERN, "is not an AWS account id (12 digits)", f"write it like {example}")
    if kind is Kind.ROLE_NAME:
        return _Shape(
            ROLE_NAME_PATTERN,
            "is not an IAM role name (1 to 64 letters, digits and +=,.@_-)",
            f"write the role's name, not its ARN, like {hints.assignment(name, repr(DEFAULT_ROLE_NAME))}",
        )
    if kind is Kind.EXTERNAL_ID:
        return _Shape(
            EXTERNAL_ID_PATTERN,
            "is not an STS external id (2 to 1224 letters, digits and +=,.@:/_-)",
            "write the ExternalId the roles' trust policies name",
        )
    if kind is Kind.ARN:
        return _Shape(
            request_limits().role_arn_pattern,
            "is not an IAM role ARN",
            "write it as arn:aws:iam::123456789012:role/NAME",
        )
    return None


LIST_KINDS = frozenset({Kind.ACCOUNTS, Kind.OUS, Kind.SKIPPED, Kind.NAMES})
_LIST_ITEMS: dict[Kind, tuple[str, str, str]] = {
    Kind.ACCOUNTS: (
        "account id {item} is not 12 digits",
        "give each account's 12-digit id, like",
        "'111111111111,222222222222' (or 'org')",
    ),
    Kind.OUS: (
        "{item} is not an organizational unit id (ou-ab12-cd34ef56, a root r-ab12) or path (/Prod/Web)",
        "write",
        "'ou-ab12-cd34ef56,/Prod/Web' (or a root, 'r-ab12' or '/')",
    ),
    Kind.SKIPPED: (
        "{item} is not an account id (12 digits) or OU id (ou-ab12-cd34ef56)",
        "write",
        "'111111111111,ou-ab12-cd34ef56'",
    ),
    Kind.NAMES: ("{item} is not a profile name", "write", "'prod,staging'"),
}
"""List kind -> what is wrong with an item that is not one (``{item}``: the item as written), and how the
option is written: the words before the example, the example."""


def _choice(name: str, value: Any, rule: Rule) -> StrEnum:
    assert rule.choices is not None
    return choice(name, value, rule.choices)


def choice(name: str, value: Any, words: type[Word]) -> Word:
    """Option ``name``'s ``value`` as the member of ``words`` it spells (``'SKIP'`` is ``skip``), else an
    OptionError naming the option, the value and the words."""
    known = [member.value for member in words]
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in known:
        choices = " or ".join(repr(word) for word in known)
        raise _bad(name, value, f"is not one of {choices}", f"write {hints.assignment(name, repr(known[0]))}")
    return words(text)


def _list_item_ok(kind: Kind, item: str) -> bool:
    if kind is Kind.ACCOUNTS:
        return bool(ACCOUNT_ID_PATTERN.fullmatch(item))
    if kind is Kind.OUS:
        return bool(OU_ID_PATTERN.fullmatch(item) or OU_PATH_PATTERN.fullmatch(item))
    if kind is Kind.SKIPPED:
        return bool(ACCOUNT_ID_PATTERN.fullmatch(item) or OU_ID_PATTERN.fullmatch(item))
    return bool(item)


def _list(name: str, value: Any, kind: Kind) -> tuple[str, ...]:
    """A comma-separated text, or a list/tuple of texts; each item checked for ``kind``. Duplicates are
    read once; ``org`` stands alone in accounts."""
    problem, fix, example_value = _LIST_ITEMS[kind]
    example = hints.assignment(name, example_value)
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise _bad(name, value, f"is {type(value).__name__}, not a list of texts", f"write {example}")
    if kind is Kind.ACCOUNTS:  # 'ORG' is org, as 'SKIP' is skip (choice)
        items = [ORGANIZATION if item.lower() == ORGANIZATION else item for item in items]
    found = tuple(dict.fromkeys(items))
    if kind is Kind.ACCOUNTS and ORGANIZATION in found:
        if len(found) > 1:
            raise _bad(
                name,
                value,
                f"mixes {ORGANIZATION} with {next(item for item in found if item != ORGANIZATION)!r}",
                f"write {hints.assignment(name, repr(ORGANIZATION))} alone, and leave accounts out with "
                "skip_accounts",
            )
        return found
    for item in found:
        if not _list_item_ok(kind, item):
            wrong = problem.format(item=repr(item))
            raise OptionError(f"option {hints.assignment(name, repr(value))}: {wrong}; {fix} {example}")
    return found


def _regions(name: str, value: Any) -> tuple[str, ...]:
    """A comma-separated text, or a list/tuple of names; each must be a region where Cloud Control is."""
    if isinstance(value, str):
        names = [part.strip() for part in value.split(",") if part.strip()]
    elif not isinstance(value, (list, tuple)):
        raise _bad(
            name,
            value,
            f"is {type(value).__name__}, not region names",
            "write regions='us-east-1,eu-west-1' or regions=['us-east-1', 'eu-west-1']",
        )
    else:
        names = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise _bad(
                    name,
                    value,
                    f"has {item!r} at position {index}, not a region name",
                    "every region is text like 'us-east-1'",
                )
            names.append(item.strip())
    regions = tuple(dict.fromkeys(names))  # a region named twice is read once
    for region in regions:
        problem = region_problem(region)
        if problem:
            raise OptionError(f"option {hints.assignment(name, repr(value))}: {problem}")
    return regions


@functools.cache
def cloud_control_regions() -> frozenset[str]:
    """Every region of every partition where Cloud Control exists, from botocore's endpoint data: no profile
    or credentials are read, so a region typo is refused before any AWS configuration is."""
    resolver = EndpointResolver(create_loader().load_data("endpoints"))
    return frozenset(
        region
        for partition in resolver.get_available_partitions()
        for region in resolver.get_available_endpoints("cloudcontrolapi", partition)
    )


def region_problem(region: object) -> str | None:
    """Why ``region`` is not a region vtab can call (with the closest names), or None when it is one."""
    known = cloud_control_regions()
    if isinstance(region, str) and region in known:
        return None
    meant = hints.did_you_mean(str(region).strip(), sorted(known), quoted=True)
    hint = f" ({meant})" if meant else ""
    return (
        f"region {sql_literal(region)} is not an AWS region where Cloud Control is available{hint}; "
        "use a name like 'us-east-1'"
    )


def _boolean(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in _BOOL_TEXT:
        raise _bad(name, value, "is not a boolean", "use true or false")
    return _BOOL_TEXT[text]


def _ranged(name: str, value: Any, rule: Rule, default: Any) -> int | float:
    """A finite number within the rule's range; a whole number for INT options (2.5 is refused, not cut)."""
    example = hints.assignment(name, number_text(default))
    takes = f"{hints.option(name)} takes {rule.range_text()}, e.g. {example}"
    number: float
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _bad(name, value, "is not a number", takes)
    if isinstance(value, str) and "_" in value:
        raise _bad(name, value, "is not a number (no '_' separators)", takes)
    try:
        number = float(value)
    except ValueError:
        raise _bad(name, value, "is not a number", takes) from None
    except OverflowError:
        raise _bad(name, value, "is out of range", takes) from None
    if not math.isfinite(number):
        raise _bad(name, value, "is not a finite number", takes)
    if rule.optional and number == 0:
        raise _bad(
            name,
            value,
            "would allow nothing",
            f"write {hints.assignment(name, 'none')} for no limit; "
            f"{hints.option(name)} takes {rule.range_text()}",
        )
    low = rule.low if rule.low is not None else -math.inf
    high = rule.high if rule.high is not None else math.inf
    if number < low or number > high or (rule.low_open and number == low):
        raise _bad(name, value, "is out of range", takes)
    if rule.kind is Kind.INT:
        if not number.is_integer():
            raise _bad(name, value, "is not a whole number", takes)
        return int(number)
    return number
