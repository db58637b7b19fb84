"""The last-resort wrapper of apsw callbacks (sqlite.callbacks): only bugs are wrapped, and they say so."""

from __future__ import annotations

import apsw
import pytest

from vtab.sqlite import callbacks


@callbacks.guarded
def _fails(error: BaseException) -> None:
    raise error


def test_a_bare_python_exception_becomes_an_internal_error_that_keeps_its_text() -> None:
    original = KeyError("ResourceDescription")
    with pytest.raises(apsw.InternalError) as caught:
        _fails(original)
    assert str(caught.value).startswith("vtab bug: KeyError: 'ResourceDescription' (in _fails)")
    assert caught.value.__cause__ is original


@pytest.mark.parametrize(
    "error",
    [apsw.ConstraintError("api_id = NULL: ..."), apsw.InterruptError("Interrupted"), KeyboardInterrupt()],
)
def test_apsw_errors_and_interrupts_pass_unchanged(error: BaseException) -> None:
    with pytest.raises(type(error)) as caught:
        _fails(error)
    assert caught.value is error


def test_every_table_and_cursor_callback_is_guarded() -> None:
    from vtab.sqlite.table import Cursor, Module, Table

    for owner, names in (
        (Module, ["Connect", "Create"]),
        (
            Table,
            ["BestIndexObject", "UpdateInsertRow", "UpdateChangeRow", "UpdateDeleteRow", "Sync", "Begin"],
        ),
        (Cursor, ["Filter", "Next", "Close"]),
    ):
        for name in names:
            assert getattr(owner, name).__wrapped__ is not None, f"{owner.__name__}.{name}"
