"""Run every SQL statement of StackQL's Cloud Control docs through vtab (prepared only); count the outcomes.

    python scripts/stackql_corpus.py PATH

PATH is a copy of ``stackql-registry/stackql-provider-awscc``: a checkout, or a bare git directory (its HEAD
is read). Nothing of it is kept: the pages (``website/docs/services/<service>/<resource>/index.md``) are read,
each statement of their ```sql blocks has its placeholders filled (tests/stackqlpages.py ``fill``) and is
prepared with ``EXPLAIN`` on ``vtab.connect()`` (no call is made), and a table of outcomes by cause is
printed. A statement that fails only for its ``RETURNING`` clause is counted apart (it prepares without it).

It then compares the pages with the statements tests/stackqlpages.py generates from vtab's catalog (which
the tests prepare in CI, where the pages are not): how many page statements it writes exactly, and the
differences by kind.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import apsw

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.stackqlpages, the generator the tests use

import vtab  # noqa: E402
from tests.stackqlpages import Kind, PageStatement, catalog_statements, fill  # noqa: E402
from vtab.sql.tokens import tokenize  # noqa: E402

PAGES = "website/docs/services"
SQL_BLOCK = re.compile(r"```sql\n(.*?)```", re.DOTALL)
PROPERTY_LINE = re.compile(r"""^\s+(\w+|'\{\{ \w+ \}\}'|"\w+": \w+)$""")
"""A line of a column list, a value list or a patch document's fields: one property."""
RETURNING = re.compile(r"\bRETURNING\b.*?(?=;|\Z)", re.DOTALL | re.IGNORECASE)


