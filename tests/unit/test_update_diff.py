"""The UPDATE diff on its own (vtab.write.patch): the row as queued updates leave it, which SET values
differ, and the minimal patch they make; with the catalog's schema and the table's real columns."""

from __future__ import annotations

import apsw
import pytest

from vtab.catalog.facts import Verb
from vtab.catalog.store import load_catalog
from vtab.read.rows import Row
from vtab.sql.statements import Statement
from vtab.sqlite.columns import Columns
from vtab.write.operation import Operation
from vtab.write.patch import as_queued, column_patch, differs
from vtab.write.validate import RowRules

SCHEMA = load_catalog().schema("AWS::ApiGatewayV2::IntegrationResponse")
COLUMNS = Columns(SCHEMA)
RULES = RowRules("integration_responses", SCHEMA, COLUMNS.property_of)
ROW = Row(
    "us-east-1",
    "a|i|r",
    {
        "ApiId": "a",
        "IntegrationId": "i",
        "IntegrationResponseKey": "$default",
        "ResponseTemplates": {"x": "1"},
    },
)


def update(patch: list[dict[str, object]], statement: Statement) -> Operation:
    op = Operation(Verb.UPDATE, "us-east-1", 1, 0, identifier="a|i|r", patch=patch)
    op.statement = statement
    return op


def test_an_earlier_statements_queued_update_is_what_a_later_one_diffs_against() -> None:
    earlier, current = Statement(0), Statement(0)
    queued = [update([{"op": "replace", "path": "/IntegrationResponseKey", "value": "k2"}], earlier)]
    assert as_queued(SCHEMA, ROW, queued, current).properties["IntegrationResponseKey"] == "k2"


def test_the_statements_own_earlier_update_is_replaced_not_applied() -> None:
    current = Statement(0)
    queued = [update([{"op": "replace", "path": "/IntegrationResponseKey", "value": "k2"}], current)]
    assert as_queued(SCHEMA, ROW, queued, current) is ROW


def test_an_unchanged_value_differs_not_and_sends_nothing() -> None:
    assert not differs(COLUMNS, ROW, "integration_response_key", "$default")
    assert differs(COLUMNS, ROW, "integration_response_key", "k2")
    same_json = {"response_templates": '{ "x" :  "1" }'}  # other spacing, the same object
    assert column_patch(SCHEMA, COLUMNS, RULES, ROW, same_json, "[t]") == []


def test_the_patch_holds_only_what_changes() -> None:
    changed = {"integration_response_key": "k2", "template_selection_expression": None}
    assert column_patch(SCHEMA, COLUMNS, RULES, ROW, changed, "[t]") == [
        {"op": "replace", "path": "/IntegrationResponseKey", "value": "k2"}
    ]


def test_a_create_only_column_is_refused_with_the_fix() -> None:
    with pytest.raises(apsw.ReadOnlyError, match=r"api_id = 'b' \(was 'a'\).*create-only.*DELETE the row"):
        column_patch(SCHEMA, COLUMNS, RULES, ROW, {"api_id": "b"}, "[t]")
