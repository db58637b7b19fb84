"""``vtab diff OLD.db [NEW.db]``: resources added, removed and changed between two syncs (docs/diff.md)."""

from __future__ import annotations

import argparse
from typing import TextIO

from vtab.cli.conventions import PROG, CommandError, say
from vtab.cli.output import WRITERS
from vtab.sync.diff import CHANGE_COLUMNS, DiffError, diff, left_out_text, time_text

OUTPUT_NAMES = [{"table_name": "table"}.get(name, name) for name in CHANGE_COLUMNS]
"""The columns of the output: vtab_diff's, with ``table_name`` as ``table`` (a keyword in SQL, not here)."""

JSON_OUTPUT = [name == "patch" for name in CHANGE_COLUMNS]
"""The patch is JSON: nested in json and jsonl output."""


def command_diff(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    try:
        found = diff(args.old, args.new, from_time=args.from_time, to_time=args.to_time, tables=args.tables)
    except DiffError as error:
        raise CommandError(str(error)) from None
    with found:
        old, new = found.files
        if old is new and None not in found.times:  # which two of the file's times: the default picks them
            first, second = (time_text(when) for when in found.times if when)
            say(f"{PROG} diff: {args.old} as of {first} against as of {second}")
        writer = WRITERS[args.format](out, args.header)
        writer.start(list(OUTPUT_NAMES), list(JSON_OUTPUT))
        for change in found:
            writer.row(change.row())
        writer.end()
        text = left_out_text(found.left_out)
    if text:
        say(text)
    return 0
