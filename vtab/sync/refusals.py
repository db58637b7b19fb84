"""Accounts whose role was refused, learned once per sync.

A task of an account that needs AssumeRole assumes it on its connection; a refused role (the account
locked, its trust policy changed) fails every task of the account the same way. Without this, each task
would ask STS again: thousands of AccessDenied in the account's CloudTrail for one fact. So the first task
of each account runs alone (its other tasks, in any region's shard, wait for it); if its AssumeRole was
refused, the account's other tasks fail with the same code and message without a call.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

ASSUME_ROLE = "AssumeRole"


@dataclass(frozen=True)
class Refusal:
    """What STS answered an account's AssumeRole: the code and message every task of it records."""

    error_code: str
    error_message: str


class RoleRefusals:
    """Per account: refused (with the answer), known to pass, or being learned by its first task."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._first: dict[str, threading.Event] = {}
        self._refused: dict[str, Refusal] = {}

    def before(self, account_id: str) -> tuple[bool, Refusal | None]:
        """Whether this task is the account's first (it must call ``learned`` after), and the account's
        refusal if one is known; a later task waits here until the first one has run."""
        with self._lock:
            refused = self._refused.get(account_id)
            first = self._first.get(account_id)
            if refused is None and first is None:
                self._first[account_id] = threading.Event()
                return True, None
        if refused is None and first is not None:
            first.wait()
            with self._lock:
                refused = self._refused.get(account_id)
        return False, refused

    def learned(self, account_id: str, refusal: Refusal | None) -> None:
        """A task of the account ran: its AssumeRole was refused (``refusal``) or not; the account's waiting
        tasks go on."""
        with self._lock:
            if refusal is not None:
                self._refused.setdefault(account_id, refusal)
            first = self._first.setdefault(account_id, threading.Event())
        first.set()
