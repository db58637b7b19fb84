"""The shell's connections: which Registry vtab gave each one (the output and the dot-commands ask it
about vtab's tables), and ``--read-only``, which opens every database read-only, also after ``.open``.
Kept apart from the shell's other parts so each of them asks one place what the current connection is."""

from __future__ import annotations

import weakref
from typing import Any, ClassVar

import apsw
from apsw.shell import Shell

from vtab.sqlite.install import open_database
from vtab.sqlite.read_only import explain_read_only
from vtab.sqlite.registry import Registry


class ConnectionShell(Shell):
    """apsw's shell, knowing the Registry of each connection the connection hook (run_shell) registered
    vtab on, and opening databases read-only under ``--read-only`` as sqlite3 -readonly does."""

    registries: ClassVar[weakref.WeakKeyDictionary[apsw.Connection, Registry]] = weakref.WeakKeyDictionary()
    """Every connection the hook registered vtab on, with its Registry."""

    def __init__(self, *args: Any, read_only: bool = False, **kwargs: Any) -> None:
        self.read_only = read_only
        """``--read-only``: every database the shell opens (the first, ``.open``) is opened read-only."""
        super().__init__(*args, **kwargs)

    @property
    def registry(self) -> Registry | None:
        """The current connection's Registry; None for a connection vtab is not registered on."""
        return self.registries.get(self.db)

    def explain(self, failure: BaseException) -> None:
        """A write to a database file under --read-only says why it is refused and what to do."""
        if self.read_only:
            explain_read_only(failure, self.registry)

    # -- --read-only: the database is opened read-only, as sqlite3 -readonly opens it, also after .open ----

    def _ensure_db(self) -> apsw.Connection:
        if self._db is None and self.read_only:
            filename = self.dbfilename or ":memory:"
            try:
                db = open_database(filename, read_only=True, uri=True)
            except apsw.CantOpenError as error:
                raise self.Error(str(error)) from None
            self._set_db((db, filename))
        return super()._ensure_db()

    db = property(_ensure_db, Shell._set_db, None, "The current connection (read-only under --read-only).")

    def command_open(self, cmd: list[str]) -> None:
        """``.open [--vfs VFS] [FILE]``: under --read-only the file is opened read-only too; ``--flags``
        and ``--wipe`` (which deletes the file) are refused there."""
        if self.read_only:
            refused = [word for word in cmd if word in ("--flags", "--wipe")]
            if refused:
                raise self.Error(
                    f".open {refused[0]}: the shell runs with --read-only, so .open opens files read-only "
                    "(as sqlite3 -readonly); run vtab shell without --read-only to write or wipe a file"
                )
            cmd = [*cmd, "--flags", "READONLY|URI"]
        super().command_open(cmd)
