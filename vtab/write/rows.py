"""Rows into checked operations: what an INSERT, UPDATE or DELETE row means, checked before it is queued.

A ``RowWriter`` folds a row's column names to one per property, finds its region and account (an
INSERT's ``account_id``, checked against the estate; an UPDATE's or DELETE's, the row's), the row
an UPDATE or DELETE changes (as read, and as the transaction's queued updates leave it: vtab.write.patch
diffs against that), refuses what cannot be sent, and returns the ``Operation``. The transaction's
bookkeeping (which operations are queued, max_writes, savepoints) is vtab.write.queue's; nothing here
queues or sends.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import apsw

from vtab import hints
from vtab.catalog.columns import ACCOUNT_ID, ACCOUNT_NAME, IDENTIFIER, PATCH_DOCUMENT, REGION, STACKQL_OWN
from vtab.catalog.facts import Verb
from vtab.messages import sql_literal
from vtab.options import ACCOUNT_ID_PATTERN
from vtab.read.context import TableContext
from vtab.read.fetch import Fetcher
from vtab.read.rows import Row
from vtab.sql.interrupt import result
from vtab.write.operation import Operation
from vtab.write.patch import PatchDocumentRules, column_patch, differs
from vtab.write.refusals import (
    refuse_placeholders,
    refuse_returning_in_transaction,
    refuse_too_big,
)
from vtab.write.shared import SharedState
from vtab.write.validate import RowRules

AsQueued = Callable[[Row], Row]
"""The row as the transaction's earlier statements' queued updates leave it (vtab.write.patch.as_queued)."""


class RowWriter:
    """Turns one table's Update* callbacks' rows into checked Operations."""

    def __init__(self, table: TableContext, shared: SharedState) -> None:
        self.table = table
        self.shared = shared
        self.schema = table.schema
        self.rules = RowRules(
            table.name, table.schema, table.columns.property_of, schema_checks=table.options.schema_checks
        )
        self.patches = PatchDocumentRules(self.rules)
        self._accounts: set[str | None] = set()
        """Accounts an INSERT named that were found in the estate and reached (asked once)."""

    # -- the three verbs ------------------------------------------------------------------------------

    def create(self, values: dict[str, Any], rowid: int | None, row: int, mode: int, where: str) -> Operation:
        """Row ``row`` of an INSERT (``mode``: its OR IGNORE / OR REPLACE, if any) as a create."""
        if rowid is not None:
            raise apsw.ReadOnlyError(
                f"rowid = {sql_literal(rowid)}: vtab derives each row's rowid from its region and "
                f"identifier, which AWS assigns; leave rowid out of the INSERT {where}"
            )
        refuse_returning_in_transaction(self.shared, where)
        values = self.one_name_per_property(values, None, where)
        identifier = values.get(IDENTIFIER)
        if identifier is not None:
            raise apsw.ReadOnlyError(
                f"{IDENTIFIER} = {sql_literal(identifier)}: the identifier is read-only (AWS assigns it when "
                f"the resource is created); leave {IDENTIFIER} out of the INSERT {where}"
            )
        patch = values.get(PATCH_DOCUMENT)
        if patch is not None:
            raise apsw.SQLError(
                f"{PATCH_DOCUMENT} = {self.rules.literal(PATCH_DOCUMENT, patch)}: only UPDATE takes a patch "
                "document; an INSERT "
                f"sets the columns themselves {where}"
            )
        refuse_placeholders(self.table, values, where)
        region = self.region_of(values.get(REGION), where)
        name = values.get(ACCOUNT_NAME)
        if name is not None:
            raise apsw.ReadOnlyError(
                f"{ACCOUNT_NAME} = {sql_literal(name)}: the account's name is read-only (Organizations "
                f"has it); choose the account with {ACCOUNT_ID} instead {where}"
            )
        named = self.account_text(values.get(ACCOUNT_ID), where)
        values = self.fill_account_id(values, region, where, named)
        desired = self.rules.desired_state(values, where)
        self.rules.check_regions(desired, region, where)
        account = self.account_of(named, where)  # last: the checks that may call (the estate, STS)
        self.know_returning_account(account, where)
        return Operation(Verb.CREATE, region, row, 0, desired=desired, on_conflict=mode, account=account)

    def update(
        self, rowid: int, new_rowid: int | None, values: dict[str, Any], row_number: int, as_queued: AsQueued
    ) -> tuple[Row, Operation | None]:
        """An UPDATE of the row read under ``rowid``: the row it changes, and the update (None: nothing
        changes)."""
        where = f"[{self.table.name} {self.read_row(rowid).identifier}]"
        if new_rowid is not None and new_rowid != rowid:
            raise apsw.ReadOnlyError(
                f"rowid = {sql_literal(new_rowid)} (was {rowid}): vtab derives each row's rowid from its "
                f"region and identifier; leave rowid out of the UPDATE {where}"
            )
        refuse_returning_in_transaction(self.shared, where)
        values = self.one_name_per_property(values, apsw.no_change, where)
        read = self.table.read_rows.read(rowid)
        if read is not None and values.get(REGION) == read.region:
            values = {**values, REGION: apsw.no_change}  # the row's own (UPDATE ... FROM reads every column)
        self.refuse_moving_account(values, self.read_row(rowid), where)
        values = {c: v for c, v in values.items() if c not in (ACCOUNT_ID, ACCOUNT_NAME)}
        row = as_queued(self.old_row(rowid, where))
        changed = {
            column: value
            for column, value in values.items()
            if value is not apsw.no_change and differs(self.table.columns, row, column, value)
        }
        new = changed.pop(IDENTIFIER, None)
        if new is not None:
            raise apsw.ReadOnlyError(
                f"{IDENTIFIER} = {sql_literal(new)} (was {sql_literal(row.identifier)}): the identifier "
                f"is read-only (AWS assigns it); to re-key a resource, DELETE it and INSERT a new one {where}"
            )
        if REGION in changed:
            raise apsw.ReadOnlyError(
                f"{REGION} = {sql_literal(changed[REGION])} (was {sql_literal(row.region)}): a resource "
                f"cannot move to another region; INSERT it there and DELETE it here instead {where}"
            )
        refuse_placeholders(self.table, {c: v for c, v in changed.items() if c != PATCH_DOCUMENT}, where)
        if PATCH_DOCUMENT in changed:
            # Every other SET column counts, changed or not: the refusal must not depend on the data.
            others = [c for c, v in values.items() if v is not apsw.no_change and c != PATCH_DOCUMENT]
            if others:
                raise apsw.SQLError(
                    f"{PATCH_DOCUMENT} cannot be combined with other SET columns ({', '.join(others)}): "
                    f"either SET {PATCH_DOCUMENT} alone, or SET the columns without it {where}"
                )
            patch = self.patches.parse(changed[PATCH_DOCUMENT], row.properties, where)
        else:
            patch = column_patch(self.schema, self.table.columns, self.rules, row, changed, where)
        if not patch:
            return row, None
        self.know_returning_account(row.account, where)
        op = Operation(
            Verb.UPDATE,
            row.region,
            row_number,
            0,
            identifier=row.identifier,
            patch=patch,
            account=row.account,
        )
        refuse_too_big(self.schema, op, where)
        return row, op

    def delete(self, rowid: int, row_number: int) -> Operation:
        """A DELETE of the row read under ``rowid`` (only its identifier and region are needed: a partial
        row, from an identifier-only listing, is not fetched)."""
        row = self.read_row(rowid)
        where = f"[{self.table.name} {row.identifier}]"
        refuse_returning_in_transaction(self.shared, where)
        self.know_returning_account(row.account, where)
        try:
            ids: dict[str, Any] = dict(self.schema.split_identifier(row.identifier))
        except ValueError:
            ids = {}
        return Operation(
            Verb.DELETE,
            row.region,
            row_number,
            0,
            identifier=row.identifier,
            properties={**ids, **row.properties},
            account=row.account,
        )

    # -- what a row means -----------------------------------------------------------------------------

    def one_name_per_property(self, values: dict[str, Any], absent: Any, where: str) -> dict[str, Any]:
        """Fold each property's two column names (``api_id``, ``ApiId``) into the one the row gives.

        ``absent`` is what an unset column holds (NULL in an INSERT, ``no_change`` in an UPDATE). The same
        value under both names is fine; NULL under one name and a value under the other means the value,
        in an UPDATE as in an INSERT (which cannot tell NULL from a column left out); two different values
        are refused, naming both. The name kept is the one the statement used, so later messages speak of
        the column the user wrote. StackQL's ``Identifier`` and ``PatchDocument`` fold into vtab's own
        columns (or, on a type with a property so named, into that property's column: Columns.twins)."""
        columns, rules = self.table.columns, self.rules
        merged = dict(values)
        for twin, field in [*columns.own_aliases.items(), *columns.twins.items()]:
            mine, other = merged.pop(twin, absent), merged.get(field, absent)
            if mine is absent or (mine is None and other is not absent):
                continue  # the field name holds the property (a value, NULL or nothing)
            if other is absent or other is None:
                merged[field] = absent
                merged[field if twin in STACKQL_OWN else twin] = mine
            elif mine != other and (
                field not in columns.property_of or not _same_value(rules, field, other, mine, where)
            ):
                what = f"property {columns.property_of[field]}" if field in columns.property_of else field
                raise apsw.ConstraintError(
                    f"{field} = {rules.literal(field, other)} and {twin} = "
                    f"{rules.literal(field, mine)}: both columns are the {what}, with different values; "
                    f"give it once (either name) {where}"
                )
        return merged

    def region_of(self, value: object, where: str) -> str:
        """The row's region, else the only configured one (a global type's: the first, as any will do);
        refused when unknown or ambiguous."""
        table = self.table
        if value is None:
            configured = list(table.options.regions)
            if len(configured) > 1 and not table.schema.is_global:
                raise apsw.SQLError(
                    f"{REGION} = NULL: {len(configured)} regions are configured ({', '.join(configured)}), "
                    f"so the INSERT must say which one, e.g. region = {sql_literal(configured[0])} {where}"
                )
            value = configured[0] if configured else table.cloud.default_region
            if value is None:
                raise apsw.SQLError(
                    f"{REGION} = NULL and no region is configured: set the region column, "
                    f"{hints.set_option('regions', 'us-east-1')}, or set AWS_REGION {where}"
                )
        try:
            return table.cloud.check_region(value)
        except apsw.SQLError as error:
            raise apsw.SQLError(f"{REGION} = {sql_literal(value)}: {error} {where}") from None

    @staticmethod
    def account_text(value: object, where: str) -> str | None:
        """An INSERT's account_id as an account id (None: NULL), or refused: 12 digits as text, or as a
        number of 12 digits (``account_id = 123456789012`` unquoted, which WHERE compares as that account:
        no leading zero was lost)."""
        value = account_number_as_text(value)
        if value is None:
            return None
        if not isinstance(value, str) or not ACCOUNT_ID_PATTERN.fullmatch(value):
            raise apsw.SQLError(
                f"{ACCOUNT_ID} = {sql_literal(value)} is not an AWS account id: write its 12 digits as text, "
                f"like {ACCOUNT_ID} = '123456789012', or leave it NULL for the caller's own account {where}"
            )
        return value

    def account_of(self, value: str | None, where: str) -> str | None:
        """The account an INSERT's row is created in: None (NULL) for the caller's own (refused when the
        estate leaves it out); else an account of the estate, whose role is assumed now, so that a wrong
        or unreachable one is refused before anything is sent."""
        table = self.table
        if value is None and not table.several_accounts:
            return None
        if value in self._accounts:
            return value if table.several_accounts else None
        lookup = table.pool.submit(self._reach_account, value, where)
        try:  # on a worker, so that the SQLite thread waits interruptibly
            account = result(lookup, table.interrupted, "the account lookup")
        except apsw.InterruptError:
            raise
        except apsw.Error as error:
            message = str(error)
            raise type(error)(message if message.endswith(where) else f"{message} {where}") from error
        self._accounts.add(value)
        return account

    def _reach_account(self, value: str | None, where: str) -> str | None:
        table = self.table
        if value is None:
            self._refuse_own_outside_estate(where)
            return None
        if not table.several_accounts:
            own = table.own_account(f"leave {ACCOUNT_ID} NULL for the caller's own account")
            if value != own:
                raise apsw.SQLError(
                    f"{ACCOUNT_ID} = {sql_literal(value)}: this connection reads account {own} only; leave "
                    f"{ACCOUNT_ID} NULL for it, or, to write in another account, "
                    f"{hints.set_option('accounts', repr(value))} (or 'org')"
                )
            return None
        if table.estate_account(value) is None:
            if value in table.options.skip_accounts:
                skip = hints.option("skip_accounts")
                raise apsw.SQLError(
                    f"{ACCOUNT_ID} = {sql_literal(value)} is not one of the accounts this connection reads: "
                    f"{skip} leaves it out; take it out of {skip} to write in it {where}"
                )
            raise apsw.SQLError(
                f"{ACCOUNT_ID} = {sql_literal(value)} is not one of the accounts this connection reads "
                "(SELECT account_id FROM vtab_accounts lists them; a SUSPENDED one is not written): give "
                f"one of those, or add it to the accounts option {where}"
            )
        try:
            table.cloud_of(value)
        except apsw.Error as error:
            raise type(error)(
                f"{ACCOUNT_ID} = {sql_literal(value)}: {error}; nothing was sent {where}"
            ) from error
        return value

    def _refuse_own_outside_estate(self, where: str) -> None:
        """NULL (the caller's own account) on a connection whose estate leaves that account out: refused,
        as its id written out is, so that nothing is created where the connection does not read."""
        if any(account.own and account.profile is None for account in self.table.estate.readable()):
            return
        own = self.table.own_account(f"give {ACCOUNT_ID}, one of the accounts in vtab_accounts")
        raise apsw.SQLError(
            f"{ACCOUNT_ID} = NULL is the caller's own account, {own}, which is not one of the accounts this "
            "connection reads (SELECT account_id FROM vtab_accounts lists them): give one of those as "
            f"{ACCOUNT_ID}, or add {own} to {hints.option('accounts')} (or take it out of "
            f"{hints.option('skip_accounts')}) {where}"
        )

    def know_returning_account(self, account: str | None, where: str) -> None:
        """A RETURNING write in the caller's own account (``account`` None) on a connection that has not
        learned its id (no account_id option, no statement needed it yet): GetCallerIdentity now, once per
        connection, so that RETURNING's account_id names the account (vtab.write.returning); before
        anything is sent, so a failed lookup sends nothing. A write without RETURNING never asks."""
        table = self.table
        if account is not None or not self.shared.statement.returning or table.cloud.account_label():
            return
        lookup = table.pool.submit(table.own_account, "leave RETURNING out")
        try:  # on a worker, so that the SQLite thread waits interruptibly
            result(lookup, table.interrupted, "the account id lookup")
        except apsw.InterruptError:
            raise
        except apsw.Error as error:
            raise type(error)(f"{error} {where}") from error

    def refuse_moving_account(self, values: dict[str, Any], row: Row, where: str) -> None:
        """An UPDATE acts in the row's account: SET account_id (or account_name) to another is refused."""
        table = self.table
        account = account_number_as_text(values.get(ACCOUNT_ID, apsw.no_change))
        if account is None and self._is_callers_own(row.account):
            account = table.account_of(row)  # NULL: the caller's own account, as an INSERT's
        if account is not apsw.no_change and account != table.account_of(row):
            raise apsw.ReadOnlyError(
                f"{ACCOUNT_ID} = {sql_literal(account)} (was {sql_literal(table.account_of(row))}): a "
                f"resource cannot move to another account; INSERT it there (with {ACCOUNT_ID} = "
                f"{sql_literal(account)}) and DELETE it here instead {where}"
            )
        name = values.get(ACCOUNT_NAME, apsw.no_change)
        if name is not apsw.no_change and name != table.account_name(row):
            raise apsw.ReadOnlyError(
                f"{ACCOUNT_NAME} = {sql_literal(name)}: the account's name is read-only (Organizations has "
                f"it); leave {ACCOUNT_NAME} out of the UPDATE {where}"
            )

    def _is_callers_own(self, account_id: str | None) -> bool:
        """Whether a row's account is the caller's own (None: a connection without account options)."""
        if account_id is None:
            return True
        account = self.table.estate_account(account_id)
        return account is not None and account.own and account.profile is None

    def fill_account_id(
        self, values: dict[str, Any], region: str, where: str, account: str | None = None
    ) -> dict[str, Any]:
        """A required account-id column the row leaves NULL (QuickSight's aws_account_id) is the row's
        account (``account``), else the caller's, as a template's ``!Ref AWS::AccountId`` would be: the
        account_id option, else looked up (once per connection). A value given is sent as given (another
        account's is AWS's to refuse)."""
        table = self.table
        schema = table.schema
        missing = [
            schema.column_of(prop)
            for prop in schema.account_properties
            if prop in schema.required
            and values.get(schema.column_of(prop)) is None
            and values.get(prop) is None
        ]
        if not missing:
            return values
        fix = f"give {missing[0]} in the INSERT"
        account = account or table.account_id
        if account is None:
            lookup = table.pool.submit(table.cloud.account_id, region, None, fix)
            try:  # on a worker, so that the SQLite thread waits interruptibly
                account = result(lookup, table.interrupted, "the account id lookup")
            except apsw.InterruptError:
                raise
            except apsw.Error as error:
                raise type(error)(f"{error} {where}") from error
        return {**values, **dict.fromkeys(missing, account)}

    def read_row(self, rowid: int) -> Row:
        """The row a write acts on, as read in this statement under ``rowid`` (its properties may be
        partial); a global resource's row read first, whichever region SQLite matched."""
        table = self.table
        row = table.read_rows.resource(rowid)
        if row is None:
            raise apsw.SQLError(
                f"rowid {rowid}: the row to change was not read by this statement; add region and "
                f"{IDENTIFIER} to the WHERE clause [{table.name}]"
            )
        return row

    def old_row(self, rowid: int, where: str) -> Row:
        """The row as read in this statement, with every property (GetResource if the read was partial)."""
        table = self.table
        row = self.read_row(rowid)
        if table.schema.is_partial(row.properties):
            cloud = table.cloud_of(row.account)
            properties = Fetcher.fresh(cloud).get(row.region, table.schema, row.identifier)
            if properties is None:
                raise apsw.NotFoundError(
                    f"{IDENTIFIER} = {sql_literal(row.identifier)}: the resource no longer exists {where}"
                )
            row = row._replace(properties={**row.properties, **properties})
            table.read_rows.replace(row)
        return row


def _same_value(rules: RowRules, column: str, first: Any, second: Any, where: str) -> bool:
    """Whether two SQL values stand for the same property value (JSON text compared as JSON)."""
    if first == second:
        return True
    return bool(rules.property_value(column, first, where) == rules.property_value(column, second, where))


def account_number_as_text(value: Any) -> Any:
    """An account id given as a number of 12 digits, as the text SQLite compares it as; anything else as
    it is (a shorter number lost leading zeros, and is refused as no account id)."""
    if isinstance(value, int) and not isinstance(value, bool) and 10**11 <= value < 10**12:
        return str(value)
    return value
