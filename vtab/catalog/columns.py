"""Columns of a catalog type's table: names by ``snake_case`` (StackQL's rule), SQLite types from JSON types.

A property whose column name would be one of vtab's own columns (five types have a ``Region`` property, twelve
an ``Identifier``, 31 an ``AccountId``) is prefixed with ``resource_``; nothing else changes the rule the
hand-verified table uses.

StackQL's pages spell some columns otherwise (``stackql_column``: ``EIP`` is ``e_ip`` there, ``eip`` here);
the table answers to that spelling too, as a hidden alias (vtab.sqlite.columns.Columns).
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

import orjson

from vtab.catalog.facts import TypeFacts

_ACRONYM_THEN_WORD = re.compile(r"([A-Z]+)([A-Z](?:[a-z]{2,}|[a-rt-z](?=[A-Z]|$)))")
"""``DBCluster`` -> ``DB_Cluster``: an acronym ends where a capitalised word begins (a plural ``ARNs``,
or ``IPv6``, is no word)."""
_WORD_START = re.compile(r"([a-z0-9])([A-Z])")


@functools.cache
def snake_case(name: str) -> str:
    """``IntegrationResponseId`` -> ``integration_response_id``, ``DBClusterIdentifier`` ->
    ``db_cluster_identifier``, ``KMSKeyId`` -> ``kms_key_id`` (the column naming StackQL uses). Kept per
    name (the catalog's property names, a finite set): every statement's plan asks for its columns."""
    return _WORD_START.sub(r"\1_\2", _ACRONYM_THEN_WORD.sub(r"\1_\2", name)).lower()


REGION = "region"
ACCOUNT_ID = "account_id"
ACCOUNT_NAME = "account_name"
IDENTIFIER = "data__Identifier"
PATCH_DOCUMENT = "data__PatchDocument"
"""vtab's own columns of every resource table: region and account (where the resource lives; the
account's name, hidden, read only when named), the identifier (the key within them), the write-only
patch."""

STACKQL_IDENTIFIER = "Identifier"
STACKQL_PATCH_DOCUMENT = "PatchDocument"
STACKQL_OWN = {STACKQL_IDENTIFIER: IDENTIFIER, STACKQL_PATCH_DOCUMENT: PATCH_DOCUMENT}
"""Today's StackQL names of vtab's own hidden columns (``WHERE Identifier = '...'``, ``SET PatchDocument =
...``), beside the ``data__`` names of StackQL's older pages. ``Identifier`` reads Cloud Control's identifier
on every type; a type whose own property is named ``Identifier`` keeps it in ``resource_identifier``, and an
INSERT or UPDATE that writes ``Identifier`` writes that property (Cloud Control's identifier is never
written)."""

SQL_TYPES = {
    "string": "TEXT",
    "integer": "INTEGER",
    "number": "REAL",
    "boolean": "INTEGER",
    "object": "TEXT",
    "array": "TEXT",
}
"""JSON type -> declared SQLite type (booleans are 0/1, objects and arrays JSON text). A property whose schema
allows several types is declared without a type, so SQLite keeps each value as it comes."""


_DIGITS = bytes(0x31 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
"""A ``bytes.translate`` table: each ASCII digit to ``1``, any other byte to a space."""
_LONG_NUMBER = b"1" * 19
"""A run of 19 digits (once translated): where an integer may lie beyond 64 bits, which orjson reads as a
float."""


def json_value(text: str | bytes, *, may_hold_long_number: bool = True) -> Any:
    """JSON text parsed, every integer exact: orjson (fast) reads an integer beyond 64 bits as a float,
    so text holding a run of 19 digits is read by the standard library instead (an id of 19 digits in a
    string takes that path too, and reads the same). The run is looked for by two C passes over the
    bytes (a table translate, a substring search), several times cheaper than a regular expression (which
    cost more than orjson's parse itself); ``may_hold_long_number=False`` skips them for a text the page
    it came in has cleared (:func:`page_may_hold_long_number`). JSONDecodeError (a ValueError) for text
    that is not JSON."""
    value = orjson.loads(text)
    if may_hold_long_number and _has_long_run(
        text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    ):
        return json.loads(text)
    return value


def _has_long_run(raw: bytes) -> bool:
    # find, not ``in``: bytes' ``in`` first tries its operand as an int, raising and clearing a TypeError
    return raw.translate(_DIGITS).find(_LONG_NUMBER) >= 0


def page_may_hold_long_number(texts: list[Any]) -> bool:
    """Whether any of a page's JSON texts (its rows' Properties) may hold an integer beyond 64 bits: one
    test over the texts joined by newlines (no run of digits crosses one), instead of one per row. The
    texts as parsed, not the raw page, which spells each one again with escapes (its ``\\u0031`` is a
    digit in the text) and carries more bytes. Anything not a string makes it True: each row tests
    itself."""
    try:
        joined = "\n".join(texts)
    except TypeError:
        return True
    return _has_long_run(joined.encode("utf-8", "surrogatepass"))


def json_text(value: Any) -> str:
    """The compact JSON text of an object or array column (or of a model to send). orjson writes at most
    254 levels deep, though it reads 1,024 and SQLite's JSON functions take 1,000: a deeper value is
    written here without recursion, in the same shape (orjson spells every key and scalar)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return _deep_json_text(value)


class _Raw(str):
    """Text already written (a bracket, a comma, a key and its colon), as opposed to a value to write."""


def _deep_json_text(value: Any) -> str:
    out: list[str] = []
    todo: list[Any] = [value]  # a stack, next item last
    while todo:
        item = todo.pop()
        if isinstance(item, _Raw):
            out.append(item)
        elif isinstance(item, dict):
            parts: list[Any] = []
            for key, member in item.items():
                parts += [_Raw(("," if parts else "") + orjson.dumps(str(key)).decode() + ":"), member]
            todo += [_Raw("}"), *reversed(parts), _Raw("{")]
        elif isinstance(item, list):
            parts = []
            for member in item:
                parts += [_Raw(","), member] if parts else [member]
            todo += [_Raw("]"), *reversed(parts), _Raw("[")]
        else:
            try:
                out.append(orjson.dumps(item).decode())
            except orjson.JSONEncodeError:  # an integer beyond 64 bits
                out.append(json.dumps(item, ensure_ascii=False))
    return "".join(out)


def with_affinity(value: int | float, sql_type: str) -> int | float | str:
    """``value`` as SQLite would store it in a column of ``sql_type``: a whole number in a REAL column is a
    float (so ``x / 4`` divides as SQLite does and ``x LIKE '%.0'`` matches), a whole float in an INTEGER
    column an int. An integer beyond SQLite's 64 bits (json_value reads it exactly) in a number or untyped
    column is a REAL, as SQLite stores such a literal (handed over as an int, apsw could only raise
    OverflowError, naming no column); in a TEXT column (a malformed answer), its digits. Any other number is
    kept as it comes (a TEXT column's: a malformed answer, shown as Next's cells show it)."""
    if sql_type == "REAL" and isinstance(value, int) and not isinstance(value, bool):
        return _real(value)
    if sql_type == "INTEGER" and isinstance(value, float) and value.is_integer() and abs(value) < 2**63:
        return int(value)
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        return str(value) if sql_type == "TEXT" else _real(value)
    return value


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _real(value: int) -> float:
    """``value`` as SQLite reads it in a REAL: past a double's range, an infinity (as SQLite's 1e999)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


VTAB_COLUMNS = (REGION, ACCOUNT_ID, ACCOUNT_NAME, IDENTIFIER, PATCH_DOCUMENT, *STACKQL_OWN)
COLLISION_PREFIX = "resource_"
_OWN = frozenset(name.lower() for name in VTAB_COLUMNS)


def property_column(prop: str) -> str:
    """A property's column: its snake_case name, prefixed when that is one of vtab's own (``Region`` ->
    ``resource_region``, ``Identifier`` -> ``resource_identifier``, ``AccountId`` ->
    ``resource_account_id``)."""
    name = snake_case(prop)
    while name.lower() in _OWN:
        name = COLLISION_PREFIX + name
    return name


def column_names(facts: TypeFacts) -> dict[str, str]:
    """Property -> column name, unique within the table and distinct from vtab's own columns."""
    taken = set(_OWN)
    columns = {}
    for prop in facts.properties:
        name = property_column(prop)
        while name.lower() in taken:
            name = COLLISION_PREFIX + name
        taken.add(name.lower())
        columns[prop] = name
    return columns


STACKQL_ACRONYMS = (
    "DB",
    "ARN",
    "WAN",
    "URL",
    "VPC",
    "DNS",
    "IP",
    "IAM",
    "TLS",
    "SSM",
    "CNAME",
    "SQ",
    "ML",
    "SKU",
    "KMS",
    "OK",
    "CA",
    "ID",
    "TTL",
    "URI",
    "LB",
    "SNS",
    "AWS",
    "ACL",
    "AZ",
    "API",
    "MSK",
    "ECS",
    "EBS",
    "CWE",
    "SSE",
    "HPO",
    "LF",
    "WAL",
    "OAuth",
)
"""StackQL's docs generator's ``fixCamelCaseIssues`` (stackql-provider-awscc bin/generate-docs.js), in its
order: each is capitalised (``DB`` -> ``Db``) all through the name before ``stackql_column`` splits words."""
_STACKQL_WORD = re.compile(r"\w([A-Z])", re.ASCII)


def stackql_column(prop: str) -> str:
    """A property's column as StackQL's pages name it (generate-docs.js ``toSnakeCase(fixCamelCaseIssues(
    p))``): ``EIP`` -> ``e_ip``, ``VPNGatewayId`` -> ``v_pn_gateway_id``, ``SamlProviderUUID`` ->
    ``saml_provider_uu_id``; most names come out as ``snake_case`` gives them."""
    for acronym in STACKQL_ACRONYMS:
        prop = prop.replace(acronym, acronym.capitalize())
    return _STACKQL_WORD.sub(lambda m: f"{m[0][0]}_{m[1]}", prop).lower()


def quote(name: str) -> str:
    """An SQL identifier, quoted so that keywords (``order``, ``group``) are valid column names."""
    return '"' + name.replace('"', '""') + '"'


def declaration(facts: TypeFacts) -> str:
    """The table's declaration as a virtual table gives it to SQLite: typed property columns, region and
    account id, then the hidden identifier, patch document and account name; no key (vtab.read.rowids
    says why)."""
    declared = []
    for prop, column in column_names(facts).items():
        sql_type = SQL_TYPES.get(facts.properties[prop].get("type", ""), "")
        declared.append(f"{quote(column)} {sql_type}".rstrip())
    declared += [f"{REGION} TEXT", f"{ACCOUNT_ID} TEXT", f"{IDENTIFIER} TEXT HIDDEN"]
    declared += [f"{PATCH_DOCUMENT} TEXT HIDDEN", f"{ACCOUNT_NAME} TEXT HIDDEN"]
    return f"CREATE TABLE x({', '.join(declared)})"
