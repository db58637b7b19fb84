"""The SQL StackQL's docs generator writes on each type's page, generated here from vtab's own catalog.

StackQL's Cloud Control docs (``stackql-registry/stackql-provider-awscc``, ``website/docs/services/<service>/
<resource>/index.md``) are written by its ``bin/generate-docs.js`` from the registry schemas; vtab keeps none
of those pages (nothing fetched is committed), so the tests prepare what that generator would write for
every catalog type instead, and ``scripts/stackql_corpus.py`` checks, against a fetched copy of the pages,
that these are the very statements the pages hold. The templates below follow generate-docs.js
(``generateSelectExamples``, ``createInsertExample``, ``createUpdateExample``, ``createDeleteExample``),
spacing included; names follow its ``toSnakeCase(fixCamelCaseIssues(p))`` (vtab.catalog.columns
.stackql_column).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from vtab.catalog.columns import stackql_column
from vtab.catalog.facts import TypeFacts, Verb
from vtab.catalog.store import load_catalog
from vtab.sql.returning import PROGRESS_EVENT

PROVIDER = "awscc"

GLOBAL_ONLY_SERVICES = (
    "iam",
    "route53",
    "organizations",
    "cloudfront",
    "globalaccelerator",
    "shield",
    "budgets",
)
"""generate-docs.js ``globalOnlyServices``: their pages write ``region = 'us-east-1'`` where others write
``'{{ region }}'`` (in the list, get and DELETE examples; INSERT and UPDATE always write the placeholder)."""

RETURNING = "RETURNING\n  " + ",\n  ".join(PROGRESS_EVENT) + "\n"


class Kind(StrEnum):
    """Which example of a page a statement is."""

    GET = "get"
    LIST = "list"
    INSERT_REQUIRED = "insert required"
    INSERT_ALL = "insert all"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class PageStatement:
    """One SQL example of a type's page: the page (``<service>/<resource>``), its kind and its text."""

    page: str
    kind: Kind
    sql: str


def region_example(service: str) -> str:
    return "us-east-1" if service in GLOBAL_ONLY_SERVICES else "{{ region }}"


def _top(paths: tuple[str, ...]) -> set[str]:
    return {path.split("/")[0] for path in paths}


def page_statements(facts: TypeFacts, stackql: str) -> Iterator[PageStatement]:
    """The examples the generator writes for one type, ``stackql`` its ``aws.<service>.<resource>`` name."""
    _, service, resource = stackql.split(".")
    page = f"{service}/{resource}"
    table = f"{PROVIDER}.{service}.{resource}"
    region = region_example(service)
    ids = "|".join(f"{{{{ {stackql_column(p)} }}}}" for p in facts.primary_identifier)
    verbs = facts.verbs
    if Verb.READ in verbs:
        columns = ",\n  ".join(["region", *(stackql_column(p) for p in facts.properties)])
        yield PageStatement(
            page,
            Kind.GET,
            f"SELECT\n  {columns}\nFROM {table}\nWHERE\n  region = '{region}' AND\n  Identifier = '{ids}';\n",
        )
    if Verb.LIST in verbs:
        columns = ",\n  ".join(["region", *(stackql_column(p) for p in facts.primary_identifier)])
        from_ = f"{table}_list_only" if Verb.READ in verbs else table
        yield PageStatement(
            page, Kind.LIST, f"SELECT\n  {columns}\nFROM {from_}\nWHERE\n  region = '{region}';\n"
        )
    if Verb.CREATE in verbs:
        read_only = set(facts.read_only)  # resolveType skips only whole read-only properties
        writable = [p for p in facts.properties if p not in read_only]
        for kind, keys in (
            (Kind.INSERT_REQUIRED, [p for p in writable if p in facts.required]),
            (Kind.INSERT_ALL, writable),
        ):
            names = ",\n  ".join(keys)
            values = " }}',\n  '{{ ".join(stackql_column(p) for p in keys)
            yield PageStatement(
                page,
                kind,
                f"/*+ create */\nINSERT INTO {table} (\n  {names},\n  region\n)\n"
                f"SELECT\n  '{{{{ {values} }}}}',\n  '{{{{ region }}}}'\n{RETURNING};\n",
            )
    fixed = _top(facts.read_only) | _top(facts.create_only)
    updatable = [p for p in facts.properties if p not in fixed]
    if Verb.UPDATE in verbs and updatable:
        fields = ",\n".join(f'    "{p}": {stackql_column(p)}' for p in updatable)
        yield PageStatement(
            page,
            Kind.UPDATE,
            f"/*+ update */\nUPDATE {table}\nSET PatchDocument = string('{{{{ {{\n{fields}\n}} | "
            f"generate_patch_document }}}}')\nWHERE\n  region = '{{{{ region }}}}' AND\n"
            f"  Identifier = '{ids}'\n{RETURNING};\n",
        )
    if Verb.DELETE in verbs:
        yield PageStatement(
            page,
            Kind.DELETE,
            f"/*+ delete */\nDELETE FROM {table}\nWHERE\n  Identifier = '{ids}' AND\n  region = '{region}'\n"
            f"{RETURNING};\n",
        )


def catalog_statements() -> Iterator[PageStatement]:
    """Every catalog type's page examples (types with a table and a StackQL name)."""
    catalog = load_catalog()
    for table, (type_name, stackql) in sorted(catalog.tables().items()):
        if stackql and table == catalog.entry(type_name).table:
            yield from page_statements(catalog.facts(type_name), stackql)


PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}|<([A-Za-z_][\w]*)>", re.DOTALL)
PATCH = '[{"op": "add", "path": "/Tags", "value": []}]'
"""What a filled ``{{ {...} | generate_patch_document }}`` becomes (a JSON Patch, as StackQL's would be)."""


def fill(sql: str, region: str = "us-east-1") -> str:
    """A page's statement with its placeholders filled as a user would: ``{{ region }}`` the region, the
    patch document a JSON Patch, every other ``{{ name }}`` (or ``<Name>``) a value named after it."""

    def value(match: re.Match[str]) -> str:
        inner = (match[1] if match[1] is not None else match[2]).strip()
        if inner == "region":
            return region
        if inner.endswith("generate_patch_document"):
            return PATCH
        return re.sub(r"\W", "_", inner) or "x"

    return PLACEHOLDER.sub(value, sql)
