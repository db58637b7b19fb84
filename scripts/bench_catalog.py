"""How long the shipped catalog takes to load: the index, one type, one large service, every type.

    .venv/bin/python scripts/bench_catalog.py [--runs 5]

Each measurement runs in a fresh interpreter (nothing cached) after importing vtab, and reports the median
in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

PROBES = {
    "index (load_catalog)": "c = load_catalog()",
    "index + one type (IntegrationResponse, hand-verified)": (
        "c = load_catalog(); c.facts('AWS::ApiGatewayV2::IntegrationResponse')"
    ),
    "index + one type (EKS::Nodegroup)": "c = load_catalog(); c.facts('AWS::EKS::Nodegroup')",
    "index + one EC2 type (largest service file)": "c = load_catalog(); c.facts('AWS::EC2::Instance')",
    "index + every type's facts": "c = load_catalog(); [c.facts(t) for t in c.type_names()]",
    "index + every type's plan": "c = load_catalog(); [c.entry(t) for t in c.type_names()]",
}

TEMPLATE = """
import time
from vtab.catalog import load_catalog
t0 = time.perf_counter()
{code}
print((time.perf_counter() - t0) * 1000)
"""


def measure(code: str, runs: int) -> float:
    times = []
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", TEMPLATE.format(code=code)], check=True, capture_output=True, text=True
        )
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for label, code in PROBES.items():
        print(f"{label:55s} {measure(code, args.runs):8.1f} ms")


if __name__ == "__main__":
    main()
