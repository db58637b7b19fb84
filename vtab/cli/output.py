"""What the command prints: the result writers of ``vtab query`` (one per ``--format``), the line
saying what a statement's writes did, and the warning of a statement that skipped failing accounts."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from typing import Any, TextIO

import orjson

from vtab.cli.conventions import say
from vtab.read.accounts import warning_text
from vtab.sqlite.registry import Registry
from vtab.terminal import LINES, is_terminal, json_safe, visible
from vtab.write.report import WriteReport


class WriteReporter:
    """Prints what each statement's writes did (from the call log) on ``err``, once the statement ends, and
    one warning line when it skipped failing accounts (on_account_error='skip': vtab_errors has them)."""

    def __init__(self, registry: Registry, err: TextIO) -> None:
        self.log = registry.log
        self.err = err
        self.mark = self.log.mark()
        self.name_accounts = registry.options.reads_several_accounts
        self.errors = registry.account_errors
        self.errors_mark = self.errors.mark()

    def start(self) -> None:
        self.mark = self.log.mark()

    def finish(self) -> None:
        text = WriteReport.of(self.log.since(self.mark), self.name_accounts).text()
        if text:
            say(text, self.err)
        self.mark = self.log.mark()
        skipped = self.errors.since(self.errors_mark)
        if skipped:
            say(warning_text(skipped), self.err)
        self.errors_mark = self.errors.mark()


def json_flags(registry: Registry | None, description_full: Any) -> list[bool]:
    """For each result column, whether it is a vtab column whose text is JSON by the schema (an object or
    array property): those are nested in JSON output, not quoted. Expressions never are."""
    flags = []
    for _name, _decltype, _database, table, origin in description_full or ():
        flags.append(registry is not None and origin in registry.json_columns(table))
    return flags


def nested(value: Any, is_json: bool) -> Any:
    """A JSON column's text as the JSON value it holds (text that does not parse stays text)."""
    if is_json and isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _json_value(value: Any) -> Any:
    return value.hex() if isinstance(value, bytes) else value


class ResultWriter:
    """Prints result sets as they arrive; one per statement that has result columns.

    Cells are printed for ``out``: on a terminal their control characters are shown, not obeyed
    (vtab.terminal); into a file or a pipe the csv, json and jsonl formats carry the exact value."""

    def __init__(self, out: TextIO, header: bool) -> None:
        self.out = out
        self.header = header
        self.terminal = is_terminal(out)
        self.names: list[str] = []
        self.json: list[bool] = []
        self.sets = 0

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        """A result set with these column names; ``json_columns`` marks the columns holding JSON text."""
        self.names = names
        self.json = json_columns or [False] * len(names)
        self.sets += 1

    def row(self, values: Sequence[Any]) -> None:
        raise NotImplementedError

    def end(self) -> None:
        """The current result set is complete."""

    def item(self, values: Sequence[Any]) -> str:
        """The row as one JSON object: JSON columns nested, blobs as hex, and no character a terminal
        acts on (C0 escaped by the encoder, DEL and C1 by json_safe), wherever the output goes."""
        row = {
            name: _json_value(nested(value, is_json))
            for name, value, is_json in zip(self.names, values, self.json, strict=True)
        }
        return json_safe(json.dumps(row, ensure_ascii=False))


class TableWriter(ResultWriter):
    """Aligned columns for reading; buffers one result set to size the columns. Being for eyes, it shows
    every control character (a newline in a cell as ``\\n``), into a pipe too."""

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        super().start(names, json_columns)
        self.rows: list[list[str]] = []

    def row(self, values: Sequence[Any]) -> None:
        self.rows.append(["NULL" if v is None else visible(_text(v)) for v in values])

    def end(self) -> None:
        if self.sets > 1:
            print(file=self.out)
        names = [visible(name) for name in self.names]
        widths = [max([len(n), *(len(r[i]) for r in self.rows)]) for i, n in enumerate(names)]
        if self.header:
            print("  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip(), file=self.out)
            print("  ".join("-" * w for w in widths), file=self.out)
        for row in self.rows:
            print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=self.out)
        count = len(self.rows)
        print(f"({count} row{'' if count == 1 else 's'})", file=self.out)


class CsvWriter(ResultWriter):
    """RFC 4180 CSV, rows ending in a newline: the exact values into a file or a pipe; on a terminal,
    control characters shown (newlines and tabs kept, inside quotes as CSV has them)."""

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        super().start(names, json_columns)
        # csv quotes a field holding a character of its line terminator: with CRLF, a field with a bare
        # carriage return is quoted too, so a reader never takes it for the end of the row
        self.line = io.StringIO()
        self.writer = csv.writer(self.line, lineterminator="\r\n")
        if self.header:
            self._write([self._cell(name) for name in names])

    def row(self, values: Sequence[Any]) -> None:
        self._write([self._cell(_text(v)) for v in values])

    def _cell(self, text: str) -> str:
        return visible(text, LINES) if self.terminal else text

    def _write(self, cells: list[str]) -> None:
        self.writer.writerow(cells)
        self.out.write(self.line.getvalue().removesuffix("\r\n") + "\n")
        self.line.seek(0)
        self.line.truncate()


class JsonWriter(ResultWriter):
    """One JSON array of objects per result set (like sqlite3 -json), streamed row by row.

    The array opens with its first row (or, for a set without rows, at its end as ``[]``): a statement
    that fails before its first row prints nothing on stdout, so a consumer that ignores the exit status
    never parses a failure as an empty result, and stdout is never a lone ``[``."""

    def start(self, names: list[str], json_columns: list[bool]) -> None:
        super().start(names, json_columns)
        self.count = 0

    def row(self, values: Sequence[Any]) -> None:
        self.out.write(("," if self.count else "[") + "\n" + self.item(values))
        self.count += 1

    def end(self) -> None:
        self.out.write("\n]\n" if self.count else "[]\n")


class JsonLinesWriter(ResultWriter):
    """One JSON object per row, for jq and log pipelines."""

    def row(self, values: Sequence[Any]) -> None:
        self.out.write(self.item(values) + "\n")


WRITERS: dict[str, type[ResultWriter]] = {
    "table": TableWriter,
    "csv": CsvWriter,
    "json": JsonWriter,
    "jsonl": JsonLinesWriter,
}
