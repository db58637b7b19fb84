"""EC2 DescribeRegions on the local endpoint: the regions an account has enabled (``vtab sync --regions
all`` asks it). EC2 speaks the query protocol, as STS does (``sts.py``), with its own version and XML."""

from __future__ import annotations

from xml.sax.saxutils import escape

VERSION = "2016-11-15"
NAMESPACE = f"http://ec2.amazonaws.com/doc/{VERSION}/"
OPERATIONS = ("DescribeRegions",)

DEFAULT_ENABLED_REGIONS = (
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-southeast-1",
    "ap-southeast-2",
    "ca-central-1",
    "eu-central-1",
    "eu-north-1",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
)
"""The commercial regions enabled by default (those that need no opt-in), as a new AWS account has them."""


def regions(request_id: str, names: tuple[str, ...]) -> bytes:
    """The DescribeRegions answer (without AllRegions: the enabled regions only)."""
    items = "".join(
        f"<item><regionName>{escape(name)}</regionName>"
        f"<regionEndpoint>ec2.{escape(name)}.amazonaws.com</regionEndpoint>"
        "<optInStatus>opt-in-not-required</optInStatus></item>"
        for name in names
    )
    return (
        f'<DescribeRegionsResponse xmlns="{NAMESPACE}"><requestId>{request_id}</requestId>'
        f"<regionInfo>{items}</regionInfo></DescribeRegionsResponse>"
    ).encode()
