"""Generates vtab's catalog of every resource type from the registry schemas in the cfn-lint wheel.

    .venv/bin/python scripts/gen_catalog.py                 # download cfn-lint's wheel (pip), extract, derive
    .venv/bin/python scripts/gen_catalog.py --wheel W.whl   # from a wheel already downloaded
    .venv/bin/python scripts/gen_catalog.py --derive-only   # after editing overlays: no download

cfn-lint ships the CloudFormation registry schemas (patched for linting) as data files:
``cfnlint/data/schemas/providers/<region>.json`` maps type name -> hash, ``resources/<hash>.json`` is the
schema. The wheel is read as a zip: cfnlint is never imported, and vtab does not depend on it. Writes
``vtab/catalog/data/types/<service>.json`` (compact facts), ``vtab/catalog/data/index.json`` (names, verbs,
derived walks) and ``docs/coverage.md``.

The catalog is the union of every region's types, us-east-1's schema first: some types are published
elsewhere only (IoT Events, Device Farm, GameLift Streams). Where cfn-lint cut a type down for its own linting
(CloudFormation Stack loses StackName), the registry's own schema in ``vtab/catalog/registry/`` replaces it.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson

from vtab.catalog.build import build_index, dump_lines
from vtab.catalog.coverage import coverage_markdown
from vtab.catalog.facts import JSON_MAP_TYPES, TypeFacts, compact
from vtab.catalog.overlays import load_overlays
from vtab.catalog.schema import supported_types
from vtab.catalog.store import (
    INDEX_FILE,
    TYPES_FOLDER,
    hand_verified_schema,
    service_file,
)

CFN_LINT_VERSION = "1.58.0"
REGION = "us-east-1"
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "vtab" / "catalog" / "data"
COVERAGE = ROOT / "docs" / "coverage.md"
SCHEMAS = "cfnlint/data/schemas"
NOT_A_REGION = "sam"
"""cfn-lint's provider file for the SAM transform's ``AWS::Serverless::*`` macros: not registry types."""
REGISTRY = ROOT / "vtab" / "catalog" / "registry"


def download_wheel(version: str, folder: Path) -> Path:
    """cfn-lint's wheel from PyPI (``pip download``; nothing is installed)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         f"cfn-lint=={version}", "--dest", str(folder)],
        check=True,
    )  # fmt: skip
    (wheel,) = folder.glob(f"cfn_lint-{version}-*.whl")
    return wheel


def region_order(names: list[str], first: str) -> list[str]:
    """The provider files' regions to take a type's schema from, ``first`` first, then by name."""
    regions = sorted(name for name in names if name not in (first, NOT_A_REGION))
    return [first, *regions]


def extract(wheel: Path, first_region: str) -> tuple[dict[str, TypeFacts], dict[str, Any]]:
    """Every type of every region in the wheel, compacted (a type's schema from the first region in
    ``region_order`` that lists it); plus a description of the source."""
    with zipfile.ZipFile(wheel) as archive:
        folder = f"{SCHEMAS}/providers/"
        regions = [
            name[len(folder) : -len(".json")]
            for name in archive.namelist()
            if name.startswith(folder) and name.endswith(".json") and "/" not in name[len(folder) :]
        ]
        taken: dict[str, tuple[str, str]] = {}  # type name -> (region, hash)
        for region in region_order(regions, first_region):
            for type_name, digest in orjson.loads(archive.read(f"{folder}{region}.json")).items():
                taken.setdefault(type_name, (region, digest))
        schemas = [
            orjson.loads(archive.read(f"{SCHEMAS}/resources/{taken[name][1]}.json")) for name in sorted(taken)
        ]
    facts = {schema["typeName"]: compact(schema) for schema in schemas}
    source = {
        "cfnLint": wheel.name.split("-")[1],
        "wheelSha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "region": first_region,
        "types": len(facts),
        "fromOtherRegions": {
            name: region for name, (region, _) in sorted(taken.items()) if region != first_region
        },
        "jsonMapsNormalized": sum(
            1
            for schema in schemas
            for spec in schema.get("properties", {}).values()
            if isinstance(spec.get("type"), list) and frozenset(spec["type"]) == JSON_MAP_TYPES
        ),
    }
    return facts, source


def registry_schemas() -> dict[str, dict[str, Any]]:
    """The registry's own schemas of the types cfn-lint cut down for linting (vtab/catalog/registry)."""
    schemas = [orjson.loads(path.read_bytes()) for path in sorted(REGISTRY.glob("*.json"))]
    return {schema["typeName"]: schema for schema in schemas}


def with_registry_schemas(
    facts: dict[str, TypeFacts], source: dict[str, Any]
) -> tuple[dict[str, TypeFacts], dict[str, Any]]:
    """``facts`` with the registry's schemas replacing cfn-lint's, and ``source`` naming them."""
    replaced = registry_schemas()
    return {**facts, **{name: compact(schema) for name, schema in replaced.items()}}, {
        **source,
        "registrySchemas": sorted(replaced),
    }


def write_facts(facts: dict[str, TypeFacts]) -> None:
    folder = DATA / TYPES_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    by_file: dict[str, dict[str, Any]] = {}
    for type_name, type_facts in facts.items():
        by_file.setdefault(service_file(type_name), {})[type_name] = type_facts.to_json()
    for name, types in sorted(by_file.items()):
        (folder / name).write_bytes(dump_lines({"types": types}, "types"))


def read_facts() -> dict[str, TypeFacts]:
    facts = {}
    for path in sorted((DATA / TYPES_FOLDER).glob("*.json")):
        for type_name, doc in orjson.loads(path.read_bytes())["types"].items():
            facts[type_name] = TypeFacts.from_json(doc)
    return facts


def derived(facts: dict[str, TypeFacts], source: dict[str, Any]) -> tuple[bytes, str]:
    """(index.json, coverage.md) from the facts (hand-verified schemas win) and the overlays."""
    facts = dict(facts)
    for type_name in supported_types():  # the hand-verified schemas in vtab/schemas
        verified = hand_verified_schema(type_name)
        assert verified is not None
        facts[type_name] = compact(verified)
    index, plans = build_index(facts, load_overlays(), source)
    return dump_lines(index, "types"), coverage_markdown(facts, plans, index)


def derive(facts: dict[str, TypeFacts], source: dict[str, Any]) -> None:
    index, coverage = derived(facts, source)
    (DATA / INDEX_FILE).write_bytes(index)
    COVERAGE.parent.mkdir(exist_ok=True)
    COVERAGE.write_text(coverage)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wheel", type=Path, help="a downloaded cfn-lint wheel (default: pip download it)")
    parser.add_argument("--cfn-lint", default=CFN_LINT_VERSION, help="cfn-lint version to download")
    parser.add_argument("--region", default=REGION, help="whose schemas come first (default us-east-1)")
    parser.add_argument("--derive-only", action="store_true", help="re-derive from the committed facts")
    args = parser.parse_args()
    started = time.perf_counter()
    if args.derive_only:
        facts = read_facts()
        source = orjson.loads((DATA / INDEX_FILE).read_bytes())["source"]
    else:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = args.wheel or download_wheel(args.cfn_lint, Path(tmp))
            facts, source = extract(wheel, args.region)
    facts, source = with_registry_schemas(facts, source)
    write_facts(facts)
    derive(facts, source)
    size = sum(path.stat().st_size for path in DATA.rglob("*.json"))
    print(f"{len(facts)} types, {size / 1e6:.2f} MB of catalog data, {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
