"""Benchmark of ``vtab sync`` (issue 19): an Organization's accounts x regions x types (walks included) at
50 ms a call and 25 calls/s per account-region, against the floor (the busiest account-region's calls / 25)
and against a bare boto3 crawler making the same calls with the same limits, in the same run, with the thread
executor and with ``--executor processes`` (one worker process per core); then a sync killed half-way and
resumed, against one clean run's calls.

    .venv/bin/python scripts/bench.py --only sync
    .venv/bin/python scripts/bench_sync.py --accounts 4 --regions 1     # a small size, quickly

The endpoint runs in its own process; its call log counts the calls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
from benchlib import Endpoint, endpoint

import vtab
from vtab.aws.rate_limits import RateLimiter

REGIONS = ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-1")
TABLES = "logs_*,apigatewayv2_*"
SKIPPED = ""
"""30 types: 15 of CloudWatch Logs (3 of them walk each log group), 15 of API Gateway V2 (walks of APIs,
integrations and routes)."""
RATE = 25.0
FLOOR_GOAL = 1.15
CRAWLER_GOAL = 1.10
"""Issue 19's goals: a sync's wall against the floor and against the bare boto3 crawler."""
LATENCY = 0.05


def _seed(ep: Endpoint, accounts: list[str], regions: tuple[str, ...]) -> None:
    for account in accounts:
        for region in regions:
            ep.control(
                "POST",
                "seed",
                {
                    "region": region,
                    "account": account,
                    "websocket_apis": 2,
                    "integrations": 2,
                    "responses": 2,
                },
            )
            ep.control(
                "POST",
                "seed",
                {"type": "AWS::Logs::LogGroup", "region": region, "account": account, "count": 8},
            )


def _per_place(calls: list[dict[str, Any]]) -> Counter[tuple[str, str]]:
    return Counter((call["account_id"], call["region"]) for call in calls if call["type_name"])


def _listings(calls: list[dict[str, Any]]) -> dict[tuple[str, str], list[tuple[str, str | None]]]:
    """Per account-region, the listings the sync made (type, ResourceModel), first pages only: the
    crawler pages each to its end as the sync did."""
    found: dict[tuple[str, str], list[tuple[str, str | None]]] = defaultdict(list)
    for call in calls:
        if call["operation"] == "ListResources" and not call["next_token"]:
            model = call["resource_model"]
            found[(call["account_id"], call["region"])].append(
                (call["type_name"], json.dumps(model) if model else None)
            )
    return found


def _crawl(ep: Endpoint, listings: dict[tuple[str, str], list[tuple[str, str | None]]], workers: int) -> int:
    """A bare boto3 crawler: AssumeRole per account, a client per account-region, a token bucket of RATE per
    account-region, ``workers`` threads over the listings interleaved across account-regions."""
    sts = boto3.client("sts", endpoint_url=ep.url, region_name="us-east-1")
    own = sts.get_caller_identity()["Account"]
    sessions: dict[str, boto3.Session] = {}
    for account in {account for account, _ in listings}:
        if account == own:
            sessions[account] = boto3.Session()
            continue
        role = f"arn:aws:iam::{account}:role/OrganizationAccountAccessRole"
        answer = sts.assume_role(RoleArn=role, RoleSessionName="bench")["Credentials"]
        sessions[account] = boto3.Session(
            aws_access_key_id=answer["AccessKeyId"],
            aws_secret_access_key=answer["SecretAccessKey"],
            aws_session_token=answer["SessionToken"],
        )
    clients = {
        place: sessions[place[0]].client("cloudcontrol", endpoint_url=ep.url, region_name=place[1])
        for place in listings
    }
    buckets = {place: RateLimiter(RATE) for place in listings}
    longest = max(len(items) for items in listings.values())
    order: list[tuple[tuple[str, str], tuple[str, str | None]]] = []
    for position in range(longest):
        order.extend((place, items[position]) for place, items in listings.items() if position < len(items))
    lock = threading.Lock()
    made = 0

    def one(job: tuple[tuple[str, str], tuple[str, str | None]]) -> None:
        nonlocal made
        place, (type_name, model) = job
        params: dict[str, Any] = {"TypeName": type_name}
        if model:
            params["ResourceModel"] = model
        while True:
            buckets[place].acquire()
            answer = clients[place].list_resources(**params)
            with lock:
                made += 1
            if not answer.get("NextToken"):
                return
            params["NextToken"] = answer["NextToken"]

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(one, order))
    return made


def bench_sync_floor(accounts_n: int, regions_n: int) -> None:
    regions = REGIONS[:regions_n]
    print(
        f"\n## vtab sync: {accounts_n} accounts x {len(regions)} regions x 30 types (walks included), "
        f"{LATENCY * 1000:.0f} ms a call, {RATE:.0f} calls/s per account-region"
    )
    with endpoint() as ep:
        accounts = ep.control("POST", "org", {"accounts": accounts_n})["accounts"]
        _seed(ep, accounts, regions)
        ep.configure(latency=LATENCY)
        options = {
            "endpoint_url": ep.url,
            "regions": ",".join(regions),
            "accounts": "org",
            "rate_limit": RATE,
        }
        with tempfile.TemporaryDirectory() as folder:
            ep.clear_calls()
            start = time.perf_counter()
            summary = vtab.sync(str(Path(folder) / "sync.db"), tables=TABLES, skip_tables=SKIPPED, **options)
            ours = time.perf_counter() - start
            calls = ep.calls()
            ep.clear_calls()
            start = time.perf_counter()
            apart = vtab.sync(
                str(Path(folder) / "processes.db"),
                tables=TABLES,
                skip_tables=SKIPPED,
                executor="processes",
                **options,
            )
            processes = time.perf_counter() - start
            apart_calls = sum(_per_place(ep.calls()).values())
        places = _per_place(calls)
        busiest = max(places.values())
        floor = busiest / RATE
        listings = _listings(calls)
        ep.clear_calls()
        workers = 2 * len(listings)
        start = time.perf_counter()
        crawled = _crawl(ep, listings, workers)
        crawler = time.perf_counter() - start
        print(
            f"tasks {summary.tasks} ({summary.tasks_failed} failed), rows {summary.resources}, "
            f"Cloud Control calls {sum(places.values())}, busiest account-region {busiest} calls"
        )
        print("| run | wall | ratio to the floor | ratio to the crawler |")
        print("|---|---|---|---|")
        print(f"| floor: busiest account-region's calls / {RATE:.0f} per s | {floor:.2f} s | 1.00 | |")
        print(
            f"| bare boto3 crawler, same {crawled} calls, {workers} threads, same buckets | {crawler:.2f} s "
            f"| {crawler / floor:.2f} | 1.00 |"
        )
        print(
            f"| vtab sync (the default executor, threads) | {ours:.2f} s | {ours / floor:.2f} "
            f"| {ours / crawler:.2f} |"
        )
        print(
            f"| vtab sync --executor processes ({os.cpu_count()} workers; {apart_calls} calls, "
            f"{apart.tasks_done}/{apart.tasks} tasks done) | {processes:.2f} s | {processes / floor:.2f} "
            f"| {processes / crawler:.2f} |"
        )
        for goal, ratios in (
            (FLOOR_GOAL, (ours / floor, processes / floor)),
            (CRAWLER_GOAL, (ours / crawler, processes / crawler)),
        ):
            against = "the floor" if goal == FLOOR_GOAL else "the crawler"
            met = [
                name for name, ratio in zip(("threads", "processes"), ratios, strict=True) if ratio <= goal
            ]
            print(f"goal {goal:.2f}x {against}: {'met by ' + ' and '.join(met) if met else 'NOT met'}")
        print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared: wall figures are noisy)")


def bench_sync_resume(accounts_n: int, regions_n: int) -> None:
    regions = REGIONS[:regions_n]
    print("\n## vtab sync killed half-way, then --resume: calls against one clean run (goal at most 1.10)")
    with endpoint() as ep:
        accounts = ep.control("POST", "org", {"accounts": accounts_n})["accounts"]
        _seed(ep, accounts, regions)
        ep.configure(latency=LATENCY)
        argv = [
            "--tables",
            TABLES,
            "--skip-tables",
            SKIPPED,
            "--accounts",
            "org",
            "--regions",
            ",".join(regions),
        ]
        argv += ["--endpoint-url", ep.url]
        with tempfile.TemporaryDirectory() as folder:
            ep.clear_calls()
            vtab.sync(
                str(Path(folder) / "clean.db"),
                tables=TABLES,
                skip_tables=SKIPPED,
                accounts="org",
                regions=",".join(regions),
                endpoint_url=ep.url,
            )
            clean = sum(_per_place(ep.calls()).values())
            ep.clear_calls()
            killed = str(Path(folder) / "killed.db")
            child = subprocess.Popen(
                [sys.executable, "-m", "vtab.cli", "sync", killed, *argv], stderr=subprocess.PIPE, text=True
            )
            assert child.stderr is not None
            at = ""
            for line in child.stderr:
                found = re.match(r"sync: (\d+)/(\d+) tasks", line)
                if found and int(found[1]) * 2 >= int(found[2]):
                    child.send_signal(signal.SIGKILL)
                    at = f"{found[1]}/{found[2]}"
                    break
            child.wait()
            first = sum(_per_place(ep.calls()).values())
            ep.clear_calls()
            summary = vtab.sync(
                killed, resume=True, accounts="org", regions=",".join(regions), endpoint_url=ep.url
            )
            second = sum(_per_place(ep.calls()).values())
        print("| run | Cloud Control calls | ratio |")
        print("|---|---|---|")
        print(f"| one clean sync | {clean} | 1.00 |")
        print(
            f"| killed at {at} tasks, then resumed ({'complete' if summary.complete else 'INCOMPLETE'}) "
            f"| {first} + {second} = {first + second} | {(first + second) / clean:.2f} |"
        )


def bench_sync(runs: int, accounts: int = 20, regions: int = 2) -> None:
    del runs  # one run each: the ratios are within one run
    bench_sync_floor(accounts, regions)
    bench_sync_resume(accounts, regions)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--regions", type=int, default=2, choices=range(1, len(REGIONS) + 1))
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    bench_sync(1, args.accounts, args.regions)


if __name__ == "__main__":
    main()
