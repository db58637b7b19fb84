"""The local endpoint's own CPU per call (issue 19): the endpoint's process CPU (user + system, from
/proc) over N calls of each kind, made by boto3 clients on kept connections from ``--threads`` threads.

    .venv/bin/python scripts/bench_endpoint.py                  # 2,000 calls of each kind
    .venv/bin/python scripts/bench_endpoint.py --calls 500 --latency 0.05 --threads 160

The client's CPU is not counted (it runs in this process); a busy machine inflates both a little.
``--latency`` checks that sleeping calls overlap: at 160 threads x 50 ms the wall time of N calls is
about N / 160 x 50 ms when the endpoint queues none of them.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import boto3
from benchlib import Endpoint, endpoint
from botocore.config import Config

REGION = "us-east-1"
LOG_GROUPS = "AWS::Logs::LogGroup"


def process_cpu(pid: int) -> tuple[float, float]:
    """Seconds of CPU process ``pid`` has used in user and system mode, all its threads."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def _calls(ep: Endpoint, threads: int, member: str) -> dict[str, Callable[[Any], Any]]:
    """One callable per kind of call, each taking the thread's clients."""
    cloudcontrol = boto3.client(
        "cloudcontrol", endpoint_url=ep.url, region_name=REGION, config=Config(max_pool_connections=threads)
    )
    listed = cloudcontrol.list_resources(TypeName=LOG_GROUPS)["ResourceDescriptions"]
    identifier = listed[0]["Identifier"]
    created = cloudcontrol.create_resource(TypeName=LOG_GROUPS, DesiredState='{"LogGroupName": "bench"}')
    token = created["ProgressEvent"]["RequestToken"]
    return {
        "ListResources (8 log groups)": lambda c: c["cloudcontrol"].list_resources(TypeName=LOG_GROUPS),
        "GetResource": lambda c: c["cloudcontrol"].get_resource(TypeName=LOG_GROUPS, Identifier=identifier),
        "GetResourceRequestStatus": lambda c: c["cloudcontrol"].get_resource_request_status(
            RequestToken=token
        ),
        "STS GetCallerIdentity": lambda c: c["sts"].get_caller_identity(),
        "STS AssumeRole": lambda c: c["sts"].assume_role(
            RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="bench"
        ),
        "Organizations ListAccounts": lambda c: c["organizations"].list_accounts(),
    }


@contextmanager
def _sampled(pid: int, into: str | None) -> Iterator[None]:
    """py-spy sampling process ``pid`` while the block runs (nothing when ``into`` is None)."""
    if into is None:
        yield
        return
    command = ["py-spy", "record", "--pid", str(pid), "--format", "raw", "--gil", "--rate", "500", "-o", into]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(1)  # py-spy attaches
        yield
    finally:
        spy.send_signal(signal.SIGINT)
        spy.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=2000, help="calls of each kind")
    parser.add_argument("--threads", type=int, default=8, help="client threads, each its own connection")
    parser.add_argument("--latency", type=float, default=0.0, help="the endpoint's latency setting")
    parser.add_argument("--only", default="", help="run the kinds whose name contains this")
    parser.add_argument(
        "--profile", metavar="FILE", help="sample the endpoint with py-spy (on PATH) into FILE, collapsed"
    )
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION=REGION)
    with endpoint() as ep:
        assert ep.pid is not None
        member = ep.control("POST", "org", {"accounts": 3})["accounts"][1]
        ep.control("POST", "seed", {"type": LOG_GROUPS, "region": REGION, "count": 8})
        kinds = _calls(ep, args.threads, member)
        ep.configure(latency=args.latency, polls_before_complete=0)
        local = threading.local()
        config = Config(max_pool_connections=2, retries={"max_attempts": 1})

        def clients() -> dict[str, Any]:
            if not hasattr(local, "clients"):
                local.clients = {
                    name: boto3.client(name, endpoint_url=ep.url, region_name=REGION, config=config)
                    for name in ("cloudcontrol", "sts", "organizations")
                }
            return local.clients  # type: ignore[no-any-return]

        print(f"\n## The endpoint's CPU per call ({args.calls} calls of each, {args.threads} client threads)")
        print("| call | endpoint CPU per call (system) | client CPU per call | wall |")
        print("|---|---|---|---|")
        with ThreadPoolExecutor(args.threads) as pool, _sampled(ep.pid, args.profile):
            list(pool.map(lambda _: kinds["STS GetCallerIdentity"](clients()), range(args.threads * 4)))
            for name, call in kinds.items():
                if args.only not in name:
                    continue
                ep.clear_calls()
                cpu, client_cpu = process_cpu(ep.pid), process_cpu(os.getpid())
                start = time.perf_counter()
                list(pool.map(lambda _, call=call: call(clients()), range(args.calls)))
                wall = time.perf_counter() - start
                (user_after, system_after), (user_before, system_before) = process_cpu(ep.pid), cpu
                user, system = user_after - user_before, system_after - system_before
                client = sum(process_cpu(os.getpid())) - sum(client_cpu)
                per_call = (
                    f"{(user + system) / args.calls * 1000:.2f} ms ({system / args.calls * 1000:.2f} ms) "
                    f"| {client / args.calls * 1000:.2f} ms"
                )
                print(f"| {name} | {per_call} | {wall:.2f} s |")


if __name__ == "__main__":
    main()
