"""Table names for every type: ``<service>_<plural_snake>``, and StackQL's ``aws.<service>.<plural>``.

The resource part alone collides (165 names are shared by 567 types: ``routes`` is ApiGatewayV2's, EC2's and
RefactorSpaces'), so the service is always part of the name. Plurals come from ``inflection`` (the Rails
inflector, as terraform-provider-awscc uses); acronyms the underscoring splits badly are spelled out first.
Names are computed when the catalog is generated and stored in its index, so ``inflection`` is needed only
by the generator and the tests, not at run time.

StackQL's names are spelled as StackQL's generator (stackql/aws-cfn-schema-to-openapi) spells them, so that
its queries run as written: its snake_case keeps acronyms whole (``vpcdhcp_options_associations``,
``virtualmfa_devices``) and its plurals (the ``pluralize`` npm package) differ from ``inflection`` in a few
words. ``aws.<service>.<the rest of the table name>`` names the table too where it differs
(vtab.sqlite.install.stackql_names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import inflection

ACRONYMS = {
    "GraphQL": "Graphql",
    "OAuth": "Oauth",
    "OTel": "Otel",
    "FSx": "Fsx",
    "IPv4": "Ipv4",
    "IPv6": "Ipv6",
    "VPCDHCP": "VpcDhcp",
    "InfluxDB": "Influxdb",
}
"""Spellings rewritten before underscoring: ``GraphQLApi`` would be ``graph_ql_api``, ``LocationFSxLustre``
``location_f_sx_lustre`` and ``VPCDHCPOptionsAssociation`` ``vpcdhcp_options_association``."""

PLURAL_FIXES = {"compute_quota": "compute_quotas", "thesaurus": "thesauruses"}
"""Plurals the inflector gets wrong, by singular snake name (Rails reads ``quota`` as a plural, and keeps
``thesaurus``)."""

STACKQL_PLURALS = {"schema": "schemata"}
"""Whole snake names StackQL's ``pluralize`` pluralizes unlike ``inflection`` with PLURAL_FIXES (an irregular
word alone: ``graphql_schema`` is ``graphql_schemas`` to both), found by running StackQL's generator's
naming over every catalog type."""

ALIASES = {"integration_responses": "AWS::ApiGatewayV2::IntegrationResponse"}
"""Names kept besides the generated ones: the seed's table (StackQL's page names it so)."""


def service_name(type_name: str) -> str:
    """``AWS::ApiGatewayV2::IntegrationResponse`` -> ``apigatewayv2`` (StackQL's service names)."""
    return type_name.split("::")[1].lower()


def resource_snake(resource: str) -> str:
    """``IntegrationResponse`` -> ``integration_response``; ``VPCDHCPOptionsAssociation`` ->
    ``vpc_dhcp_options_association``."""
    for acronym, spelled in ACRONYMS.items():
        resource = resource.replace(acronym, spelled)
    return inflection.underscore(resource)


def plural(snake: str) -> str:
    """The plural of a snake name (its last word): ``integration_response`` -> ``integration_responses``;
    already-plural names stay (``dhcp_options``)."""
    return PLURAL_FIXES.get(snake) or inflection.pluralize(snake)


def resource_plural(type_name: str) -> str:
    return plural(resource_snake(type_name.split("::")[2]))


def table_name(type_name: str) -> str:
    """``AWS::ApiGatewayV2::IntegrationResponse`` -> ``apigatewayv2_integration_responses``."""
    return f"{service_name(type_name)}_{resource_plural(type_name)}"


def stackql_snake(resource: str) -> str:
    """StackQL's snake_case (its generator's ``toSnakeCase``): ``VPCDHCPOptionsAssociation`` ->
    ``vpcdhcp_options_association``, ``LocationFSxLustre`` -> ``locationf_sx_lustre``, ``EC2Fleet`` ->
    ``ec2fleet``."""
    resource = re.sub(r"([A-Z]+)([A-Z][a-z])", lambda m: f"{m[1].lower()}_{m[2].lower()}", resource)
    resource = re.sub(r"([a-z])([A-Z])", r"\1_\2", resource)
    return re.sub(r"_+", "_", resource.lower())


def stackql_plural(snake: str) -> str:
    return STACKQL_PLURALS.get(snake) or plural(snake)


def stackql_name(type_name: str) -> str:
    """``AWS::ApiGatewayV2::IntegrationResponse`` -> ``aws.apigatewayv2.integration_responses``, as StackQL
    names the type (``AWS::EC2::VPCDHCPOptionsAssociation`` -> ``aws.ec2.vpcdhcp_options_associations``)."""
    return f"aws.{service_name(type_name)}.{stackql_plural(stackql_snake(type_name.split('::')[2]))}"


STACKQL_OWN_SERVICES = {
    "cloud_control": (
        "StackQL's cloud_control resources are its generic Cloud Control calls and request log, not a "
        "resource type: vtab's tables are those calls per type (vtab_types lists them, vtab_calls logs "
        "the calls made)"
    ),
    "tagging": (
        "StackQL's tagging resources read the Resource Groups Tagging API, not Cloud Control, which is "
        "all vtab reads"
    ),
}
"""StackQL services of the ``awscc`` provider that are no CloudFormation types -> why vtab has no table."""

STACKQL_VIEW_PREFIX = "vw_"
STACKQL_VIEW_WHY = (
    "StackQL's vw_ resources are its own SQL views over Cloud Control tables, not resource types: query the "
    "table the view reads (its name without vw_, where there is one; vtab types PATTERN finds tables)"
)


def stackql_own(name: str) -> str | None:
    """Why vtab has no table for ``name`` (``aws.<service>.<resource>``, lower case) when it is one of
    StackQL's own resources rather than a CloudFormation type (its views, its cloud_control and tagging
    services); None otherwise."""
    parts = name.split(".")
    if len(parts) != 3:
        return None
    if parts[1] in STACKQL_OWN_SERVICES:
        return STACKQL_OWN_SERVICES[parts[1]]
    return STACKQL_VIEW_WHY if parts[2].startswith(STACKQL_VIEW_PREFIX) else None


class NameCollision(ValueError):
    """Two types would get the same table name; the fix goes in ACRONYMS or PLURAL_FIXES."""


def table_names(type_names: Iterable[str]) -> dict[str, str]:
    """Type -> table name for all ``type_names``; NameCollision names both types when two names meet."""
    names: dict[str, str] = {}
    owner: dict[str, str] = {alias: type_name for alias, type_name in ALIASES.items()}
    for type_name in sorted(type_names):
        name = table_name(type_name)
        if name in owner and owner[name] != type_name:
            raise NameCollision(f"{type_name} and {owner[name]} would both be table {name!r}")
        owner[name] = type_name
        names[type_name] = name
    return names
