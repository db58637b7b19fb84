"""Guards: UPDATE/DELETE without WHERE, placeholders left in ids, data__PatchDocument with other columns.

Every refusal happens before anything is sent (the endpoint's recorder shows no write, and for the
no-WHERE guard not even a read); the statements a careful user means still run.
"""

from __future__ import annotations

import apsw
import pytest

from tests.readhelpers import IR, endpoint_summary
from tests.test_writes_helpers import connect, error_of, rows, sent_writes, write_calls
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded

REGION = "us-east-1"
NAME = "aws.apigatewayv2.integration_responses"


def remaining(emulator: Emulator, seeded: Seeded) -> list[str]:
    return [i for i in seeded.responses if emulator.resource(REGION, IR, i) is not None]


# --- UPDATE / DELETE without WHERE ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("DELETE FROM integration_responses", "DELETE"),
        (f"/*+ delete */ DELETE FROM {NAME};", "DELETE"),
        ("UPDATE integration_responses SET template_selection_expression = '$default'", "UPDATE"),
        (
            "UPDATE integration_responses SET template_selection_expression = "
            "(SELECT '$default' FROM integration_responses WHERE region = 'us-east-1' LIMIT 1)",
            "UPDATE",
        ),
        ("WITH c AS (SELECT 1 WHERE 1) DELETE FROM integration_responses", "DELETE"),
    ],
)
def test_update_or_delete_without_where_is_refused_before_reading_or_sending(
    sql: str, verb: str, emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    error = error_of(db, sql)
    assert type(error) is apsw.ConstraintError
    changes = "delete" if verb == "DELETE" else "update"
    assert str(error) == (
        f"{verb} without a WHERE clause: it would {changes} every resource integration_responses lists, so "
        "it was refused before anything was sent; add a WHERE clause that picks the rows (e.g. WHERE "
        "region = 'us-east-1' AND data__Identifier = '...'), or write WHERE true to mean every row "
        "[integration_responses]"
    )
    assert emulator.calls == []
    assert remaining(emulator, seeded) == list(seeded.responses)


def test_where_true_is_the_explicit_opt_in_to_change_every_row(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    db.execute("DELETE FROM integration_responses WHERE true")
    assert remaining(emulator, seeded) == []
    assert len(sent_writes(emulator, "DeleteResource")) == len(seeded.responses)


@pytest.mark.parametrize(
    "where",
    [
        "integration_response_key = '200'",  # a column the planner does not push down: SQLite filters
        "json_extract(response_templates, '$.\"application/json\"') IS NULL",  # no constraint offered at all
        "integration_response_key IN (SELECT '200') AND region = 'us-east-1'",
    ],
)
def test_a_where_on_columns_that_are_not_pushed_down_is_not_refused(
    where: str, emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    doomed = rows(db, f"SELECT data__Identifier FROM integration_responses WHERE {where}")
    assert 0 < len(doomed) < len(seeded.responses)

    db.execute(f"DELETE FROM integration_responses WHERE {where}")

    assert sorted(call.identifier for call in sent_writes(emulator, "DeleteResource")) == sorted(
        identifier for (identifier,) in doomed
    )
    assert len(remaining(emulator, seeded)) == len(seeded.responses) - len(doomed)


def test_update_from_with_a_where_is_not_refused(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    db.execute("CREATE TABLE picks(id TEXT, tse TEXT)")
    db.execute("INSERT INTO picks VALUES (?, '$default')", (seeded.responses[1],))
    db.execute(
        "UPDATE integration_responses SET template_selection_expression = picks.tse FROM picks "
        "WHERE integration_responses.data__Identifier = picks.id "
        "AND integration_responses.region = 'us-east-1'"
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.identifier == seeded.responses[1]


def test_in_a_transaction_the_unfiltered_statement_is_refused_and_the_rest_commits(
    emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    target = seeded.responses[0]
    db.execute("BEGIN")
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?", (target,)
    )
    error = error_of(db, "DELETE FROM integration_responses")
    assert "DELETE without a WHERE clause" in str(error)
    db.execute("COMMIT")
    assert [call.identifier for call in sent_writes(emulator, "DeleteResource")] == [target]


def test_a_trigger_that_deletes_without_where_is_refused_too(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator, trusted_schema=True)  # else SQLite refuses any trigger's write (test_trust_files)
    db.execute(
        "CREATE TABLE cleanup(x); CREATE TEMP TRIGGER wipe AFTER INSERT ON cleanup "
        "BEGIN DELETE FROM integration_responses; END"
    )
    error = error_of(db, "INSERT INTO cleanup VALUES (1)")
    assert "DELETE without a WHERE clause" in str(error)
    assert write_calls(emulator) == []
    assert remaining(emulator, seeded) == list(seeded.responses)


def test_a_named_table_is_guarded_under_its_own_name(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    db.execute(
        f"CREATE VIRTUAL TABLE temp.prod USING integration_responses(endpoint_url='{emulator.endpoint_url}')"
    )
    error = error_of(db, "DELETE FROM temp.prod")
    assert str(error).endswith("write WHERE true to mean every row [prod]")
    assert emulator.calls == []


# --- placeholders left in ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "column", "value"),
    [
        (
            f"SELECT * FROM {NAME} WHERE region = 'us-east-1' "
            "AND data__Identifier = '<ApiId>|<IntegrationId>|<IntegrationResponseId>'",
            "data__Identifier",
            "<ApiId>|<IntegrationId>|<IntegrationResponseId>",
        ),
        (
            f"DELETE FROM {NAME} WHERE data__Identifier = '<ApiId|IntegrationId|IntegrationResponseId>' "
            "AND region = 'us-east-1'",
            "data__Identifier",
            "<ApiId|IntegrationId|IntegrationResponseId>",
        ),
        (
            "UPDATE integration_responses SET template_selection_expression = 'x' "
            "WHERE region = 'us-east-1' AND api_id = '{{ ApiId }}'",
            "api_id",
            "{{ ApiId }}",
        ),
        (
            "SELECT * FROM integration_responses WHERE region = '{{ region }}'",
            "region",
            "{{ region }}",
        ),
        (
            f"INSERT INTO {NAME} (IntegrationId, IntegrationResponseKey, ApiId, region) "
            "SELECT '{{ IntegrationId }}', '$default', 'abc', 'us-east-1'",
            "IntegrationId",
            "{{ IntegrationId }}",
        ),
        # Every property is also a (hidden) column under its schema name: the message names the column
        # as the statement wrote it, in WHERE as in INSERT.
        (
            f"SELECT * FROM {NAME} WHERE region = 'us-east-1' AND ApiId = '<ApiId>'",
            "ApiId",
            "<ApiId>",
        ),
        (
            "UPDATE integration_responses SET TemplateSelectionExpression = 'x' "
            "WHERE region = 'us-east-1' AND api_id = 'abc' AND IntegrationId IN ('{{ IntegrationId }}')",
            "IntegrationId",
            "{{ IntegrationId }}",
        ),
        (
            f"DELETE FROM {NAME} WHERE region = 'us-east-1' AND ApiId = '{{{{ ApiId }}}}'",
            "ApiId",
            "{{ ApiId }}",
        ),
        (
            f"SELECT * FROM {NAME} WHERE region = 'us-east-1' AND api_id = '<ApiId>'",
            "api_id",
            "<ApiId>",
        ),
    ],
)
def test_a_placeholder_left_in_an_id_is_an_error_naming_the_column(
    sql: str, column: str, value: str, emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    error = error_of(db, sql)
    assert type(error) is apsw.SQLError
    assert str(error).startswith(
        f"{column} = '{value}': still a placeholder of the example it was copied from, not a real value; "
        "replace it with the real one"
    )
    assert emulator.calls == []


def test_an_update_setting_a_template_is_refused_before_anything_is_sent(
    emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    error = error_of(
        db,
        "UPDATE integration_responses "
        "SET template_selection_expression = '{{ TemplateSelectionExpression }}' WHERE region = 'us-east-1'",
    )
    assert type(error) is apsw.SQLError
    assert str(error).startswith(
        "template_selection_expression = '{{ TemplateSelectionExpression }}': still a placeholder of the "
        "example it was copied from"
    )
    assert [c for c in emulator.calls if c.operation == "UpdateResource"] == []


def test_a_placeholder_in_a_joined_table_is_refused_too(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    db.execute(
        "CREATE TABLE mine(id TEXT); "
        "INSERT INTO mine VALUES ('<ApiId>|<IntegrationId>|<IntegrationResponseId>')"
    )
    error = error_of(
        db,
        "SELECT v.* FROM mine m JOIN integration_responses v "
        "ON v.data__Identifier = m.id AND v.region = 'us-east-1'",
    )
    assert "data__Identifier = '<ApiId>|<IntegrationId>|<IntegrationResponseId>': still a placeholder" in str(
        error
    )
    assert emulator.calls == []


def test_a_placeholder_joined_into_a_schema_name_column_is_named_so(
    emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    db.execute("CREATE TABLE mine(api TEXT); INSERT INTO mine VALUES ('<ApiId>')")
    error = error_of(
        db,
        "SELECT v.* FROM mine m JOIN integration_responses v ON v.ApiId = m.api AND v.region = 'us-east-1'",
    )
    assert str(error).startswith("ApiId = '<ApiId>': still a placeholder")
    assert emulator.calls == []


# --- data__PatchDocument with other SET columns -----------------------------------------------------------


@pytest.mark.parametrize(
    "other",
    [
        "template_selection_expression = 'changed'",
        "template_selection_expression = template_selection_expression",  # unchanged: refused all the same
        "TemplateSelectionExpression = TemplateSelectionExpression",
    ],
)
def test_a_patch_document_with_any_other_set_column_is_refused(
    other: str, emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    target = seeded.responses[0]
    patch = '[{"op": "replace", "path": "/TemplateSelectionExpression", "value": "$default"}]'
    error = error_of(
        db,
        f"UPDATE integration_responses SET data__PatchDocument = ?, {other} "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (patch, target),
    )
    column = other.split(" = ")[0]
    assert type(error) is apsw.SQLError
    assert str(error) == (
        f"data__PatchDocument cannot be combined with other SET columns ({column}): either SET "
        f"data__PatchDocument alone, or SET the columns without it [integration_responses {target}]"
    )
    assert write_calls(emulator) == []
    assert endpoint_summary(emulator) == {"GetResource IntegrationResponse": 1}
