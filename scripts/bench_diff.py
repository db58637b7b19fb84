"""Benchmark of ``vtab diff`` (issue 19): two syncs of 100,000 resources, target under 10 s and under
300 MB of memory, each run in a fresh process (its peak RSS is the diff's own).

    .venv/bin/python scripts/bench.py --only diff

The two files are written with plain SQL in vtab sync's file contract: 100,000 EKS clusters over 4
accounts x 2 regions with nested JSON columns; the newer sync removes 1% of them, adds 1% and changes 2%
(a member deep inside a JSON column, or a plain column).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import apsw
from benchlib import peak_rss_kib

RESOURCES = 100_000
PLACES = [
    (f"{100000000000 + account}", region) for account in range(4) for region in ("us-east-1", "eu-west-1")
]
COLUMNS = ("name", "version", "arn", "status", "resources_vpc_config", "logging", "tags")
SYNCED = ("2026-12-06T10:00:00.000Z", "2026-12-07T10:00:00.000Z")


def cluster(number: int, account: str, region: str, changed: bool) -> tuple[object, ...]:
    vpc = {
        "SubnetIds": [f"subnet-{number:08x}a", f"subnet-{number:08x}b"],
        "SecurityGroupIds": [f"sg-{number:08x}"],
        "EndpointPublicAccess": not (changed and number % 2),
    }
    logging = {"ClusterLogging": {"EnabledTypes": [{"Type": "api"}, {"Type": "audit"}]}}
    tags = [{"Key": "team", "Value": f"team-{number % 50}"}, {"Key": "env", "Value": "prod"}]
    version = "1.31" if changed and not number % 2 else "1.30"
    name = f"cluster-{number}"
    return (
        name,
        version,
        f"arn:aws:eks:{region}:{account}:cluster/{name}",
        "ACTIVE",
        json.dumps(vpc),
        json.dumps(logging),
        json.dumps(tags),
        region,
        account,
        name,
    )


def write(path: Path, synced_at: str, newer: bool) -> None:
    """One sync file: every place done, its rows stamped ``synced_at``."""
    db = apsw.Connection(str(path))
    own = ("region", "account_id", "_vtab_identifier", "_vtab_synced_at")
    with db:
        db.execute(f"CREATE TABLE eks_clusters({', '.join((*COLUMNS, *own))})")
        db.execute(
            "CREATE TABLE _vtab_sync(account_id, region, table_name, type_name, status, pages, rows, calls, "
            "seconds, error_code, error_message, sync_id, started_at, finished_at)"
        )
        per_place = RESOURCES // len(PLACES)
        for place, (account, region) in enumerate(PLACES):
            numbers = range(place * per_place, (place + 1) * per_place)
            if newer:  # 1% removed (the first of each hundred), 1% added, 2% changed
                numbers = [n for n in numbers if n % 100] + [RESOURCES + n for n in numbers if not n % 100]
            rows = ((*cluster(n, account, region, newer and n % 100 in (1, 2)), synced_at) for n in numbers)
            db.executemany(f"INSERT INTO eks_clusters VALUES ({', '.join('?' * (len(COLUMNS) + 4))})", rows)
            db.execute(
                "INSERT INTO _vtab_sync VALUES "
                "(?, ?, 'eks_clusters', 'AWS::EKS::Cluster', 'done', 1, ?, 1, 1.0, NULL, NULL, ?, ?, ?)",
                (account, region, per_place, synced_at, synced_at, synced_at),
            )
    db.close()


def child(old: str, new: str) -> None:
    """Runs in a fresh process: ``vtab diff OLD NEW --format jsonl`` into /dev/null; prints the seconds,
    the changes by kind and the peak RSS."""
    from vtab.cli.main import main

    start = time.perf_counter()
    with open(os.devnull, "w") as devnull:
        stdout, sys.stdout = sys.stdout, devnull
        try:
            status = main(["diff", old, new, "--format", "jsonl"])
        finally:
            sys.stdout = stdout
    seconds = time.perf_counter() - start
    from vtab.sync.diff import diff

    with diff(old, new) as found:
        kinds: dict[str, int] = {}
        for change in found:
            kinds[change.kind.value] = kinds.get(change.kind.value, 0) + 1
    print(json.dumps({"status": status, "seconds": seconds, "maxrss_kib": peak_rss_kib(), "kinds": kinds}))


def bench_diff(runs: int) -> None:
    print(
        f"\n## vtab diff of two syncs of {RESOURCES:,} resources (1% removed, 1% added, 2% changed); "
        "target under 10 s and 300 MB (fresh process each)"
    )
    with tempfile.TemporaryDirectory() as folder:
        old, new = Path(folder) / "old.db", Path(folder) / "new.db"
        start = time.perf_counter()
        write(old, SYNCED[0], newer=False)
        write(new, SYNCED[1], newer=True)
        print(f"(files written in {time.perf_counter() - start:.1f} s)")
        results = []
        for _ in range(runs):
            out = subprocess.run(
                [sys.executable, __file__, "--child", str(old), str(new)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results.append(json.loads(out))
    assert {r["status"] for r in results} == {0}
    kinds = results[0]["kinds"]
    print("| changes | median wall (vtab diff --format jsonl) | median peak RSS |")
    print("|---|---|---|")
    print(
        f"| {', '.join(f'{count:,} {kind}' for kind, count in sorted(kinds.items()))} "
        f"| {statistics.median(r['seconds'] for r in results):.2f} s "
        f"| {statistics.median(r['maxrss_kib'] for r in results) / 1024:.0f} MiB |"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        bench_diff(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
