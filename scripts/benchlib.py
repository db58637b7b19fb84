"""What the benchmarks share: the local endpoint in a child process, a connection on it, a timer.

The endpoint runs in its own process (as AWS would), so its CPU does not share the client's GIL.
"""

from __future__ import annotations

import json
import re
import resource
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import apsw
import boto3
import orjson

import vtab


class Endpoint:
    def __init__(self, url: str, pid: int | None = None) -> None:
        self.url = url
        self.pid = pid
        """The endpoint's process id, to read its CPU."""

    def control(self, method: str, route: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{route}", data=data, method=method)
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read())

    def seed(self, region: str, **counts: int) -> dict[str, Any]:
        return self.control("POST", "seed", {"region": region, **counts})["seeded"][0]  # type: ignore[no-any-return]

    def configure(self, **settings: Any) -> None:
        self.control("POST", "settings", settings)

    def calls(self) -> list[dict[str, Any]]:
        return self.control("GET", "calls")["calls"]  # type: ignore[no-any-return]

    def clear_calls(self) -> None:
        self.control("DELETE", "calls")


@contextmanager
def endpoint() -> Iterator[Endpoint]:
    child = subprocess.Popen(
        [sys.executable, "-m", "vtab.emulator", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        for line in child.stdout:
            match = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
            if match:
                yield Endpoint(match.group(1), child.pid)
                return
        raise RuntimeError("the emulator did not start")
    finally:
        child.terminate()
        child.wait(10)


def connect(url: str, **options: Any) -> apsw.Connection:
    return vtab.connect(
        **{"endpoint_url": url, "regions": "us-east-1", "rate_limit": None, "cache_ttl": 0, **options}
    )


SCAN_TYPE = "AWS::ApiGatewayV2::IntegrationResponse"


def paginator_reader(url: str, api_id: str, integration_id: str) -> Callable[[], int]:
    """The big scan's baseline: a bare boto3 paginator, each row's Properties parsed (orjson), row count."""
    client = boto3.client("cloudcontrol", endpoint_url=url, region_name="us-east-1")
    model = json.dumps({"ApiId": api_id, "IntegrationId": integration_id})

    def scan() -> int:
        n = 0
        for page in client.get_paginator("list_resources").paginate(TypeName=SCAN_TYPE, ResourceModel=model):
            for description in page["ResourceDescriptions"]:
                orjson.loads(description["Properties"])
                n += 1
        return n

    return scan


def select_reader(url: str, api_id: str, integration_id: str) -> Callable[[], int]:
    """The big scan through vtab: SELECT * of the integration's responses, every row to Python, row count."""
    db = connect(url)
    sql = (
        "SELECT * FROM integration_responses WHERE region = 'us-east-1' "
        f"AND api_id = '{api_id}' AND integration_id = '{integration_id}'"
    )
    return lambda: len(list(db.execute(sql)))


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median seconds of ``runs`` calls, and the last result."""
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_rss_kib() -> int:
    """This process's peak RSS. Not ru_maxrss: it survives exec, so it starts at the forking parent's size."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def big_scan_readers(ep: Endpoint, count: int) -> tuple[Callable[[], int], Callable[[], int]]:
    """The big scan's two readers over ``count`` responses of one integration, seeded on ``ep``: a boto3
    paginator loop that parses each Properties (the baseline) and vtab's ``SELECT *``; each returns its
    row count."""
    seeded = ep.seed("us-east-1", websocket_apis=1, integrations=1, responses=count, http_apis=0)
    api_id, integration_id = seeded["integrations"][0]
    return paginator_reader(ep.url, api_id, integration_id), select_reader(ep.url, api_id, integration_id)
