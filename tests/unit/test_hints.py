"""The one "did you mean": tables, columns, regions and profiles are suggested alike (hints.did_you_mean)."""

from __future__ import annotations

from botocore.exceptions import ProfileNotFound

from vtab import hints
from vtab.aws.errors import unknown_profile
from vtab.options import region_problem


def test_a_region_a_profile_and_a_table_are_suggested_alike() -> None:
    region = region_problem("us-east-9")
    assert region is not None and "(did you mean 'us-east-2', 'us-east-1' or 'us-west-2'?)" in region
    profile = unknown_profile(ProfileNotFound(profile="prdo"), "prdo", ["prod", "prd", "staging"])
    assert "did you mean 'prd' or 'prod'? name one of them" in str(profile)
    assert (
        hints.did_you_mean("eks_cluster", ["eks_clusters", "eks_nodegroups"]) == "did you mean eks_clusters?"
    )


def test_a_name_in_another_case_is_suggested_and_an_exact_one_is_not() -> None:
    """A region or profile spelled in another case is not it (AWS names are case-sensitive), so the right
    spelling is suggested; a name that is there needs no suggestion."""
    assert "(did you mean 'us-east-1', " in (region_problem("US-EAST-1") or "")
    assert hints.did_you_mean("Prod", ["prod", "staging"], quoted=True) == "did you mean 'prod'?"
    assert hints.did_you_mean("prod", ["prod", "prd"]) == ""
