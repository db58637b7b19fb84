"""Which regions a scan lists in, and under which region its results are remembered.

A regional type is listed in every region the query asks. A global type (IAM, Route 53, CloudFront: one set
of resources per partition, whatever region Cloud Control is asked in) is listed once per partition, through
one of the regions asked, and its rows carry that region; so ``region IN ('us-east-1', 'eu-west-1')`` shows
each role once. The region is chosen so that the same query always lists through the same one: the
preferred region (the first of the ``regions`` option, else boto3's default region) when it is asked, else
the first asked in sorted order (SQLite hands IN lists over in no reliable order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from vtab.catalog.schema import ResourceSchema

PartitionOf = Callable[[str], str]
"""Region name -> partition name (``aws``, ``aws-cn``, ``aws-us-gov``)."""

GLOBAL_KEY = "global:"
"""Prefix of the cache region of a global type's results: one entry per partition, whichever region asked."""


def scan_regions(
    schema: ResourceSchema, asked: Iterable[str], preferred: str | None, partition_of: PartitionOf
) -> list[str]:
    """The regions to list ``schema`` in: all asked ones, or for a global type one per partition."""
    regions = list(dict.fromkeys(asked))
    if not schema.is_global:
        return regions
    chosen: dict[str, str] = {}
    for region in sorted(regions):
        partition = partition_of(region)
        if partition not in chosen or region == preferred:
            chosen[partition] = region
    return sorted(chosen.values())


def cache_region(schema: ResourceSchema, region: str, partition_of: PartitionOf) -> str:
    """The region a result is remembered under: its own, or its partition's for a global type (so that a
    join asking region by region lists a global type once)."""
    return GLOBAL_KEY + partition_of(region) if schema.is_global else region
