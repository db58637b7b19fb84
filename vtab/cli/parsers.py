"""The command line of every ``vtab`` command: arguments, help texts and examples, in one help shape.

Every command's help has one shape: usage, a description, its own arguments, then the vtab options
(where they apply), then "examples:" and notes, 110 columns wide. Which function runs a command is
main.py's business; this module only describes the command line.
"""

from __future__ import annotations

import argparse
from typing import Any

import vtab
from vtab.cli.conventions import PROG
from vtab.cli.flags import add_option_flags
from vtab.cli.output import WRITERS
from vtab.options import WRITE_OPTIONS
from vtab.sync.apart import ExecutorKind
from vtab.sync.plan import OnError, SyncMode

SNAPSHOT_SKIPPED = WRITE_OPTIONS | {"trusted_schema"}
"""Options ``vtab snapshot`` does not offer: it only reads AWS (WRITE_OPTIONS), and it runs one SELECT of
yours into a plain table: writing to a file is no reason to let that file's stored views and triggers act."""

SHELL_EXAMPLES = """\
examples:
  vtab shell --regions us-east-1                 interactive, on an in-memory database
  vtab shell inventory.db --profile prod         your own file: join its tables with the AWS ones
  vtab shell -csv -header :memory: "SELECT api_id, integration_response_key FROM integration_responses
      WHERE region = 'us-east-1'"                one statement, CSV out, then exit
  echo ".mode json
  SELECT count(*) FROM integration_responses WHERE region = 'eu-west-1';" | vtab shell
  vtab shell --cmd ".mode box" --cmd "ATTACH 'inventory.db' AS inv"   settings first, then interactive

  Inside the shell, .open other.db still has the tables (every connection gets them); .tables and .schema
  list them, and take StackQL names (.schema aws.apigatewayv2.integration_responses, .tables aws.ec2.%),
  as .indexes does; .dump refuses them (their rows live in AWS: use vtab snapshot). .help lists the
  dot-commands (.mode, .output, .import, .read, .once, .timer, ...). A statement that writes says on
  stderr what it did (rows inserted with their identifiers, updated, deleted).

apsw/sqlite3 shell options (passed through; one dash or two):
  -init FILE        read/process FILE first        -echo            print commands before running them
  -[no]header       turn headers on or off         -bail            stop after the first error
  -batch            no banner or line editing      -interactive     force interactive I/O
  -csv -json -jsonl -line -list -column -box -table -html -insert -python -tcl     output mode
  -separator X      field separator for list mode  -nullvalue TEXT  how NULL is shown
  -encoding NAME    for .import/.read/.output      -nocolour        no colour (or set NO_COLOR)
  -version          show the SQLite version
"""

QUERY_EXAMPLES = """\
examples:
  vtab query "SELECT region, api_id, integration_response_key FROM integration_responses
              WHERE region = 'us-east-1'"
  vtab query --format csv --regions us-east-1,eu-west-1 "SELECT * FROM integration_responses" > out.csv
  vtab query --format jsonl "SELECT * FROM integration_responses WHERE region = 'us-east-1'" | jq .api_id
  vtab query --file report.sql                   # or: vtab query - < report.sql
  vtab query --dry-run "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = 'a1';
                        SELECT * FROM vtab_dry_run"

Several statements run in order; each one that returns columns prints its rows on stdout, and each one
that writes says on stderr what it did. An error prints the SQLite/AWS message on stderr and exits with
status 1.
"""

SNAPSHOT_EXAMPLES = """\
examples:
  vtab snapshot inventory.db "SELECT * FROM integration_responses WHERE region = 'us-east-1'" \\
      --table integration_responses
  vtab snapshot inventory.db --replace --table responses_by_region \\
      "SELECT region, count(*) AS n FROM integration_responses WHERE region IN ('us-east-1','eu-west-1')
       GROUP BY region"
  sqlite3 inventory.db "SELECT * FROM integration_responses"        # any client reads the result

The file is created if missing and attached as "snap", so the SELECT can join its tables (snap.my_ids).
The copy is one transaction: with --replace, a failed query leaves the old table in place. A snapshot
only reads: its connection is read-only, so it takes no write options.
"""

SYNC_SKIPPED = SNAPSHOT_SKIPPED | {"on_account_error"}
"""Options ``vtab sync`` does not offer: it only reads, and each task's failure is --on-error's business."""

