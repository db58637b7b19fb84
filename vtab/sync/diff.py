"""What changed between two syncs, from Python: ``vtab.sync.diff.diff("old.db", "new.db")`` (docs/diff.md).

The diff itself lives in vtab.sqlite.diff, below the apsw glue, because the ``vtab_diff`` table-valued
function that register() installs iterates it too; this module is its front door beside the sync, and
says what a diff left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from vtab.sqlite.diff import CHANGE_COLUMNS, Change, ChangeKind, Diff, DiffError, LeftOut
from vtab.sqlite.diff_versions import time_text

LEFT_OUT_SHOWN = 10
"""At most this many left-out places are named one by one; the output's ``unknown`` rows name them all."""


def diff(
    old: str,
    new: str | None = None,
    *,
    from_time: str | None = None,
    to_time: str | None = None,
    tables: str | None = None,
) -> Diff:
    """The diff of sync file ``old`` against ``new`` (each as its latest sync, or as of the times given),
    or of two synced times of one ``append`` file (``new`` None: its last two by default). Iterate it for
    the changes; ``left_out`` names the places compared in neither direction; close it when done (it is a
    context manager)."""
    return Diff(old, new, from_time, to_time, tables)


def left_out_text(left_out: Sequence[LeftOut]) -> str:
    """What a diff left out, for stderr: a place synced completely in only one version is neither added
    nor removed, and the reader must know which ones those are."""
    if not left_out:
        return ""
    count = len(left_out)
    lines = [
        f"{count} place{'' if count == 1 else 's'} (table in account/region) not compared: a sync there "
        "did not finish in both versions, so their resources are neither added nor removed (the "
        "output's 'unknown' rows name them):"
    ]
    lines += [f"  {gap.place}: {gap.reason}" for gap in left_out[:LEFT_OUT_SHOWN]]
    if count > LEFT_OUT_SHOWN:
        lines.append(f"  ... and {count - LEFT_OUT_SHOWN} more")
    return "\n".join(lines)


__all__ = [
    "CHANGE_COLUMNS",
    "Change",
    "ChangeKind",
    "Diff",
    "DiffError",
    "LeftOut",
    "diff",
    "left_out_text",
    "time_text",
]
