"""The listings of a read that failed, each for its own place and type, never the end of the others.

A read over many types and places (``vtab_resources``) meets types the caller may not list
(AccessDenied) or that a region does not offer (TypeNotFound, UnsupportedAction): each is recorded here
with AWS's code and message while the other listings go on. At the end of the statement the failures are
its error, naming every one (what ``on_account_error = 'fail'`` does); under ``skip`` they are to become
rows of ``vtab_errors`` instead, the other rows coming back.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import apsw

_CODE = re.compile(r"^(HTTP \d{3}|[A-Za-z][A-Za-z0-9.]*):")
"""The AWS code an error of vtab.aws.errors starts with (``AccessDeniedException: ...``)."""


@dataclass(frozen=True)
class ListingFailure:
    """One listing that failed: where, which type, AWS's code and the whole message."""

    account_id: str
    region: str
    type_name: str
    code: str
    message: str
    kind: type[apsw.Error] = apsw.SQLError
    """The error class the failure was raised as (a statement failing on it alone raises the same)."""
    parent: str | None = None
    """The parent type whose failed listing this walk would have made (no call was made for it)."""

    def text(self) -> str:
        where = f"{self.type_name} in account {self.account_id} {self.region}"
        if self.parent is not None:
            return (
                f"{where}: {self.code}: not listed, its walk lists {self.parent}, whose listing failed there"
            )
        return f"{where}: {self.message}"

    def under(self, type_name: str) -> ListingFailure:
        """The failure of ``type_name``'s walk, which lists this failed type: no call made for it."""
        return ListingFailure(
            self.account_id, self.region, type_name, self.code, self.message, self.kind, self.type_name
        )


def failure_of(account_id: str, region: str, type_name: str, error: apsw.Error) -> ListingFailure:
    """The failure a listing's error is (its code read from the message vtab.aws.errors wrote)."""
    message = str(error)
    found = _CODE.match(message)
    code = found[1] if found else type(error).__name__
    return ListingFailure(account_id, region, type_name, code, message, type(error))


class Failures:
    """The failed listings of one statement, recorded from any thread."""

    def __init__(self) -> None:
        self._failures: list[ListingFailure] = []
        self._lock = threading.Lock()

    def add(self, failure: ListingFailure) -> None:
        with self._lock:
            self._failures.append(failure)

    def of_parent(self, account_id: str, region: str, parents: tuple[str, ...]) -> ListingFailure | None:
        """The failure of one of ``parents`` listed alone in the same place, if any: a walk that lists it
        would fail alike (listings run parents first: vtab.read.resources_scan)."""
        with self._lock:
            return next(
                (
                    failure
                    for failure in self._failures
                    if failure.type_name in parents
                    and (failure.account_id, failure.region) == (account_id, region)
                    and failure.parent is None
                ),
                None,
            )

    def snapshot(self) -> list[ListingFailure]:
        """The failures so far, by account and region, the failed calls before the walks they failed (the
        same order every run)."""
        with self._lock:
            return sorted(
                self._failures, key=lambda f: (f.account_id, f.region, f.parent is not None, f.type_name)
            )

    def error(self, table: str, listed: int) -> apsw.Error | None:
        """The statement's error naming every failure (None: none failed): of their class when they share
        one (all AccessDenied: PermissionsError), else SQLError."""
        failures = self.snapshot()
        if not failures:
            return None
        kinds = {failure.kind for failure in failures}
        kind = kinds.pop() if len(kinds) == 1 else apsw.SQLError
        codes = sorted({failure.code for failure in failures})
        return kind(
            f"{', '.join(codes)}: {len(failures)} of {listed:,} listings of {table} failed (the others' rows "
            f"were read): {'; '.join(failure.text() for failure in failures)}. Leave those types or regions "
            f"out (WHERE type_name ... / region ...), or grant the permissions named [{table}]"
        )