SYNC_EXAMPLES = """\
examples:
  vtab sync inventory.db --accounts org --regions us-east-1,eu-west-1
  vtab sync inventory.db --accounts org --regions all      # every region each account has enabled
  vtab sync inventory.db --tables 'ec2_*,eks_*' --skip-tables ec2_images --summary sync.jsonl
  vtab sync inventory.db --resume            # after a crash or Ctrl-C: only the tasks not done
  vtab sync history.db --mode append         # every sync's rows kept, told apart by _vtab_synced_at
  vtab sync inventory.db --accounts org --executor dask --scheduler tcp://scheduler:8786
  sqlite3 inventory.db "SELECT status, count(*) FROM _vtab_sync GROUP BY status"

A task is one table in one account and region; its rows are written in one transaction, so the file (WAL)
is readable while the sync runs. _vtab_sync records each task (done, failed, pending). Exit status 0 when
every task is done; 3 when the run finished under --on-error skip with failed tasks; 130 on Ctrl-C (the
tasks not done stay pending: --resume runs them); else 1.
"""

EMULATOR_EXAMPLES = """\
examples:
  vtab emulator --port 4566 --seed demo
  # in another terminal (the endpoint accepts any credentials; never give it real ones):
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  vtab query --endpoint-url http://127.0.0.1:4566 \\
      "SELECT region, count(*) FROM integration_responses WHERE region IN ('us-east-1', 'eu-west-1')
       GROUP BY region"

It binds 127.0.0.1 only and runs until interrupted (Ctrl-C).
"""

DEMO_EXAMPLES = """\
examples:
  vtab demo                                      # the same as: make demo

It starts its own endpoint on a free port of 127.0.0.1, so it needs no AWS account and no credentials.
"""

DIFF_EXAMPLES = """\
examples:
  vtab diff monday.db tuesday.db                 what changed between two syncs
  vtab diff history.db                           an append file: its last two synced times
  vtab diff history.db --from 2026-12-06T10:00:00Z --to 2026-12-07T10:00:00Z
  vtab diff monday.db tuesday.db --tables 'ec2_*,eks_*' --format jsonl | jq 'select(.change == "changed")'

A place (a table in an account and region) whose sync did not finish in both versions (failed, pending
or not synced) is not compared: its resources are neither added nor removed; stderr names each, and the
output has one row of change "unknown" per place, with the reason. In SQL: SELECT * FROM
vtab_diff('monday.db', 'tuesday.db').
"""

MAIN_EXAMPLES = """\
examples:
  vtab shell inventory.db --regions us-east-1,eu-west-1
  vtab query --format json "SELECT * FROM integration_responses WHERE region = 'us-east-1'"
  vtab snapshot inventory.db "SELECT * FROM integration_responses WHERE region = 'us-east-1'" --table ir
  vtab emulator --port 4566 --seed demo      # a local endpoint; then add --endpoint-url to the above
  vtab demo

Run "vtab COMMAND --help" for a command's options.
"""

HELP_TEXT = "show this help message and exit"


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32, width=110)


def shell_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=f"{PROG} shell",
        usage=f"{PROG} shell [apsw/sqlite3 options] [vtab options] [DB] [SQL|.command ...]",
        description=(
            "apsw's sqlite3-compatible shell with vtab's tables on every connection it opens.\n"
            "DB is a SQLite file (created if missing; default an in-memory database). Each --cmd runs\n"
            "first; then each SQL or .command argument runs in turn and the shell exits; with none, it\n"
            "reads stdin (interactive at a terminal)."
        ),
        epilog=SHELL_EXAMPLES,
        formatter_class=_formatter,
        add_help=False,
        allow_abbrev=False,
    )
    parser.add_argument("-h", "--help", action="store_true", help=HELP_TEXT)
    parser.add_argument(
        "--cmd",
        "-cmd",
        metavar="COMMAND",
        action="append",
        help="run SQL or a .command before the SQL arguments or the input (as sqlite3's -cmd); repeatable, "
        "run in order; a failure is reported and the rest runs, unless -bail",
    )
    add_option_flags(parser)
    return parser


