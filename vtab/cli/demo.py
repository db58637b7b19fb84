"""``make demo``: the main job on the local Cloud Control endpoint, no AWS account needed.

Starts the emulator in-process with demo data (two regions of WebSocket APIs) in an Organization of a few
accounts, registers vtab on an apsw connection pointed at it, runs the reference queries and prints each
result with the calls it made (from ``vtab_calls``), so the pushdown is visible; then the estate, every
account at once (demo_estate.py), and the writes (demo_writes.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import apsw

import vtab
from vtab.cli.demo_estate import seed_estate, show_estate
from vtab.cli.demo_writes import show_writes
from vtab.emulator import Emulator

WIDTH = 38


def _cell(value: Any) -> str:
    text = "NULL" if value is None else str(value)
    return text if len(text) <= WIDTH else text[: WIDTH - 1] + "…"


def print_table(names: Sequence[str], rows: Sequence[Sequence[Any]], out: TextIO) -> None:
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(n), *(len(r[i]) for r in cells)]) for i, n in enumerate(names)]
    line = "  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True))
    print(line, file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for row in cells:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)), file=out)
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", file=out)


class Demo:
    """Runs statements and shows their rows and the calls each one made."""

    def __init__(self, db: apsw.Connection, out: TextIO, *, accounts: bool = False) -> None:
        self.db = db
        self.out = out
        self.accounts = accounts
        """Whether the calls shown name their account (a connection that reads several)."""

    def on(self, db: apsw.Connection) -> Demo:
        """The same demo on a connection that reads several accounts: its calls name their account."""
        return Demo(db, self.out, accounts=True)

    def step(self, title: str, sql: str, bindings: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        print(f"\n== {title}", file=self.out)
        print(sql.strip(), file=self.out)
        self.db.execute("SELECT vtab_clear_calls()")
        cursor = self.db.cursor()
        names: list[str] = []

        def remember_names(cursor: apsw.Cursor) -> bool:
            names[:] = [d[0] for d in cursor.description]
            return True

        cursor.exec_trace = lambda cursor, sql, bindings: remember_names(cursor)
        rows = list(cursor.execute(sql, bindings))
        if names:
            print_table(names, rows, self.out)
        else:
            print("(no rows)", file=self.out)
        self.show_calls()
        return rows

    def show_calls(self) -> None:
        columns = [
            ("operation", "operation"),
            *([("account", "account_id")] if self.accounts else []),
            ("region", "region"),
            ("type", "coalesce(substr(type_name, 20), '')"),
            ("identifier/model", "coalesce(identifier, resource_model, '')"),
            ("pages", "pages"),
            ("items", "items"),
            ("cache", "cache"),
            ("ms", "round(ms, 1)"),
            ("error", "coalesce(error_code, '')"),
            ("token", "coalesce(request_token, '')"),
            ("status", "coalesce(status, '')"),
        ]
        selected = ", ".join(expression for _, expression in columns)
        calls = list(self.db.execute(f"SELECT {selected} FROM vtab_calls ORDER BY seq"))
        print(f"-- {len(calls)} call(s):", file=self.out)
        if calls:
            print_table([name for name, _ in columns], calls, self.out)


def run(out: TextIO = sys.stdout) -> None:
    # The emulator accepts any credentials; never send a user's real ones to it.
    os.environ.update(AWS_ACCESS_KEY_ID="demo", AWS_SECRET_ACCESS_KEY="demo")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    with Emulator(seed="demo") as emulator:
        seeded = emulator.seed_demo()
        org = seed_estate(emulator)
        print(
            f"Local Cloud Control endpoint: {emulator.endpoint_url} (demo data in {', '.join(seeded)}; "
            f"an Organization of {len(org.account_ids)} accounts in OUs {' and '.join(org.ous)})",
            file=out,
        )
        db = apsw.Connection(":memory:")
        vtab.register(db, endpoint_url=emulator.endpoint_url, regions="us-east-1")
        demo = Demo(db, out)
        east = seeded["us-east-1"]
        identifier = east.responses[0]

        demo.step(
            "List all integration responses in a region (the seed page's first query)",
            """
SELECT region, api_id, integration_id, integration_response_id
FROM integration_responses WHERE region = 'us-east-1';""",
        )
        demo.step(
            "Get all properties of one integration response (one GetResource)",
            f"""
SELECT region, integration_response_id, response_templates, template_selection_expression,
       response_parameters, content_handling_strategy, integration_id, integration_response_key, api_id
FROM integration_responses
WHERE region = 'us-east-1' AND data__Identifier = '{identifier}';""",
        )
        demo.step(
            "Two regions at once (the IN list is fanned out in parallel)",
            """
SELECT region, count(*) AS responses, count(response_templates) AS with_templates
FROM integration_responses WHERE region IN ('us-east-1', 'eu-west-1') GROUP BY region;""",
        )
        db.execute(
            "CREATE TABLE watchlist(identifier TEXT, owner TEXT);"
            "INSERT INTO watchlist VALUES (?, 'alice'), (?, 'bob'), ('gone|gone|gone', 'carol');",
            (east.responses[2], east.responses[4]),
        )
        demo.step(
            "Join a local table of identifiers (one GetResource per row, a missing one is just no row)",
            """
SELECT w.owner, v.integration_response_key, v.content_handling_strategy,
       v.response_templates ->> '$."application/json"' AS json_template
FROM watchlist w JOIN integration_responses v
  ON v.data__Identifier = w.identifier AND v.region = 'us-east-1';""",
        )
        demo.step(
            "The same statement again is answered from the cache (cache_ttl, default 30 s)",
            """
SELECT w.owner, v.integration_response_key FROM watchlist w JOIN integration_responses v
  ON v.data__Identifier = w.identifier AND v.region = 'us-east-1';""",
        )
        show_estate(demo, emulator, org)
        show_writes(demo, emulator)


def main() -> None:
    run()


if __name__ == "__main__":
    main()
