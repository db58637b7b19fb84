"""The documentation is tested: the SQL of README.md and of every page of docs/ runs, its generated parts
(options, commands, counts) are current, every command and flag is documented, and its links resolve.

Which blocks run: every fenced block whose info string is exactly ``sql``. A block fenced as
``sql declaration`` (the table as declared to SQLite) is shown, not run. A block whose section (the ``#``
or ``##`` heading above it) needs a setting of its own (docs/trust.md: a file sent to you, a read-only
connection) is run by a test that names the page and the heading, and the generic run here leaves it to
that test. Placeholders are filled from the emulator's seeded resources (also spelled ``{{ ApiId }}``, as
the reference page does, with ``{{ IntegrationResponseKey }}`` as ``$default`` and ``{{ region }}`` as
us-east-1): ``<ApiId>``, ``<IntegrationId>`` and ``<IntegrationResponseId>`` name the ``$default``
response of a seeded integration, except in an INSERT into a vtab table, where ``<ApiId>`` and
``<IntegrationId>`` name an integration that has no responses yet (so creating ``$default`` on it works).
The local table ``my_local_integrations(api_id, integration_id, region)`` that the pages' INSERT ...
SELECT reads holds that integration. A page's blocks that write no vtab table run one after the other on
one seeded endpoint (a block's statements on one connection, so it may make and fill tables of its own);
every statement of a block that writes to AWS runs on freshly seeded data, so the pages' write examples
need not be written to follow each other.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import apsw
import pytest

import vtab
from tests.test_writes_helpers import WRITE_OPERATIONS
from vtab.catalog.discovery import TYPE_COLUMNS
from vtab.catalog.list_plan import ListMode
from vtab.cli.main import PASSTHROUGH
from vtab.cli.parsers import build_parser, emulator_parser, shell_parser
from vtab.emulator import Emulator
from vtab.options import Options

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
"""The pages whose ```sql blocks run."""
LINKED = [*PAGES, ROOT / "ARCHITECTURE.md", ROOT / "BENCHMARKS.md", ROOT / "vtab" / "emulator" / "README.md"]
"""The Markdown files whose relative links must resolve."""
COMMAND_PAGE = (DOCS / "command.md").read_text(encoding="utf-8")
OPTIONS_PAGE = (DOCS / "options.md").read_text(encoding="utf-8")
TABLES_PAGE = (DOCS / "tables.md").read_text(encoding="utf-8")
EMULATOR_README = (ROOT / "vtab" / "emulator" / "README.md").read_text(encoding="utf-8")
REGIONS = ("us-east-1", "eu-west-1")
BLOCK_OR_HEADING = re.compile(
    r"^(?P<hashes>#{1,6}) (?P<heading>[^\n]+)$|^```(?P<info>[^\n]*)\n(?P<body>.*?)^```", re.M | re.S
)
WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
TARGET = re.compile(
    r"^\s*(?:(?:/\*.*?\*/|--[^\n]*\n)\s*)*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?"
    r"|DELETE\s+FROM)\s+(?P<table>[\w.\"]+)",
    re.IGNORECASE | re.DOTALL,
)
CREATED = re.compile(r"\bCREATE\s+(?:TEMP\s+|TEMPORARY\s+)?TABLE\s+(?:temp\.)?(?P<table>\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class SqlBlock:
    page: Path
    section: str
    """The ``#`` or ``##`` heading above the block."""
    sql: str

    def local_tables(self) -> set[str]:
        """Tables the block makes itself (its writes to them are no writes to AWS)."""
        return {m["table"].lower() for m in CREATED.finditer(self.sql)}

    def writes_to_aws(self, statement: str) -> bool:
        target = TARGET.match(statement)
        if target is None:
            return False
        return target["table"].strip('"').lower().removeprefix("temp.") not in self.local_tables()


def sql_blocks(page: Path) -> list[SqlBlock]:
    """The ```sql blocks of ``page``, each with the heading above it."""
    blocks = []
    section = ""
    for match in BLOCK_OR_HEADING.finditer(page.read_text(encoding="utf-8")):
        if match["heading"] is not None:
            if len(match["hashes"]) <= 2:
                section = match["heading"].strip()
        elif match["info"].strip() == "sql":
            blocks.append(SqlBlock(page, section, match["body"]))
    return blocks


def _other_tests() -> dict[str, str]:
    tests = {path.name: path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_*.py")}
    del tests[Path(__file__).name]
    return tests


OTHER_TESTS = _other_tests()


def runners(block: SqlBlock) -> list[str]:
    """The tests that run ``block`` themselves: they name its page and its section's heading."""
    if not block.section:
        return []
    return [name for name, text in OTHER_TESTS.items() if block.page.name in text and block.section in text]


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

    def fill(self, statement: str, creates: bool = False) -> str:
        """``statement`` with its placeholders filled; ``creates``: it INSERTs into a vtab table."""
        api, integration, response = self.response
        if creates:
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


def _creates(block: SqlBlock, statement: str) -> bool:
    return block.writes_to_aws(statement) and bool(
        re.match(r"\s*((/\*.*?\*/|--[^\n]*\n)\s*)*(INSERT|REPLACE)\b", statement, re.I | re.S)
    )


def run_reading_block(endpoint: Endpoint, block: SqlBlock) -> int:
    """Every statement of ``block`` on one connection; returns how many ran."""
    db = endpoint.connection()
    ran = 0
    for statement in statements(block.sql):
        rows = db.execute(endpoint.fill(statement)).fetchall()
        if "<" in statement and "data__Identifier =" in statement:
            assert len(rows) == 1, statement  # the placeholder names a real resource
        ran += 1
    db.close()
    return ran


