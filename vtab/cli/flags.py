"""Every field of :class:`vtab.options.Options` as a ``--kebab-case`` flag of the commands that connect.

The flag's text is converted exactly like SQL option text (``Options().replace``), so ``--cache-ttl 0``
means what ``cache_ttl=0`` means, and a bad value stops the command before any call.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import Any

from vtab.cli.conventions import usage_error
from vtab.cli.optiondocs import default_text, field_docs
from vtab.options import OptionError, Options


@dataclasses.dataclass(frozen=True)
class OptionFlag:
    """One Options field as a command-line flag."""

    name: str
    flag: str
    is_bool: bool
    help: str


def option_flags(skip: frozenset[str] = frozenset()) -> list[OptionFlag]:
    """Every Options field but ``skip``, as ``--kebab-case``; booleans are ``--x``/``--no-x`` switches, the
    rest take SQL option text."""
    docs = field_docs()
    defaults = Options()
    flags = []
    for field in dataclasses.fields(Options):
        if field.name not in Options.names() or field.name in skip:
            continue
        is_bool = isinstance(getattr(defaults, field.name), bool)
        doc = docs.get(field.name, "")
        default = AUTO_DEFAULTS.get(field.name) or default_text(field.name, getattr(defaults, field.name))
        help_text = f"{doc} (default: {default})".strip()
        flags.append(OptionFlag(field.name, "--" + field.name.replace("_", "-"), is_bool, help_text))
    return flags


AUTO_DEFAULTS = {"progress": "on when stderr is a terminal"}
"""Options whose command-line default differs from the Python one."""


def add_option_flags(parser: argparse.ArgumentParser, skip: frozenset[str] = frozenset()) -> None:
    group = parser.add_argument_group(
        "vtab options",
        "The keyword arguments of vtab.register() and the SQL options of CREATE VIRTUAL TABLE, with the\n"
        "same meaning and values. Credentials come from the standard boto3 chain (environment variables,\n"
        "--profile, SSO, instance role); endpoint and region also from AWS_ENDPOINT_URL_CLOUDCONTROL and\n"
        "AWS_DEFAULT_REGION.",
    )
    for flag in option_flags(skip):
        if flag.is_bool:
            group.add_argument(
                flag.flag, dest=flag.name, action=argparse.BooleanOptionalAction, default=None, help=flag.help
            )
        else:
            group.add_argument(flag.flag, dest=flag.name, metavar=flag.name.upper(), help=flag.help)
    group.add_argument("--debug", action="store_true", help="show Python tracebacks on errors")


def options_from(parser: argparse.ArgumentParser, args: argparse.Namespace) -> dict[str, Any]:
    """The options given on the command line, converted and checked now so a typo stops before any call."""
    given = {name: getattr(args, name) for name in Options.names() if getattr(args, name, None) is not None}
    if given.get("progress") is None:
        given["progress"] = sys.stderr.isatty()  # progress on a terminal, never into a pipe or a log
    try:
        options = Options().replace(**given)
    except OptionError as exc:
        usage_error(parser, str(exc))
    return {name: getattr(options, name) for name in given}
