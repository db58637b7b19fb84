"""Options of ``vtab.register(...)``, ``CREATE VIRTUAL TABLE ... USING integration_responses(...)`` and the
``vtab`` command's flags.

One dataclass serves every spelling, and each field carries its rule (kind and range) in its metadata, so
a value is converted and checked in one place: ``max_workers=2.5`` or ``write_timeout=nan`` is refused
the same way from Python, SQL and the command line, with the limit in the message. An unknown name is an
error that lists the known ones.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from vtab import hints
from vtab.options import values
from vtab.options.endpoints import ENDPOINT_VARIABLES, check_endpoint_environment, check_endpoint_url
from vtab.options.rules import (
    ACCOUNT_ID_PATTERN,
    CEILINGS,
    CONNECTION_ONLY,
    CREDENTIAL_OPTIONS,
    DEFAULT_ROLE_NAME,
    EXTERNAL_ID_PATTERN,
    MAX_WORKERS,
    ORGANIZATION,
    OU_ID_PATTERN,
    PINNING_MODES,
    ROLE_NAME_PATTERN,
    WRITE_OPTIONS,
    AccountErrorMode,
    Kind,
    OptionError,
    Rule,
    Stricter,
    TrustError,
    is_stricter,
    ruled,
)
from vtab.options.values import LIST_KINDS, choice, cloud_control_regions, region_problem

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "CEILINGS",
    "CONNECTION_ONLY",
    "CREDENTIAL_OPTIONS",
    "DEFAULT_ROLE_NAME",
    "ENDPOINT_VARIABLES",
    "EXTERNAL_ID_PATTERN",
    "LIST_KINDS",
    "MAX_WORKERS",
    "ORGANIZATION",
    "OU_ID_PATTERN",
    "PINNING_MODES",
    "ROLE_NAME_PATTERN",
    "RULES",
    "WRITE_OPTIONS",
    "AccountErrorMode",
    "Kind",
    "OptionError",
    "Options",
    "Rule",
    "Stricter",
    "TrustError",
    "check_endpoint_environment",
    "check_endpoint_url",
    "choice",
    "cloud_control_regions",
    "convert",
    "is_stricter",
    "region_problem",
]


@dataclass(frozen=True)
class Options:
    """Every knob of a vtab table. Defaults suit ad-hoc inventory against real AWS latencies."""

    profile: str | None = field(default=None, metadata=ruled(Kind.TEXT, optional=True))
    """AWS profile name; None means boto3's standard credential chain."""
    regions: tuple[str, ...] = field(default=(), metadata=ruled(Kind.REGIONS))
    """Regions read when a query does not constrain ``region`` (comma-separated in SQL and on the command
    line); empty means boto3's default region. A global type (IAM, Route 53, CloudFront) is read once,
    through the first of them."""
    role_arn: str | None = field(default=None, metadata=ruled(Kind.ARN, optional=True))
    """Passed as Cloud Control's RoleArn: the role CloudFormation assumes to run the handlers
    (arn:aws:iam::123456789012:role/NAME). It is not how vtab reaches other accounts: see accounts and
    assume_role_name."""
    accounts: tuple[str, ...] = field(default=(), metadata=ruled(Kind.ACCOUNTS))
    """Accounts to read: 12-digit account ids (comma-separated in SQL and on the command line), or org for
    every ACTIVE account of the caller's Organization; each is reached by STS AssumeRole of
    assume_role_name, the caller's own account with its own credentials. Empty: the caller's account."""
    assume_role_name: str = field(default=DEFAULT_ROLE_NAME, metadata=ruled(Kind.ROLE_NAME))
    """The role assumed in each account of accounts (the one AWS Organizations creates in new accounts)."""
    external_id: str | None = field(default=None, metadata=ruled(Kind.EXTERNAL_ID, optional=True))
    """The ExternalId sent with every AssumeRole, when the roles' trust policies demand one."""
    organizational_units: tuple[str, ...] = field(default=(), metadata=ruled(Kind.OUS))
    """With accounts=org: only the accounts under these OUs (ou-... or r-... ids, or paths such as /Prod/Web),
    child OUs included; only their part of the OU tree is read."""
    skip_accounts: tuple[str, ...] = field(default=(), metadata=ruled(Kind.SKIPPED))
    """Accounts left out of accounts: account ids, or (with accounts=org) OU ids, child OUs included. An
    OU id the Organization does not have is refused before any read, since it would skip nothing."""
    profiles: tuple[str, ...] = field(default=(), metadata=ruled(Kind.NAMES))
    """Profiles of your AWS config to read, each its own account (for accounts outside an Organization);
    not together with accounts."""
    on_account_error: AccountErrorMode = field(
        default=AccountErrorMode.FAIL, metadata=ruled(Kind.CHOICE, choices=AccountErrorMode)
    )
    """What a read does when an account or region of the estate fails (a refused AssumeRole, AccessDenied,
    a region not enabled, throttled past retries): fail (the other accounts finish, then the statement's
    error names every failing account and region) or skip (the other accounts' rows come back; the
    failures are rows of vtab_errors)."""
    account_id: str | None = field(default=None, metadata=ruled(Kind.ACCOUNT_ID, optional=True))
    """The caller's AWS account id (12 digits): the value of QuickSight's aws_account_id and Glue's
    catalog_id where a listing needs one, or an INSERT leaves a required one NULL; None means vtab asks STS
    GetCallerIdentity once per connection, when a statement first needs it."""
    endpoint_url: str | None = field(default=None, metadata=ruled(Kind.URL, optional=True))
    """Cloud Control endpoint, http:// or https:// with a host; None means boto3's (which honours
    AWS_ENDPOINT_URL_CLOUDCONTROL, checked the same way). The account id lookup (STS) goes there too,
    unless AWS_ENDPOINT_URL_STS is set."""
    cache_ttl: float = field(default=30.0, metadata=ruled(Kind.NUMBER, 0, 86400, unit="seconds"))
    """Seconds (0 to 86400) a read result is reused by later statements; 0 turns the cross-statement
    cache off."""
    max_workers: int = field(default=16, metadata=ruled(Kind.INT, 1, MAX_WORKERS, unit="threads"))
    """Threads (1 to 256) for parallel calls (regions, parents, gets, and the start calls of writes; the
    status polls of started writes get twice as many besides)."""
    rate_limit: float | None = field(
        default=25.0, metadata=ruled(Kind.NUMBER, 0.1, 10000, unit="calls per second", optional=True)
    )
    """Calls per second per region (0.1 to 10000), shared by the connection's tables (Cloud Control
    throttles near 25-30/s); None for unlimited (0 is refused)."""
    max_attempts: int = field(default=5, metadata=ruled(Kind.INT, 1, 20, unit="attempts"))
    """botocore standard-mode attempts per call (1 to 20; throttling and transient errors are retried)."""
    max_writes: int = field(default=100, metadata=ruled(Kind.INT, 1, 10000, unit="writes"))
    """Most write operations (1 to 10000) one statement may send; more is refused before anything is sent."""
    read_only: bool = field(default=False, metadata=ruled(Kind.BOOL))
    """Refuse every INSERT, UPDATE and DELETE before anything is sent."""
    dry_run: bool = field(default=False, metadata=ruled(Kind.BOOL))
    """Record the writes that would be sent (see the vtab_dry_run table) without sending them."""
    schema_checks: bool = field(default=True, metadata=ruled(Kind.BOOL))
    """Check written values against the schema's enums and limits (lengths, ranges, patterns, members of
    JSON columns) before sending; false leaves them to AWS, for a value newer than vtab's catalog (a new
    Lambda runtime is already open; an enum AWS has grown since may not be)."""
    write_timeout: float = field(default=600.0, metadata=ruled(Kind.NUMBER, 0.1, 86400, unit="seconds"))
    """Seconds (0.1 to 86400) to wait for each write to reach SUCCESS or FAILED."""
    connect_timeout: float = field(default=5.0, metadata=ruled(Kind.NUMBER, 0.1, 300, unit="seconds"))
    """Seconds (0.1 to 300) to wait for a connection to Cloud Control before the attempt
    fails (and is retried)."""
    read_timeout: float = field(default=20.0, metadata=ruled(Kind.NUMBER, 0.1, 3600, unit="seconds"))
    """Seconds (0.1 to 3600) to wait for an answer, or for the rest of one, on an open
    connection before the attempt fails (and is retried): a stalled call ends within about read_timeout x
    max_attempts."""
    trusted_schema: bool = field(default=False, metadata=ruled(Kind.BOOL))
    """Trust the database files this connection opens or ATTACHes (named after SQLite's pragma): their
    stored tables may set profile, endpoint_url, role_arn and account_id, and their stored views and
    triggers may use vtab's tables. Connection only (a file cannot trust itself); read_only, dry_run and
    max_writes still bound every table."""
    progress: bool = field(default=False, metadata=ruled(Kind.BOOL))
    """Show a read's progress (parents listed, rows so far, calls in flight) on stderr once it has run half a
    second; the vtab command turns it on when stderr is a terminal."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def whole_organization(self) -> bool:
        """Whether accounts=org: the accounts come from Organizations."""
        return self.accounts == (ORGANIZATION,)

    @property
    def skipped_ous(self) -> tuple[str, ...]:
        """The OU ids of skip_accounts (its other items are account ids)."""
        return tuple(item for item in self.skip_accounts if OU_ID_PATTERN.fullmatch(item))

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
            meant = [
                f"{name}: {close}" if len(unknown) > 1 else close
                for name in unknown
                if (close := hints.did_you_mean(name, self.names()))
            ]
            named = f"unknown option {', '.join(unknown)}" + "".join(f"; {close}" for close in meant)
            raise OptionError(f"{named} (known options: {', '.join(self.names())})")
        converted = {name: convert(name, value) for name, value in changes.items()}
        return dataclasses.replace(self, **converted)

    def table_options(self, args: tuple[str, ...], stored_in: str | None) -> Options:
        """The options of a table created with ``CREATE VIRTUAL TABLE`` arguments ``args`` (raw SQL tokens,
        ``name=value``, as apsw passes them) on a connection with these options.

        ``stored_in`` names the schema the table lives in (``main (inventory.db)``), or is None for temp,
        the session's own SQL. A bad name or value is an OptionError; an option the connection does not
        allow the table is a TrustError: a connection-only option, a credential option stored in a file
        (unless ``trusted_schema``), or a value looser than the connection's ceiling (see CEILINGS)."""
        if not args:  # an eponymous table (every table a sync reads): the connection's options, as checked
            return self
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
                own, ceiling = values.sql_text(getattr(table, name)), values.sql_text(getattr(self, name))
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
    skipped_ous = options.skipped_ous
    if skipped_ous and not options.whole_organization:
        raise OptionError(
            f"option {hints.assignment('skip_accounts', repr(','.join(options.skip_accounts)))} names OU "
            f"{skipped_ous[0]}, which only the Organization's accounts have; add "
            f"{hints.assignment('accounts', repr(ORGANIZATION))}, or skip account ids"
        )


RULES: dict[str, Rule] = {f.name: f.metadata["rule"] for f in dataclasses.fields(Options) if f.metadata}
"""Option name -> its rule."""


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "'\"":
        quote = token[0]
        return token[1:-1].replace(quote * 2, quote)
    return token


def convert(name: str, value: Any) -> Any:
    """``value`` (a Python value, or SQL / command-line text) as option ``name``'s type, or OptionError."""
    return values.convert(name, value, RULES[name], _DEFAULTS.get(name))


_DEFAULTS: dict[str, Any] = {
    f.name: f.default for f in dataclasses.fields(Options) if f.default is not dataclasses.MISSING
}
"""Option name -> its default (a refused number's message shows it as the example)."""
