"""Benchmarks of reads (issue 3) and writes (issue 4): medians of several runs and ratios from one run.

    .venv/bin/python scripts/bench.py            # everything (a few minutes)
    .venv/bin/python scripts/bench.py --runs 3 --only walk

The endpoint runs in its own process (as AWS would), so its CPU does not share our GIL.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import orjson
from bench_accounts import bench_accounts
from bench_diff import bench_diff
from bench_resources import bench_resources
from bench_sync import bench_sync
from benchlib import big_scan_readers, connect, endpoint, peak_rss_kib, timed

from vtab.catalog import load_catalog

IR = "AWS::ApiGatewayV2::IntegrationResponse"


# -- 1. calls per plan --------------------------------------------------------------------------------


def bench_calls(runs: int) -> None:
    print("\n## Calls per query: each plan against the naive approach (list everything, filter in SQLite)")
    print("Data: 2 regions x 10 WebSocket APIs x 5 integrations x 3 responses, plus 1 HTTP API per region.")
    with endpoint() as ep:
        seeded = ep.seed("us-east-1", websocket_apis=10, integrations=5, responses=3, http_apis=1)
        ep.seed("eu-west-1", websocket_apis=10, integrations=5, responses=3, http_apis=1)
        api_id, integration_id, _ = seeded["responses"][7].split("|")
        identifier = seeded["responses"][7]
        db = connect(ep.url, regions="us-east-1,eu-west-1")
        cases = [
            ("get: region + data__Identifier", f"region = 'us-east-1' AND data__Identifier = '{identifier}'"),
            (
                "get: region + identifier IN (2 regions)",
                f"region IN ('us-east-1', 'eu-west-1') AND data__Identifier = '{identifier}'",
            ),
            (
                "list: region + api_id + integration_id",
                f"region = 'us-east-1' AND api_id = '{api_id}' AND integration_id = '{integration_id}'",
            ),
            ("walk from integrations: region + api_id", f"region = 'us-east-1' AND api_id = '{api_id}'"),
            ("walk from APIs: region", "region = 'us-east-1'"),
        ]
        print("| query | plan | rows | calls | naive calls | naive/plan |")
        print("|---|---|---|---|---|---|")
        for name, where in cases:
            naive_where = re.sub(
                r"\b(data__Identifier|api_id|integration_id|region) (=|IN)", r"+\1 \2", where
            )
            counts = []
            for clause in (where, naive_where):
                ep.clear_calls()
                got = list(
                    db.execute(
                        "SELECT data__Identifier, response_templates FROM integration_responses "
                        f"WHERE {clause}"
                    )
                )
                counts.append((len(got), len(ep.calls())))
            plan = next(db.execute(f"EXPLAIN QUERY PLAN SELECT * FROM integration_responses WHERE {where}"))[
                3
            ]
            (rows, calls), (naive_rows, naive_calls) = counts
            assert rows == naive_rows, (name, rows, naive_rows)
            print(
                f"| {name} | `{plan.split(':', 1)[1]}` | {rows} | {calls} | {naive_calls} "
                f"| {naive_calls / calls:.0f}x |"
            )


# -- 2. the parallel walk under latency ---------------------------------------------------------------


def bench_walk(runs: int) -> None:
    latency = 0.05
    print(
        "\n## Walk of 2 regions x 10 WebSocket APIs x 5 integrations x 3 responses, "
        f"{latency * 1000:.0f} ms per call"
    )
    with endpoint() as ep:
        for region in ("us-east-1", "eu-west-1"):
            ep.seed(region, websocket_apis=10, integrations=5, responses=3, http_apis=0)
        ep.configure(latency=latency)
        sql = "SELECT * FROM integration_responses WHERE region IN ('us-east-1', 'eu-west-1')"

        # One connection each, warmed up once: a user's session keeps its clients and HTTP connections.
        dbs = {workers: connect(ep.url, max_workers=workers) for workers in (16, 1)}

        def run(workers: int) -> int:
            return len(list(dbs[workers].execute(sql)))

        run(1)
        ep.clear_calls()
        rows = run(16)
        calls = len(ep.calls())
        parallel, _ = timed(lambda: run(16), runs)
        sequential, _ = timed(lambda: run(1), max(1, runs // 2))
        critical_path = 3 * latency  # Api list -> Integration list -> IntegrationResponse list (1 page each)
        ideal = max(critical_path, calls * latency / 16)
        print(
            f"rows {rows}, calls {calls}; ideal = max(critical path {critical_path * 1000:.0f} ms, "
            f"calls x latency / 16 = {calls * latency / 16 * 1000:.0f} ms) = {ideal * 1000:.0f} ms"
        )
        print("| max_workers | median wall | vs ideal | speed-up over sequential |")
        print("|---|---|---|---|")
        print(
            f"| 16 | {parallel * 1000:.0f} ms | {parallel / ideal:.2f}x (target <= 1.5x) | "
            f"{sequential / parallel:.1f}x (target >= 10x) |"
        )
        print(
            f"| 1 (one call after another) | {sequential * 1000:.0f} ms | {sequential / ideal:.2f}x | 1.0x |"
        )


# -- 3. the big scan against a plain paginator --------------------------------------------------------


def bench_scan(runs: int) -> None:
    count = 20_000
    print(
        f"\n## SELECT * over {count} responses on one integration ({count // 25} pages), no injected latency"
    )
    with endpoint() as ep:
        paginator, select = big_scan_readers(ep, count)
        assert paginator() == select() == count
        # Interleave so drift on the machine hits both alike. CPU time (this process's, every thread; the
        # endpoint runs in its own) is the figure a shared machine does not blur: wall time includes
        # waiting for a core.
        walls: dict[str, list[float]] = {"base": [], "ours": []}
        cpus: dict[str, list[float]] = {"base": [], "ours": []}
        for _ in range(runs):
            for name, reader in (("base", paginator), ("ours", select)):
                wall, cpu = time.perf_counter(), time.process_time()
                reader()
                cpus[name].append(time.process_time() - cpu)
                walls[name].append(time.perf_counter() - wall)
        wall = {name: statistics.median(times) for name, times in walls.items()}
        cpu = {name: statistics.median(times) for name, times in cpus.items()}
        print("| reader | median wall | ratio | median CPU | ratio |")
        print("|---|---|---|---|---|")
        print(
            f"| boto3 paginator + orjson.loads | {wall['base']:.2f} s | 1.00 | {cpu['base']:.2f} s | 1.00 |"
        )
        print(
            f"| vtab SELECT * (all rows to Python) | {wall['ours']:.2f} s | "
            f"{wall['ours'] / wall['base']:.2f} | {cpu['ours']:.2f} s | "
            f"{cpu['ours'] / cpu['base']:.2f} (target <= 1.05) |"
        )


# -- 4. memory of that scan ---------------------------------------------------------------------------


def memory_child(url: str, api_id: str, integration_id: str, trace: str) -> None:
    """Runs in a fresh process: one SELECT *, then prints peak RSS and the peak Python heap of the scan."""
    db = connect(url)
    list(db.execute("SELECT 1"))
    if trace == "heap":
        tracemalloc.start()  # it costs memory itself: RSS is measured in runs without it
    n = 0
    for _ in db.execute(
        "SELECT * FROM integration_responses WHERE region = 'us-east-1' "
        "AND api_id = ? AND integration_id = ?",
        (api_id, integration_id),
    ):
        n += 1
    heap = tracemalloc.get_traced_memory()[1]
    print(json.dumps({"rows": n, "maxrss_kib": peak_rss_kib(), "heap": heap}))


def bench_memory(runs: int) -> None:
    count = 20_000
    print(f"\n## Peak memory of SELECT * over {count} responses vs an empty scan (fresh process each)")
    with endpoint() as ep:
        big = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=count, http_apis=0)
        empty = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=0, http_apis=0)

        def peak(pair: list[str], trace: str) -> tuple[int, int, int]:
            out = subprocess.run(
                [sys.executable, __file__, "--memory-child", ep.url, *pair, trace],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out)
            return result["rows"], result["maxrss_kib"], result["heap"]

        empties = [peak(empty["integrations"][0], "rss") for _ in range(runs)]
        bigs = [peak(big["integrations"][0], "rss") for _ in range(runs)]
        empty_heaps = [peak(empty["integrations"][0], "heap") for _ in range(runs)]
        big_heaps = [peak(big["integrations"][0], "heap") for _ in range(runs)]
        assert {r for r, _, _ in empties + empty_heaps} == {0} and {r for r, _, _ in bigs + big_heaps} == {
            count
        }
        base = statistics.median(k for _, k, _ in empties) / 1024
        scan = statistics.median(k for _, k, _ in bigs) / 1024
        base_heap = statistics.median(h for _, _, h in empty_heaps) / 2**20
        scan_heap = statistics.median(h for _, _, h in big_heaps) / 2**20
        print("| scan | median peak RSS | median peak Python heap during the scan (tracemalloc) |")
        print("|---|---|---|")
        print(f"| empty integration | {base:.1f} MiB | {base_heap:.1f} MiB |")
        print(f"| {count} responses | {scan:.1f} MiB | {scan_heap:.1f} MiB |")
        print(f"growth: RSS {scan - base:.1f} MiB, heap {scan_heap - base_heap:.1f} MiB (target < 30 MB)")


# -- 5. writes (issue 4): scripts/bench_writes.py, run from here so `make bench` covers everything ------


def bench_writes(runs: int) -> None:
    import bench_writes  # the sibling script (scripts/ is on sys.path when this file runs)

    rows = bench_writes.ROWS
    print(f"\n## Writes: INSERT ... SELECT of {rows} rows vs 1 row vs {rows} sequential single-row INSERTs")
    bench_writes.run_all(runs, max(1, runs // 2))


# -- 6. the fewest calls in join, LIMIT and IN shapes (issue 10) ---------------------------------------


def bench_shapes(runs: int) -> None:
    latency = 0.05
    print(f"\n## Calls and time per query shape, {latency * 1000:.0f} ms per call")
    print("Data: 10 WebSocket APIs x 5 integrations x 3 responses, one integration with 500 responses.")
    with endpoint() as ep:
        seeded = ep.seed("us-east-1", websocket_apis=10, integrations=5, responses=3, http_apis=0)
        big = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=500, http_apis=0)
        ep.configure(latency=latency)
        mine = seeded["websocket_api_ids"][:2]
        cases = [
            (
                "LIMIT 1 on a region walk (16 workers)",
                "SELECT integration_response_id FROM "
                "integration_responses WHERE region = 'us-east-1' LIMIT 1",
                {},
            ),
            (
                "join: 2 local API ids, vtab second",
                "SELECT v.data__Identifier FROM my_apis m JOIN "
                "integration_responses v ON v.api_id = m.id WHERE v.region = 'us-east-1'",
                {},
            ),
            (
                "join: 2 local API ids, vtab first",
                "SELECT v.data__Identifier FROM integration_responses v "
                "JOIN my_apis m ON v.api_id = m.id WHERE v.region = 'us-east-1'",
                {},
            ),
        ]
        for count in (50, 500):
            ids = ", ".join(f"'{i}'" for i in big["responses"][:count])
            cases.append(
                (
                    f"data__Identifier IN ({count} ids of one integration), rate_limit=25/s",
                    "SELECT * FROM integration_responses WHERE region = 'us-east-1' "
                    f"AND data__Identifier IN ({ids})",
                    {"rate_limit": 25},
                )
            )
        print("| query | plan | rows | calls | median wall |")
        print("|---|---|---|---|---|")
        for name, sql, options in cases:
            db = connect(ep.url, **options)
            db.execute("CREATE TABLE my_apis(id TEXT)")
            db.executemany("INSERT INTO my_apis VALUES (?)", [(a,) for a in mine])
            ep.clear_calls()
            rows = len(list(db.execute(sql)))
            calls = len(ep.calls())
            wall, _ = timed(lambda: list(db.execute(sql)), runs)  # noqa: B023 (used at once)
            plan = "; ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
            print(f"| {name} | `{plan}` | {rows} | {calls} | {wall * 1000:.0f} ms |")


# -- 7. the walk against a plain boto3 thread-pool walk (issue 10) ------------------------------------


def boto3_walk(clients: dict[str, Any], workers: int) -> int:
    """The same walk written directly: a thread pool, each listing submitting its children."""
    regions = list(clients)
    pool = ThreadPoolExecutor(workers)
    pending = []
    lock = threading.Lock()
    count = [0]

    def listing(region: str, type_name: str, model: dict[str, str] | None) -> list[dict[str, object]]:
        items = []
        kwargs: dict[str, str] = {"TypeName": type_name}
        if model:
            kwargs["ResourceModel"] = json.dumps(model)
        for page in clients[region].get_paginator("list_resources").paginate(**kwargs):
            items += [orjson.loads(d["Properties"]) for d in page["ResourceDescriptions"]]
        return items

    def responses(region: str, api: str, integration: str) -> None:
        n = len(listing(region, IR, {"ApiId": api, "IntegrationId": integration}))
        with lock:
            count[0] += n

    def integrations(region: str, api: str) -> None:
        for item in listing(region, "AWS::ApiGatewayV2::Integration", {"ApiId": api}):
            pending.append(pool.submit(responses, region, api, str(item["IntegrationId"])))

    def apis(region: str) -> None:
        for item in listing(region, "AWS::ApiGatewayV2::Api", None):
            if item.get("ProtocolType") == "WEBSOCKET":
                pending.append(pool.submit(integrations, region, str(item["ApiId"])))

    for region in regions:
        pending.append(pool.submit(apis, region))
    while pending:
        pending.pop(0).result()
    pool.shutdown()
    return count[0]


def bench_walk_vs_boto3(runs: int) -> None:
    latency = 0.05
    regions = ["us-east-1", "eu-west-1"]
    print(
        "\n## Full walk vs a plain boto3 16-thread walk, 2 regions x 10 x 5 x 3, "
        f"{latency * 1000:.0f} ms/call"
    )
    with endpoint() as ep:
        for region in regions:
            ep.seed(region, websocket_apis=10, integrations=5, responses=3, http_apis=0)
        ep.configure(latency=latency)
        db = connect(ep.url, max_workers=16)
        sql = "SELECT * FROM integration_responses WHERE region IN ('us-east-1', 'eu-west-1')"
        # Both keep their clients (and HTTP connections) across runs, as a user's session would.
        clients = {r: boto3.client("cloudcontrol", endpoint_url=ep.url, region_name=r) for r in regions}
        assert len(list(db.execute(sql))) == boto3_walk(clients, 16) == 300
        ours_times, base_times = [], []
        for _ in range(runs):  # interleaved, so drift on the machine hits both alike
            base_times.append(timed(lambda: boto3_walk(clients, 16), 1)[0])
            ours_times.append(timed(lambda: list(db.execute(sql)), 1)[0])
        base, ours = statistics.median(base_times), statistics.median(ours_times)
        print("| walker | median wall | ratio |")
        print("|---|---|---|")
        print(f"| plain boto3, 16 threads | {base * 1000:.0f} ms | 1.00 |")
        print(f"| vtab, max_workers=16 | {ours * 1000:.0f} ms | {ours / base:.2f} (target <= 1.05) |")


# -- 8. cold start (issue 10) --------------------------------------------------------------------------


def bench_cold_start(runs: int) -> None:
    print("\n## Cold start: a fresh process (medians)")
    vtab_command = os.path.join(os.path.dirname(sys.executable), "vtab")
    commands = {
        "python -c 'import vtab'": [sys.executable, "-c", "import vtab"],
        "python -c 'import boto3'": [sys.executable, "-c", "import boto3"],
        "python -c 'pass'": [sys.executable, "-c", "pass"],
        'vtab query "SELECT 1"': [vtab_command, "query", "SELECT 1"],
    }
    env = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}
    print("| command | median wall |")
    print("|---|---|")
    for name, argv in commands.items():
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(argv, check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
        print(f"| `{name}` | {statistics.median(times) * 1000:.0f} ms |")


CONNECT_CHILD = """
import json, resource, sys, time
start = time.perf_counter()
import vtab
import vtab.sqlite.install as registry
if sys.argv[2] == "one":
    registry.resource_tables = lambda: {"integration_responses": "AWS::ApiGatewayV2::IntegrationResponse"}
    registry.stackql_names = lambda: {"aws.apigatewayv2.integration_responses": "integration_responses"}