def emulator_parser() -> argparse.ArgumentParser:
    """The emulator's own parser (python -m vtab.emulator), named and shaped like the other commands."""
    from vtab.emulator.__main__ import build_parser

    parser = build_parser()
    parser.prog = f"{PROG} emulator"
    parser.epilog = EMULATOR_EXAMPLES
    parser.formatter_class = _formatter
    return parser


def _command(
    commands: Any, name: str, summary: str, description: str, examples: str
) -> argparse.ArgumentParser:
    """A subcommand parser in the common help shape."""
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=summary, description=description, epilog=examples, formatter_class=_formatter
    )
    return parser


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    """``--format`` and ``--[no-]header``: how a command that prints rows prints them (vtab.cli.output)."""
    parser.add_argument(
        "--format", "-f", choices=list(WRITERS), default="table", help="output format (default: table)"
    )
    parser.add_argument(
        "--header",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="column names in table and csv output (default: on)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=(
            "Live AWS resources as SQLite tables through the AWS Cloud Control API.\n"
            "A Python virtual table is visible only to the process that registered it, so plain sqlite3\n"
            "cannot open these tables; use the shell, query, or snapshot them into a plain table."
        ),
        epilog=MAIN_EXAMPLES,
        formatter_class=_formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {vtab.__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    commands.add_parser(
        "shell", help="sqlite3-compatible interactive shell (apsw's) with the tables", add_help=False
    )

    query = _command(
        commands,
        "query",
        "run SQL and print the rows as a table, CSV, JSON or JSON lines",
        "Run one or more statements on an in-memory database with vtab's tables; print the rows.\n"
        "The SQL is the argument, standard input (SQL = -), or a file (--file).",
        QUERY_EXAMPLES,
    )
    query.add_argument(
        "sql", metavar="SQL", nargs="?", help="one or more statements separated by ;, or - for stdin"
    )
    query.add_argument("--file", metavar="FILE", help="read the statements from FILE (- for stdin)")
    add_output_flags(query)
    add_option_flags(query)
    query.set_defaults(parser=query)

    snap = _command(
        commands,
        "snapshot",
        "copy query results into a plain table of a .db file any sqlite3 client opens",
        "Materialise a SELECT into a plain table of OUT (a SQLite file), for sqlite3, Datasette,\n"
        "BI tools and anything else that cannot load a Python virtual table.",
        SNAPSHOT_EXAMPLES,
    )
    snap.add_argument("out", metavar="OUT", help="SQLite file to write (created if missing)")
    snap.add_argument("sql", metavar="SELECT", help="one SELECT statement")
    snap.add_argument("--table", "-t", required=True, help="name of the table to create in OUT")
    snap.add_argument("--replace", action="store_true", help="drop and recreate the table if it exists")
    add_option_flags(snap, skip=SNAPSHOT_SKIPPED)
    snap.set_defaults(parser=snap)

    sync = _command(
        commands,
        "sync",
        "copy every table of every account and region into a SQLite file (resumable)",
        "Copy the rows of every selected table, in every account and region of the account options,\n"
        "into plain tables of OUT (a SQLite file), one transaction per (account, region, table).",
        SYNC_EXAMPLES,
    )
    sync.add_argument("out", metavar="OUT", help="SQLite file to write (created if missing)")
    sync.add_argument(
        "--tables",
        help="tables to copy: names, globs or StackQL names (awscc.ec2.vpcs), comma-separated (default: "
        "every listable one; with --resume, the run's); each is written under its canonical name",
    )
    sync.add_argument(
        "--skip-tables", metavar="TABLES", help="tables left out: names or globs, comma-separated"
    )
    sync.add_argument(
        "--mode",
        choices=[mode.value for mode in SyncMode],
        default=None,
        help="how rows replace an earlier sync's (default: overwrite-delete-stale: rows gone since are "
        "removed, only where the task succeeded)",
    )
    sync.add_argument(
        "--on-error",
        choices=[choice.value for choice in OnError],
        help="after a failed task: skip (record it, go on) or fail (start no further task) (default: skip; "
        "with --resume, the run's)",
    )
    sync.add_argument("--resume", action="store_true", help="run only the tasks of the last sync not done")
    sync.add_argument("--summary", metavar="FILE", help="append the sync's summary to FILE as a JSON line")
    sync.add_argument(
        "--shard-connections",
        type=int,
        default=4,
        metavar="N",
        help="connections reading each account-region at once, all within its rate limit (default: 4)",
    )
    sync.add_argument(
        "--executor",
        choices=[kind.value for kind in ExecutorKind],
        default=ExecutorKind.THREADS.value,
        help="where shards (one per account and region) run: threads of this process (default), worker "
        "processes of this machine, one per core (processes), or the workers of a Dask cluster "
        "(pip install 'vtab[dask]'; docs/sync-dask.md)",
    )
    sync.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="--executor dask: an existing cluster's scheduler, tcp://HOST:8786 (default: a local cluster)",
    )
    sync.add_argument(
        "--shard-dir",
        metavar="DIR",
        help="--executor dask: a directory the workers and this machine share; shard files are left there "
        "(default: sent back to this machine)",
    )
    add_option_flags(sync, skip=SYNC_SKIPPED)
    sync.set_defaults(parser=sync)

    types = _command(
        commands,
        "types",
        "list the resource tables (every catalog type), their StackQL names and how each is listed",
        "One line per table whose table, StackQL or type name contains PATTERN (case-insensitive;\n"
        "% and * match anything):\n"
        "table name, StackQL name, scope (global: listed once, through one region; regional), list mode\n"
        "(region_wide, walk, fixed, account_id, needs_where), the walk, and the columns a SELECT must give\n"
        "in WHERE. SELECT * FROM vtab_types shows everything.",
        "examples:\n  vtab types eks\n  vtab types AWS::Logs::",
    )
    types.add_argument("pattern", metavar="PATTERN", nargs="?", default="", help="part of a name")
    types.set_defaults(parser=types, debug=False)

    describe = _command(
        commands,
        "describe",
        "list a table's columns and what a write may do with each (required, read-only, ...)",
        "One line per column of each TABLE (a table name or a StackQL name, aws. or awscc.): its\n"
        "property, JSON type, whether an INSERT requires it, whether it is read-only (AWS sets it),\n"
        "create-only (an UPDATE cannot change it), write-only (a read never shows it), where a listing\n"
        "takes it from (list_input), and a description. The rows of SELECT * FROM vtab_columns.",
        "examples:\n  vtab describe eks_clusters\n  vtab describe awscc.logs.log_groups --format csv\n"
        "  vtab describe --format json aws.eks.nodegroups | jq '.[] | select(.required == 1)'",
    )
    describe.add_argument("tables", metavar="TABLE", nargs="+", help="a table or StackQL name")
    add_output_flags(describe)
    describe.set_defaults(parser=describe, debug=False)

    diff = _command(
        commands,
        "diff",
        "resources added, removed and changed between two syncs (or two times of one append file)",
        "Compare two files vtab sync wrote (each as its latest sync), or two synced times of one append\n"
        "file: one row per resource added or removed, per resource changed with its changed properties\n"
        "as an RFC 6902 patch, and per place not compared (change unknown). The files are only read.",
        DIFF_EXAMPLES,
    )
    diff.add_argument("old", metavar="OLD", help="a sync file (the older version)")
    diff.add_argument(
        "new", metavar="NEW", nargs="?", help="a sync file (the newer version); none: two times of OLD"
    )
    diff.add_argument(
        "--from",
        dest="from_time",
        metavar="TIME",
        help="OLD as of TIME (ISO 8601, e.g. 2026-12-06T10:00:00Z; default: its latest sync, or with one "
        "file the synced time before --to)",
    )
    diff.add_argument(
        "--to",
        dest="to_time",
        metavar="TIME",
        help="NEW (or the one file) as of TIME (default: its latest sync)",
    )
    diff.add_argument(
        "--tables", metavar="GLOB", help="only tables matching these comma-separated globs (ec2_*,eks_*)"
    )
    add_output_flags(diff)
    diff.set_defaults(parser=diff, debug=False)

    commands.add_parser(
        "emulator", help="run the local Cloud Control endpoint (no AWS account needed)", add_help=False
    )
    demo = _command(
        commands,
        "demo",
        "the reference queries against a local endpoint with demo data",
        "Start a local Cloud Control endpoint with demo data in 4 accounts and run the reference queries.",
        DEMO_EXAMPLES,
    )
    demo.set_defaults(parser=demo, debug=False)
    return parser
