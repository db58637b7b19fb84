"""PEP 249's exceptions, and apsw's errors mapped onto them with vtab's messages kept.

apsw raises one class per SQLite result code; a DB-API caller (SQLAlchemy, pandas) catches PEP 249's
classes instead. ``translated()`` re-raises each apsw error as the PEP 249 class its kind belongs to, with
the same text (vtab's message: the column, the value and the fix), SQLite's code on it as Python's sqlite3
module names it (``sqlite_errorcode``, ``sqlite_errorname``), and the apsw error as its ``__cause__``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import apsw


class Warning(Exception):
    """PEP 249's Warning (vtab itself warns through Python's warnings module, e.g. ShadowedTableWarning)."""


class Error(Exception):
    """The base of every error vtab.dbapi raises."""

    sqlite_errorcode: int | None = None
    """SQLite's extended result code (as Python's sqlite3 module names it), when SQLite or vtab gave one."""
    sqlite_errorname: str | None = None
    """That code's name (``SQLITE_CONSTRAINT``), when known."""


class InterfaceError(Error):
    """A misuse of this module: a closed connection or cursor, fetching with no statement run."""


class DatabaseError(Error):
    """An error of the database: the base of those below."""


class DataError(DatabaseError):
    """A value too big for SQLite or Cloud Control."""


class OperationalError(DatabaseError):
    """An error while running: AWS throttled or was unreachable (retry), a refusal of the connection's
    read_only, a lock, an interrupt, a file that cannot be opened."""


class IntegrityError(DatabaseError):
    """A write a constraint refuses: a required column left NULL, a value outside the schema's limits, a
    resource that already exists."""


class InternalError(DatabaseError):
    """An error inside SQLite or apsw."""


class ProgrammingError(DatabaseError):
    """An error in the SQL or its options: a syntax error, an unknown table or column, a read without the
    WHERE it needs, a bad option value, the wrong number of parameters."""


class NotSupportedError(DatabaseError):
    """Something vtab or SQLite does not do (PEP 249 names it; vtab.dbapi raises it for nothing yet)."""


KINDS: tuple[tuple[tuple[type[BaseException], ...], type[Error]], ...] = (
    ((apsw.ConnectionClosedError, apsw.CursorClosedError, apsw.ExecutionCompleteError), InterfaceError),
    ((apsw.ThreadingViolationError, apsw.IncompleteExecutionError, apsw.MisuseError), InterfaceError),
    ((apsw.SQLError, apsw.BindingsError, apsw.RangeError, apsw.AuthError), ProgrammingError),
    ((apsw.ConstraintError, apsw.MismatchError), IntegrityError),
    ((apsw.TooBigError,), DataError),
    ((apsw.InternalError, apsw.NoMemError), InternalError),
    (
        (
            apsw.BusyError,
            apsw.LockedError,
            apsw.InterruptError,
            apsw.IOError,
            apsw.CantOpenError,
            apsw.ReadOnlyError,
            apsw.PermissionsError,
            apsw.AbortError,
            apsw.FullError,
            apsw.ProtocolError,
            apsw.SchemaChangeError,
            apsw.NotFoundError,
            apsw.NoLFSError,
        ),
        OperationalError,
    ),
)
"""apsw's error classes -> the PEP 249 class they raise as, first match wins; any other apsw.Error is a
DatabaseError. As PEP 249 describes its classes, which differs from Python's sqlite3 in one place: an
error in the SQL (SQLITE_ERROR: syntax, no such table, vtab's refusals of a statement) is a
ProgrammingError, not an OperationalError."""


def pep249_class(error: BaseException) -> type[Error]:
    """The PEP 249 class ``error`` (an apsw error) is raised as."""
    for apsw_classes, kind in KINDS:
        if isinstance(error, apsw_classes):
            return kind
    return DatabaseError


def _primary_codes() -> dict[type[BaseException], int]:
    codes: dict[type[BaseException], int] = {}
    for name, code in apsw.mapping_result_codes.items():
        with contextlib.suppress(ValueError):  # SQLITE_OK, _ROW, _DONE, _NOTICE, _WARNING name no error
            if isinstance(name, str) and isinstance(code, int):
                codes[type(apsw.exception_for(code))] = code
    return codes


PRIMARY_CODES = _primary_codes()
"""apsw's error class -> SQLite's primary result code it stands for: the code of an error vtab raised itself
(a vtab.options refusal, a constraint; vtab's subclasses too), which SQLite did not set on it."""


def as_pep249(error: apsw.Error) -> Error:
    """``error`` as its PEP 249 class, with the same message and SQLite's result code (the extended one
    when SQLite gave it, else the primary code of the error's class)."""
    mapped = pep249_class(error)(*error.args)
    code = getattr(error, "extendedresult", None)
    if not isinstance(code, int):
        code = next((PRIMARY_CODES[kind] for kind in type(error).__mro__ if kind in PRIMARY_CODES), None)
    if isinstance(code, int):
        mapped.sqlite_errorcode = code
        name = apsw.mapping_result_codes.get(code & 0xFF)
        mapped.sqlite_errorname = name if isinstance(name, str) else None
    return mapped


@contextlib.contextmanager
def translated(explain: Callable[[apsw.Error], None] | None = None) -> Iterator[None]:
    """Raise apsw's errors inside the block as PEP 249's (see the module docstring), after ``explain``
    gave the error vtab's words; a TypeError of a parameter apsw cannot bind is a ProgrammingError too."""
    try:
        yield
    except apsw.Error as error:
        if explain is not None:
            explain(error)
        raise as_pep249(error) from error
    except TypeError as error:
        if "binding" not in str(error).lower():
            raise
        raise ProgrammingError(*error.args) from error
