"""Benchmarks of the estate (issue 18): Organizations discovery and AssumeRole per account.

    .venv/bin/python scripts/bench.py --only accounts

The endpoint runs in its own process; its call log counts the calls.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import apsw
import boto3
import orjson
from benchlib import Endpoint, endpoint

import vtab
from vtab.aws.accounts import RENEW_WITHIN
from vtab.aws.organization import OrganizationsOperation
from vtab.aws.rate_limits import RateLimiter

ORGANIZATIONS = frozenset(OrganizationsOperation)
"""The Organizations operations vtab's discovery makes: what its rows count."""


def _register(url: str, **options: Any) -> tuple[apsw.Connection, Any]:
    connection = apsw.Connection(":memory:")
    defaults: dict[str, Any] = {"endpoint_url": url, "regions": "us-east-1", "rate_limit": None}
    registry = vtab.register(connection, **{**defaults, **options})
    return connection, registry


def _counted(ep: Endpoint) -> Counter[str]:
    return Counter(call["operation"] for call in ep.calls())


def bench_discovery() -> None:
    """Every shape of discovery on one Organization: the Organizations calls (by operation) and the wall."""
    accounts, ous = 1000, 10
    print(f"\n## Organization discovery: {accounts} accounts in {ous} OUs (Organizations calls; at most 60)")
    by_ou = "SELECT ou_path, count(*) FROM vtab_accounts GROUP BY ou_path"
    with endpoint() as ep:
        ep.control("POST", "org", {"accounts": accounts, "ous": [f"OU{i}" for i in range(ous)]})
        first = _first_ou(ep)
        cases: list[tuple[str, dict[str, Any], str, bool]] = [
            ("accounts='org' (the accounts a SELECT reads)", {}, "", True),
            (
                "vtab_accounts without ou_path (SELECT count(*))",
                {},
                "SELECT count(*) FROM vtab_accounts",
                True,
            ),
            ("vtab_accounts with ou_path (and a sync's _vtab_accounts)", {}, by_ou, True),
            ("organizational_units = one OU id", {"organizational_units": first[0]}, by_ou, True),
            ("organizational_units = one OU path", {"organizational_units": first[1]}, by_ou, True),
            ("skip_accounts = one OU id", {"skip_accounts": first[0]}, "", True),
            ("vtab_accounts with ou_path, an endpoint without Paths (the OU tree)", {}, by_ou, False),
        ]
        print("| what | accounts | Organizations calls | of which | wall |")
        print("|---|---|---|---|---|")
        for label, options, sql, paths in cases:
            ep.configure(organization_paths=paths)
            ep.clear_calls()
            connection, registry = _register(ep.url, accounts="org", **options)
            start = time.perf_counter()
            if sql:
                found = sum(row[-1] for row in connection.execute(sql))
            else:
                found = len(registry.estate().readable())
            wall = time.perf_counter() - start
            counted = Counter({op: n for op, n in _counted(ep).items() if op in ORGANIZATIONS})
            shown = ", ".join(f"{op} {n}" for op, n in sorted(counted.items()))
            total = sum(counted.values())
            print(f"| {label} | {found} | {total} | {shown} | {wall * 1000:.0f} ms |")
        ep.configure(organization_paths=True)


def _first_ou(ep: Endpoint) -> tuple[str, str]:
    """The id and path of the first OU, read as a user would (ListRoots, ListOrganizationalUnitsForParent)."""
    client = boto3.client("organizations", endpoint_url=ep.url, region_name="us-east-1")
    root = client.list_roots()["Roots"][0]["Id"]
    ou = client.list_organizational_units_for_parent(ParentId=root)["OrganizationalUnits"][0]
    return str(ou["Id"]), "/" + str(ou["Name"])


def bench_assume() -> None:
    accounts = 50
    print(
        f"\n## AssumeRole: {accounts} accounts, each assumed and its Cloud Control reached (the region's one "
        "client signs for every account)"
    )
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


IR = "AWS::ApiGatewayV2::IntegrationResponse"


