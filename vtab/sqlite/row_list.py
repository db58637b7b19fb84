"""A cursor over rows its ``Filter`` makes whole in a list: the small tables vtab answers itself."""

from __future__ import annotations

from typing import Any


class RowListCursor:
    """``Eof``/``Next``/``Column``/``Rowid`` over ``self.rows``; a subclass's ``Filter`` fills the list and
    sets ``at`` to 0 (vtab_accounts, vtab_columns)."""

    def __init__(self) -> None:
        self.rows: list[tuple[Any, ...]] = []
        self.at = 0

    def Eof(self) -> bool:
        return self.at >= len(self.rows)

    def Next(self) -> None:
        self.at += 1

    def Column(self, number: int) -> Any:
        if number == -1:
            return self.at
        return self.rows[self.at][number]

    def Rowid(self) -> int:
        return self.at

    def Close(self) -> None:
        self.rows = []
