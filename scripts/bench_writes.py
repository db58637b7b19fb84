"""Write benchmark: INSERT ... SELECT of 50 rows vs one single-row INSERT vs 50 sequential INSERTs.

The local Cloud Control endpoint (in its own process, like AWS) adds 100 ms to every call and completes
each write on its third status poll, so one write costs 4 calls = about 500 ms (each answer's RetryAfter
is its own time, already past on arrival, so vtab's backoff spaces the polls; the last setting has the
endpoint say "50 ms after this answer" instead). A 50-row statement sends its 50 operations in parallel
and polls them concurrently, so at 16 workers without a rate limit it should cost at most 1.6x a
single-row INSERT (the bound the start calls set: 4 rounds of 16), and be far faster than 50
statements in a row (target: at least 10x). That bound counts each extra round as the latency alone; a
round is a whole start call (latency, signing, both ends' HTTP work), so the bound is printed twice:
with the latency, and with the 1-row INSERT's own calls (their ``ms`` in vtab_calls). Under the default
rate limit (25 calls/s) the calls decide the time, so the calls and polls per write are counted (from the
endpoint's recorder).

Each statement's client CPU is reported too: the SQLite thread's (``thread_time``, the scheduler) and the
whole process's (the start slots' and poll threads' besides), medians per statement.

Run: .venv/bin/python scripts/bench_writes.py [--runs 5] [--sequential-runs 2] [--setting N ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
from benchlib import Endpoint, endpoint

import vtab

IR = "AWS::ApiGatewayV2::IntegrationResponse"
ROWS = 50
LATENCY = 0.1
POLLS = 3
BATCH_TARGET = 1.6
"""The most a 50-row INSERT may cost at 16 workers, in single-row INSERTs (issue 18)."""
INSERT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "VALUES (?, ?, ?, 'us-east-1')"
)
INSERT_SELECT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "SELECT ?, ?, ? || k, 'us-east-1' FROM keys"
)


CPU: list[tuple[float, float]] = []
"""(SQLite thread CPU, process CPU) of each statement ``timed`` ran, in order."""


def timed(action: Callable[[], None]) -> float:
    thread, process = time.thread_time(), time.process_time()
    start = time.perf_counter()
    action()
    elapsed = time.perf_counter() - start
    CPU.append((time.thread_time() - thread, time.process_time() - process))
    return elapsed


class Bench:
    """One endpoint and one connection; every measured statement writes fresh keys."""

    def __init__(self, ep: Endpoint, **options: Any) -> None:
        self.ep = ep
        seeded = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=0, http_apis=0)
        self.api_id, self.integration_id = seeded["integrations"][0]
        # vtab's own defaults unless the caller overrides them
        self.db = vtab.connect(endpoint_url=ep.url, regions="us-east-1", cache_ttl=0, **options)
        self.db.execute("CREATE TABLE keys(k TEXT)")
        self.db.executemany("INSERT INTO keys VALUES (?)", [(f"-{i}",) for i in range(ROWS)])
        self.run = 0

    def _prefix(self) -> str:
        self.run += 1
        return f"run{self.run}"

    def single(self) -> float:
        key = self._prefix()
        return timed(lambda: self.db.execute(INSERT, (self.api_id, self.integration_id, key)))

    def insert_select(self) -> float:
        prefix = self._prefix()
        return timed(lambda: self.db.execute(INSERT_SELECT, (self.api_id, self.integration_id, prefix)))

    def sequential(self) -> float:
        prefix = self._prefix()

        def fifty() -> None:
            for i in range(ROWS):
                self.db.execute(INSERT, (self.api_id, self.integration_id, f"{prefix}-{i}"))

        return timed(fifty)

    def last_call(self) -> int:
        return int(self.db.execute("SELECT coalesce(max(seq), 0) FROM vtab_calls").fetchall()[0][0])

    def write_calls_since(self, mark: int) -> list[float]:
        """Seconds in the calls of each write after call ``mark`` (its start call and polls share one
        vtab_calls row), as the client timed them."""
        rows = self.db.execute(
            "SELECT ms FROM vtab_calls WHERE seq > ? AND operation = 'CreateResource'", (mark,)
        ).fetchall()
        return [ms / 1000 for (ms,) in rows]

    def created(self) -> int:
        """Responses on the integration, counted with a plain boto3 paginator."""
        client = boto3.client("cloudcontrol", endpoint_url=self.ep.url, region_name="us-east-1")
        model = json.dumps({"ApiId": self.api_id, "IntegrationId": self.integration_id})
        pages = client.get_paginator("list_resources").paginate(TypeName=IR, ResourceModel=model)
        return sum(len(page["ResourceDescriptions"]) for page in pages)


@dataclass
class Timing:
    """One kind of statement: its wall times, and the calls and polls the endpoint saw per write."""

    times: list[float]
    calls_per_write: float
    polls_per_write: float
    thread_cpu: float
    """Median CPU seconds of the SQLite thread per statement."""
    process_cpu: float
    """Median CPU seconds of the client process per statement."""
    write_calls: float
    """Median seconds the client spent in one write's calls (its vtab_calls ms: the start call and every
    poll), over the statements' writes."""

    @property
    def median(self) -> float:
        return statistics.median(self.times)


