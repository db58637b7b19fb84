"""A row's cells made in one pass by Next, so that SQLite's per-cell ``Column`` runs no Python.

apsw calls ``Column`` once per cell SQLite asks for (every shown column of every row of a SELECT *), looking
the name up on the cursor object each time. When Next has put the row's cells, already as SQLite takes
them, in a list, the cursor's ``Column`` can be that list's own ``__getitem__``: a builtin, with no Python
frame per cell. Only the columns the statement uses (SQLite's colUsed, given to BestIndex) are made; the
others are NULL, which SQLite never asks.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from vtab.read.rows import Row
from vtab.sqlite.columns import Columns

if TYPE_CHECKING:
    import apsw

    CellReader = Callable[[Row], apsw.SQLiteValue]

BEYOND = 63
"""colUsed's last bit: "column 63 or any after it" (SQLite's mask is 64 bits wide)."""

_NOT_TEXT = frozenset({dict, list, int})
"""What a string property may hold in a malformed answer that SQLite cannot take as it is: objects and
arrays (JSON text), integers (one beyond 64 bits as its digits)."""
"""What a string property's cell may hold in a malformed answer, shown as JSON text (a number or a boolean
is shown as it is, as ``Column`` shows it)."""


def uses(used: Collection[int], number: int) -> bool:
    """Whether column ``number`` is in SQLite's colUsed."""
    return number in used or (number >= BEYOND and BEYOND in used)


class RowCells:
    """How Next makes a row's cells for one statement's plan: the properties it shows, where each goes,
    which are converted (numbers take the column's affinity, objects become JSON text) and which are
    vtab's own (region, account, identifier), read from the row."""

    def __init__(self, columns: Columns, used: Collection[int], own_readers: dict[int, CellReader]) -> None:
        count = len(columns.names)
        shown = [number for number in range(count) if uses(used, number)]
        width = max(shown, default=-1) + 1
        self._properties: list[str | None] = [
            columns.cell_properties[number] if number in shown else None for number in range(width)
        ]
        """Column number -> the property a used cell shows (None: not used, or vtab's own)."""
        self._padding: list[None] = [None] * (count + 1 - width)
        """The cells past the last used one, and the rowid's (-1, which SQLite asks Rowid for)."""
        property_cells = [number for number in shown if columns.cell_properties[number] is not None]
        text = [number for number in property_cells if columns.is_text(columns.names[number])]
        self._texts = text
        """Used columns of string properties: their values are text as they come, checked once a row."""
        self._text_cells = itemgetter(*text, *text[:1]) if text else None
        """The text cells of a row, as a tuple, in one C call (the first twice: a tuple even for one)."""
        self._converted = [
            (number, columns.converters[number]) for number in property_cells if number not in text
        ]
        self._all_converters = columns.converters
        self._own = [(number, own_readers[number]) for number in shown if number in own_readers]
        """(column number, reader) of the used columns that are no property."""

    def of(self, row: Row) -> list[Any]:
        """The row's cells by column number, as SQLite takes them (the rowid's last)."""
        cells = list(map(row.properties.get, self._properties))  # type: ignore[arg-type]  # None: no key
        cells += self._padding
        for number, convert in self._converted:
            value = cells[number]
            if value is not None and type(value) is not str:
                cells[number] = convert(value)
        if self._text_cells is not None and not _NOT_TEXT.isdisjoint(map(type, self._text_cells(cells))):
            for number in self._texts:
                value = cells[number]
                if type(value) in _NOT_TEXT:
                    cells[number] = self._all_converters[number](value)
        for number, read in self._own:
            cells[number] = read(row)
        return cells
