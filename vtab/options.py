"""Options of ``vtab.register(...)``, ``CREATE VIRTUAL TABLE ... USING integration_responses(...)`` and the
``vtab`` command's flags.

One dataclass serves every spelling, and each field carries its rule (kind and range) in its metadata, so
a value is converted and checked in one place: ``max_workers=2.5`` or ``write_timeout=nan`` is refused
the same way from Python, SQL and the command line, with the limit in the message. An unknown name is an
error that lists the known ones.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import os
import re
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Any
from urllib.parse import urlsplit

import apsw
from botocore.loaders import create_loader
from botocore.regions import EndpointResolver
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from vtab import hints
from vtab.catalog.limits import request_limits
from vtab.messages import sql_literal

WRITE_OPTIONS = frozenset({"max_writes", "read_only", "dry_run", "schema_checks", "write_timeout"})
"""Options that only matter to INSERT, UPDATE and DELETE (``vtab snapshot`` does not offer them)."""

CREDENTIAL_OPTIONS = frozenset(
    {
        "profile",
        "endpoint_url",
        "role_arn",
        "account_id",
        "accounts",
        "assume_role_name",
        "external_id",
        "organizational_units",
        "skip_accounts",
        "profiles",
    }
)
"""Options that choose whose credentials sign a request, as whom it acts and where it is sent. A table
stored in a database file (any schema but temp: main or an ATTACHed one) may not set them unless the
connection trusts its files (``trusted_schema``): a file handed to you must not send your signed requests to
its own host, or act through a profile or role it picks. On a connection in one of PINNING_MODES they are
the connection's for every table, temp included. Every option of that kind joins this set: the account
options (which accounts a connection reads, and as whom) too."""

PINNING_MODES = ("read_only", "dry_run")
"""Connection options that pin CREDENTIAL_OPTIONS to the connection's values: no table, not even one the
session creates in temp, may set them to another value. Both are how a connection is handed to something
not fully trusted (a script, an AI agent, a reviewer's dry run): without the pin its SQL could still pick
any profile or role of the user's config, or send signed requests (session token included) to a host it
names."""

CONNECTION_ONLY = frozenset({"trusted_schema"})
"""Options only the connection takes (``vtab.register()``, the command's flags); a table argument naming
one is refused: a file cannot trust itself."""


class Stricter(Enum):
    """Which way a ceiling option is stricter (see CEILINGS)."""

    ON = "on"
    """A switch that refuses more when on (read_only, dry_run)."""
    LOWER = "lower"
    """A limit that allows less when lower (max_writes)."""


CEILINGS: dict[str, Stricter] = {
    "read_only": Stricter.ON,
    "dry_run": Stricter.ON,
    "max_writes": Stricter.LOWER,
}
"""Connection options that bound every table of the connection, as ``sqlite3 -readonly`` does: a table's own
value (CREATE VIRTUAL TABLE arguments, in temp, main or an ATTACHed file) may be stricter, never looser.
``trusted_schema`` does not lift them."""


class OptionError(apsw.SQLError, ValueError):
    """A bad option name or value; the message names the option, the value, the rule and the fix.

    Python callers (``vtab.register``/``vtab.connect``, the command line) get it as is: an
    ``apsw.SQLError`` like every other vtab error, and a ``ValueError`` as before. CREATE VIRTUAL TABLE
    raises ``apsw.SQLError`` with the same text, prefixed with the table name."""


class TrustError(OptionError):
    """A table option its connection does not allow: a credential option stored in a file, a looser
    ceiling, or a connection-only option (see ``Options.table_options``)."""


class Kind(Enum):
    """How an option's value is read (from Python values or from SQL/command-line text)."""

    TEXT = "text"
    REGIONS = "regions"
    URL = "url"
    ARN = "arn"
    ACCOUNT_ID = "account_id"
    ACCOUNTS = "accounts"
    """A list of account ids, or ``org``."""
    ROLE_NAME = "role_name"
    EXTERNAL_ID = "external_id"
    OUS = "ous"
    """A list of organizational unit (or root) ids."""
    SKIPPED = "skipped"
    """A list of account ids and organizational unit ids."""
    NAMES = "names"
    """A list of profile names."""
    CHOICE = "choice"
    """One word of the rule's ``choices`` (a StrEnum)."""
    BOOL = "bool"
    INT = "int"
    NUMBER = "number"


@dataclass(frozen=True)
class Rule:
    """The kind and range of one option; ``low_open`` refuses ``low`` itself (a timeout of 0)."""

    kind: Kind
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    unit: str = ""
    optional: bool = False
    """None (or the text 'none') is a value: the option's documented 'off'."""
    choices: type[StrEnum] | None = None
    """For ``Kind.CHOICE``: the words the option takes."""

    def range_text(self) -> str:
        low = _number_text(self.low)
        high = _number_text(self.high)
        if self.low_open:
            return f"more than {low} and at most {high} {self.unit}".rstrip()
        return f"{low} to {high} {self.unit}".rstrip()


def _rule(kind: Kind, low: float | None = None, high: float | None = None, **more: Any) -> dict[str, Rule]:
    return {"rule": Rule(kind, low, high, **more)}


ACCOUNT_ID_PATTERN = re.compile(r"[0-9]{12}")
"""An AWS account id: exactly 12 digits (leading zeros included, so it is text, never a number)."""

ORGANIZATION = "org"
"""``accounts='org'``: every ACTIVE account of the caller's Organization."""
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
"""The role AWS Organizations creates in every account it creates: what vtab assumes unless told."""
ROLE_NAME_PATTERN = re.compile(r"[\w+=,.@-]{1,64}")
"""IAM's RoleName characters and length."""
EXTERNAL_ID_PATTERN = re.compile(r"[\w+=,.@:/-]{2,1224}")
"""STS's ExternalId characters and length."""
OU_ID_PATTERN = re.compile(r"ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}|r-[0-9a-z]{4,32}")
"""An organizational unit id (``ou-ab12-cd34ef56``) or a root id (``r-ab12``), as Organizations spells
them."""


class AccountErrorMode(StrEnum):
    """What a statement does when an (account, region) of the estate fails (the on_account_error option)."""

    FAIL = "fail"
    """The other accounts finish, then the statement fails, naming every failing account and region."""
    SKIP = "skip"
    """The other accounts' rows come back; each failure is a row of vtab_errors."""


MAX_WORKERS = 256
"""More threads than this only adds memory: Cloud Control throttles each account near 25-30 calls/s."""


@dataclass(frozen=True)
class Options:
    """Every knob of a vtab table. Defaults suit ad-hoc inventory against real AWS latencies."""

    profile: str | None = field(default=None, metadata=_rule(Kind.TEXT, optional=True))
    """AWS profile name; None means boto3's standard credential chain."""
    regions: tuple[str, ...] = field(default=(), metadata=_rule(Kind.REGIONS))
    """Regions read when a query does not constrain ``region`` (comma-separated in SQL and on the command
    line); empty means boto3's default region. A global type (IAM, Route 53, CloudFront) is read once,
    through the first of them."""
    role_arn: str | None = field(default=None, metadata=_rule(Kind.ARN, optional=True))
    """Passed as Cloud Control's RoleArn: the role CloudFormation assumes to run the handlers
    (arn:aws:iam::123456789012:role/NAME). It is not how vtab reaches other accounts: see accounts and
    assume_role_name."""
    accounts: tuple[str, ...] = field(default=(), metadata=_rule(Kind.ACCOUNTS))
    """Accounts to read: 12-digit account ids (comma-separated in SQL and on the command line), or org for
    every ACTIVE account of the caller's Organization; each is reached by STS AssumeRole of
    assume_role_name, the caller's own account with its own credentials. Empty: the caller's account."""
    assume_role_name: str = field(default=DEFAULT_ROLE_NAME, metadata=_rule(Kind.ROLE_NAME))
    """The role assumed in each account of accounts (the one AWS Organizations creates in new accounts)."""
    external_id: str | None = field(default=None, metadata=_rule(Kind.EXTERNAL_ID, optional=True))
    """The ExternalId sent with every AssumeRole, when the roles' trust policies demand one."""
    organizational_units: tuple[str, ...] = field(default=(), metadata=_rule(Kind.OUS))
    """With accounts=org: only the accounts under these OUs (ou-... or r-... ids), child OUs included."""
    skip_accounts: tuple[str, ...] = field(default=(), metadata=_rule(Kind.SKIPPED))
    """Accounts left out of accounts: account ids, or (with accounts=org) OU ids, child OUs included."""
    profiles: tuple[str, ...] = field(default=(), metadata=_rule(Kind.NAMES))
    """Profiles of your AWS config to read, each its own account (for accounts outside an Organization);
    not together with accounts."""
    on_account_error: AccountErrorMode = field(
        default=AccountErrorMode.FAIL, metadata=_rule(Kind.CHOICE, choices=AccountErrorMode)
    )
    """What a read does when an account or region of the estate fails (a refused AssumeRole, AccessDenied,
    a region not enabled, throttled past retries): fail (the other accounts finish, then the statement's
    error names every failing account and region) or skip (the other accounts' rows come back; the
    failures are rows of vtab_errors)."""
    account_id: str | None = field(default=None, metadata=_rule(Kind.ACCOUNT_ID, optional=True))
    """The caller's AWS account id (12 digits): the value of QuickSight's aws_account_id and Glue's
    catalog_id where a listing needs one, or an INSERT leaves a required one NULL; None means vtab asks STS
    GetCallerIdentity once per connection, when a statement first needs it."""
    endpoint_url: str | None = field(default=None, metadata=_rule(Kind.URL, optional=True))
    """Cloud Control endpoint, http:// or https:// with a host; None means boto3's (which honours
    AWS_ENDPOINT_URL_CLOUDCONTROL, checked the same way). The account id lookup (STS) goes there too,
    unless AWS_ENDPOINT_URL_STS is set."""
    cache_ttl: float = field(default=30.0, metadata=_rule(Kind.NUMBER, 0, 86400, unit="seconds"))
    """Seconds (0 to 86400) a read result is reused by later statements; 0 turns the cross-statement
    cache off."""
    max_workers: int = field(default=16, metadata=_rule(Kind.INT, 1, MAX_WORKERS, unit="threads"))
    """Threads (1 to 256) for parallel calls (regions, parents, gets, and the start calls of writes; the
    status polls of started writes get twice as many besides)."""
    rate_limit: float | None = field(
        default=25.0, metadata=_rule(Kind.NUMBER, 0.1, 10000, unit="calls per second", optional=True)
    )
    """Calls per second per region (0.1 to 10000), shared by the connection's tables (Cloud Control
    throttles near 25-30/s); None for unlimited (0 is refused)."""
    max_attempts: int = field(default=5, metadata=_rule(Kind.INT, 1, 20, unit="attempts"))
    """botocore standard-mode attempts per call (1 to 20; throttling and transient errors are retried)."""
    max_writes: int = field(default=100, metadata=_rule(Kind.INT, 1, 10000, unit="writes"))
    """Most write operations (1 to 10000) one statement may send; more is refused before anything is sent."""
    read_only: bool = field(default=False, metadata=_rule(Kind.BOOL))
    """Refuse every INSERT, UPDATE and DELETE before anything is sent."""
    dry_run: bool = field(default=False, metadata=_rule(Kind.BOOL))
    """Record the writes that would be sent (see the vtab_dry_run table) without sending them."""
    schema_checks: bool = field(default=True, metadata=_rule(Kind.BOOL))
    """Check written values against the schema's enums and limits (lengths, ranges, patterns, members of
    JSON columns) before sending; false leaves them to AWS, for a value newer than vtab's catalog (a new
    Lambda runtime is already open; an enum AWS has grown since may not be)."""
    write_timeout: float = field(default=600.0, metadata=_rule(Kind.NUMBER, 0.1, 86400, unit="seconds"))
    """Seconds (0.1 to 86400) to wait for each write to reach SUCCESS or FAILED."""
    connect_timeout: float = field(default=5.0, metadata=_rule(Kind.NUMBER, 0.1, 300, unit="seconds"))
    """Seconds (0.1 to 300) to wait for a connection to Cloud Control before the attempt
    fails (and is retried)."""
    read_timeout: float = field(default=20.0, metadata=_rule(Kind.NUMBER, 0.1, 3600, unit="seconds"))
    """Seconds (0.1 to 3600) to wait for an answer, or for the rest of one, on an open
    connection before the attempt fails (and is retried): a stalled call ends within about read_timeout x
    max_attempts."""
    trusted_schema: bool = field(default=False, metadata=_rule(Kind.BOOL))
    """Trust the database files this connection opens or ATTACHes (named after SQLite's pragma): their
    stored tables may set profile, endpoint_url, role_arn and account_id, and their stored views and
    triggers may use vtab's tables. Connection only (a file cannot trust itself); read_only, dry_run and
    max_writes still bound every table."""
    progress: bool = field(default=False, metadata=_rule(Kind.BOOL))
    """Show a read's progress (parents listed, rows so far, calls in flight) on stderr once it has run half a
    second; the vtab command turns it on when stderr is a terminal."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def whole_organization(self) -> bool:
        """Whether accounts=org: the accounts come from Organizations."""
        return self.accounts == (ORGANIZATION,)

    @property
    def reads_several_accounts(self) -> bool:
        """Whether the connection reads an estate (accounts or profiles), not only the caller's account."""
        return bool(self.accounts or self.profiles)

    @classmethod
    def names(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls) if f.name != "extra"]

    def replace(self, **changes: Any) -> Options:
        """A copy with ``changes`` applied; values are converted and checked like SQL option text."""
        changed = self._converted(**changes)
        _check_accounts_together(changed)
        return changed

    def _converted(self, **changes: Any) -> Options:
        """A copy with each of ``changes`` converted and checked on its own (not yet against the others)."""
        unknown = sorted(set(changes) - set(self.names()))
        if unknown:
            raise OptionError(
                f"unknown option {', '.join(unknown)}; known options: {', '.join(self.names())}"
            )
        converted = {name: convert(name, value) for name, value in changes.items()}
        return dataclasses.replace(self, **converted)

    def table_options(self, args: tuple[str, ...], stored_in: str | None) -> Options:
        """The options of a table created with ``CREATE VIRTUAL TABLE`` arguments ``args`` (raw SQL tokens,
        ``name=value``, as apsw passes them) on a connection with these options.

        ``stored_in`` names the schema the table lives in (``main (inventory.db)``), or is None for temp,
        the session's own SQL. A bad name or value is an OptionError; an option the connection does not
        allow the table is a TrustError: a connection-only option, a credential option stored in a file
        (unless ``trusted_schema``), or a value looser than the connection's ceiling (see CEILINGS)."""
        changes: dict[str, Any] = {}
        for arg in args:
            name, sep, value = arg.partition("=")
            if not sep:
                raise OptionError(
                    f"option {arg.strip()!r} has no value; write name=value, e.g. regions='us-east-1'"
                )
            if name.strip() in changes:
                raise OptionError(f"option {name.strip()} is given twice; give it once")
            changes[name.strip()] = _unquote(value.strip())
        with hints.speaking_to(hints.Audience.PYTHON):  # SQL arguments are spelt name=value, as in Python
            table = self._converted(**changes)
        self._allow(table, list(changes), stored_in)  # a forbidden option is refused whatever its company
        with hints.speaking_to(hints.Audience.PYTHON):
            _check_accounts_together(table)
        return table

    def _allow(self, table: Options, given: list[str], stored_in: str | None) -> None:
        """Raise TrustError for the first of ``given`` (a table's own options) this connection forbids."""
        mode = self.pinning_mode()
        for name in given:
            if name in CONNECTION_ONLY:
                raise TrustError(
                    f"option {name} is the connection's, not a table's: a database file cannot trust itself; "
                    f"{hints.set_option(name, True)} if you trust the files you open"
                )
            if name in CREDENTIAL_OPTIONS and mode and getattr(table, name) != getattr(self, name):
                value = _shown(getattr(table, name))
                raise TrustError(
                    f"option {name}={value!r}: on a {mode} connection no table may choose credentials, "
                    f"identity or where requests go ({', '.join(sorted(CREDENTIAL_OPTIONS))}): they are the "
                    f"connection's; set it on the connection instead: {hints.set_option(name, repr(value))}"
                )
            if name in CREDENTIAL_OPTIONS and stored_in is not None and not self.trusted_schema:
                shown = sorted(CREDENTIAL_OPTIONS)
                value = _shown(getattr(table, name))
                raise TrustError(
                    f"option {name}={value!r}: a table stored in {stored_in} may not choose "
                    f"credentials, identity or where requests go ({', '.join(shown)}); create it with your "
                    f"own SQL in temp (CREATE VIRTUAL TABLE temp.<name> USING ...), or, if you trust the "
                    f"file, {hints.set_option('trusted_schema', True)}"
                )
            if name in CEILINGS and is_stricter(name, getattr(self, name), getattr(table, name)):
                own, ceiling = _sql_text(getattr(table, name)), _sql_text(getattr(self, name))
                raise TrustError(
                    f"option {name}={own} is looser than the connection's {name}={ceiling}: a table may be "
                    f"stricter than its connection, never looser; set it on the connection instead: "
                    f"{hints.set_option(name, getattr(table, name))}"
                )

    def pinning_mode(self) -> str | None:
        """The first of PINNING_MODES this connection is in (``read_only``), or None."""
        return next((mode for mode in PINNING_MODES if getattr(self, mode)), None)


def _shown(value: Any) -> Any:
    """An option's value as a message quotes it: a list as its comma-separated text."""
    return ",".join(value) if isinstance(value, tuple) else value


def _check_accounts_together(options: Options) -> None:
    """OptionError for account options that contradict each other."""
    if options.accounts and options.profiles:
        raise OptionError(
            "options accounts and profiles are both given: profiles name accounts by their credentials, "
            "accounts by id (assumed into with assume_role_name); give one of them"
        )
    if options.organizational_units and not options.whole_organization:
        given = repr(",".join(options.organizational_units))
        raise OptionError(
            f"option {hints.assignment('organizational_units', given)} "
            f"needs the Organization's accounts; add {hints.assignment('accounts', repr(ORGANIZATION))}"
        )
    skipped_ous = [item for item in options.skip_accounts if OU_ID_PATTERN.fullmatch(item)]
    if skipped_ous and not options.whole_organization:
        raise OptionError(
            f"option {hints.assignment('skip_accounts', repr(','.join(options.skip_accounts)))} names OU "
            f"{skipped_ous[0]}, which only the Organization's accounts have; add "
            f"{hints.assignment('accounts', repr(ORGANIZATION))}, or skip account ids"
        )


def is_stricter(name: str, one: Any, other: Any) -> bool:
    """Whether ``one`` is a stricter value than ``other`` of ceiling option ``name`` (see CEILINGS)."""
    if CEILINGS[name] is Stricter.ON:
        return bool(one) and not other
    return bool(one < other)


RULES: dict[str, Rule] = {f.name: f.metadata["rule"] for f in dataclasses.fields(Options) if f.metadata}
"""Option name -> its rule."""


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
_NONE_TEXT = ("", "none")


def _sql_text(value: Any) -> str:
    """An option's value as CREATE VIRTUAL TABLE arguments spell it (``true``, ``100``)."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _number_text(number: float | None) -> str:
    return "" if number is None else f"{number:g}"


_ACCOUNT_EXAMPLE = "'123456789012'"


def _bad(name: str, value: Any, rule: str, fix: str) -> OptionError:
    return OptionError(f"option {hints.assignment(name, repr(value))} {rule}; {fix}")


def convert(name: str, value: Any) -> Any:
    """``value`` (a Python value, or SQL / command-line text) as option ``name``'s type, or OptionError."""
    rule = RULES[name]
    if rule.optional and (value is None or (isinstance(value, str) and value.strip().lower() in _NONE_TEXT)):
        return None
    if rule.kind is Kind.REGIONS:
        return _regions(name, value)
    if rule.kind is Kind.BOOL:
        return _boolean(name, value)
    if rule.kind in LIST_KINDS:
        return _list(name, value, rule.kind)
    if rule.kind in (Kind.INT, Kind.NUMBER):
        return _ranged(name, value, rule)
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
_LIST_ITEMS: dict[Kind, tuple[str, str]] = {
    Kind.ACCOUNTS: ("an AWS account id (12 digits)", "'111111111111,222222222222' (or 'org')"),
    Kind.OUS: ("an organizational unit id", "'ou-ab12-cd34ef56' (or a root, 'r-ab12')"),
    Kind.SKIPPED: ("an account id or OU id", "'111111111111,ou-ab12-cd34ef56'"),
    Kind.NAMES: ("a profile name", "'prod,staging'"),
}
"""List kind -> what each item is, and how the option is written."""


def _choice(name: str, value: Any, rule: Rule) -> StrEnum:
    """One of the rule's words, as its enum member (``'SKIP'`` is ``skip``)."""
    assert rule.choices is not None
    words = [member.value for member in rule.choices]
    text = value.strip().lower() if isinstance(value, str) else None
    if text not in words:
        choices = " or ".join(repr(word) for word in words)
        raise _bad(name, value, f"is not one of {choices}", f"write {hints.assignment(name, repr(words[0]))}")
    return rule.choices(text)


def _list_item_ok(kind: Kind, item: str) -> bool:
    if kind is Kind.ACCOUNTS:
        return bool(ACCOUNT_ID_PATTERN.fullmatch(item))
    if kind is Kind.OUS:
        return bool(OU_ID_PATTERN.fullmatch(item))
    if kind is Kind.SKIPPED:
        return bool(ACCOUNT_ID_PATTERN.fullmatch(item) or OU_ID_PATTERN.fullmatch(item))
    return bool(item)


def _list(name: str, value: Any, kind: Kind) -> tuple[str, ...]:
    """A comma-separated text, or a list/tuple of texts; each item checked for ``kind``. Duplicates are
    read once; ``org`` stands alone in accounts."""
    what, example_value = _LIST_ITEMS[kind]
    example = hints.assignment(name, example_value)
    if isinstance(value, str):
        items = [part.strip() for part in value.split(",") if part.strip()]
    elif isinstance(value, (list, tuple)) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise _bad(name, value, f"is {type(value).__name__}, not a list of texts", f"write {example}")
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
    for index, item in enumerate(found):
        if not _list_item_ok(kind, item):
            raise _bad(name, value, f"has {item!r} at position {index}, not {what}", f"write {example}")
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


def _ranged(name: str, value: Any, rule: Rule) -> int | float:
    """A finite number within the rule's range; a whole number for INT options (2.5 is refused, not cut)."""
    example = hints.assignment(name, _number_text(getattr(Options(), name)))
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


ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_CLOUDCONTROL", "AWS_ENDPOINT_URL")
"""The environment variables boto3 reads a Cloud Control endpoint from (service-specific first)."""


def check_endpoint_url(url: str, origin: str) -> str:
    """``url`` when botocore would accept it as an endpoint, else OptionError naming ``origin``: the
    option or environment variable it came from, so a typo fails at register(), not at the first query."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as error:  # e.g. an unclosed IPv6 bracket
        raise OptionError(f"{origin} is not a URL ({error}); write it like http://127.0.0.1:4566") from None
    if parts.username is not None or parts.password is not None:
        host = parts.netloc.rpartition("@")[2] or "HOST"
        bare = f"{parts.scheme}://{host}"
        raise OptionError(
            f"{origin.replace(url, f'{parts.scheme}://***@{host}')} carries a user or password before its "
            f"host; endpoints are printed in messages, logs and the call log, so give it as {bare} (vtab "
            "signs every request with the AWS credentials of a profile)"
        )
    if "://" not in text:
        raise OptionError(
            f"{origin} has no scheme; write it as http://{text} (or https://{text}) for a Cloud Control "
            "endpoint"
        )
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as error:
        raise OptionError(f"{origin} is not a URL ({error}); write it like http://127.0.0.1:4566") from None
    valid = is_valid_endpoint_url(text) or is_valid_ipv6_endpoint_url(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or not valid or text != url:
        raise OptionError(
            f"{origin} is not an http:// or https:// URL with a host name; write it like "
            "http://127.0.0.1:4566 or https://cloudcontrolapi.us-east-1.amazonaws.com"
        )
    return url


def check_endpoint_environment() -> None:
    """The endpoint boto3 would take from the environment, checked like the option (see above)."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return
    for variable in ENDPOINT_VARIABLES:
        value = os.environ.get(variable)
        if value:
            check_endpoint_url(value, f"environment variable {variable}={value!r}")
            return
