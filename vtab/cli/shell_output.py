"""What the shell writes: control characters in values shown on a terminal (vtab.terminal) but the
shell's own colour codes kept (vtab.cli.colours), a read's progress line lifted before rows, and JSON
columns of vtab's tables nested in ``.mode json``/``jsonl``. Every output mode's formatting is decided
here, apart from the dot-commands, so a new mode or stream is checked in one place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

import apsw
import apsw.ext
import orjson
from apsw.shell import Shell

from vtab.cli.colours import Tokens, TokenScheme
from vtab.cli.output import json_flags, nested
from vtab.cli.shell_connections import ConnectionShell
from vtab.read.progress import AroundProgress
from vtab.sql.stackql import rewrite_on
from vtab.terminal import LINES, is_terminal, json_safe, sql_visible, visible


class OutputShell(ConnectionShell):
    """The shell's output: escaped for a terminal, coloured by tokens, JSON columns nested."""

    def __init__(self, *args: Any, progress: bool = False, **kwargs: Any) -> None:
        self._json_columns: list[bool] = []
        self.progress_on_terminal = progress
        self.on_terminal = False
        """Whether stdout (the terminal, or .output's file) is a terminal: values are escaped for it."""
        self.tokens = Tokens()
        """The shell's colour codes as tokens no value can spell (vtab.cli.colours)."""
        super().__init__(*args, **kwargs)
        self.stderr = ShellMessages(self.stderr, self)

    def write(self, dest: TextIO, text: str) -> None:
        """Rows on a terminal lift a read's progress line first (see AroundProgress); what reaches a
        terminal shows its control characters but the shell's own colours (.schema and .dump text too)."""
        if dest is self.stdout and self.on_terminal:
            text = self.shown(text)
            if self.progress_on_terminal:
                AroundProgress(dest).write(text)
                return
        elif not isinstance(dest, ShellMessages):
            text = self.tokens.codes(text, self.colour)
        dest.write(text)

    # -- what reaches a terminal: control characters shown (vtab.terminal) -----------------------------
    # Every text mode formats its values (and column and csv their headers) with _fmt_text_col, tcl with
    # _fmt_c_string; list and line print the column names as they are, insert its own literals. python
    # (repr), json and jsonl (escaped JSON) and box (apsw sanitizes) print no control character anyway.
    # write() and ShellMessages (stderr) escape what is left, keeping only the colour scheme's codes: the
    # shell's code sees each as a token no value can spell, made a code after the escaping
    # (vtab.cli.colours), so a value or a table name that spells a code stays escaped.

    @property
    def colour(self) -> TokenScheme:
        return self._colour

    @colour.setter
    def colour(self, scheme: Any) -> None:
        """apsw sets its colour scheme at start and on each change of output (_out_colour)."""
        self._colour = scheme if isinstance(scheme, TokenScheme) else self.tokens.scheme(scheme)

    def shown(self, text: str) -> str:
        """``text`` with its control characters shown, except the colour codes the shell itself adds."""
        return self.tokens.shown(text, self.colour)

    @property
    def stdout(self) -> TextIO:
        return self._stdout

    @stdout.setter
    def stdout(self, stream: TextIO) -> None:
        """apsw sets stdout at start and on .output/.once: whether it is a terminal is decided here."""
        self._stdout = stream
        self.on_terminal = is_terminal(stream)

    def _fmt_text_col(self, v: Any) -> str:
        text: str = super()._fmt_text_col(v)
        return visible(text, LINES) if self.on_terminal else text

    def _fmt_json_value(self, v: Any) -> str:
        return json_safe(super()._fmt_json_value(v))  # apsw's json.dumps leaves DEL raw

    def _fmt_c_string(self, v: Any) -> str:
        text: str = super()._fmt_c_string(v)
        return visible(text) if self.on_terminal else text

    def output_list(self, header: bool, line: Sequence[Any]) -> None:
        "All items on one line with separator"
        super().output_list(header, self._shown_names(header, line))

    def output_line(self, header: bool, line: Sequence[Any]) -> None:
        """
        One value per line in the form 'column = value' with a blank
        line between rows.
        """
        super().output_line(header, self._shown_names(header, line))

    output_lines = output_line

    def _shown_names(self, header: bool, line: Sequence[Any]) -> Sequence[Any]:
        """Column names (a view in someone's file names them) as list and line modes print them."""
        return [visible(str(name)) for name in line] if header and self.on_terminal else line

    def output_insert(self, header: bool, line: Sequence[Any]) -> None:
        """Lines as SQL insert statements. The table name is "table" unless you specified a different
        one as the second parameter to the .mode command. On a terminal a control character in text is
        written as SQL's char(n), so the statement still inserts the exact value."""
        if header:
            return
        literals = [apsw.format_sql_value(value) for value in line]
        if self.on_terminal:
            literals = [sql_visible(literal) for literal in literals]
        values = ",".join(self.colour.colour_value(v, text) for v, text in zip(line, literals, strict=True))
        self.write(self.stdout, f"INSERT INTO {self._output_table} VALUES({values});\n")

    # -- JSON columns nested in .mode json / jsonl ----------------------------------------------------

    def _query_details(self, sql: str, bindings: Any) -> Any:
        details = super()._query_details(sql, bindings)
        self._json_columns = []
        if details.query and details.error_text is None and self.registry is not None:
            try:
                info = apsw.ext.query_info(self.db, rewrite_on(self.db, details.query), bindings)
            except (apsw.Error, KeyError):
                pass
            else:
                self._json_columns = json_flags(self.registry, info.description_full)
        return details

    def _json_fields(self, line: Shell.Row) -> str:
        flags = self._json_columns if len(self._json_columns) == len(line.row) else [False] * len(line.row)
        fields = []
        for name, value, is_json in zip(line.columns, line.row, flags, strict=True):
            text = (
                json_safe(orjson.dumps(nested(value, True)).decode())
                if is_json and isinstance(value, str)
                else self._fmt_json_value(value)
            )
            fields.append(f"{self._fmt_json_value(name)}: {self.colour.colour_value(value, text)}")
        return "{ " + ", ".join(fields) + "}"

    def output_json(self, header: bool, line: Shell.Row) -> None:
        """Output a JSON array. JSON columns of vtab tables are nested; blobs are base64 strings."""
        if header:
            return
        opening = "[" if line.is_first else ""
        self.write(self.stdout, opening + self._json_fields(line) + ("]" if line.is_last else ",") + "\n")

    def output_jsonl(self, header: bool, line: Shell.Row) -> None:
        """Output JSON objects, one a line. JSON columns of vtab tables are nested; blobs are base64."""
        if header:
            return
        self.write(self.stdout, self._json_fields(line) + "\n")


class ShellMessages:
    """The shell's stderr: what is written there shows its control characters (an endpoint's error text,
    the SQL around a syntax error), but the shell's own colour codes pass (OutputShell.shown)."""

    def __init__(self, stream: TextIO, shell: OutputShell) -> None:
        self.stream = stream
        self.shell = shell

    def write(self, text: str) -> int:
        return self.stream.write(self.shell.shown(text))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()
