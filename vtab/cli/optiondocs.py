"""The documentation of each option, read from :class:`vtab.options.Options` itself.

The field docstrings are the one description of an option: ``vtab --help`` shows them as flag help and
``make docs`` writes them into docs/options.md's options table (scripts/docgen.py), so neither can drift.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import itertools
import re
import textwrap
from typing import Any

from vtab.options import Options

DEFAULT_TEXT = {
    "profile": "boto3 chain",
    "regions": "boto3 default region",
    "endpoint_url": "boto3's",
    "account_id": "looked up (STS)",
}
"""How an option's empty default reads, where "none" would not say what happens."""


def field_docs() -> dict[str, str]:
    """Option name -> its attribute docstring, on one line (``None`` written ``none``, as in SQL)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(Options)))
    except (OSError, TypeError, SyntaxError):
        return {}
    docs: dict[str, str] = {}
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            text = " ".join(following.value.value.split()).replace("``", "")
            docs[node.target.id] = re.sub(r"\bNone\b", "none", text)
    return docs


def default_text(name: str, value: Any) -> str:
    """A default as a user writes it in SQL or on the command line (``30``, ``false``, ``none``)."""
    if name in DEFAULT_TEXT and value in (None, ()):
        return DEFAULT_TEXT[name]
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(value) or "none"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def options_table() -> str:
    """docs/options.md's options table (Markdown), one row per Options field, in declaration order."""
    docs = field_docs()
    defaults = Options()
    lines = ["| option | default | meaning |", "|---|---|---|"]
    for field in dataclasses.fields(Options):
        if field.name not in Options.names():
            continue
        default = default_text(field.name, getattr(defaults, field.name))
        meaning = docs.get(field.name, "").replace("|", "\\|")
        lines.append(f"| `{field.name}` | {default} | {meaning} |")
    return "\n".join(lines) + "\n"
