"""Fault and behaviour switches of one emulator instance.

Settings are an immutable :class:`Settings` value swapped atomically on change, so a request reads one
consistent snapshot. One-shot faults (``throttle_next``, ``fail_next_write``) and the token bucket are
counters consumed under a small lock.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from vtab.emulator.ec2 import DEFAULT_ENABLED_REGIONS
from vtab.emulator.errors import HANDLER_ERROR_CODES, MODELED_EXCEPTIONS


@dataclass(frozen=True)
class Settings:
    """Plain-valued switches. See the README of the emulator for what each one imitates."""

    latency: float = 0.0
    """Seconds added to every Cloud Control call (slept outside any lock, so calls still overlap)."""
    page_size: int = 25
    """ListResources page size; MaxResults is ignored, as on AWS."""
    polls_before_complete: int = 1
    """GetResourceRequestStatus polls until a write finishes; 0 applies the change at submission."""
    throttle_rate: float | None = None
    """Token bucket in requests/second (burst = max(1, rate)); None turns it off."""
    invisible_for: int = 0
    """Newly created resources stay out of ListResources of their type for this many list calls."""
    identifier_only_lists: bool = False
    """ListResources Properties carry only the primary identifier properties."""
    missing_parent_error: str = "GeneralServiceException"
    """Exception a list handler answers when its parent (Api, Integration) does not exist."""
    enabled_regions: tuple[str, ...] = DEFAULT_ENABLED_REGIONS
    """What EC2 DescribeRegions answers: the regions every account has enabled."""
    retry_after: float = 0.0
    """ProgressEvent.RetryAfter of an in-flight request: the time of each answer plus this many seconds."""
    organization_paths: bool = True
    """Organizations' accounts carry ``Paths`` and its OUs ``Path`` (as AWS answers since 2026); False
    answers as before, without them."""
    account_status: bool = False
    """Organizations' accounts carry the ``Status`` field beside ``State``, as AWS answered until it retired
    ``Status`` on 9 September 2026; False (as AWS answers now) gives ``State`` alone."""

    def validated(self) -> Settings:
        if self.latency < 0:
            raise ValueError("latency must be >= 0")
        if self.page_size < 1:
            raise ValueError("page_size must be >= 1")
        if self.polls_before_complete < 0:
            raise ValueError("polls_before_complete must be >= 0")
        if self.throttle_rate is not None and self.throttle_rate <= 0:
            raise ValueError("throttle_rate must be > 0 or None")
        if self.invisible_for < 0:
            raise ValueError("invisible_for must be >= 0")
        if not self.enabled_regions or not all(isinstance(name, str) for name in self.enabled_regions):
            raise ValueError("enabled_regions must be a non-empty list of region names")
        if self.retry_after < 0:
            raise ValueError("retry_after must be >= 0")
        if not isinstance(self.organization_paths, bool):
            raise ValueError("organization_paths must be true or false")
        if not isinstance(self.account_status, bool):
            raise ValueError("account_status must be true or false")
        if self.missing_parent_error not in MODELED_EXCEPTIONS:
            raise ValueError(
                f"missing_parent_error must be one of {', '.join(sorted(MODELED_EXCEPTIONS))}; "
                f"got {self.missing_parent_error!r}"
            )
        return self


SETTING_NAMES = frozenset(field.name for field in dataclasses.fields(Settings))

TYPE_REFUSALS = frozenset({"AccessDeniedException", "TypeNotFoundException", "UnsupportedActionException"})
"""What ``refuse_type`` may make a type answer in a region: a policy that denies it, a type the region's
registry lacks, a type the region's Cloud Control does not support."""