@dataclass
class Result:
    single: Timing
    batch: Timing
    sequential: Timing | None


def counted(bench: Bench, statement: Callable[[], float], runs: int, writes: int, pause: float) -> Timing:
    """``runs`` runs of ``statement`` (each after ``pause`` seconds, so a rate limiter's bucket is full
    again, as for a statement run after a moment's pause), with the endpoint's calls per write."""
    times, calls, polls, write_calls = [], 0, 0, []
    first = len(CPU)
    for _ in range(runs):
        time.sleep(pause)
        bench.ep.clear_calls()
        mark = bench.last_call()
        times.append(statement())
        seen = bench.ep.calls()
        calls += len(seen)
        polls += sum(1 for c in seen if c["operation"] == "GetResourceRequestStatus")
        write_calls.extend(bench.write_calls_since(mark))
    cpu = CPU[first:]
    return Timing(
        times,
        calls / (runs * writes),
        polls / (runs * writes),
        statistics.median(c[0] for c in cpu),
        statistics.median(c[1] for c in cpu),
        statistics.median(write_calls),
    )


def measure(
    label: str,
    runs: int,
    sequential_runs: int,
    *,
    max_workers: int,
    rate_limit: float | None,
    retry_after: float | None = None,
) -> Result:
    with endpoint() as ep:
        # retry_after None: each answer's RetryAfter is the answer's own time, already past when it
        # arrives, so vtab's backoff spaces the polls; a number: "ask again that long after this answer".
        ep.configure(latency=LATENCY, polls_before_complete=POLLS, retry_after=retry_after or 0.0)
        bench = Bench(ep, max_workers=max_workers, rate_limit=rate_limit)
        bench.single()  # warm up: connections, clients, the table
        pause = 1.0 if rate_limit else 0.0  # the bucket holds max(1, rate) calls: refilled in 1 s
        single = counted(bench, bench.single, runs, 1, pause)
        batch = counted(bench, bench.insert_select, runs, ROWS, pause)
        sequential = (
            counted(bench, bench.sequential, sequential_runs, ROWS, pause) if sequential_runs else None
        )
        expected = 1 + runs + runs * ROWS + sequential_runs * ROWS
        assert bench.created() == expected, f"{bench.created()} resources, expected {expected}"
    result = Result(single, batch, sequential)
    report(label, result, max_workers, rate_limit)
    return result