class Boto3Estate:
    """The baseline: the estate walk written directly on a boto3 thread pool, as a script would. Cold, it
    does what vtab's fresh connection does: GetCallerIdentity beside ListAccounts, an AssumeRole per member
    account, a Cloud Control client per (account, region); warm, it keeps its clients. Every call waits
    for the same per-(account, region) token bucket as vtab's (vtab.aws.rate_limits.RateLimiter)."""

    def __init__(self, session: boto3.Session, url: str, regions: tuple[str, ...], workers: int, rate: float):
        self.session, self.url, self.regions, self.workers, self.rate = session, url, regions, workers, rate
        self.clients: dict[tuple[str, str], Any] = {}
        self.limiters: dict[tuple[str, str], RateLimiter] = {}
        self.pending: list[Future[None]] = []
        self.rows = 0
        self.lock = threading.Lock()

    def read(self, cold: bool) -> int:
        if cold:
            self.clients, self.limiters = {}, {}
        self.rows = 0
        with ThreadPoolExecutor(self.workers) as self.pool:
            if cold:
                self._submit(self._discover)
            else:
                for account, region in self.clients:
                    self._submit(self._apis, account, region)
            while self.pending:
                self.pending.pop(0).result()
        return self.rows

    def _submit(self, fn: Callable[..., None], *args: Any) -> None:
        self.pending.append(self.pool.submit(fn, *args))

    def _client(self, service: str) -> Any:
        return self.session.client(service, endpoint_url=self.url, region_name="us-east-1")

    def _discover(self) -> None:
        sts, organizations = self._client("sts"), self._client("organizations")
        own = self.pool.submit(lambda: sts.get_caller_identity()["Account"])
        members = [
            account["Id"]
            for page in organizations.get_paginator("list_accounts").paginate()
            for account in page["Accounts"]
            if account.get("State", account.get("Status")) == "ACTIVE"  # Status: retired by AWS
        ]
        for account in members:
            self._submit(self._reach, sts, account, account == own.result())

    def _reach(self, sts: Any, account: str, own: bool) -> None:
        credentials = {} if own else _assumed(sts, account)
        for region in self.regions:
            client = self.session.client(
                "cloudcontrol", endpoint_url=self.url, region_name=region, **credentials
            )
            with self.lock:
                self.clients[(account, region)] = client
                self.limiters[(account, region)] = RateLimiter(self.rate)
            self._submit(self._apis, account, region)

    def _listing(self, account: str, region: str, type_name: str, model: dict[str, str] | None) -> list[Any]:
        """Every page of one listing, each call after a token of the pair's bucket."""
        kwargs: dict[str, str] = {"TypeName": type_name}
        if model:
            kwargs["ResourceModel"] = orjson.dumps(model).decode()
        client, limiter = self.clients[(account, region)], self.limiters[(account, region)]
        items: list[Any] = []
        while True:
            limiter.acquire()
            page = client.list_resources(**kwargs)
            items += [orjson.loads(d["Properties"]) for d in page["ResourceDescriptions"]]
            if not page.get("NextToken"):
                return items
            kwargs["NextToken"] = page["NextToken"]

    def _apis(self, account: str, region: str) -> None:
        for item in self._listing(account, region, "AWS::ApiGatewayV2::Api", None):
            self._submit(self._integrations, account, region, str(item["ApiId"]))

    def _integrations(self, account: str, region: str, api: str) -> None:
        for item in self._listing(account, region, "AWS::ApiGatewayV2::Integration", {"ApiId": api}):
            self._submit(self._responses, account, region, api, str(item["IntegrationId"]))

    def _responses(self, account: str, region: str, api: str, integration: str) -> None:
        found = self._listing(account, region, IR, {"ApiId": api, "IntegrationId": integration})
        with self.lock:
            self.rows += len(found)


def bench_estate_scan(runs: int) -> None:
    """A region-only SELECT over every (account, region) pair (a walk of 3 levels: APIs, integrations,
    responses) against the same walk on a boto3 thread pool (Boto3Estate), at 50 ms a call, cold (a fresh
    connection: discovery, AssumeRole and clients included) and warm (the connection's second statement)."""
    accounts, regions, workers, rate = 50, ("us-east-1", "eu-west-1"), 16, 25.0
    print(
        f"\n## SELECT over {accounts} accounts x {len(regions)} regions, a walk of 3 levels (API, "
        f"integration, response: 3 ListResources per pair), 50 ms a call, {workers} workers, "
        f"{rate:.0f} calls/s per (account, region), vs a boto3 thread pool"
    )
    with endpoint() as ep:
        made = ep.control("POST", "org", {"accounts": accounts})
        for account in made["accounts"]:
            for region in regions:
                seed = {"account": account, "region": region, "websocket_apis": 1, "integrations": 1}
                ep.control("POST", "seed", {**seed, "responses": 1, "http_apis": 0})
        ep.configure(latency=0.05)
        baseline = Boto3Estate(boto3.Session(), ep.url, regions, workers, rate)
        options = {
            "accounts": "org",
            "regions": ",".join(regions),
            "max_workers": workers,
            "cache_ttl": 0,
            "rate_limit": rate,
        }
        sql = f"SELECT * FROM integration_responses WHERE region IN {tuple(regions)}"
        warm, _ = _register(ep.url, **options)
        expected = len(list(warm.execute(sql)))  # discovered, every role assumed; the process's models loaded
        assert expected == baseline.read(cold=True) == accounts * len(regions), expected

        def fresh() -> int:
            connection, _ = _register(ep.url, **options)
            return len(list(connection.execute(sql)))

        readers: dict[str, Callable[[], int]] = {
            "pool cold": lambda: baseline.read(cold=True),
            "vtab cold": fresh,
            "pool warm": lambda: baseline.read(cold=False),
            "vtab warm": lambda: len(list(warm.execute(sql))),
        }
        times: dict[str, list[float]] = {name: [] for name in readers}
        calls: dict[str, Counter[str]] = {}
        for _ in range(runs):  # interleaved, so drift on the machine hits all alike
            for name, reader in readers.items():
                ep.clear_calls()
                start = time.perf_counter()
                assert reader() == expected, name
                times[name].append(time.perf_counter() - start)
                calls[name] = _counted(ep)
        print("| reader | calls | median wall | ratio to the pool |")
        print("|---|---|---|---|")
        for state in ("cold", "warm"):
            base = statistics.median(times[f"pool {state}"])
            for who, label in (("pool", "boto3 thread pool"), ("vtab", "vtab")):
                name = f"{who} {state}"
                ours = statistics.median(times[name])
                shown = ", ".join(f"{op} {n}" for op, n in sorted(calls[name].items()))
                target = " (target <= 1.15)" if who == "vtab" else ""
                print(f"| {label}, {state} | {shown} | {ours:.2f} s | {ours / base:.2f}{target} |")


def _assumed(sts: Any, account: str) -> dict[str, str]:
    """boto3 client keyword arguments for ``account``, through its OrganizationAccountAccessRole."""
    role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
    answer = sts.assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
    return {
        "aws_access_key_id": answer["AccessKeyId"],
        "aws_secret_access_key": answer["SecretAccessKey"],
        "aws_session_token": answer["SessionToken"],
    }


def bench_accounts(runs: int) -> None:
    """Call counts do not vary, and discovery and AssumeRole walls are one run each; the estate scan is a
    median of ``runs``."""
    bench_discovery()
    bench_assume()
    bench_pushdown()
    bench_estate_scan(runs)
