"""The values the in-memory handlers make up: ids, names and ARNs, drawn from the emulator's own Random.

Every draw goes through one ``random.Random`` per emulator (``EmulatorState.random``), seeded from the
seed's name (``--seed demo``) when there is one, so a seeded emulator gives the same ids every run.

An ARN is built the way AWS builds the resource's own ARN where users read it: from the resource's name
(``arn:aws:eks:us-east-1:123456789012:cluster/prod``, ``...:function:orders-api:live`` for a Lambda
alias). Its resource part comes from ``ARN_SHAPES`` (AWS's spellings the schema does not state), else
from the literal resource type in the ARN property's pattern (Lambda's ``:function:``), else the type's
resource in kebab case (``log-group/``); the name is the type's ``<Resource>Name``, else its primary
identifier. The property's pattern still decides: a name-built ARN it refuses gives way to the random
forms, then to one generated from the pattern (``samples.string_value``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from random import Random
from typing import Any

from vtab.emulator.samples import clamp, random_uuid, short_id, string_value
from vtab.emulator.state import ACCOUNT_ID, partition_of

_TIME_SUFFIXES = ("time", "date", "timestamp", "createdat", "updatedat")

ARN_SHAPES: dict[str, str] = {
    "AWS::Lambda::Function": "function:{FunctionName}",
    "AWS::Lambda::Alias": "function:{FunctionName}:{Name}",
    "AWS::Lambda::Version": "function:{FunctionName}:{Version}",
    "AWS::EKS::Nodegroup": "nodegroup/{ClusterName}/{NodegroupName}/{uuid}",
    "AWS::SQS::Queue": "{QueueName}",
    "AWS::SNS::Topic": "{TopicName}",
    "AWS::Logs::LogGroup": "log-group:{LogGroupName}:*",
    "AWS::S3::Bucket": "{BucketName}",
}
"""Type -> the resource part of its ARN where AWS spells it other than ``<resource-type>/<name>``
(``{Property}`` is the model's value, ``{uuid}`` a generated one); from the services' ARN references."""

VALUE_SHAPES: dict[str, dict[str, str]] = {
    "AWS::S3::Bucket": {
        "DomainName": "{BucketName}.s3.amazonaws.com",
        "RegionalDomainName": "{BucketName}.s3.{region}.amazonaws.com",
        "DualStackDomainName": "{BucketName}.s3.dualstack.{region}.amazonaws.com",
        "WebsiteURL": "http://{BucketName}.s3-website.{region}.amazonaws.com",
    },
    "AWS::SQS::Queue": {"QueueUrl": "https://sqs.{region}.amazonaws.com/{account}/{QueueName}"},
    "AWS::Lambda::Version": {
        "FunctionArn": "arn:{partition}:lambda:{region}:{account}:function:{FunctionName}:{Version}"
    },
    "AWS::SNS::Subscription": {"Arn": "{TopicArn}:{uuid}"},
    "AWS::DynamoDB::Table": {"StreamArn": "{Arn}/stream/{stream_label}"},
    "AWS::EKS::Cluster": {"EncryptionConfigKeyArn": "{EncryptionConfig/0/Provider/KeyArn}"},
}
"""Type -> property AWS derives -> its value as AWS builds it from the model (``{Property}``, or a path
into it, ``{EncryptionConfig/0/Provider/KeyArn}``; ``{region}``, ``{account}``, ``{partition}``: the
resource's; ``{uuid}`` a generated one; ``{stream_label}`` the time now as DynamoDB labels a stream,
``2015-11-30T20:10:00.000`` in UTC), identifiers included; from the CloudFormation reference's return
values (AWS::S3::Bucket, AWS::SQS::Queue, AWS::Lambda::Version, AWS::SNS::Subscription,
AWS::DynamoDB::Table and AWS::EKS::Cluster's Ref and Fn::GetAtt). A read-only one whose parts the model
lacks is left out, never made up: a cluster created without a key has no EncryptionConfigKeyArn."""

SHAPED_ONLY_WITH: dict[str, dict[str, str]] = {"AWS::DynamoDB::Table": {"StreamArn": "StreamSpecification"}}
"""Type -> a property of VALUE_SHAPES -> the property the model must hold for AWS to give it at all: a
table has a stream (and so a StreamArn) only when its StreamSpecification asks for one."""

_PLACEHOLDER = re.compile(r"\{([\w/]+)\}")

NUMBERED: dict[str, tuple[str, str]] = {"AWS::Lambda::Version": ("Version", "FunctionName")}
"""Type -> (a property AWS numbers 1, 2, 3, ..., the property each count is per): Lambda publishes each
function's versions so."""


def shaped_value(draw: Draw, name: str) -> str | None:
    """Property ``name``'s value as AWS derives it from the model (VALUE_SHAPES), or None when it is not
    one such or the model lacks what it is built from."""
    shape = VALUE_SHAPES.get(draw.type_name, {}).get(name)
    if shape is None:
        return None
    needed = SHAPED_ONLY_WITH.get(draw.type_name, {}).get(name)
    if needed is not None and draw.model.get(needed) in (None, {}, []):
        return None
    region = draw.region
    known = {
        "region": region,
        "account": draw.account,
        "partition": (partition_of(region) if region else "") or "aws",
    }
    for part in set(_PLACEHOLDER.findall(shape)) - set(known):
        value = _value_at(draw.model, part)
        if value is not None:
            known[part] = value
    if "{uuid}" in shape:
        known["uuid"] = random_uuid(draw.rng)
    if "{stream_label}" in shape:
        known["stream_label"] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
    if not set(_PLACEHOLDER.findall(shape)) <= set(known):
        return None
    return shape.format_map(known)


def is_shaped(type_name: str, name: str) -> bool:
    """Whether AWS derives property ``name`` from the model (VALUE_SHAPES): made so or not at all."""
    return name in VALUE_SHAPES.get(type_name, {})


def built_from_own_arn(type_name: str, name: str) -> bool:
    """Whether the shape of ``name`` names the resource's own ARN (a stream's ARN is its table's and more),
    which must then be made first."""
    shape = VALUE_SHAPES.get(type_name, {}).get(name, "")
    return any(is_own_arn(type_name, part) for part in _PLACEHOLDER.findall(shape))


def _value_at(model: Mapping[str, Any], path: str) -> str | None:
    """The text of a string or integer at ``path`` (``Name``, ``EncryptionConfig/0/Provider/KeyArn``) in
    the model, or None when it holds none there."""
    value: Any = model
    for part in path.split("/"):
        if isinstance(value, Mapping):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return str(value) if isinstance(value, str | int) and not isinstance(value, bool) else None


UNSCOPED_ARNS = frozenset({"AWS::S3::Bucket"})
"""Types whose ARNs name neither region nor account: ``arn:aws:s3:::my-bucket``."""

_PATTERN_RESOURCE = re.compile(r":([a-z][a-z0-9-]*[a-z0-9])(\\?/|:)(?=[^:]*$)")
"""The literal resource type that ends an ARN pattern's last ``:`` segment but one (``:function:``)."""


def arn(type_name: str, region: str, resource: str, account: str = ACCOUNT_ID) -> str:
    """``arn:aws:eks:us-east-1:123456789012:<resource>`` (a global type's, region "": ``arn:aws:iam::...``;
    an S3 bucket's: ``arn:aws:s3:::<name>``)."""
    service = type_name.split("::")[1].lower()
    partition = (partition_of(region) if region else "") or "aws"
    if type_name in UNSCOPED_ARNS:
        return f"arn:{partition}:{service}:::{resource}"
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def kebab(resource: str) -> str:
    """``LogGroup`` -> ``log-group``: how AWS spells most resource types in ARNs."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", resource).lower()


def is_own_arn(type_name: str, name: str) -> bool:
    """Whether ``name`` is the resource's own ARN (``Arn``, ``<Resource>Arn``), not another's it refers to."""
    return name in ("Arn", type_name.split("::")[2] + "Arn")


def named_arn(draw: Draw, pattern: Any) -> str | None:
    """The resource's own ARN built from its name as AWS builds it, or None when the model names nothing."""
    type_name, region, model, primary, rng = draw.type_name, draw.region, draw.model, draw.primary, draw.rng
    shape = ARN_SHAPES.get(type_name)
    if shape is not None:
        values = {key: str(value) for key, value in model.items() if isinstance(value, str | int)}
        try:
            return arn(
                type_name, region, shape.format_map({**values, "uuid": random_uuid(rng)}), draw.account
            )
        except KeyError:
            return None
    resource = type_name.split("::")[2]
    name = model.get(resource + "Name")
    if not isinstance(name, str) or not name:
        parts = [model.get(part) for part in primary if not part.lower().endswith("arn")]
        if not parts or not all(isinstance(v, str | int) and v != "" for v in parts):
            return None
        name = "/".join(str(v) for v in parts)
    found = list(_PATTERN_RESOURCE.finditer(pattern)) if isinstance(pattern, str) else []
    prefix = f"{found[-1][1]}{found[-1][2].lstrip(chr(92))}" if found else f"{kebab(resource)}/"
    return arn(type_name, region, prefix + name, draw.account)


@dataclass(frozen=True)
class Draw:
    """What a generated value is drawn from: the emulator's Random, the type, the region ("" for a global
    type's resources), the model so far with its primary identifier parts (the names an ARN shows) and
    the account that will own it (its ARNs name it)."""

    rng: Random
    type_name: str
    region: str
    model: Mapping[str, Any] = field(default_factory=dict)
    primary: Sequence[str] = ()
    account: str = ACCOUNT_ID


def identifier_value(
    draw: Draw, name: str, spec: Mapping[str, Any], also: Sequence[Mapping[str, Any]] = ()
) -> Any:
    """A plausible value for an identifier part the caller did not give, within the property's pattern
    and length limits and those of the children's properties that take it (``also``: DataZone's
    ``dzd_...``, Cognito's ``us-east-1_...``), so children may name it. The resource's own ARN is built
    from its name where that keeps the rules."""
    shaped = shaped_value(draw, name)
    if shaped is not None:
        return string_value(spec.get("check", {}), shaped, also, rng=draw.rng)
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    rng, type_name, region = draw.rng, draw.type_name, draw.region
    if kind in ("integer", "number"):
        return rng.randrange(10**9) + 1
    check = spec.get("check", {})
    lower = name.lower()
    others: tuple[str, ...] = ()
    resource = type_name.split("::")[2]
    if lower.endswith("arn"):
        plain = arn(type_name, region, f"{kebab(resource)}/{short_id(rng)}", draw.account)
        others = (
            arn(type_name, region, f"{resource.lower()}/{random_uuid(rng)}", draw.account),
        )  # Connect's instance/<uuid>
        if is_own_arn(type_name, name):
            built = named_arn(draw, check.get("pattern"))
            plain, others = (built, (plain, *others)) if built else (plain, others)
    elif lower.endswith("name"):
        plain = f"{resource.lower()}-{short_id(rng, 8)}"
    else:
        plain = short_id(rng)
    return string_value(check, plain, also, others, rng)


def default_value(
    draw: Draw, name: str, spec: Mapping[str, Any], also: Sequence[Mapping[str, Any]] = ()
) -> Any:
    """A cheap default for a read-only property, or None when no plausible one is cheap (or AWS would
    give none: a derived value whose parts the model lacks)."""
    if is_shaped(draw.type_name, name):
        return shaped_value(draw, name)
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type")
    lower = name.lower()
    if kind == "boolean":
        return False
    if kind == "integer":
        return clamp(0, spec.get("check", {}))  # a count, within the schema's range (a version is 1 up)
    if kind not in (None, "string"):
        return None
    if lower.endswith(_TIME_SUFFIXES):  # ISO 8601, or epoch seconds where the pattern wants digits (Connect)
        now = time.time()
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))
        return string_value(spec.get("check", {}), stamp, also, (str(int(now)),), draw.rng)
    if lower.endswith(("arn", "id", "name")):
        return identifier_value(draw, name, spec, also)
    return None
