"""What a ``--resume`` may be given: the run's own selection, or none; and ``on_error``.

A resume continues the last run of the file with the tasks it recorded; a different ``tables``,
``skip_tables`` or ``regions`` would be silently ignored, so it is refused, naming each. ``on_error`` says
only how this run goes on after a failure: left out, the run's is kept (a run begun with ``fail`` still
stops at a failure); given, it is taken, and kept in the run's settings for a later resume. A run whose
every task is done has nothing to resume: the resume says so instead of showing that run's totals as its
own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import orjson

from vtab.options import OptionError
from vtab.sync.plan import OnError, patterns

SELECTION = ("tables", "skip_tables", "regions")
"""The settings that choose a run's tasks, kept in ``_vtab_sync_runs.settings``."""


class NothingToResume(Exception):
    """The last run of the file has no task left to run (every one is done)."""


def given_selection(
    tables: str | Sequence[str] | None, skip_tables: str | Sequence[str], regions: Sequence[str] | str | None
) -> dict[str, list[str]]:
    """The selection options given, as a run keeps them (lower-case patterns, ``['all']`` for every
    region): a new run keeps them, a resume is compared on them."""
    found: dict[str, list[str]] = {}
    if tables is not None:
        found["tables"] = _lower(tables) or ["*"]
    if patterns(skip_tables):
        found["skip_tables"] = _lower(skip_tables)
    if regions is not None:
        found["regions"] = _lower(regions)
    return found


def _lower(value: str | Sequence[str]) -> list[str]:
    return [pattern.lower() for pattern in patterns(value)]


def selection(given: dict[str, list[str]]) -> dict[str, list[str]]:
    """A new run's selection: the given options, the defaults for the others but regions (the default
    region is not kept: a resume naming regions is then not compared on them)."""
    return {"tables": ["*"], "skip_tables": []} | given


def check_selection(settings: str, given: Mapping[str, list[str]], path: str) -> None:
    """Refuse the given selection options that differ from the run's (``settings``: its JSON); an option
    the run did not keep (a file of an older vtab) is not compared."""
    kept = orjson.loads(settings)
    kept.setdefault("skip_tables", _lower(kept.get("skip", ())))  # an older vtab's key
    if "tables" in kept:
        kept["tables"] = _lower(kept["tables"]) or ["*"]
    differ = [
        f"{name}={','.join(value)!r} (the run's: {','.join(kept[name])!r})"
        for name, value in given.items()
        if name in kept and list(kept[name]) != value
    ]
    if differ:
        raise OptionError(
            f"--resume continues the last sync of {path} with its own selection, and {'; '.join(differ)} "
            "differ from it: leave them out of the resume (or give the run's), or run a new sync without "
            "--resume"
        )


def resumed_on_error(settings: str, given: OnError | None) -> tuple[OnError, str | None]:
    """The ``on_error`` a resume runs under: ``given``, else the run's (``settings``: its JSON; a file of
    an older vtab without one: skip); and the run's settings JSON to keep when ``given`` changes them
    (None: unchanged)."""
    kept = orjson.loads(settings)
    runs = OnError(kept.get("on_error", OnError.SKIP.value))
    if given is None or given is runs:
        return runs, None
    return given, orjson.dumps(kept | {"on_error": given.value}).decode()
