"""README.md is tested: its SQL runs, its options table is the generated one, and every command and flag
of ``vtab`` is documented. The ```sql blocks of the pages in docs/ are run by the tests of their sections,
and a block no test runs fails here.

Which README blocks run: every fenced block whose info string is exactly ``sql``. A block fenced as
``sql declaration`` (the table as declared to SQLite) is shown, not run. Placeholders are filled from the
emulator's seeded resources (also spelled ``{{ ApiId }}``, as the reference page does, with
``{{ IntegrationResponseKey }}`` as ``$default`` and ``{{ region }}`` as us-east-1): ``<ApiId>``,
``<IntegrationId>`` and ``<IntegrationResponseId>`` name the
``$default`` response of a seeded integration, except in an INSERT, where ``<ApiId>`` and
``<IntegrationId>`` name an integration that has no responses yet (so creating ``$default`` on it works).
The local table ``my_local_integrations(api_id, integration_id, region)`` that the README's INSERT ...
SELECT reads holds that integration. Blocks without INSERT, UPDATE or DELETE run one after the other on
one seeded endpoint; every statement of a block that writes runs on freshly seeded data, so the README's
write examples need not be written to follow each other.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import apsw
import apsw.ext

import vtab
from tests.test_writes_helpers import WRITE_OPERATIONS
from vtab.catalog.discovery import TYPE_COLUMNS
from vtab.catalog.walks import ListMode
from vtab.cli.main import PASSTHROUGH
from vtab.cli.parsers import build_parser, emulator_parser, shell_parser
from vtab.emulator import Emulator
from vtab.options import Options

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
EMULATOR_README = (ROOT / "vtab" / "emulator" / "README.md").read_text(encoding="utf-8")
REGIONS = ("us-east-1", "eu-west-1")
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```", re.MULTILINE | re.DOTALL)
WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


def sql_blocks() -> list[str]:
    return [m["body"] for m in FENCE.finditer(README) if m["info"].strip() == "sql"]


def statements(sql: str) -> list[str]:
    """The statements of ``sql``, split the way SQLite splits them (comments and literals respected)."""
    found = []
    remaining = sql
    while remaining.strip():
        complete = ""
        for line in remaining.splitlines(keepends=True):
            complete += line
            if apsw.complete(complete):
                break
        found.append(complete.strip())
        remaining = remaining[len(complete) :]
    return [
        s for s in found if s.strip() and not all(line.strip().startswith("--") for line in s.splitlines())
    ]


class Endpoint:
    """A seeded endpoint and the placeholder values its resources give."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.seed()

    def seed(self) -> None:
        self.emulator.reset()
        seeded = [
            self.emulator.seed(region, websocket_apis=1, integrations=1, responses=2) for region in REGIONS
        ]
        empty = self.emulator.seed(REGIONS[0], websocket_apis=1, integrations=1, responses=0, http_apis=0)
        api, integration = seeded[0].integrations[0]
        models = self.emulator.integration_responses(REGIONS[0], api, integration)
        default = next(m for m in models if m["IntegrationResponseKey"] == "$default")
        self.response = (api, integration, str(default["IntegrationResponseId"]))
        self.empty_integration = empty.integrations[0]

    def fill(self, statement: str) -> str:
        api, integration, response = self.response
        if re.match(r"\s*((/\*.*?\*/|--[^\n]*\n)\s*)*INSERT\b", statement, re.IGNORECASE | re.DOTALL):
            api, integration = self.empty_integration
        values = {"ApiId": api, "IntegrationId": integration, "IntegrationResponseId": response}
        values |= {"IntegrationResponseKey": "$default", "region": REGIONS[0]}
        # The reference page's spellings too: {{ ApiId }} and <ApiId|IntegrationId|IntegrationResponseId>.
        statement = statement.replace(
            "<ApiId|IntegrationId|IntegrationResponseId>", f"{api}|{integration}|{response}"
        )
        for name, value in values.items():
            statement = statement.replace(f"<{name}>", value).replace(f"{{{{ {name} }}}}", value)
        return statement

    def connection(self) -> apsw.Connection:
        db = vtab.connect(endpoint_url=self.emulator.endpoint_url, regions=",".join(REGIONS), cache_ttl=0)
        db.execute("CREATE TEMP TABLE my_local_integrations(api_id, integration_id, region)")
        db.execute("INSERT INTO my_local_integrations VALUES (?, ?, 'us-east-1')", self.empty_integration)
        return db


