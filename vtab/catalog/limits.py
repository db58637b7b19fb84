"""Cloud Control's request limits, read from botocore's service model (the API's own definition), so a
statement that would break one is refused before anything is sent rather than half-applied."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import botocore.session


@dataclass(frozen=True)
class RequestLimits:
    desired_state: int
    """Most characters of CreateResource's DesiredState (256 KiB)."""
    patch_document: int
    """Most characters of UpdateResource's PatchDocument (256 KiB)."""
    identifier: int
    """Most characters of a resource Identifier."""
    role_arn_pattern: str
    """What a RoleArn must look like."""


@functools.cache
def request_limits() -> RequestLimits:
    model = botocore.session.get_session().get_service_model("cloudcontrol")
    create_shape = model.operation_model("CreateResource").input_shape
    update_shape = model.operation_model("UpdateResource").input_shape
    assert create_shape is not None and update_shape is not None
    create, update = create_shape.members, update_shape.members
    return RequestLimits(
        desired_state=int(create["DesiredState"].metadata["max"]),
        patch_document=int(update["PatchDocument"].metadata["max"]),
        identifier=int(update["Identifier"].metadata["max"]),
        role_arn_pattern=str(create["RoleArn"].metadata["pattern"]),
    )


def size_text(characters: int) -> str:
    """``262144`` -> ``262,144 characters (256 KiB)``."""
    return f"{characters:,} characters ({characters / 1024:.4g} KiB)"
