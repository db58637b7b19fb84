"""What the documentation's generated parts say, computed from the code: the ``[[[cog ... ]]]`` blocks of
README.md and docs/*.md call these (``scripts/docs.py`` runs cog with this module imported as ``d``).

A number or a flag a page states comes from here, so no page types one by hand: the options table from
``vtab.options.Options``, the command reference from ``vtab/cli/parsers.py``, and the catalog's counts
from the same ``vtab_types`` a user queries (``count``) or from the catalog itself.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import zlib
from collections.abc import Iterator
from pathlib import Path

import vtab
from vtab.catalog.list_plan import ListMode
from vtab.catalog.schema import Scope
from vtab.catalog.store import load_catalog
from vtab.cli.main import PASSTHROUGH
from vtab.cli.optiondocs import options_table as _options_table
from vtab.cli.parsers import SHELL_EXAMPLES, build_parser, emulator_parser, shell_parser
from vtab.options import Options

__all__ = ["command_reference", "fill", "n", "options_table"]

NEEDS_INPUT = {ListMode.WALK, ListMode.FIXED, ListMode.ACCOUNT_ID, ListMode.NEEDS_WHERE}
"""The list modes of a type whose list needs an input."""

SEED_TABLE = "integration_responses"
"""The seed's table: a second name of ``apigatewayv2_integration_responses``, one more row of vtab_types."""


@dataclasses.dataclass(frozen=True)
class Counts:
    """The catalog's numbers the pages quote, each counted one way."""

    registry_types: int
    """CloudFormation registry types in the catalog (cfn-lint's schemas of every region)."""
    provisionable: int
    """Types with handlers (Cloud Control can act on them)."""
    tables: int
    """Tables: the types with handlers, less the excluded ones (the seed's second name not counted)."""
    type_rows: int
    """Rows of vtab_types: the tables and the seed's second name."""
    excluded: int
    services: int
    global_types: int
    """Global types with a table."""
    global_all: int
    """Global types, with a table or not."""
    needs_input: int
    """Tables whose list needs an input (a walk, fixed values, the account id or WHERE)."""
    other_regions: int
    """Types whose schema is published outside us-east-1 only."""
    stackql_spelled_otherwise: int
    """Tables whose StackQL name is not the table name with a dot after the service."""
    identifier_property: int
    """Types with a property of their own named Identifier."""
    account_id_property: int
    """Types with a property of their own named AccountId."""
    also_given_by: int
    """Types with a list input another of their columns holds under another name."""
    options: int
    data_mb: str
    """The catalog's JSON data, in MB."""
    data_zipped_mb: str
    """The same, deflated as a wheel stores it."""


def _data_sizes() -> tuple[str, str]:
    files = [path for path in Path(vtab.__file__).parent.joinpath("catalog", "data").rglob("*.json")]
    raw = sum(path.stat().st_size for path in files)
    zipped = sum(len(zlib.compress(path.read_bytes(), 6)) for path in files)
    return f"{raw / 1e6:.1f}", f"{zipped / 1e6:.2f}"


def _stackql_plain(table: str, service: str) -> str:
    return f"aws.{service}.{table.removeprefix(service + '_')}"


@functools.cache
def _counts() -> Counts:
    catalog = load_catalog()
    db = vtab.connect(":memory:")
    try:
        rows = list(
            db.execute(
                "SELECT table_name, stackql_name, service, scope, list_mode, list_inputs FROM vtab_types"
            )
        )
    finally:
        db.close()
    tables = [row for row in rows if row[0] != SEED_TABLE]
    types = catalog.type_names()
    provisionable = [name for name in types if catalog.entry(name).verbs]
    global_all = [name for name in types if catalog.entry(name).scope is Scope.GLOBAL]
    identifier_property = [
        name for name in catalog.tables().values() if "Identifier" in catalog.facts(name[0]).properties
    ]
    account_id_property = [
        name for name in catalog.tables().values() if "AccountId" in catalog.facts(name[0]).properties
    ]
    data_mb, data_zipped_mb = _data_sizes()
    return Counts(
        registry_types=len(types),
        provisionable=len(provisionable),
        tables=len(tables),
        type_rows=len(rows),
        excluded=len(provisionable) - len(tables),
        services=len({row[2] for row in tables}),
        global_types=sum(1 for row in tables if row[3] == Scope.GLOBAL),
        global_all=len(global_all),
        needs_input=sum(1 for row in tables if row[4] in NEEDS_INPUT),
        other_regions=len(catalog.source.get("fromOtherRegions", {})),
        stackql_spelled_otherwise=sum(1 for t, s, svc, *_ in tables if s != _stackql_plain(t, svc)),
        identifier_property=len(identifier_property),
        account_id_property=len(account_id_property),
        also_given_by=sum(1 for *_, inputs in tables if inputs and '"also_given_by"' in inputs),
        options=len(Options.names()),
        data_mb=data_mb,
        data_zipped_mb=data_zipped_mb,
    )