def read_pages(path: Path) -> Iterator[tuple[str, str]]:
    """(``<service>/<resource>``, page text) of every resource page, from a checkout or a bare git dir."""
    if (path / PAGES).is_dir():
        for page in sorted((path / PAGES).glob("*/*/index.md")):
            yield f"{page.parent.parent.name}/{page.parent.name}", page.read_text()
        return
    names = subprocess.run(
        ["git", "-C", str(path), "ls-tree", "-r", "--name-only", "HEAD", PAGES],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    for name in names:
        parts = name.split("/")
        if len(parts) == 6 and parts[-1] == "index.md":
            text = subprocess.run(
                ["git", "-C", str(path), "show", f"HEAD:{name}"], capture_output=True, text=True, check=True
            ).stdout
            yield f"{parts[3]}/{parts[4]}", text


def statements(block: str) -> list[str]:
    """The statements of one SQL block, split at the semicolons SQLite's tokens end them with."""
    found, start = [], 0
    for token in tokenize(block):
        if token.text == ";":
            found.append(block[start : token.end])
            start = token.end
    rest = block[start:]
    if rest.strip():
        found.append(rest)
    return [s for s in found if s.strip().strip(";").strip()]


def kind_of(sql: str) -> str:
    words = re.sub(r"/\*.*?\*/", " ", sql, flags=re.DOTALL).split()
    return words[0].upper() if words else "?"


NESTED_IDENTIFIER = re.compile(r"^\s+\w+/\w+,?$", re.MULTILINE)
"""``SELECT schedule/schedule_id``: the generator's nested identifier, a division to SQL."""


def cause(error: apsw.Error, sql: str) -> str:
    """The outcome's row of the table: the error with the statement's own names kept out."""
    text = str(error).split(";")[0]
    if "syntax error" in text and re.search(r"\(\s*,", sql):
        return "not SQL on the page: ( , region) (a type with no required property)"
    if text.startswith("no such column:") and NESTED_IDENTIFIER.search(sql):
        return "not SQL on the page: a nested identifier written as a division (schedule/schedule_id)"
    if "vtab has no table for it: StackQL's" in text:
        return "StackQL's own resource, no CloudFormation type (cloud_control, tagging, vw_): vtab says so"
    if "vtab has no table for it" in text:
        return "a type the catalog leaves out (RoboMaker: ended; no handlers): the error says why"
    if text.startswith("no such table:"):
        return "no such table: " + ".".join(text.split(": ", 1)[1].split(".")[:2]) + ".*"
    return re.sub(r"'[^']*'", "'...'", text)


def prepare(db: apsw.Connection, sql: str) -> str | None:
    """None when ``sql`` prepares, else its cause."""
    try:
        db.execute("EXPLAIN " + sql).fetchall()
    except apsw.Error as error:
        return cause(error, sql)
    return None


def measure(
    pages: list[tuple[str, str]],
) -> tuple[Counter[str], list[PageStatement], dict[str, list[str]]]:
    """Each statement prepared: the count by outcome, the statements as written, and the statements that
    do not prepare (``<service>/<resource> KIND``) by cause."""
    db = vtab.connect(regions="us-east-1", endpoint_url="http://127.0.0.1:9", cache_ttl=0)
    outcomes: Counter[str] = Counter()
    written: list[PageStatement] = []
    failing: dict[str, list[str]] = {}
    for page, text in pages:
        for block in SQL_BLOCK.findall(text):
            for sql in statements(block):
                written.append(PageStatement(page, Kind.GET, sql.strip("\n") + "\n"))
                filled = fill(sql)
                failed = prepare(db, filled)
                if failed is None:
                    outcomes[f"{kind_of(sql)}: prepares"] += 1
                elif RETURNING.search(filled) and prepare(db, RETURNING.sub("", filled)) is None:
                    outcomes[f"{kind_of(sql)}: fails only for RETURNING"] += 1
                else:
                    outcomes[f"{kind_of(sql)}: {failed}"] += 1
                    failing.setdefault(failed, []).append(f"{page} {kind_of(sql)}")
    return outcomes, written, failing


def unordered(sql: str) -> tuple[str, ...]:
    """``sql``'s lines, trailing commas dropped, sorted: vtab's catalog keeps a type's properties sorted by
    name (the registry's order is not kept), so the pages' column lists are compared without their order."""
    return tuple(sorted(line.rstrip(",") for line in sql.splitlines()))


def compare(written: list[PageStatement]) -> tuple[int, Counter[str], list[str]]:
    """How many page statements the generator writes (up to the order of the columns); the rest by kind
    (with examples)."""
    generated = list(catalog_statements())
    texts = {(s.page, unordered(s.sql)) for s in generated}
    by_page: dict[str, list[PageStatement]] = {}
    for statement in generated:
        by_page.setdefault(statement.page, []).append(statement)
    agree, differ, examples = 0, Counter[str](), []
    for statement in written:
        if (statement.page, unordered(statement.sql)) in texts:
            agree += 1
            continue
        kind = kind_of(statement.sql)
        ours = [s for s in by_page.get(statement.page, []) if kind_of(s.sql) == kind]
        if statement.page not in by_page:
            differ["no such page in vtab's catalog (see the outcomes above)"] += 1
            continue
        if not ours:
            differ[f"{kind}: the generator writes none for this type"] += 1
            continue
        closest = max(ours, key=lambda s: len(set(unordered(s.sql)) & set(unordered(statement.sql))))
        lines = set(unordered(closest.sql)) ^ set(unordered(statement.sql))
        if all(PROPERTY_LINE.match(line) for line in lines):
            differ[
                f"{kind}: the page's schema has other properties than vtab's catalog (newer or older)"
            ] += 1
            continue
        differ[f"{kind}: other"] += 1
        if len(examples) < 30:
            examples.append(f"{statement.page} {kind}:\n--- page\n{statement.sql}--- vtab\n{closest.sql}")
    return agree, differ, examples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", type=Path, help="a copy of stackql-registry/stackql-provider-awscc")
    parser.add_argument("--examples", action="store_true", help="show some differences in full")
    args = parser.parse_args()
    pages = list(read_pages(args.path))
    outcomes, written, failing = measure(pages)
    print(f"{len(pages):,} pages, {len(written):,} statements\n")
    print("| outcome | statements |\n|---|---:|")
    for outcome, count in sorted(outcomes.items(), key=lambda item: (-item[1], item[0])):
        print(f"| {outcome} | {count:,} |")
    print("\nthe statements that do not prepare, by cause:")
    for why, statements_ in sorted(failing.items(), key=lambda item: -len(item[1])):
        print(f"  {len(statements_):,}  {why}")
        for name in sorted(set(statements_)):
            print(
                f"        {name} (x{statements_.count(name)})"
                if statements_.count(name) > 1
                else f"        {name}"
            )
    agree, differ, examples = compare(written)
    print(
        f"\nthe generator (tests/stackqlpages.py) writes {agree:,} of the {len(written):,} page statements "
        "(the same text, up to the order of the columns)"
    )
    for why, count in differ.most_common():
        print(f"  {count:,}  {why}")
    if args.examples:
        print("\n".join(examples))


if __name__ == "__main__":
    main()