def run_writing_block(endpoint: Endpoint, block: SqlBlock) -> int:
    """Every statement of ``block`` on freshly seeded data; each that writes a vtab table sends a write."""
    ran = 0
    for statement in statements(block.sql):
        endpoint.seed()
        db = endpoint.connection()
        endpoint.emulator.clear_calls()
        db.execute(endpoint.fill(statement, creates=_creates(block, statement))).fetchall()
        if block.writes_to_aws(statement):
            sent = [
                c for c in endpoint.emulator.calls if c.operation in WRITE_OPERATIONS and c.error_code is None
            ]
            assert sent, f"{block.page.name}: no write was sent for: {statement}"
        db.close()
        ran += 1
    return ran


def test_the_pages_have_sql_to_run() -> None:
    blocks = [block for page in PAGES for block in sql_blocks(page)]
    readme = sql_blocks(ROOT / "README.md")
    assert len(readme) >= 4 and any(WRITES.search(block.sql) for block in readme)
    assert sum(1 for block in blocks if any(map(block.writes_to_aws, statements(block.sql)))) >= 5
    assert "```sql declaration" in TABLES_PAGE  # the declared table is shown, not run


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_the_sql_of_each_page_runs_against_the_local_endpoint(page: Path, emulator: Emulator) -> None:
    """Every block of the page that no test of its own runs: reading blocks first, on one seeded endpoint,
    then each writing block's statements on fresh data."""
    blocks = [block for block in sql_blocks(page) if not runners(block)]
    writing = [block for block in blocks if any(map(block.writes_to_aws, statements(block.sql)))]
    endpoint = Endpoint(emulator)
    ran = sum(run_reading_block(endpoint, block) for block in blocks if block not in writing)
    ran += sum(run_writing_block(endpoint, block) for block in writing)
    assert ran >= sum(len(statements(block.sql)) for block in blocks)


def test_a_block_left_to_another_test_is_run_there() -> None:
    """docs/trust.md's examples need their own setting (a file sent to you, a read-only connection): the
    test that runs them names the page and the section, as any such test must."""
    left = [block for page in PAGES for block in sql_blocks(page) if runners(block)]
    assert {block.page.name for block in left} >= {"trust.md"}
    assert all(block.section for block in left)


def test_the_generated_parts_are_current() -> None:
    """Options, commands and counts come from the code (``make docs``); a stale page fails here."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "docs.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for name in Options.names():
        assert f"| `{name}` |" in OPTIONS_PAGE


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
    assert names == {"shell", "query", "snapshot", "sync", "types", "describe", "diff", "emulator", "demo"}
    option_flags = {"--" + name.replace("_", "-") for name in Options.names()}
    option_flags |= {"--no-" + flag.removeprefix("--") for flag in option_flags}
    for name in names:
        assert f"### `vtab {name}`" in COMMAND_PAGE, name
        sub = commands.choices[name]  # type: ignore[attr-defined]
        if name in PASSTHROUGH:
            sub = shell_parser() if name == "shell" else emulator_parser()
        for flag in _flags(sub) - option_flags:
            documented = COMMAND_PAGE if name != "emulator" else COMMAND_PAGE + EMULATOR_README
            assert f"`{flag}" in documented, f"vtab {name} {flag} is not in docs/command.md"
    assert "--debug" in COMMAND_PAGE
    # vtab options are flags named after the options: the page says so, and the options table lists each
    assert "Every [option](options.md) is a flag" in COMMAND_PAGE


def test_the_tables_page_names_every_column_and_list_mode_of_vtab_types() -> None:
    section = TABLES_PAGE[TABLES_PAGE.index("## Every resource type is a table: `vtab_types`") :]
    described = section[: section.index("```sql")]
    for column in TYPE_COLUMNS:
        assert f"`{column}`" in described or column in ("type_name", "table_name", "stackql_name"), column
    for mode in ListMode:
        if mode is not ListMode.EXCLUDED:  # an excluded type has no table, so no row
            assert f"`{mode.value}`" in described, mode


# --- links ----------------------------------------------------------------------------------------------

LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def anchors(markdown: str) -> set[str]:
    """GitHub's anchors of ``markdown``'s headings: lower case, punctuation dropped, spaces as ``-``."""
    found: set[str] = set()
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    for heading in re.findall(r"^#{1,6} (.+)$", prose, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        candidate, n = slug, 0
        while candidate in found:
            n += 1
            candidate = f"{slug}-{n}"
        found.add(candidate)
    return found


def relative_links(markdown: str) -> list[str]:
    prose = re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)
    return [
        m["target"]
        for m in LINK.finditer(prose)
        if not re.match(r"[a-z][a-z0-9+.-]*:", m["target"])  # http:, https:, mailto:
    ]


def test_anchors_follow_githubs_rule() -> None:
    assert anchors("# A `vtab` page\n## Stopping: `Connection.interrupt()` and Ctrl-C\n## A\n## A\n") == {
        "a-vtab-page",
        "stopping-connectioninterrupt-and-ctrl-c",
        "a",
        "a-1",
    }


@pytest.mark.parametrize("page", LINKED, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_resolves_to_a_file_and_heading(page: Path) -> None:
    broken = []
    for target in relative_links(page.read_text(encoding="utf-8")):
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(
                f"{target}: no file {linked.relative_to(ROOT) if linked.is_relative_to(ROOT) else linked}"
            )
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)
