"""Shared helpers of the read tests: a registered connection and views of the calls each side saw."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import apsw

import vtab

IR = "AWS::ApiGatewayV2::IntegrationResponse"
INTEGRATION = "AWS::ApiGatewayV2::Integration"
API = "AWS::ApiGatewayV2::Api"


KNOWN_ACCOUNT = {"account_id": "123456789012"}
"""The emulator's account as the account_id option: a SELECT * reads the account_id column, which on a
connection without it costs one STS GetCallerIdentity; tests that count Cloud Control calls give it."""


def connect(emulator: Any, **options: Any) -> apsw.Connection:
    """A fresh connection with vtab registered on the local endpoint (no rate limit, no cache by default)."""
    connection = apsw.Connection(":memory:")
    defaults: dict[str, Any] = {
        "endpoint_url": emulator.endpoint_url,
        "regions": "us-east-1",
        "rate_limit": None,
    }
    defaults.setdefault("cache_ttl", 0)
    vtab.register(connection, **{**defaults, **options})
    return connection


def rows(connection: apsw.Connection, sql: str, bindings: Any = ()) -> list[tuple[Any, ...]]:
    return list(connection.execute(sql, bindings))


def endpoint_ops(emulator: Any) -> Counter[tuple[str, str | None]]:
    """(operation, type) -> number of HTTP calls the endpoint answered."""
    return Counter((call.operation, call.type_name) for call in emulator.calls)


def short(type_name: str | None) -> str:
    return (type_name or "").split("::")[-1]


def endpoint_summary(emulator: Any) -> Counter[str]:
    """'ListResources IntegrationResponse' -> count, easier to read in assertion failures."""
    return Counter(f"{call.operation} {short(call.type_name)}" for call in emulator.calls)


DOCS = Path(__file__).resolve().parent.parent / "docs"


def docs_sql_blocks(page: str, section: str) -> list[list[str]]:
    """The statements of each ```sql block under ``## section`` of docs/``page`` (tests/test_docs.py
    checks that every such block is run by a test naming its page and section)."""
    text = (DOCS / page).read_text(encoding="utf-8").split(f"## {section}\n", 1)[1].split("\n## ", 1)[0]
    blocks = []
    for block in text.split("```sql\n")[1:]:
        found, pending = [], ""
        for line in block.split("```", 1)[0].splitlines(keepends=True):
            pending += line
            if apsw.complete(pending):
                found.append(pending.strip())
                pending = ""
        blocks.append(found)
    return blocks


def names_failure(message: str, where: str, code: str) -> bool:
    """Whether a statement's error names a failure at ``where`` (``account X in REGIONS``, a type first
    for vtab_resources) with its call's request id, then AWS's code (vtab.read.accounts.failure_error)."""
    return re.search(f"{re.escape(where)} \\(request id [0-9a-f-]{{36}}\\): {code}: ", message) is not None