def test_readme_has_sql_to_run() -> None:
    blocks = sql_blocks()
    assert len(blocks) >= 4
    assert any(WRITES.search(block) for block in blocks)
    assert "sql declaration" in README  # the declared table is shown, not run


def test_readme_sql_runs_against_the_local_endpoint(emulator: Emulator) -> None:
    endpoint = Endpoint(emulator)
    ran = 0
    for block in sql_blocks():
        if WRITES.search(block):
            continue
        db = endpoint.connection()
        for statement in statements(block):
            rows = db.execute(endpoint.fill(statement)).fetchall()
            if "<" in statement and "data__Identifier =" in statement:
                assert len(rows) == 1, statement  # the placeholder names a real resource
            ran += 1
        db.close()
    assert ran >= 6


def test_readme_write_examples_run_on_fresh_data(emulator: Emulator) -> None:
    endpoint = Endpoint(emulator)
    ran = 0
    for block in sql_blocks():
        if not WRITES.search(block):
            continue
        for statement in statements(block):
            endpoint.seed()
            db = endpoint.connection()
            emulator.clear_calls()
            db.execute(endpoint.fill(statement)).fetchall()
            sent = [c for c in emulator.calls if c.operation in WRITE_OPERATIONS and c.error_code is None]
            assert sent, f"no write was sent for: {statement}"
            db.close()
            ran += 1
    assert ran >= 5


def sql_sections(markdown: str) -> list[str]:
    """The ``## `` heading above each ```sql block of ``markdown`` (one entry per block)."""
    sections = []
    heading = ""
    for match in re.finditer(
        r"^## (?P<heading>[^\n]+)$|^```(?P<info>[^\n]*)\n.*?^```", markdown, re.M | re.S
    ):
        if match["heading"] is not None:
            heading = match["heading"].strip()
        elif match["info"].strip() == "sql":
            sections.append(heading)
    return sections


def test_every_sql_block_of_the_docs_pages_is_run() -> None:
    """README's blocks run above; a page of docs/ has no generic runner (its examples need their own
    setting: a file sent to you, a read-only connection), so the test that runs a section's ```sql blocks
    names the page and the section's heading, and a block in a section no test names fails here."""
    tests = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_*.py")}
    del tests[Path(__file__).name]
    checked = 0
    for page in sorted((ROOT / "docs").glob("*.md")):
        for section in sql_sections(page.read_text(encoding="utf-8")):
            runners = [name for name, text in tests.items() if page.name in text and section in text]
            assert runners, f"docs/{page.name}: the ```sql block under '## {section}' is run by no test"
            checked += 1
    assert checked >= 2  # docs/trust.md's files and ceilings examples


def test_options_table_is_generated_from_options() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_options_table.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for name in Options.names():
        assert f"| `{name}` |" in README


def _flags(parser: object) -> set[str]:
    return {
        flag
        for action in getattr(parser, "_actions", [])
        for flag in action.option_strings
        if flag.startswith("--") and flag != "--help"
    }


def test_every_command_and_flag_is_documented() -> None:
    parser = build_parser()
    assert parser._subparsers is not None
    commands = parser._subparsers._group_actions[0]
    names = set(commands.choices)  # type: ignore[arg-type]
    assert names == {"shell", "query", "snapshot", "types", "describe", "emulator", "demo"}
    option_flags = {"--" + name.replace("_", "-") for name in Options.names()}
    option_flags |= {"--no-" + flag.removeprefix("--") for flag in option_flags}
    for name in names:
        assert f"vtab {name}" in README, name
        sub = commands.choices[name]  # type: ignore[attr-defined]
        if name in PASSTHROUGH:
            sub = shell_parser() if name == "shell" else emulator_parser()
        for flag in _flags(sub) - option_flags - {"--debug"}:
            documented = README if name != "emulator" else README + EMULATOR_README
            assert flag in documented, f"vtab {name} {flag} is not in README.md"
    assert "--debug" in README
    # vtab options are flags named after the options: the README says so, and the table lists each
    assert "Every option above is a flag" in README


def test_the_readme_names_every_column_and_list_mode_of_vtab_types() -> None:
    section = README[README.index("## Catalog: every resource type as a table") :]
    described = section[: section.index("```sql")]
    for column in TYPE_COLUMNS:
        assert f"`{column}`" in described or column in ("type_name", "table_name", "stackql_name"), column
    for mode in ListMode:
        if mode is not ListMode.EXCLUDED:  # an excluded type has no table, so no row
            assert f"`{mode.value}`" in described, mode
