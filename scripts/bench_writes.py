"""Write benchmark: INSERT ... SELECT of 50 rows vs one single-row INSERT vs 50 sequential INSERTs.

The local Cloud Control endpoint (in its own process, like AWS) adds 100 ms to every call and completes
each write on its third status poll, so one write costs about 4 calls = 400 ms. A 50-row statement sends
its 50 operations in parallel and polls them concurrently, so it should cost about one write (target:
within 2x of a single-row INSERT) and be far faster than 50 statements in a row (target: at least 10x).

Run: .venv/bin/python scripts/bench_writes.py [--runs 5] [--sequential-runs 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import boto3
from benchlib import Endpoint, endpoint

import vtab

IR = "AWS::ApiGatewayV2::IntegrationResponse"
ROWS = 50
LATENCY = 0.1
POLLS = 3
INSERT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "VALUES (?, ?, ?, 'us-east-1')"
)
INSERT_SELECT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
    "SELECT ?, ?, ? || k, 'us-east-1' FROM keys"
)


def timed(action: Callable[[], None]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


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

    def created(self) -> int:
        """Responses on the integration, counted with a plain boto3 paginator."""
        client = boto3.client("cloudcontrol", endpoint_url=self.ep.url, region_name="us-east-1")
        model = json.dumps({"ApiId": self.api_id, "IntegrationId": self.integration_id})
        pages = client.get_paginator("list_resources").paginate(TypeName=IR, ResourceModel=model)
        return sum(len(page["ResourceDescriptions"]) for page in pages)


def measure(label: str, runs: int, sequential_runs: int, **options: Any) -> tuple[float, float, float]:
    with endpoint() as ep:
        ep.configure(latency=LATENCY, polls_before_complete=POLLS)
        bench = Bench(ep, **options)
        bench.single()  # warm up: connections, clients, the table
        singles = [bench.single() for _ in range(runs)]
        batches = [bench.insert_select() for _ in range(runs)]
        sequentials = [bench.sequential() for _ in range(sequential_runs)]
        expected = 1 + runs + runs * ROWS + sequential_runs * ROWS
        assert bench.created() == expected, f"{bench.created()} resources, expected {expected}"
    single, batch, sequential = (statistics.median(x) for x in (singles, batches, sequentials))
    print(f"\n{label}")
    print(f"  {'statement':<44} {'median s':>9}  runs")
    print(f"  {'INSERT of 1 row':<44} {single:9.3f}  {', '.join(f'{t:.3f}' for t in singles)}")
    print(
        f"  {f'INSERT ... SELECT of {ROWS} rows':<44} {batch:9.3f}  {', '.join(f'{t:.3f}' for t in batches)}"
    )
    print(
        f"  {f'{ROWS} sequential single-row INSERTs':<44} {sequential:9.3f}  "
        f"{', '.join(f'{t:.3f}' for t in sequentials)}"
    )
    print(f"  {ROWS}-row INSERT / 1-row INSERT:      {batch / single:6.2f}x  (target <= 2x)")
    print(f"  {ROWS} sequential / {ROWS}-row INSERT:     {sequential / batch:6.2f}x  (target >= 10x)")
    return single, batch, sequential


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of the single and 50-row INSERT (median)")
    parser.add_argument("--sequential-runs", type=int, default=3, help="runs of the 50 sequential INSERTs")
    parser.add_argument("--skip-defaults", action="store_true", help="skip the default-options measurement")
    args = parser.parse_args()
    # The local endpoint accepts any credentials; never send real ones to it.
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    print(f"Local endpoint: {LATENCY * 1000:.0f} ms per call, writes complete on status poll {POLLS}.")
    single, batch, sequential = measure(
        f"Parallel writes (max_workers={ROWS}, rate_limit=none): the targets",
        args.runs,
        args.sequential_runs,
        max_workers=ROWS,
        rate_limit=None,
    )
    met = batch / single <= 2 and sequential / batch >= 10
    print(f"  targets {'met' if met else 'NOT met'}")
    if not args.skip_defaults:
        measure(
            "Default options (max_workers=16, rate_limit=25 calls/s per region), for comparison",
            args.runs,
            1,
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
