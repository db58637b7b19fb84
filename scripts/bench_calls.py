"""Client CPU per Cloud Control call: vtab's CloudControl against a bare boto3 client, same run.

    .venv/bin/python scripts/bench_calls.py                 # 300 calls x 7 rounds of each
    PYTHONPATH=/path/to/other/tree .venv/bin/python scripts/bench_calls.py   # another vtab tree

Warm clients against the local endpoint (in its own process) at no latency; process CPU per call (every
thread of this process, which a busy machine blurs less than wall time), min and median over rounds that
alternate the readers. ListResources of a 1-item page, and a write with its poll (CreateResource then
GetResourceRequestStatus, counted as 2 calls).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable

import boto3
from benchlib import endpoint

import vtab.aws.cloudcontrol as cloudcontrol
from vtab.aws.calllog import CallLog
from vtab.aws.cloudcontrol import CloudControl
from vtab.aws.rate_limits import RateLimiters
from vtab.catalog import load_catalog
from vtab.options import Options

IR = "AWS::ApiGatewayV2::IntegrationResponse"
LOG_GROUP = "AWS::Logs::LogGroup"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    os.environ.update(
        AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench", AWS_DEFAULT_REGION="us-east-1"
    )
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.pop("AWS_PROFILE", None)
    catalog = load_catalog()
    responses, log_groups = catalog.schema(IR), catalog.schema(LOG_GROUP)
    print(f"vtab from {os.path.dirname(os.path.dirname(cloudcontrol.__file__))}")
    with endpoint() as ep:
        seeded = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=1, http_apis=0)
        api_id, integration_id = seeded["integrations"][0]
        model = {"ApiId": api_id, "IntegrationId": integration_id}
        options = Options(endpoint_url=ep.url, regions="us-east-1", rate_limit=None, cache_ttl=0)
        cloud = CloudControl(options, CallLog(capacity=1000), RateLimiters())
        bare = boto3.client("cloudcontrol", endpoint_url=ep.url, region_name="us-east-1")
        text = json.dumps(model)
        names = iter(range(10**9))

        def vtab_list() -> None:
            assert len(next(cloud.list_pages("us-east-1", responses, model))) == 1

        def bare_list() -> None:
            assert len(bare.list_resources(TypeName=IR, ResourceModel=text)["ResourceDescriptions"]) == 1

        def vtab_write() -> None:
            state = json.dumps({"LogGroupName": f"v{next(names)}"})
            record = cloud.log_start("CreateResource", "us-east-1", LOG_GROUP)
            event = cloud.start_write(record, log_groups, "create", "create_resource", DesiredState=state)
            cloud.request_status(record, log_groups, "create", event["RequestToken"])

        def bare_write() -> None:
            state = json.dumps({"LogGroupName": f"b{next(names)}"})
            event = bare.create_resource(TypeName=LOG_GROUP, DesiredState=state)["ProgressEvent"]
            bare.get_resource_request_status(RequestToken=event["RequestToken"])

        cases: dict[str, tuple[Callable[[], None], int]] = {
            "ListResources, vtab": (vtab_list, 1),
            "ListResources, bare boto3": (bare_list, 1),
            "CreateResource + poll, vtab": (vtab_write, 2),
            "CreateResource + poll, bare boto3": (bare_write, 2),
        }
        per_call: dict[str, list[float]] = {name: [] for name in cases}
        for action, _ in cases.values():
            action()
        for _ in range(args.rounds):
            for name, (action, calls) in cases.items():
                cpu = time.process_time()
                for _ in range(args.calls // calls):
                    action()
                per_call[name].append((time.process_time() - cpu) / (args.calls // calls * calls) * 1e6)
        print("| calls | client CPU per call, min / median |")
        print("|---|---|")
        for name, times in per_call.items():
            print(f"| {name} | {min(times):.0f} / {statistics.median(times):.0f} us |")


if __name__ == "__main__":
    main()
