"""What deleting a parent does to its children (in the walk sense: the types whose list input it feeds).

AWS mostly refuses: EKS answers ``ResourceInUseException: Cluster has nodegroups attached`` while a
cluster has node groups. Some services document that the delete takes the children along; those facts,
with where they are stated, are the only cascades the in-memory provider knows. Any other parent with
children is refused, worded as the service's SDK exception reads through a CloudFormation handler.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

IN_USE_ERROR = "ResourceConflict"
"""The HandlerErrorCode of a refused delete (inferred: the handlers' code for a resource in use)."""


@dataclass(frozen=True)
class DeleteRule:
    """A parent type whose delete AWS documents: ``blocked_by`` child types refuse it, every other child
    type is deleted with it; ``source`` says where AWS states it."""

    blocked_by: frozenset[str]
    source: str


DELETE_RULES: dict[str, DeleteRule] = {
    "AWS::EKS::Cluster": DeleteRule(
        frozenset({"AWS::EKS::Nodegroup", "AWS::EKS::FargateProfile"}),
        "EKS API Reference, DeleteCluster: managed node groups and Fargate profiles attached to the "
        "cluster must be deleted first (ResourceInUseException: Cluster has nodegroups attached)",
    ),
    "AWS::Logs::LogGroup": DeleteRule(
        frozenset(),
        "CloudWatch Logs API Reference, DeleteLogGroup: deletes the log group and permanently deletes "
        "all the archived log events associated with it",
    ),
    "AWS::Lambda::Function": DeleteRule(
        frozenset(),
        "Lambda API Reference, DeleteFunction: without a Qualifier, all versions and aliases are deleted",
    ),
    "AWS::Glue::Database": DeleteRule(
        frozenset(),
        "Glue API Reference, DeleteDatabase: its tables, their versions and partitions, and its "
        "user-defined functions are deleted (asynchronously)",
    ),
    "AWS::Glue::Table": DeleteRule(
        frozenset(),
        "Glue API Reference, DeleteTable: the table's versions and partitions are deleted (asynchronously)",
    ),
}
"""Parent types whose delete AWS documents. A parent type not here refuses while any child exists."""


def blocks(parent_type: str, child_type: str) -> bool:
    """Whether a child of ``child_type`` makes deleting its ``parent_type`` parent fail (else it cascades)."""
    rule = DELETE_RULES.get(parent_type)
    return rule is None or child_type in rule.blocked_by


_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def in_use_message(parent_type: str, child_type: str) -> str:
    """``Cluster has nodegroups attached (Service: Eks, Status Code: 409, Request ID: ...)``: EKS's words,
    for any parent, with the suffix the AWS Java SDK gives a service exception in handler messages."""
    _, service, parent = parent_type.split("::")
    children = _WORD.sub(" ", child_type.split("::")[-1]).lower() + "s"
    return (
        f"{parent} has {children} attached (Service: {service.capitalize()}, Status Code: 409, "
        f"Request ID: {uuid.uuid4()})"
    )