class _Lazy:
    """``d.n.tables``: the counts, computed on first use (cog imports this module for every page)."""

    def __getattr__(self, name: str) -> object:
        return getattr(_counts(), name)


n = _Lazy()


def fill(text: str) -> str:
    """``text`` with ``{tables:,}``-style fields filled from the counts (a paragraph of prose; braces meant
    literally are doubled, as in str.format)."""
    return text.lstrip("\n").format(**dataclasses.asdict(_counts()))


def options_table() -> str:
    """The options table: one row per Options field, its default and its docstring."""
    return _options_table()


def _flag_cell(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest.upper()}`"
    spelled = []
    for flag in action.option_strings:
        takes_value = action.nargs != 0 and not isinstance(action, argparse.BooleanOptionalAction)
        spelled.append(f"`{flag} {action.metavar or action.dest.upper()}`" if takes_value else f"`{flag}`")
    return ", ".join(spelled)


def _help_cell(action: argparse.Action) -> str:
    text = " ".join((action.help or "").split()).replace("|", "\\|")
    if action.choices and "{" not in text:
        text += " (" + ", ".join(f"`{choice}`" for choice in action.choices) + ")"
    return text


OPTION_GROUP = "vtab options"
"""The argument group vtab.cli.flags.add_option_flags puts the options' flags in."""


def _option_actions(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The flags that are vtab options (a command's own flag may share an option's name: the emulator's
    --accounts N is a count of accounts, not the accounts option)."""
    groups = [group for group in parser._action_groups if group.title == OPTION_GROUP]
    return [action for group in groups for action in group._group_actions if action.dest in Options.names()]


def _own_arguments(parser: argparse.ArgumentParser) -> Iterator[argparse.Action]:
    options = set(map(id, _option_actions(parser)))
    for action in parser._actions:
        if id(action) in options or action.dest == "help" or "--help" in action.option_strings:
            continue
        yield action


def _options_taken(parser: argparse.ArgumentParser) -> str:
    taken = {action.dest for action in _option_actions(parser)}
    if not taken:
        return "It takes none of the [vtab options](options.md)."
    if taken == set(Options.names()):
        return "It takes every one of the [vtab options](options.md#the-options) as a flag."
    left = sorted(set(Options.names()) - taken)
    flags = ", ".join(f"`--{name.replace('_', '-')}`" for name in left)
    return f"It takes the [vtab options](options.md#the-options) as flags, except {flags}."


def _subcommands() -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    parser = build_parser()
    assert parser._subparsers is not None
    commands = parser._subparsers._group_actions[0]
    summaries = {action.dest: action.help or "" for action in commands._choices_actions}
    for name, sub in commands.choices.items():  # type: ignore[union-attr]
        if name in PASSTHROUGH:
            sub = shell_parser() if name == "shell" else emulator_parser()
        yield name, summaries[name], sub


def command_reference() -> str:
    """Per command: its summary, usage, own arguments and which vtab options it takes."""
    lines: list[str] = []
    for name, summary, parser in _subcommands():
        lines += [f"### `vtab {name}`", "", f"`vtab {name}`: {summary}.", ""]
        lines += ["```text", parser.format_usage().strip(), "```", ""]
        own = list(_own_arguments(parser))
        if own:
            lines += ["| argument | meaning |", "|---|---|"]
            lines += [f"| {_flag_cell(action)} | {_help_cell(action)} |" for action in own]
            lines.append("")
        if name == "shell":
            passthrough = SHELL_EXAMPLES[SHELL_EXAMPLES.index("apsw/sqlite3 shell options") :].rstrip()
            lines += ["```text", passthrough, "```", ""]
        lines += [_options_taken(parser), ""]
    return "\n".join(lines)
