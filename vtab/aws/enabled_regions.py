"""The regions an account has enabled: EC2 DescribeRegions in that account (``vtab sync --regions all``).

Without AllRegions, DescribeRegions answers the regions enabled for the account (those needing no opt-in,
and those it opted in to). The call goes where STS's would (``identity.side_endpoint``): botocore's own
choice when ``AWS_ENDPOINT_URL_EC2`` is set, else Cloud Control's endpoint when overridden (the local one
answers it), else EC2's usual endpoint; it is a row of ``vtab_calls`` like every call beside Cloud Control.
"""

from __future__ import annotations

import apsw

from vtab import hints
from vtab.aws.cloudcontrol import CloudControl
from vtab.aws.identity import SideCall, side_call, side_endpoint

EC2_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_EC2"
DESCRIBE_REGIONS = SideCall("EC2", "DescribeRegions", "for the regions the account has enabled")


def enabled_regions(cloud: CloudControl, region: str) -> tuple[str, ...]:
    """The enabled regions of ``cloud``'s account, sorted, asked through ``region``."""
    try:
        client = cloud.account_client("ec2", region, side_endpoint(cloud.options, EC2_ENDPOINT_VARIABLE))
    except ValueError as error:  # e.g. a malformed AWS_ENDPOINT_URL_EC2
        raise apsw.SQLError(f"the EC2 endpoint of the AWS configuration is not usable ({error})") from None
    every = hints.assignment("regions", repr("all"))
    why = f"{every} asks EC2 which regions each account has enabled"  # the sync's error gives the fix
    response, _ = side_call(client, cloud.log_start, region, cloud.options, DESCRIBE_REGIONS, why)
    return tuple(sorted(str(item["RegionName"]) for item in response.get("Regions", ())))
