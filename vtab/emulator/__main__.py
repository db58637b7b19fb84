"""``python -m vtab.emulator``: run the local Cloud Control endpoint in the foreground.

    python -m vtab.emulator --port 4566 --seed demo --latency 0.05
    python -m vtab.emulator --accounts 5 --seed demo     # an Organization of 5 accounts, each seeded

It prints the endpoint URL and how to point boto3 at it, then serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from vtab.emulator.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vtab.emulator",
        description="Local AWS Cloud Control endpoint for every catalog resource type.",
    )
    parser.add_argument("--port", type=int, default=4566, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument(
        "--seed",
        choices=["demo", "none"],
        default="none",
        help="initial data; its ids (and every id generated later) are the same every run",
    )
    parser.add_argument(
        "--accounts",
        type=int,
        default=1,
        help="accounts of an Organization to make (the default credentials' account is its management "
        "account; the others, in OUs Prod and Dev, are reached by AssumeRole of "
        "OrganizationAccountAccessRole); --seed applies to each; 1: no Organization",
    )
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every call")
    parser.add_argument("--page-size", type=int, default=25, help="ListResources page size")
    parser.add_argument(
        "--polls-before-complete", type=int, default=1, help="status polls until a write finishes"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log every call (never credentials)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(message)s")
    emulator = Emulator(
        port=args.port,
        latency=args.latency,
        page_size=args.page_size,
        polls_before_complete=args.polls_before_complete,
        seed=None if args.seed == "none" else args.seed,
    )
    if args.accounts < 1:
        print(f"error: --accounts takes 1 or more, not {args.accounts}", file=sys.stderr)
        return 2
    org = emulator.seed_org(args.accounts) if args.accounts > 1 else None
    accounts = org.account_ids if org is not None else (ACCOUNT_ID,)
    if org is not None:
        print(f"organization: {len(accounts)} accounts in OUs {' and '.join(org.ous)}")
        print(f"  account {ACCOUNT_ID} (management, the default credentials' account) in the root")
        for account, ou in org.members:
            print(f"  account {account} in OU {ou} (AssumeRole of OrganizationAccountAccessRole)")
    if args.seed == "demo":
        for account in accounts:
            for region, seeded in emulator.seed_demo(account).items():
                where = f"{account} {region}" if args.accounts > 1 else region
                print(
                    f"seeded {where}: {len(seeded.api_ids)} APIs, {len(seeded.integrations)} WebSocket "
                    f"integrations, {len(seeded.responses)} integration responses"
                )
    try:
        emulator.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    url = emulator.endpoint_url
    print(f"Cloud Control emulator listening on {url}")
    print("Point boto3 (or the AWS CLI) at it with:")
    print(f"  export AWS_ENDPOINT_URL_CLOUDCONTROL={url}")
    print("  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1")
    print(f'or: boto3.client("cloudcontrol", endpoint_url="{url}", region_name="us-east-1")')
    print(f"Control routes: {url}/_emulator/settings, /_emulator/calls, /_emulator/reset, /_emulator/seed")
    if org is not None:
        print(f"Read every account at once: vtab shell --endpoint-url {url} --accounts org")
    sys.stdout.flush()

    done = threading.Event()

    def _stop(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    try:
        while not done.wait(0.5):
            pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
