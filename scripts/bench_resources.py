"""Benchmark of vtab_resources (issue 18 item 5): every listable type of one account in one region,
against the rate limit's floor (calls / rate) with a rate limit that binds.

    .venv/bin/python scripts/bench.py --only resources

The endpoint runs in its own process at 50 ms a call; its call log counts the calls. With 16 workers at
50 ms the calls could go at 320 a second, so a rate limit of 100 a second is what bounds the read.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter

from benchlib import connect, endpoint

LATENCY = 0.05
RATE = 100.0
SEEDED = [
    ("AWS::EKS::Nodegroup", 3, 2),
    ("AWS::Logs::LogStream", 2, 3),
    ("AWS::IAM::Role", 20, 1),
    ("AWS::Lambda::Function", 30, 1),
    ("AWS::SQS::Queue", 60, 1),
]
"""(type, count, parents per resource of the level above), besides the demo data."""


def bench_resources(runs: int) -> None:
    sql = "SELECT type_name, count(*) FROM vtab_resources WHERE region = 'us-east-1' GROUP BY 1"
    print(
        f"\n## vtab_resources WHERE region = 'us-east-1': every listable type of one account, "
        f"{LATENCY * 1000:.0f} ms a call, rate_limit {RATE:g}/s (binds: 16 workers could make "
        f"{16 / LATENCY:.0f}/s); target within 1.15x of calls / rate"
    )
    with endpoint() as ep:
        ep.control("POST", "seed", {"demo": True})
        for type_name, count, parents in SEEDED:
            ep.control(
                "POST", "seed", {"type": type_name, "region": "us-east-1", "count": count, "parents": parents}
            )
        ep.configure(latency=LATENCY)
        times, calls = [], Counter[str]()
        found: list[tuple[str, int]] = []
        cold = 0.0
        for run in range(max(2, runs // 2 + 1)):
            db = connect(ep.url, rate_limit=RATE, max_workers=16)  # a fresh bucket (and burst) per run
            ep.clear_calls()
            start = time.perf_counter()
            found = list(db.execute(sql))
            took = time.perf_counter() - start
            if run == 0:
                cold = took  # the first in the process also builds every type's schema (once)
            else:
                times.append(took)
            calls = Counter(call["operation"] for call in ep.calls())
            db.close()
        lists = calls["ListResources"]
        floor = lists / RATE
        burst_floor = (lists - RATE) / RATE
        wall = statistics.median(times)
        rows = sum(n for _, n in found)
        print(f"types with rows {len(found)}, rows {rows}; calls: {dict(sorted(calls.items()))}")
        print("| what | wall | vs calls / rate |")
        print("|---|---|---|")
        print(f"| floor: {lists} ListResources / {RATE:g} per s | {floor:.2f} s | 1.00x |")
        ratio = f"{wall / floor:.2f}x (target <= 1.15x)"
        print(f"| vtab_resources (median of {len(times)}) | {wall:.2f} s | {ratio} |")
        print(f"| the same, first in the process (schemas built) | {cold:.2f} s | {cold / floor:.2f}x |")
        print(
            f"(the bucket starts full: its first {RATE:g} calls wait for no token, so the floor net of that "
            f"burst is {burst_floor:.2f} s, and vtab_resources is {wall / burst_floor:.2f}x it)"
        )
