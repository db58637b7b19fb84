"""The big scan (SELECT * over 20,000 responses) against the boto3 paginator loop, by what load does not blur.

Two measures, as BENCHMARKS.md's scan section records them:

- ``--threads``: per run, each reader's CPU and its context switches, thread by thread (from
  /proc/self/task), runs interleaved in one process. Shows how many threads a scan runs on and how often
  they wait on each other (voluntary switches: a GIL or queue hand-over, or a socket read).
- ``--callgrind base|vtab``: one reader, its scans counted by callgrind from inside the process, so
  start-up and a warm-up scan are not counted. Run it under valgrind:
  ``valgrind --tool=callgrind --instr-atstart=no .venv/bin/python scripts/bench_scan_threads.py
  --callgrind vtab`` and read the ``totals:`` line of the callgrind.out file (instructions, divide by
  ``--scans``).

The endpoint runs in its own process (scripts/benchlib.py), uninstrumented.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from collections.abc import Callable

from benchlib import big_scan_readers, endpoint

COUNT = 20_000

Readers = dict[str, Callable[[], int]]


def _threads() -> dict[str, tuple[str, float, int, int]]:
    """Thread id -> (name, CPU seconds, voluntary switches, involuntary switches) of this process."""
    ticks = os.sysconf("SC_CLK_TCK")
    found = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as stat_file:
                stat = stat_file.read()
            with open(f"/proc/self/task/{tid}/status") as status_file:
                status = dict(line.split(":", 1) for line in status_file if ":" in line)
        except FileNotFoundError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        cpu = (int(fields[11]) + int(fields[12])) / ticks
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        found[tid] = (
            name,
            cpu,
            int(status["voluntary_ctxt_switches"]),
            int(status["nonvoluntary_ctxt_switches"]),
        )
    return found


def _by_thread(readers: Readers, runs: int) -> None:
    cpus: dict[str, list[float]] = {name: [] for name in readers}
    per_thread: dict[str, list[list[tuple[float, int, int]]]] = {name: [] for name in readers}
    for _ in range(runs):
        for name, read in readers.items():
            before, cpu = _threads(), time.process_time()
            read()
            cpus[name].append(time.process_time() - cpu)
            after = _threads()
            busy = []
            for tid, (_, spent, voluntary, involuntary) in after.items():
                _, spent0, voluntary0, involuntary0 = before.get(tid, ("", 0.0, 0, 0))
                if voluntary - voluntary0 > 2 or spent > spent0:
                    busy.append((spent - spent0, voluntary - voluntary0, involuntary - involuntary0))
            per_thread[name].append(sorted(busy, reverse=True))
    base = statistics.median(cpus["base"])
    print(
        "| reader | median CPU | ratio | threads busy: CPU s, voluntary / involuntary switches (median run) |"
    )
    print("|---|---|---|---|")
    for name, times in cpus.items():
        median = statistics.median(times)
        runs_by_cpu = sorted(zip(times, per_thread[name], strict=True))
        threads = runs_by_cpu[len(runs_by_cpu) // 2][1]
        shown = "; ".join(f"{cpu:.2f} s, {vol} / {invol}" for cpu, vol, invol in threads)
        print(f"| {name} | {median:.3f} s | {median / base:.2f} | {shown} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", action="store_true", help="per-thread CPU and context switches")
    parser.add_argument("--callgrind", choices=["base", "vtab"], help="count one reader's scans")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--scans", type=int, default=3, help="scans counted by --callgrind")
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    with endpoint() as ep:
        paginator, select = big_scan_readers(ep, COUNT)
        readers: Readers = {"base": paginator, "vtab": select}
        for read in readers.values():
            assert read() == COUNT  # warm-up: clients, connections, the caller's account id
        if args.callgrind:
            pid = str(os.getpid())
            subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
            for _ in range(args.scans):
                readers[args.callgrind]()
            subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)
        if args.threads:
            _by_thread(readers, args.runs)


if __name__ == "__main__":
    main()