imported = time.perf_counter()
db = vtab.connect(endpoint_url=sys.argv[1], regions="us-east-1", cache_ttl=0)
connected = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
first = None
if sys.argv[2] == "every":
    t = time.perf_counter()
    db.execute("SELECT * FROM eks_nodegroups WHERE region = 'us-east-1'").fetchall()
    first = time.perf_counter() - t
print(json.dumps([connected - imported, rss, first]))
"""


def bench_connect(runs: int) -> None:
    """vtab.connect() with every catalog table registered vs the seed's table alone, and the first query
    on a never-used table (a walk of EKS clusters -> nodegroups on an empty endpoint: 1 call)."""
    print("\n## vtab.connect(): every type vs one type (fresh process each run, medians)")
    with endpoint() as ep:
        results: dict[str, list[list[float]]] = {"one": [], "every": []}
        for _ in range(runs):
            for kind in results:
                out = subprocess.run(
                    [sys.executable, "-c", CONNECT_CHILD, ep.url, kind],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                results[kind].append(json.loads(out.stdout))
    print("| tables registered | connect() | peak RSS | first query on a never-used table |")
    print("|---|---|---|---|")
    tables = len(load_catalog().tables())
    for kind, label in (
        ("one", "1 (integration_responses)"),
        ("every", f"every catalog type ({tables:,} tables + the integration_responses alias)"),
    ):
        rows = results[kind]
        first = [r[2] for r in rows if r[2] is not None]
        first_text = f"{statistics.median(first) * 1000:.0f} ms" if first else "-"
        print(
            f"| {label} | {statistics.median(r[0] for r in rows) * 1000:.0f} ms "
            f"| {statistics.median(r[1] for r in rows) / 1024:.1f} MiB | {first_text} |"
        )


BENCHES = {
    "calls": bench_calls,
    "walk": bench_walk,
    "scan": bench_scan,
    "memory": bench_memory,
    "writes": bench_writes,
    "shapes": bench_shapes,
    "walk-vs-boto3": bench_walk_vs_boto3,
    "cold-start": bench_cold_start,
    "connect": bench_connect,
    "accounts": bench_accounts,
    "resources": bench_resources,
    "diff": bench_diff,
    "sync": bench_sync,
}


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--memory-child":
        memory_child(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=sorted(BENCHES), action="append")
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    for name in args.only or list(BENCHES):
        BENCHES[name](args.runs)


if __name__ == "__main__":
    main()
