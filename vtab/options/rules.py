"""The rules of vtab's options: which options there are of each kind (credentials, writes, ceilings), how
each option's value is read (``Kind``, ``Rule``), the shapes of account and role values, and the error an
option gets. The options themselves are ``vtab.options.Options``; reading a value is ``values.py``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, StrEnum
from typing import Any

import apsw

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
    """A list of organizational unit (or root) ids or paths."""
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
        low = number_text(self.low)
        high = number_text(self.high)
        if self.low_open:
            return f"more than {low} and at most {high} {self.unit}".rstrip()
        return f"{low} to {high} {self.unit}".rstrip()


def ruled(kind: Kind, low: float | None = None, high: float | None = None, **more: Any) -> dict[str, Rule]:
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
OU_PATH_PATTERN = re.compile(r"/|(/[^/]{1,128})+/?")
"""An organizational unit's path of names from the root (``/Prod/Web``, as vtab_accounts' ou_path shows
it), or ``/``, the root (an OU's name is 1 to 128 characters)."""


class AccountErrorMode(StrEnum):
    """What a statement does when an (account, region) of the estate fails (the on_account_error option)."""

    FAIL = "fail"
    """The other accounts finish, then the statement fails, naming every failing account and region."""
    SKIP = "skip"
    """The other accounts' rows come back; each failure is a row of vtab_errors."""


MAX_WORKERS = 256
"""More threads than this only adds memory: Cloud Control throttles each account near 25-30 calls/s."""


def number_text(number: float | None) -> str:
    """A rule's bound as messages write it (``0.1``, ``256``)."""
    return "" if number is None else f"{number:g}"


def is_stricter(name: str, one: Any, other: Any) -> bool:
    """Whether ``one`` is a stricter value than ``other`` of ceiling option ``name`` (see CEILINGS)."""
    if CEILINGS[name] is Stricter.ON:
        return bool(one) and not other
    return bool(one < other)
