"""What a read yields: one Row per resource."""

from __future__ import annotations

from typing import NamedTuple

from vtab.aws.cloudcontrol import Properties


class Row(NamedTuple):
    """One resource as the cursor serves it (a NamedTuple: rows are built by the ten thousand)."""

    region: str
    identifier: str
    properties: Properties
