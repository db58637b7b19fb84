"""The estate part of ``make demo``: an Organization of several accounts read as one.

The demo's endpoint holds an Organization (``ORG_SIZE`` accounts in the OUs Prod and Dev, as
``vtab emulator --accounts N`` makes it); each member account gets WebSocket integration responses of its
own (as many as its position in the Organization), so the rows per account differ. A connection with
``accounts='org'`` then lists the accounts, reads one of them by a pushed-down ``account_id`` (no call in
any other), and counts the responses of every account at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import apsw

import vtab
from vtab.emulator.orgseed import SeededOrg

if TYPE_CHECKING:
    from vtab.cli.demo import Demo
    from vtab.emulator import Emulator

ORG_SIZE = 4
"""The management account and three members: enough to show per-account rows, few enough to stay fast."""
REGION = "us-east-1"


def seed_estate(emulator: Emulator) -> SeededOrg:
    """The Organization, and ``n`` integration responses (one API, one integration) in member ``n``."""
    org = emulator.seed_org(ORG_SIZE)
    for position, (account, _) in enumerate(org.members, start=1):
        emulator.seed(
            REGION, websocket_apis=1, integrations=1, responses=position, http_apis=0, account=account
        )
    return org


def show_estate(demo: Demo, emulator: Emulator, org: SeededOrg) -> None:
    """The estate queries, on their own connection (account options are the connection's)."""
    db = apsw.Connection(":memory:")
    vtab.register(db, endpoint_url=emulator.endpoint_url, regions=REGION, accounts="org")
    estate = demo.on(db)
    estate.step(
        "The estate: accounts='org' reads every ACTIVE account of the Organization (vtab_accounts)",
        "SELECT account_id, name, status, ou_path FROM vtab_accounts ORDER BY ou_path, name;",
    )
    member = org.members[-1][0]
    estate.step(
        "account_id is pushed down: one account's role is assumed and listed, no other account's",
        f"""
SELECT account_id, api_id, integration_id, integration_response_id
FROM integration_responses WHERE account_id = '{member}' AND region = '{REGION}';""",
    )
    estate.step(
        "Every account at once: the roles assumed in parallel, the rows of each account_id",
        f"""
SELECT account_id, account_name, count(*) AS responses
FROM integration_responses WHERE region = '{REGION}' GROUP BY account_id ORDER BY account_name;""",
    )
