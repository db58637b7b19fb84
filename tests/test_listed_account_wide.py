"""S3 buckets, listed account-wide but regional: AWS's ListResources of AWS::S3::Bucket answers every bucket
of the account in whichever region it is asked, while GetResource answers a bucket only in its own region
(vtab/read/regions.py). The local endpoint does the same; vtab shows each bucket once, in its own region."""

from __future__ import annotations

from typing import Any

import apsw
import boto3
import pytest
from readhelpers import connect, docs_sql_blocks, rows

BUCKET = "AWS::S3::Bucket"
REGIONS = "us-east-1,eu-west-1,ap-south-1"


def _buckets(emulator: Any) -> None:
    """logs-east in us-east-1, logs-west and web-west in eu-west-1, logs-south in ap-south-1."""
    db = connect(emulator, regions=REGIONS)
    db.execute(
        "INSERT INTO s3_buckets (bucket_name, region) VALUES ('logs-east', 'us-east-1'), "
        "('logs-west', 'eu-west-1'), ('web-west', 'eu-west-1'), ('logs-south', 'ap-south-1')"
    )


def _listings(emulator: Any) -> list[str]:
    return [c.region for c in emulator.calls if c.operation == "ListResources" and c.type_name == BUCKET]


def test_the_endpoint_lists_every_regions_buckets_in_any_region_and_gets_one_only_in_its_own(
    emulator: Any,
) -> None:
    _buckets(emulator)
    client = boto3.client("cloudcontrol", region_name="ap-south-1", endpoint_url=emulator.endpoint_url)
    listed = client.list_resources(TypeName=BUCKET)["ResourceDescriptions"]
    assert sorted(d["Identifier"] for d in listed) == ["logs-east", "logs-south", "logs-west", "web-west"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_resource(TypeName=BUCKET, Identifier="logs-west")
    east = boto3.client("cloudcontrol", region_name="us-east-1", endpoint_url=emulator.endpoint_url)
    token = east.create_resource(TypeName=BUCKET, DesiredState='{"BucketName": "logs-west"}')[
        "ProgressEvent"
    ]["RequestToken"]
    event = east.get_resource_request_status(RequestToken=token)["ProgressEvent"]
    assert (event["OperationStatus"], event["ErrorCode"]) == ("FAILED", "AlreadyExists")  # the name is taken


@pytest.mark.parametrize("identifier_only", [False, True])
def test_each_bucket_shows_once_under_its_own_region_from_one_listing(
    emulator: Any, identifier_only: bool
) -> None:
    """Listed once; its region from the bucket's RegionalDomainName, or (a listing of names only, as AWS
    gives) from the region whose GetResource answers."""
    _buckets(emulator)
    emulator.configure(identifier_only_lists=identifier_only)
    db = connect(emulator, regions=REGIONS)
    emulator.clear_calls()
    assert sorted(rows(db, "SELECT bucket_name, region FROM s3_buckets")) == [
        ("logs-east", "us-east-1"),
        ("logs-south", "ap-south-1"),
        ("logs-west", "eu-west-1"),
        ("web-west", "eu-west-1"),
    ]
    assert _listings(emulator) == ["us-east-1"]


@pytest.mark.parametrize("identifier_only", [False, True])
def test_where_region_gives_that_regions_buckets_only(emulator: Any, identifier_only: bool) -> None:
    _buckets(emulator)
    emulator.configure(identifier_only_lists=identifier_only)
    db = connect(emulator, regions=REGIONS)
    sql = "SELECT bucket_name, region FROM s3_buckets WHERE region = ? ORDER BY 1"
    assert rows(db, sql, ("eu-west-1",)) == [("logs-west", "eu-west-1"), ("web-west", "eu-west-1")]
    assert rows(db, sql, ("ap-south-1",)) == [("logs-south", "ap-south-1")]
    sql = "SELECT bucket_name, region FROM s3_buckets WHERE region IN ('us-east-1', 'ap-south-1') ORDER BY 1"
    assert rows(db, sql) == [("logs-east", "us-east-1"), ("logs-south", "ap-south-1")]
    # a region not asked shows none of its buckets, although the listing answers them
    only_east = connect(emulator, regions="us-east-1")
    assert rows(only_east, "SELECT bucket_name, region FROM s3_buckets") == [("logs-east", "us-east-1")]


def test_a_bucket_by_name_over_several_regions_is_read_in_its_own(emulator: Any) -> None:
    _buckets(emulator)
    db = connect(emulator, regions=REGIONS)
    got = rows(
        db, "SELECT bucket_name, region, regional_domain_name FROM s3_buckets WHERE bucket_name = 'web-west'"
    )
    assert got == [("web-west", "eu-west-1", "web-west.s3.eu-west-1.amazonaws.com")]


def test_an_update_over_every_region_changes_each_bucket_once_in_its_own_region(emulator: Any) -> None:
    _buckets(emulator)
    db = connect(emulator, regions=REGIONS)
    tags = '[{"Key": "team", "Value": "data"}]'
    db.execute("UPDATE s3_buckets SET tags = ? WHERE bucket_name LIKE 'logs-%'", (tags,))
    for region, name in (
        ("us-east-1", "logs-east"),
        ("eu-west-1", "logs-west"),
        ("ap-south-1", "logs-south"),
    ):
        model = emulator.resource(region, BUCKET, name)
        assert model is not None and model["Tags"] == [{"Key": "team", "Value": "data"}]
    assert "Tags" not in (emulator.resource("eu-west-1", BUCKET, "web-west") or {})


@pytest.mark.parametrize("identifier_only", [False, True])
def test_insert_or_replace_of_a_bucket_that_lives_in_another_region_is_refused_before_anything_is_sent(
    emulator: Any, identifier_only: bool
) -> None:
    """The listing in us-east-1 answers logs-west too, but it lives in eu-west-1: an update in us-east-1
    would not find it, and a bucket cannot move. OR IGNORE skips it; OR REPLACE in its own region updates
    it. Only the row's bucket is placed by a GetResource, not every bucket the listing answers."""
    _buckets(emulator)
    emulator.configure(identifier_only_lists=identifier_only)
    db = connect(emulator, regions=REGIONS)
    tags = '[{"Key": "team", "Value": "data"}]'
    replace = "INSERT OR REPLACE INTO s3_buckets (bucket_name, region, tags) VALUES ('logs-west', ?, ?)"
    emulator.clear_calls()
    with pytest.raises(apsw.ConstraintError) as refused:
        db.execute(replace, ("us-east-1", tags))
    where = "eu-west-1" if not identifier_only else "another region"
    message = str(refused.value)
    assert f"bucket_name='logs-west' already exists in {where}, not in region = 'us-east-1'" in message
    assert "nothing was sent" in message
    assert not [c for c in emulator.calls if c.operation not in ("ListResources", "GetResource")]
    assert [c.identifier for c in emulator.calls if c.operation == "GetResource"] == (
        ["logs-west"] if identifier_only else []
    )
    db.execute("INSERT OR IGNORE INTO s3_buckets (bucket_name, region) VALUES ('logs-west', 'us-east-1')")
    assert emulator.resource("us-east-1", BUCKET, "logs-west") is None
    db.execute(replace, ("eu-west-1", tags))
    model = emulator.resource("eu-west-1", BUCKET, "logs-west")
    assert model is not None and model["Tags"] == [{"Key": "team", "Value": "data"}]


def test_the_docs_examples_of_buckets_in_every_region_run(emulator: Any) -> None:
    """docs/stackql-pages.md, "S3 buckets in every region"."""
    _buckets(emulator)
    db = connect(emulator, regions=REGIONS)
    every, eu_west = docs_sql_blocks("stackql-pages.md", "S3 buckets in every region")[0]
    assert rows(db, every) == [
        ("logs-east", "us-east-1"),
        ("logs-south", "ap-south-1"),
        ("logs-west", "eu-west-1"),
        ("web-west", "eu-west-1"),
    ]
    assert sorted(rows(db, eu_west)) == [
        ("logs-west", "logs-west.s3.eu-west-1.amazonaws.com"),
        ("web-west", "web-west.s3.eu-west-1.amazonaws.com"),
    ]
