"""The folders are the architecture: each layer imports only the layers below it (no cycles between them).

catalog (type facts) <- aws (calls) <- read, write <- sqlite (the apsw glue) <- sync (estate copies)
<- cli, and <- dbapi (PEP 249) <- sqlalchemy (the vtab:// dialect); ``sql`` (the statement's
text, tracking and interruption), ``messages``, ``hints``, ``options`` and ``terminal`` (what may reach a
terminal) are shared below them all, and the emulator stands beside the client, sharing only the catalog.
"""

from __future__ import annotations

import ast
from pathlib import Path

VTAB = Path(__file__).resolve().parent.parent / "vtab"

ALLOWED: dict[str, set[str]] = {
    "messages": set(),
    "hints": set(),
    "terminal": set(),
    "catalog": {"messages"},
    "options": {"catalog", "hints", "messages"},
    "sql": {"messages", "hints"},
    "aws": {"catalog", "options", "sql", "messages", "hints"},
    "read": {"catalog", "aws", "options", "sql", "messages", "hints", "terminal"},
    "write": {"catalog", "aws", "options", "read", "sql", "messages", "hints"},
    "sqlite": {"catalog", "aws", "options", "read", "write", "sql", "messages", "hints"},
    "cli": {
        "catalog",
        "aws",
        "options",
        "read",
        "write",
        "sql",
        "sqlite",
        "sync",
        "messages",
        "hints",
        "terminal",
        "emulator",
        "__init__",
    },
    "sync": {"catalog", "aws", "options", "sqlite", "messages", "hints", "terminal"},
    "dbapi": {"sqlite", "read", "sql", "options", "messages", "hints"},
    "sqlalchemy": {"dbapi", "sqlite", "options", "messages", "hints"},
    "emulator": {"catalog", "messages"},
    "__init__": {"options", "sqlite", "sync"},
}


def layer_of(path: Path) -> str:
    parts = path.relative_to(VTAB).with_suffix("").parts
    return parts[0]


def imported_layers(path: Path) -> set[str]:
    layers = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "vtab":
                layers.update(alias.name for alias in node.names)
            elif node.module.startswith("vtab."):
                layers.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            layers.update(a.name.split(".")[1] for a in node.names if a.name.startswith("vtab."))
    return layers


def test_every_module_imports_only_the_layers_below_it() -> None:
    wrong = []
    for path in sorted(VTAB.rglob("*.py")):
        layer = layer_of(path)
        assert layer in ALLOWED, f"{path}: a new top-level part of vtab; give it a place in ALLOWED"
        for other in imported_layers(path) - {layer} - ALLOWED[layer]:
            wrong.append(f"{path.relative_to(VTAB)} imports vtab.{other}")
    assert wrong == []


def test_the_layers_form_no_cycle() -> None:
    seen: dict[str, int] = {}

    def visit(layer: str, trail: tuple[str, ...]) -> None:
        assert layer not in trail, " -> ".join((*trail, layer))
        for below in ALLOWED[layer]:
            visit(below, (*trail, layer))

    for layer in ALLOWED:
        visit(layer, ())
        seen[layer] = 1
    assert len(seen) == len(ALLOWED)


def module_name(path: Path) -> str:
    parts = path.relative_to(VTAB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, known: set[str]) -> set[str]:
    """The vtab modules ``path`` imports at run time, wherever the import stands (a function's body
    included), but not those under ``if TYPE_CHECKING:`` (type names only)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("vtab"):
            for alias in node.names:
                child = f"{node.module}.{alias.name}"
                found.add(child if child in known else node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("vtab"))
    return {name for name in found if name in known}


def test_modules_form_no_import_cycle() -> None:
    """Within and across layers: a cycle hidden in a function-level import is still a cycle."""
    paths = {module_name(path): path for path in VTAB.rglob("*.py")}
    graph = {name: imported_modules(path, set(paths)) - {name} for name, path in paths.items()}
    cycles = []
    done: set[str] = set()

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            cycles.append(" -> ".join((*trail[trail.index(name) :], name)))
            return
        if name in done:
            return
        for other in sorted(graph[name]):
            visit(other, (*trail, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())
    assert cycles == []
