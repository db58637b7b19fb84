"""Benchmarks of the estate (issue 18): Organizations discovery and AssumeRole per account.

    .venv/bin/python scripts/bench.py --only accounts

The endpoint runs in its own process; its call log counts the calls.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from typing import Any

import apsw
import boto3
from benchlib import Endpoint, endpoint

import vtab
from vtab.aws.accounts import RENEW_WITHIN

ORGANIZATIONS = {
    "ListAccounts",
    "ListRoots",
    "ListOrganizationalUnitsForParent",
    "ListAccountsForParent",
    "ListChildren",
}


def _register(url: str, **options: Any) -> tuple[apsw.Connection, Any]:
    connection = apsw.Connection(":memory:")
    registry = vtab.register(connection, endpoint_url=url, regions="us-east-1", rate_limit=None, **options)
    return connection, registry


def _counted(ep: Endpoint) -> Counter[str]:
    return Counter(call["operation"] for call in ep.calls())


def bench_discovery() -> None:
    accounts, ous = 1000, 10
    print(f"\n## Organization discovery: {accounts} accounts in {ous} OUs (Organizations calls; at most 60)")
    with endpoint() as ep:
        ep.control("POST", "org", {"accounts": accounts, "ous": [f"OU{i}" for i in range(ous)]})
        print("| what | accounts | Organizations calls | other calls | wall |")
        print("|---|---|---|---|---|")
        cases: list[tuple[str, dict[str, Any], str]] = [
            ("accounts='org' (ListAccounts)", {"accounts": "org"}, "readable"),
            ("vtab_accounts with OU paths (the OU tree)", {"accounts": "org"}, "described"),
            (
                "accounts='org' + organizational_units (the OU tree)",
                {"accounts": "org", "ous": 1},
                "readable",
            ),
        ]
        for label, options, how in cases:
            ep.clear_calls()
            if options.pop("ous", None):
                options["organizational_units"] = _first_ou(ep)
                ep.clear_calls()
            _, registry = _register(ep.url, **options)
            start = time.perf_counter()
            found = getattr(registry.estate(), how)()
            wall = time.perf_counter() - start
            counted = _counted(ep)
            org_calls = sum(n for op, n in counted.items() if op in ORGANIZATIONS)
            other = sum(n for op, n in counted.items() if op not in ORGANIZATIONS)
            print(f"| {label} | {len(found)} | {org_calls} | {other} | {wall * 1000:.0f} ms |")


def _first_ou(ep: Endpoint) -> str:
    """The id of the first OU, read as a user would (ListRoots, ListOrganizationalUnitsForParent)."""
    client = boto3.client("organizations", endpoint_url=ep.url, region_name="us-east-1")
    root = client.list_roots()["Roots"][0]["Id"]
    return str(client.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"][0]["Id"])


def bench_assume() -> None:
    accounts = 50
    print(f"\n## AssumeRole: {accounts} accounts, each assumed then a Cloud Control client made for it")
    with endpoint() as ep:
        ep.control("POST", "org", {"accounts": accounts + 1})
        _, registry = _register(ep.url, accounts="org", max_workers=1)
        estate = registry.estate()
        members = [account for account in estate.readable() if not account.own]
        ep.clear_calls()
        walls = []
        for account in members:
            start = time.perf_counter()
            estate.cloud(account).client("us-east-1")
            walls.append(time.perf_counter() - start)
        sequential = statistics.median(walls)
        served = [c for c in ep.calls() if c["operation"] == "AssumeRole"]
        server = statistics.median(c["finished_at"] - c["at"] for c in served)
        first = len(served)
        for account in members:  # again: cached, no call
            estate.cloud(account).client("us-east-1")
        again = _counted(ep)["AssumeRole"] - first
        _, registry = _register(ep.url, accounts="org", max_workers=16)
        estate = registry.estate()
        estate.readable()
        start = time.perf_counter()
        estate.assume()
        parallel = time.perf_counter() - start
        print("| measure | value |")
        print("|---|---|")
        print(f"| per account, one at a time: wall (median) | {sequential * 1000:.1f} ms |")
        print(f"| of which the endpoint answering AssumeRole (median) | {server * 1000:.1f} ms |")
        client_side = (sequential - server) * 1000
        print(f"| of which client side: vtab, botocore, HTTP (at most 20 ms) | {client_side:.1f} ms |")
        print(f"| all {len(members)} in parallel (16 workers) | {parallel * 1000:.0f} ms |")
        print(f"| AssumeRole calls, first use / again | {first} / {again} |")
        print(
            f"| renewed | {RENEW_WITHIN // 60} minutes before expiry: one AssumeRole per account per "
            f"{60 - RENEW_WITHIN // 60 + 1} minutes of one-hour sessions |"
        )


def bench_accounts(runs: int) -> None:
    del runs  # call counts do not vary; the walls are one run each
    bench_discovery()
    bench_assume()
