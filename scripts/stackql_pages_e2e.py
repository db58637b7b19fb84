"""Run StackQL's page statements end to end on the local endpoint, as the pages write them; count by cause.

    python scripts/stackql_pages_e2e.py [--types N] [--per-service K] [-v]

The sample: types with every handler and a required property (so that the page's INSERT is SQL), at most
K per service, services in turn, until N types. Each runs tests/stackqlpages_run.py ``run_type``: the
page's INSERT ... RETURNING (which must give the new identifier), list, get by Identifier, UPDATE with
PatchDocument ... RETURNING, DELETE ... RETURNING, with the statements tests/stackqlpages.py generates (the
text of StackQL's pages, checked by scripts/stackql_corpus.py). Failures are printed grouped by cause (the
message with its values masked), with the types.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.stackqlpages_run, which the tests use too

import vtab  # noqa: E402
from tests.stackqlpages_run import REGION, Outcome, StepFailed, run_type, sample, service_of  # noqa: E402
from vtab.emulator import Emulator  # noqa: E402


def cause(error: str) -> str:
    """The message's first line (a failed write's: AWS's own message) with its values masked, so failures
    of one kind group together."""
    failed = re.search(
        r"^\s+FAILED \w+ .*? in [a-z0-9-]+: (.*?)(?: \(RequestToken [^)]*\))?$", error, re.MULTILINE
    )
    first = failed[1] if failed else error.splitlines()[0] if error else ""
    text = re.sub(r"'[^']*'", "'…'", first)
    text = re.sub(r"\b[0-9a-f-]{36}\b", "<token>", text)
    return re.sub(r"\s*\[[^\]]*\]$", "", text)[:220]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--types", type=int, default=200)
    parser.add_argument("--per-service", type=int, default=4)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every failing type")
    args = parser.parse_args()
    types = sample(args.types, args.per_service)
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN"):
        os.environ.pop(name, None)  # the local endpoint only: never a real account's credentials
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing")
    started = time.monotonic()
    failures: dict[str, list[str]] = defaultdict(list)
    by_step: Counter[str] = Counter()
    outcomes: dict[Outcome, list[str]] = defaultdict(list)
    with Emulator() as emulator:
        db = vtab.connect(endpoint_url=emulator.endpoint_url, regions=REGION, rate_limit=None, cache_ttl=0)
        for type_name in types:
            try:
                outcomes[run_type(db, emulator, type_name)].append(type_name)
            except StepFailed as failed:
                failures[f"{failed.step}: {cause(failed.why)}"].append(type_name)
                by_step[failed.step] += 1
            except Exception as error:  # the seeding itself: not a page statement
                failures[f"seed: {type(error).__name__}: {cause(str(error))}"].append(type_name)
                by_step["seed"] += 1
    services = {service_of(t) for t in types}
    print(f"{len(types)} types of {len(services)} services in {time.monotonic() - started:.0f} s:")
    for outcome in Outcome:
        names = outcomes[outcome]
        print(f"  {len(names)} types of {len({service_of(t) for t in names})} services: {outcome}")
        if outcome is Outcome.LIST_NEEDS_WHERE:
            print(
                "      " + ", ".join(names if args.verbose else names[:4]) + ("" if args.verbose else ", ...")
            )
    for step, count in by_step.most_common():
        print(f"  failed at {step}: {count}")
    for why, names in sorted(failures.items(), key=lambda item: -len(item[1])):
        shown = ", ".join(names if args.verbose else names[:4]) + (
            "" if args.verbose or len(names) <= 4 else ", ..."
        )
        print(f"{len(names):4}  {why}\n      {shown}")


if __name__ == "__main__":
    main()
