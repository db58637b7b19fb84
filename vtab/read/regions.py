"""Which regions a scan lists in, and under which region its results are remembered.

A regional type is listed in every region the query asks. A global type (IAM, Route 53, CloudFront: one set
of resources per partition, whatever region Cloud Control is asked in) is listed once per partition, through
one of the regions asked, and its rows carry that region; so ``region IN ('us-east-1', 'eu-west-1')`` shows
each role once. The region is chosen so that the same query always lists through the same one: the
preferred region (the first of the ``regions`` option, else boto3's default region) when it is asked, else
the first asked in sorted order (SQLite hands IN lists over in no reliable order).

A type listed account-wide (``Scope.LISTED_ACCOUNT_WIDE``: S3 buckets; the source is the catalog overlay
``s3.toml``) is regional, but its ListResources answers the account's resources of every region of the
partition, in whichever region it is asked: listed in each region asked it would show every bucket once per
region, each under the wrong region. So it is listed like a global type, once per partition, and each row's
region is the resource's own: the one its properties name (``home_region``: a bucket's RegionalDomainName,
``<name>.s3.<region>.amazonaws.com``), else the region whose GetResource answers (AWS answers a bucket only
in its own region). Rows of regions not asked are dropped. Its gets stay regional, one per region asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from vtab.catalog.schema import ResourceSchema

PartitionOf = Callable[[str], str]
"""Region name -> partition name (``aws``, ``aws-cn``, ``aws-us-gov``)."""

GLOBAL_KEY = "global:"
"""Prefix of the cache region of a global type's results: one entry per partition, whichever region asked."""


HOME_REGION: dict[str, tuple[str, re.Pattern[str]]] = {
    "AWS::S3::Bucket": (
        "RegionalDomainName",
        re.compile(r"\.s3\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com"),
    ),
}
"""Type listed account-wide -> the property that names a resource's own region, and how (CloudFormation
reference, AWS::S3::Bucket return values: ``amzn-s3-demo-bucket.s3.us-east-2.amazonaws.com``)."""


def scan_regions(
    schema: ResourceSchema,
    asked: Iterable[str],
    preferred: str | None,
    partition_of: PartitionOf,
    *,
    listing: bool = True,
) -> list[str]:
    """The regions to call in for ``schema``: all asked ones, or one per partition for a global type (and
    for the listing of a type listed account-wide; ``listing`` False: its gets, which are regional)."""
    regions = list(dict.fromkeys(asked))
    if not (schema.is_global or (listing and schema.is_listed_account_wide)):
        return regions
    chosen: dict[str, str] = {}
    for region in sorted(regions):
        partition = partition_of(region)
        if partition not in chosen or region == preferred:
            chosen[partition] = region
    return sorted(chosen.values())


def cache_region(
    schema: ResourceSchema, region: str, partition_of: PartitionOf, *, listing: bool = False
) -> str:
    """The region a result is remembered under: its own, or its partition's for a global type and for the
    listing of a type listed account-wide (so that a join asking region by region lists it once)."""
    once = schema.is_global or (listing and schema.is_listed_account_wide)
    return GLOBAL_KEY + partition_of(region) if once else region


def home_region(schema: ResourceSchema, properties: Mapping[str, Any]) -> str | None:
    """The region a resource of a type listed account-wide lives in, as its properties name it; None when
    they do not (a listing's partial item, or another type)."""
    prop, pattern = HOME_REGION.get(schema.type_name, ("", None))
    value = properties.get(prop) if pattern else None
    found = pattern.search(value) if pattern and isinstance(value, str) else None
    return found[1] if found else None


def placing_order(listed_in: str, asked: Iterable[str], partition_of: PartitionOf) -> list[str]:
    """Where to ask for a resource listed account-wide through ``listed_in``: that region first, then the
    other regions asked in its partition (sorted)."""
    partition = partition_of(listed_in)
    others = sorted(r for r in set(asked) if r != listed_in and partition_of(r) == partition)
    return [listed_in, *others] if listed_in in asked else others
