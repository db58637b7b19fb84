"""What a ``--resume`` may be given: the run's own selection, or none; and ``on_error``.

A resume continues the last run of the file with the tasks it recorded; a different ``tables``,
``skip_tables`` or ``regions`` would be silently ignored, so it is refused, naming each. Its account
options (which accounts, as whom: ``CREDENTIAL_OPTIONS``) must be the run's, or its tasks would read other
accounts into the same file: a different one is refused, naming each with the run's value (kept in the
run's settings; ``external_id`` as a digest only, never its value). ``on_error`` says
only how this run goes on after a failure: left out, the run's is kept (a run begun with ``fail`` still
stops at a failure); given, it is taken, and kept in the run's settings for a later resume. A run whose
every task is done has nothing to resume: the resume says so instead of showing that run's totals as its
own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson

from vtab import hints
from vtab.options import CREDENTIAL_OPTIONS, OptionError, Options
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
        f"{hints.assignment(name, repr(','.join(value)))} (the run's: {','.join(kept[name])!r})"
        for name, value in given.items()
        if name in kept and set(kept[name]) != set(value)  # the same names in another order select alike
    ]
    if differ:
        raise OptionError(
            f"--resume continues the last sync of {path} with its own selection, and {'; '.join(differ)} "
            f"{'differs' if len(differ) == 1 else 'differ'} from it: leave "
            f"{'it' if len(differ) == 1 else 'them'} out of the resume (or give the run's), or run a new "
            "sync without --resume"
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


ACCOUNT_OPTIONS = "account_options"
"""The key of the run's settings that keeps its account options (``kept_account_options``)."""

NOT_KEPT = ("external_id",)
"""Account options a run does not keep in its settings: an external id guards a role's trust, and the
file is opened by whoever reads the inventory (the run's digest covers it still)."""


def credentials_digest(options: Options) -> str:
    """A digest of the account options: a resume must reach the same accounts as the same caller."""
    return _digest({name: getattr(options, name) for name in CREDENTIAL_OPTIONS})


def _digest(values: Mapping[str, Any]) -> str:
    """The digest of option values (tuples or the lists JSON gave back alike)."""
    ordered = {name: values[name] for name in sorted(values)}
    return hashlib.sha256(orjson.dumps(ordered, default=str)).hexdigest()[:16]


def kept_account_options(options: Options) -> dict[str, Any]:
    """The account options as a run keeps them in its settings (as JSON has them), for a resume to name
    the one that differs; not those in ``NOT_KEPT``."""
    kept = {name: getattr(options, name) for name in sorted(CREDENTIAL_OPTIONS) if name not in NOT_KEPT}
    found: dict[str, Any] = orjson.loads(orjson.dumps(kept, default=str))
    return found


def check_account_options(settings: str, digest: str, options: Options, path: str) -> None:
    """Refuse a resume whose account options (``options``) differ from the run's (``settings``: its JSON;
    ``digest``: the run's digest of them all), naming each with the run's value; the digest alone tells
    an option the run did not keep (``NOT_KEPT``), or any, for a file of an older vtab, which kept none."""
    if credentials_digest(options) == digest:
        return
    kept = orjson.loads(settings).get(ACCOUNT_OPTIONS)
    given = kept_account_options(options)
    named = []
    if isinstance(kept, dict):
        named = [
            _differs(name, value, kept.get(name)) for name, value in given.items() if kept.get(name) != value
        ]
        unkept = {name: getattr(options, name) for name in NOT_KEPT}
        if _digest(kept | unkept) != digest:  # the run's kept values and this one: still not the run's
            which = " or ".join(hints.option(name) for name in NOT_KEPT)
            named.append(f"{which} (the file keeps no value of it, only a digest, which differs)")
    if not named:  # a file of an older vtab keeps the digest only
        raise OptionError(
            f"the last sync of {path} read other accounts or as another caller (its account options, "
            "profile or endpoint differ): resume it with the same options it was run with, or run a new "
            "sync without --resume"
        )
    raise OptionError(
        f"--resume continues the last sync of {path} in the accounts it read, as the caller it read them "
        f"as, but {'these account options differ' if len(named) > 1 else 'this account option differs'}: "
        f"{'; '.join(named)}: give the run's options (its tasks would otherwise read other accounts into "
        "the same file), or run a new sync without --resume"
    )


def _differs(name: str, given: Any, kept: Any) -> str:
    """``--accounts 'org' (the run's: '111111111111')``, as the reader spells the option."""
    shown = hints.assignment(name, repr(_text(given))) if _text(given) else f"{hints.option(name)} not given"
    return f"{shown} (the run's: {repr(_text(kept)) if _text(kept) else 'not given'})"


def _text(value: Any) -> str:
    """An option's value as it is written: a list comma-separated; none as empty."""
    if value is None:
        return ""
    return ",".join(map(str, value)) if isinstance(value, list) else str(value)
