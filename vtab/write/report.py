"""What the writes of one statement did, read back from the call log (``vtab_calls`` is the one record).

The command and the shell print it after a statement that wrote, the way ``psql`` says ``INSERT 0 2``:
rows created (with the identifiers AWS assigned), updated and deleted, or recorded by a dry run.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from vtab.aws.calllog import CallRecord
from vtab.aws.cloudcontrol import OperationStatus
from vtab.write.operation import CALLS, Verb

DRY_RUN = "dry-run"
"""The ``cache`` value of a write a dry_run table recorded instead of sending."""
LISTED_IDENTIFIERS = 20
"""At most this many created identifiers are spelled out (vtab_calls has them all)."""

_VERB_OF_CALL = {call: verb for verb, call in CALLS.items()}


@dataclass
class WriteReport:
    """Counts of one statement's completed writes (failed ones are the statement's error, not counted)."""

    created: list[tuple[str, str]] = field(default_factory=list)
    """(region, identifier) of each resource created (``us-east-1 of account 111111111111`` for a
    connection with account options)."""
    updated: int = 0
    deleted: int = 0
    not_sent: int = 0
    """Writes a dry_run table recorded in vtab_dry_run instead of sending."""

    @classmethod
    def of(cls, records: Iterable[CallRecord], name_accounts: bool = False) -> WriteReport:
        """The report of ``records``; ``name_accounts``: say each created resource's account (the
        connection reads several)."""
        report = cls()
        for record in records:
            verb = _VERB_OF_CALL.get(record.operation)
            if verb is None:
                continue
            if record.cache == DRY_RUN:
                report.not_sent += 1
            elif record.status != OperationStatus.SUCCESS:
                continue
            elif verb is Verb.CREATE:
                where = record.region
                if name_accounts and record.account_id:
                    where = f"{record.region} of account {record.account_id}"
                report.created.append((where, record.identifier or "?"))
            elif verb is Verb.UPDATE:
                report.updated += 1
            else:
                report.deleted += 1
        return report

    def __bool__(self) -> bool:
        return bool(self.created or self.updated or self.deleted or self.not_sent)

    def text(self) -> str:
        """``2 inserted (us-east-1: a|b|c, a|b|d), 1 updated``: the non-zero counts; empty for none."""
        parts = []
        if self.created:
            parts.append(f"{len(self.created)} inserted{self._created_text()}")
        if self.updated:
            parts.append(f"{self.updated} updated")
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        if self.not_sent:
            plural = "s" if self.not_sent != 1 else ""
            parts.append(f"dry run: {self.not_sent} write{plural} not sent (see vtab_dry_run)")
        return ", ".join(parts)

    def _created_text(self) -> str:
        if not self.created:
            return ""
        by_region: dict[str, list[str]] = {}
        for region, identifier in self.created[:LISTED_IDENTIFIERS]:
            by_region.setdefault(region, []).append(identifier)
        listed = "; ".join(f"{region}: {', '.join(ids)}" for region, ids in by_region.items())
        more = len(self.created) - LISTED_IDENTIFIERS
        if more > 0:
            listed += f"; {more} more in vtab_calls"
        return f" ({listed})"
