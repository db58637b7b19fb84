"""``vtab query``: run statements on an in-memory connection with vtab's tables, print the rows."""

from __future__ import annotations

import argparse
import shlex
import sys
from typing import Any, TextIO, cast

import apsw

import vtab
from vtab.cli.conventions import CommandError, undecodable_text
from vtab.cli.flags import options_from
from vtab.cli.output import WRITERS, ResultWriter, WriteReporter, json_flags
from vtab.read.progress import AroundProgress
from vtab.sql.stackql import explain
from vtab.sql.tokens import significant, tokenize
from vtab.sqlite.install import open_database
from vtab.sqlite.read_only import explain_read_only
from vtab.sqlite.registry import Registry


def run_query(db: apsw.Connection, registry: Registry, sql: str, writer: ResultWriter, err: TextIO) -> None:
    """Run every statement of ``sql``, handing each one's rows to ``writer`` as they stream in, and saying
    on ``err`` what each statement's writes did."""
    cursor = db.cursor()
    open_set = False
    shown = 0
    report = WriteReporter(registry, err)

    def statement_started(cursor: apsw.Cursor, statement: str, bindings: Any) -> bool:
        nonlocal open_set, shown
        if open_set:
            writer.end()
            open_set = False
        shown = 0
        report.finish()  # the previous statement is complete
        names = [d[0] for d in cursor.description]
        if names:
            writer.start(names, json_flags(registry, cursor.description_full))
            open_set = True
        return True

    cursor.exec_trace = statement_started
    completed = False
    try:
        for row in cursor.execute(sql):
            writer.row(row)
            shown += 1
        completed = True
    except apsw.SQLError as exc:  # a later statement's, prepared past the cursor's execute
        explain(exc, db, sql)
        raise
    except UnicodeDecodeError as exc:  # apsw reads every TEXT value as UTF-8
        where = f"row {shown + 1} of the result (columns {', '.join(writer.names)})"
        raise CommandError(undecodable_text(exc, where)) from None
    finally:
        # Also when a statement fails: what the earlier ones returned and wrote is shown before the error
        # (and the rows the failing one returned, as sqlite3 does), but not a failed statement's empty
        # header.
        if open_set and (completed or shown):
            writer.end()
        report.finish()


def read_sql(args: argparse.Namespace) -> str:
    """The statements to run: the SQL argument, ``-`` for standard input, or ``--file``."""
    if args.file is not None and args.sql is not None:
        raise CommandError("give the SQL either as an argument or with --file, not both")
    if args.file is not None:
        if args.file == "-":
            return sys.stdin.read()
        try:
            with open(args.file, encoding="utf-8") as source:
                return source.read()
        except OSError as exc:
            raise CommandError(f"--file {args.file}: {exc.strerror or exc}") from None
    if args.sql == "-":
        return sys.stdin.read()
    piped = "" if args.sql is not None or sys.stdin.isatty() else sys.stdin.read()  # vtab query < f.sql
    if args.sql is None and not piped.strip():
        raise CommandError("no SQL: give it as an argument, as - to read standard input, or with --file FILE")
    if args.sql is None:
        return piped
    return str(args.sql)


def dot_command(sql: str) -> str | None:
    """The first shell dot-command (``.tables``) where a statement of ``sql`` begins, or None."""
    starts = True
    for token in significant(list(tokenize(sql))):
        if starts and token.text == ".":
            line_end = sql.find("\n", token.start)
            return sql[token.start : None if line_end < 0 else line_end].strip()
        starts = token.text == ";"
    return None


def refuse_dot_command(sql: str) -> None:
    """``vtab query ".tables"``: a dot-command is the shell's, not SQL; say where it runs (SQLite would say
    ``near ".": syntax error``)."""
    command = dot_command(sql)
    if command is None:
        return
    word = command.split()[0]
    raise CommandError(
        f"{word} is a dot-command of vtab shell, not SQL: run vtab shell :memory: {shlex.quote(command)} "
        "(vtab types PATTERN lists the tables, vtab describe TABLE a table's columns)"
    )


def open_connection(options: dict[str, Any], read_only_files: bool) -> tuple[apsw.Connection, Registry]:
    """An in-memory connection with vtab registered (closed again if registering fails); opened read-only
    under ``read_only_files`` (``--read-only``), as ``sqlite3 -readonly``, so that no ATTACHed file is
    written either (open_database)."""
    db = open_database(":memory:", read_only=read_only_files)
    try:
        registry = vtab.register(db, **options)
    except BaseException:
        db.close()
        raise
    return db, registry


def command_query(parser: argparse.ArgumentParser, args: argparse.Namespace, out: TextIO) -> int:
    sql = read_sql(args)
    refuse_dot_command(sql)
    options = options_from(parser, args)
    db, registry = open_connection(options, read_only_files=bool(options.get("read_only")))
    if options["progress"] and out.isatty():
        out = cast(TextIO, AroundProgress(out))
    try:
        run_query(db, registry, sql, WRITERS[args.format](out, args.header), sys.stderr)
    except apsw.ReadOnlyError as error:  # the database is read-only only under --read-only
        explain_read_only(error, registry)
        raise
    finally:
        out.flush()
        db.close()
    return 0
