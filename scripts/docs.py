"""Regenerate the generated parts of the documentation, or check that they are current.

    python scripts/docs.py          # make docs: rewrite every [[[cog ... ]]] block of the pages
    python scripts/docs.py --check  # exit 1, naming the stale page (tests/test_docs.py runs it)

The pages are README.md, the emulator's README and every Markdown file under docs/ that has a ``[[[cog``
block; the blocks call ``scripts/docgen.py`` (imported as ``d``), so options, commands and the catalog's
counts come from the code.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cogapp import Cog

ROOT = Path(__file__).resolve().parent.parent
MARKER = "[[[" + "cog"


def pages() -> list[Path]:
    """Every page with a generated part, README.md first."""
    candidates = [
        ROOT / "README.md",
        ROOT / "vtab" / "emulator" / "README.md",
        *sorted((ROOT / "docs").rglob("*.md")),
    ]
    return [page for page in candidates if MARKER in page.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only check that every page is current")
    args = parser.parse_args(argv)
    mode = ["--check", "--diff", "--check-fail-msg", "run make docs"] if args.check else ["-r"]
    command = [
        "cog",
        *mode,
        "-U",
        "--verbosity",
        "1",
        "-I",
        str(ROOT / "scripts"),
        "-p",
        "import docgen as d",
    ]
    return Cog().main([*command, *(str(page) for page in pages())])


if __name__ == "__main__":
    sys.exit(main())
