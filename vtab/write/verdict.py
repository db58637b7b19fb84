"""The verdict on a statement's writes: one error listing every failed row (code, message, RequestToken) and
every applied one, whose remote changes a SQLite ROLLBACK cannot take back; its class says whether a
retried COMMIT may send the failed writes again (``apsw.BusyError``).
"""

from __future__ import annotations

from collections.abc import Sequence

import apsw

from vtab.catalog.facts import Verb
from vtab.catalog.schema import ResourceSchema
from vtab.write.children import IN_USE, in_use_hint
from vtab.write.operation import Outcome, WriteStatus

LISTED_APPLIED = 50
"""At most this many applied operations are spelled out in an error (vtab_calls has them all)."""


def applied_lines(outcomes: list[Outcome], schema: ResourceSchema) -> list[str]:
    """``CREATE row 1 (...) in us-east-1 -> id (RequestToken ...)`` for every applied write."""
    lines = []
    for outcome in outcomes:
        if not outcome.ok or outcome.status is WriteStatus.SKIPPED:
            continue
        created = f" -> {outcome.identifier}" if outcome.op.verb is Verb.CREATE and outcome.identifier else ""
        lines.append(f"{outcome.op.describe(schema)}{created} (RequestToken {outcome.request_token})")
    return lines


def statement_error(
    outcomes: list[Outcome],
    schema: ResourceSchema,
    table_name: str,
    *,
    transaction: bool = False,
    applied_elsewhere: Sequence[str] = (),
) -> apsw.Error | None:
    """One exception for a statement whose writes did not all succeed, or None when they did.

    It lists every failed row with its error code, message and RequestToken, and the rows that were
    applied: those changes are real, and a SQLite ROLLBACK cannot take them back. The class is the first
    failure's that retrying cannot fix; ``apsw.BusyError`` only when every failure is busy (throttling, a
    concurrent operation, a timeout). SQLite keeps a transaction open after a BUSY COMMIT, so then (in an
    explicit ``transaction``) the message says a retried COMMIT sends the failed writes again; after any
    other failure SQLite rolls the transaction back, and the message says the remote changes stay.
    ``applied_elsewhere``: writes applied earlier in the transaction (other tables' at this COMMIT,
    ``table CREATE row ...``), real as well, listed after this table's own.
    """
    outcomes = [o for o in outcomes if o.status is not WriteStatus.SKIPPED]
    failed = [o for o in outcomes if not o.ok]
    if not failed:
        return None
    applied = [o for o in outcomes if o.ok]
    stopped = [o for o in failed if issubclass(o.error_class, apsw.InterruptError)]
    first = stopped[0] if stopped else next((o for o in failed if not o.retryable), failed[0])
    plural = "s" if len(outcomes) != 1 else ""
    ended = "did not finish" if stopped else "failed"
    lines = [
        f"{first.error_code or first.status}: {len(failed)} of {len(outcomes)} write{plural} to {table_name} "
        + (
            f"{ended}; {len(applied)} applied (remote changes are not rolled back):"
            if applied
            else f"{ended}; none applied:"
        )
    ]
    for outcome in failed:
        lines.append(f"  {outcome.status} {outcome.op.describe(schema)}: {_failure_text(outcome)}")
        if outcome.op.verb is Verb.DELETE and outcome.error_code == IN_USE:
            hint = in_use_hint(schema, outcome.op.region, outcome.op.properties, outcome.message)
            lines += [f"    {hint}"] if hint else []
    lines += [f"  applied: {line}" for line in applied_lines(applied[:LISTED_APPLIED], schema)]
    if len(applied) > LISTED_APPLIED:
        lines.append(f"  ... and {len(applied) - LISTED_APPLIED} more applied (see vtab_calls)")
    lines += [f"  applied earlier in this transaction: {line}" for line in applied_elsewhere[:LISTED_APPLIED]]
    if len(applied_elsewhere) > LISTED_APPLIED:
        lines.append(
            f"  ... and {len(applied_elsewhere) - LISTED_APPLIED} more applied earlier (see vtab_calls)"
        )
    remote = bool(applied or applied_elsewhere)
    if transaction and not first.retryable:
        # SQLite rolls the transaction back after a COMMIT that fails other than BUSY.
        lines.append(
            "Local changes of this transaction were rolled back by SQLite"
            + ("; the applied remote changes above were not." if remote else ".")
        )
    elif transaction:
        again = "the applied ones are not sent again" if remote else "nothing was applied"
        lines.append(
            f"The transaction is still open: COMMIT again to send the {len(failed)} failed write"
            f"{'s' if len(failed) != 1 else ''} again ({again}), or ROLLBACK to drop them."
        )
    return first.error_class("\n".join(lines))


def _failure_text(outcome: Outcome) -> str:
    """``<code>: <message> (<RequestToken, or why there is none>)``."""
    if outcome.status is WriteStatus.NOT_SENT:
        return f"not sent: {outcome.message} (no RequestToken)"
    if outcome.request_token:
        token = f"RequestToken {outcome.request_token}"
    elif outcome.maybe_accepted:
        token = (
            "no RequestToken: the request may or may not have been accepted (check vtab_calls / "
            "ListResourceRequests)"
        )
    else:
        token = "no RequestToken: not accepted"
    text = outcome.message
    code = outcome.error_code or outcome.status
    if not text.startswith(code):
        text = f"{code}: {text}"
    return f"{text} ({token})"
