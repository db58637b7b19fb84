"""Benchmarks of the estate (issue 18): Organizations discovery and AssumeRole per account.

    .venv/bin/python scripts/bench.py --only accounts

The endpoint runs in its own process; its call log counts the calls.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
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
    defaults: dict[str, Any] = {"endpoint_url": url, "regions": "us-east-1", "rate_limit": None}
    registry = vtab.register(connection, **{**defaults, **options})
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


def bench_pushdown() -> None:
    accounts = 50
    print(
        f"\n## account_id = 'X' over {accounts} accounts: the calls of one account only, at most 5 of setup"
    )
    with endpoint() as ep:
        ep.control("POST", "org", {"accounts": accounts})
        client = boto3.client("organizations", endpoint_url=ep.url, region_name="us-east-1")
        chosen = client.list_accounts()["Accounts"][-1]["Id"]
        ep.clear_calls()
        connection, _ = _register(ep.url, accounts="org", regions="us-east-1,eu-west-1")
        list(connection.execute(f"SELECT log_group_name FROM logs_log_groups WHERE account_id = '{chosen}'"))
        calls = ep.calls()
        elsewhere = [c for c in calls if c["operation"] == "ListResources" and c["account_id"] != chosen]
        setup = Counter(c["operation"] for c in calls if c["operation"] != "ListResources")
        print("| measure | value |")
        print("|---|---|")
        print(f"| ListResources in account {chosen} | {len(calls) - sum(setup.values()) - len(elsewhere)} |")
        print(f"| ListResources in any other account | {len(elsewhere)} |")
        shown = ", ".join(f"{op} {n}" for op, n in sorted(setup.items()))
        print(f"| setup calls (at most 5) | {sum(setup.values())}: {shown} |")


def bench_estate_scan(runs: int) -> None:
    """A region-only SELECT over every (account, region) pair against a bare boto3 thread pool making the
    same ListResources calls with each account's assumed credentials, both at 50 ms a call."""
    accounts, regions, workers = 50, ("us-east-1", "eu-west-1"), 16
    print(
        f"\n## SELECT over {accounts} accounts x {len(regions)} regions (one ListResources each, 50 ms a "
        f"call) vs a boto3 thread pool of {workers}"
    )
    with endpoint() as ep:
        ep.control("POST", "org", {"accounts": accounts})
        ep.configure(latency=0.05)
        organizations = boto3.client("organizations", endpoint_url=ep.url, region_name="us-east-1")
        sts = boto3.client("sts", endpoint_url=ep.url, region_name="us-east-1")
        own = sts.get_caller_identity()["Account"]
        sessions = [
            boto3.Session(**_assumed(sts, account["Id"])) if account["Id"] != own else boto3.Session()
            for page in organizations.get_paginator("list_accounts").paginate()
            for account in page["Accounts"]
        ]
        clients = [
            s.client("cloudcontrol", endpoint_url=ep.url, region_name=r) for s in sessions for r in regions
        ]

        def pool() -> int:
            def one(client: Any) -> int:
                pages = client.get_paginator("list_resources").paginate(TypeName="AWS::Logs::LogGroup")
                return sum(len(page["ResourceDescriptions"]) for page in pages)

            with ThreadPoolExecutor(workers) as threads:
                return sum(threads.map(one, clients))

        options = {"accounts": "org", "regions": ",".join(regions), "max_workers": workers, "cache_ttl": 0}
        sql = "SELECT log_group_name FROM logs_log_groups"
        warm, _ = _register(ep.url, **options)
        list(warm.execute(sql))  # discovered, every role assumed, every client made

        def fresh() -> int:
            connection, _ = _register(ep.url, **options)  # discovery, AssumeRole, clients included
            return len(list(connection.execute(sql)))

        times: dict[str, list[float]] = {"pool": [], "warm": [], "fresh": []}
        readers = {"pool": pool, "warm": lambda: len(list(warm.execute(sql))), "fresh": fresh}
        for _ in range(runs):
            for name, reader in readers.items():
                start = time.perf_counter()
                reader()
                times[name].append(time.perf_counter() - start)
        base = statistics.median(times["pool"])
        print("| reader | median wall | ratio |")
        print("|---|---|---|")
        print(f"| boto3 thread pool, credentials and clients made beforehand | {base:.2f} s | 1.00 |")
        for name, label in (
            ("warm", "vtab, the connection's second statement (target <= 1.15)"),
            ("fresh", "vtab, a fresh connection (discovery, AssumeRole and clients included)"),
        ):
            ours = statistics.median(times[name])
            print(f"| {label} | {ours:.2f} s | {ours / base:.2f} |")


def _assumed(sts: Any, account: str) -> dict[str, str]:
    """boto3 Session keyword arguments for ``account``, through its OrganizationAccountAccessRole."""
    role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    answer = sts.assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def bench_accounts(runs: int) -> None:
    del runs  # call counts do not vary; the walls are one run each
    bench_discovery()
    bench_assume()
    bench_pushdown()
    bench_estate_scan(3)
