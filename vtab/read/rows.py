"""What a read yields: one Row per resource."""

from __future__ import annotations

from typing import NamedTuple

from vtab.aws.cloudcontrol import Properties


class Row(NamedTuple):
    """One resource as the cursor serves it (a NamedTuple: rows are built by the ten thousand)."""

    region: str
    identifier: str
    properties: Properties
    account: str | None = None
    """The account it lives in; None on a connection without account options whose own account id is not
    looked up yet (the account_id column asks it then: vtab.read.context)."""