class Switches:
    """The live switches: current :class:`Settings` plus one-shot faults and the throttle bucket."""

    def __init__(self, settings: Settings | None = None) -> None:
        self._lock = threading.Lock()
        self._settings = (settings or Settings()).validated()
        self._throttle_next = 0
        self._deny_next = 0
        self._call_failures: deque[tuple[str, str]] = deque()
        self._write_failures: deque[tuple[str, str]] = deque()
        self._refused: dict[tuple[str, str, str | None], str] = {}
        """(type name, region, account or None for every one) -> the exception every call on that type
        there answers."""
        self._tokens = 0.0
        self._refilled_at = time.monotonic()
        self._reset_bucket()

    @property
    def settings(self) -> Settings:
        return self._settings

    def configure(self, **changes: Any) -> Settings:
        """Change some settings at once; unknown names and bad values raise before anything changes."""
        unknown = set(changes) - SETTING_NAMES
        if unknown:
            raise ValueError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        with self._lock:
            new = dataclasses.replace(self._settings, **changes).validated()
            if new.throttle_rate != self._settings.throttle_rate:
                self._settings = new
                self._reset_bucket()
            self._settings = new
            return new

    def throttle_next(self, n: int) -> None:
        """The next ``n`` Cloud Control calls answer ThrottlingException (HTTP 400, "Rate exceeded")."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._throttle_next = n

    def deny_next(self, n: int) -> None:
        """The next ``n`` calls answer AccessDeniedException (a policy lacks the action); an STS
        GetCallerIdentity answers AccessDenied."""
        if n < 0:
            raise ValueError("n must be >= 0")
        with self._lock:
            self._deny_next = n

    def take_denial(self) -> bool:
        with self._lock:
            if self._deny_next > 0:
                self._deny_next -= 1
                return True
            return False

    def fail_next_call(self, exception: str, message: str = "Injected failure") -> None:
        """The next Cloud Control call answers this modeled exception (HTTP 400) synchronously."""
        if exception not in MODELED_EXCEPTIONS:
            raise ValueError(
                f"exception must be one of {', '.join(sorted(MODELED_EXCEPTIONS))}; got {exception!r}"
            )
        with self._lock:
            self._call_failures.append((exception, message))

    def take_call_failure(self) -> tuple[str, str] | None:
        with self._lock:
            return self._call_failures.popleft() if self._call_failures else None

    def fail_next_write(self, error_code: str, message: str = "Injected failure") -> None:
        """The next accepted Create/Update/Delete ends FAILED with ``error_code`` (a HandlerErrorCode)."""
        if error_code not in HANDLER_ERROR_CODES:
            raise ValueError(
                f"error_code must be a HandlerErrorCode ({', '.join(sorted(HANDLER_ERROR_CODES))}); "
                f"got {error_code!r}"
            )
        with self._lock:
            self._write_failures.append((error_code, message))

    def refuse_type(
        self,
        type_name: str,
        region: str,
        exception: str = "AccessDeniedException",
        account: str | None = None,
    ) -> None:
        """Every call on ``type_name`` in ``region`` (in ``account`` only, when given) answers
        ``exception`` (one of TYPE_REFUSALS) until reset: a type the caller may not use there, or that the
        region does not offer."""
        if exception not in TYPE_REFUSALS:
            raise ValueError(
                f"exception must be one of {', '.join(sorted(TYPE_REFUSALS))}; got {exception!r}"
            )
        with self._lock:
            self._refused[(type_name, region, account)] = exception

    def refusal(self, type_name: object, region: str, account: str) -> str | None:
        """The exception ``refuse_type`` set for the type in the region (in that account, or in all), if
        any."""
        with self._lock:
            if not self._refused:
                return None
            key = (str(type_name), region)
            return self._refused.get((*key, account)) or self._refused.get((*key, None))

    def take_throttle(self) -> bool:
        """Whether this call is throttled: a pending ``throttle_next`` or an empty token bucket."""
        with self._lock:
            if self._throttle_next > 0:
                self._throttle_next -= 1
                return True
            rate = self._settings.throttle_rate
            if rate is None:
                return False
            now = time.monotonic()
            self._tokens = min(max(1.0, rate), self._tokens + (now - self._refilled_at) * rate)
            self._refilled_at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return False
            return True

    def take_write_failure(self) -> tuple[str, str] | None:
        with self._lock:
            return self._write_failures.popleft() if self._write_failures else None

    def pending(self) -> dict[str, Any]:
        """The one-shot faults not yet consumed (for the control route)."""
        with self._lock:
            return {
                "throttle_next": self._throttle_next,
                "deny_next": self._deny_next,
                "fail_next_call": [list(item) for item in self._call_failures],
                "fail_next_write": [list(item) for item in self._write_failures],
                "refuse_type": [
                    {"type": type_name, "region": region, "exception": exception}
                    | ({"account": account} if account is not None else {})
                    for (type_name, region, account), exception in sorted(
                        self._refused.items(), key=lambda item: (*item[0][:2], item[0][2] or "")
                    )
                ],
            }

    def reset_one_shots(self) -> None:
        with self._lock:
            self._throttle_next = 0
            self._deny_next = 0
            self._call_failures.clear()
            self._write_failures.clear()
            self._refused.clear()
            self._reset_bucket()

    def _reset_bucket(self) -> None:
        rate = self._settings.throttle_rate
        self._tokens = max(1.0, rate) if rate else 0.0
        self._refilled_at = time.monotonic()