def report(label: str, result: Result, max_workers: int, rate_limit: float | None) -> None:
    single, batch = result.single, result.batch
    print(f"\n{label}")
    print(
        f"  {'statement':<36} {'median s':>9} {'calls/write':>12} {'polls/write':>12} {'SQLite ms':>9}"
        f" {'CPU ms':>7}  runs"
    )
    rows = [("INSERT of 1 row", single), (f"INSERT ... SELECT of {ROWS} rows", batch)]
    if result.sequential is not None:
        rows.append((f"{ROWS} sequential single-row INSERTs", result.sequential))
    for name, timing in rows:
        runs = ", ".join(f"{t:.3f}" for t in timing.times)
        print(
            f"  {name:<36} {timing.median:9.3f} {timing.calls_per_write:12.2f} {timing.polls_per_write:12.2f}"
            f" {timing.thread_cpu * 1000:9.1f} {timing.process_cpu * 1000:7.1f}  {runs}"
        )
    ratio = batch.median / single.median
    target = f"  (target <= {BATCH_TARGET:g}x)" if rate_limit is None else ""
    print(f"  {ROWS}-row INSERT / 1-row INSERT: {ratio:6.2f}x{target}")
    if rate_limit is None:
        # Start calls alone: ceil(ROWS / max_workers) rounds of one call each, then the last row's polls.
        rounds = math.ceil(ROWS / max_workers)
        bound = (single.median + (rounds - 1) * LATENCY) / single.median
        print(
            f"  bound set by the start calls ({rounds} round(s) of {max_workers}), each extra round the "
            f"latency alone ({LATENCY * 1000:.0f} ms): {bound:.3f}x"
        )
        round_trip = single.write_calls / single.calls_per_write
        measured = single.median + (rounds - 1) * round_trip
        print(
            f"  the same, each extra round a call as long as the 1-row INSERT's ({round_trip * 1000:.1f} ms):"
            " "
            f"{measured / single.median:.3f}x; the {ROWS}-row INSERT's time beyond it: "
            f"{(batch.median - measured) * 1000:.1f} ms"
        )
    else:
        calls = batch.calls_per_write * ROWS
        burst = max(1.0, rate_limit)
        print(
            f"  bound set by rate_limit={rate_limit:g}/s: {calls:.0f} calls, {burst:.0f} at once, the rest "
            f"at {rate_limit:g}/s = {(calls - burst) / rate_limit:.2f} s"
        )
    if result.sequential is not None:
        speedup = result.sequential.median / batch.median
        print(f"  {ROWS} sequential / {ROWS}-row INSERT: {speedup:6.2f}x  (target >= 10x)")


SETTINGS: list[tuple[str, int, float | None, float | None]] = [
    ("max_workers=16 (the default), rate_limit=none", 16, None, None),
    ("max_workers=16, rate_limit=25 calls/s per region (the defaults)", 16, 25.0, None),
    (f"max_workers={ROWS}, rate_limit=none", ROWS, None, None),
    ("max_workers=16, rate_limit=none, each answer says RetryAfter = its time + 50 ms", 16, None, 0.05),
]
"""The settings measured (label, max_workers, rate_limit, the endpoint's RetryAfter after each answer):
the first is the one with the targets."""


def run_all(runs: int, sequential_runs: int, settings: list[int] | None = None) -> bool:
    """Every setting (or those numbered in ``settings``, from 1); whether the targets (first setting)
    were met."""
    print(f"Local endpoint: {LATENCY * 1000:.0f} ms per call, writes complete on status poll {POLLS}.")
    met = True
    for i, (label, workers, rate, retry_after) in enumerate(SETTINGS):
        if settings and i + 1 not in settings:
            continue
        result = measure(
            label,
            runs,
            sequential_runs if i == 0 else 0,
            max_workers=workers,
            rate_limit=rate,
            retry_after=retry_after,
        )
        if i == 0 and result.sequential is not None:
            met = (
                result.batch.median / result.single.median <= BATCH_TARGET
                and result.sequential.median / result.batch.median >= 10
            )
            print(f"  targets {'met' if met else 'NOT met'}")
    return met


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of the single and 50-row INSERT (median)")
    parser.add_argument("--sequential-runs", type=int, default=2, help="runs of the 50 sequential INSERTs")
    parser.add_argument(
        "--setting", type=int, action="append", help="only this setting (1-4, repeatable); default: all"
    )
    args = parser.parse_args()
    # The local endpoint accepts any credentials; never send real ones to it.
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    return 0 if run_all(args.runs, args.sequential_runs, args.setting) else 1


if __name__ == "__main__":
    sys.exit(main())
