"""The endpoint starts without the catalog: a type's facts are read at its first use, one service file."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = """
import json, boto3
from vtab.catalog import store
from vtab.emulator import Emulator

with Emulator() as emu:
    client = boto3.client("cloudcontrol", endpoint_url=emu.endpoint_url, region_name="us-east-1")
    client.list_resources(TypeName="AWS::ApiGatewayV2::Api")
    before = store.load_catalog.cache_info().currsize
    client.list_resources(TypeName="AWS::EKS::Cluster")
    print(json.dumps({"before": before, "services": sorted(store.load_catalog()._services)}))
"""


def test_catalog_is_read_at_first_use_of_a_catalog_type_only() -> None:
    """Starting the endpoint and serving the moto-backed types parse no catalog file; the first catalog
    type parses the index and its own service's facts, nothing else."""
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, check=True, timeout=120
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result == {"before": 0, "services": ["eks.json"]}
