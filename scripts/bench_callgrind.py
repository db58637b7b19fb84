"""Client instructions per scan of 20,000 rows (800 pages), which a busy machine does not change.

    .venv/bin/python scripts/bench_callgrind.py            # the boto3 paginator and vtab, 1 scan each
    .venv/bin/python scripts/bench_callgrind.py --scans 3 --only vtab

The endpoint runs in its own process, uninstrumented. Each reader runs in a process of its own under
``valgrind --tool=callgrind --instr-atstart=no``: a warm-up scan first, uninstrumented, then the reader
turns instrumentation on (``callgrind_control -i on``) for exactly the measured scans, so start-up and
warm-up are not counted and no difference needs taking. Needs valgrind. PYTHONPATH chooses the vtab tree.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

COUNT = 20_000


def _instrument(on: bool) -> None:
    subprocess.run(
        ["callgrind_control", "-i", "on" if on else "off", str(os.getpid())],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def reader(kind: str, url: str, api_id: str, integration_id: str, scans: int) -> None:
    """Runs under callgrind: one warm-up scan, then ``scans`` instrumented ones."""
    from benchlib import paginator_reader, select_reader

    scan = (paginator_reader if kind == "boto3" else select_reader)(url, api_id, integration_id)
    assert scan() == COUNT
    _instrument(True)
    for _ in range(scans):
        scan()
    _instrument(False)


def measure(kind: str, url: str, api_id: str, integration_id: str, scans: int) -> float:
    """Instructions per scan of one reader process."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                "--instr-atstart=no",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--reader",
                kind,
                url,
                api_id,
                integration_id,
                str(scans),
            ],
            check=True,
            stderr=subprocess.DEVNULL,
        )
        text = out.read_text(errors="replace")
    match = re.search(r"^totals: (\d+)", text, re.MULTILINE)
    assert match, "no totals in callgrind's output"
    return int(match.group(1)) / scans


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scans", type=int, default=1)
    parser.add_argument("--only", choices=("boto3", "vtab"), action="append")
    parser.add_argument("--reader", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    if args.reader:
        kind, url, api_id, integration_id, scans = args.reader
        reader(kind, url, api_id, integration_id, int(scans))
        return
    from benchlib import endpoint

    with endpoint() as ep:
        seeded = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=COUNT, http_apis=0)
        api_id, integration_id = seeded["integrations"][0]
        print(f"| reader | instructions per scan ({args.scans} scan(s) measured) |")
        print("|---|---|")
        for kind in args.only or ("boto3", "vtab"):
            count = measure(kind, ep.url, api_id, integration_id, args.scans)
            print(f"| {kind} | {count / 1e9:.2f} G |", flush=True)


if __name__ == "__main__":
    main()
