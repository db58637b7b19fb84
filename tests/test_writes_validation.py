"""Bad input: each is refused before anything is sent, with an error naming the column, value, rule and fix.

Every test ends by checking the endpoint's recorder: no Create/Update/DeleteResource (nor a poll) arrived.
"""

from __future__ import annotations

import re
from typing import Any

import apsw
import pytest

from tests.test_writes_helpers import connect, error_of, write_calls
from vtab.emulator import Emulator

INSERT = (
    "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region, "
    "response_templates, response_parameters, content_handling_strategy) VALUES (?, ?, ?, ?, ?, ?, ?)"
)
WHERE_ID = "WHERE region = 'us-east-1' AND data__Identifier = ?"


@pytest.fixture
def ids(emulator: Emulator) -> dict[str, str]:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    emulator.clear_calls()
    return {"api": api_id, "integration": integration_id, "response": seeded.responses[0]}


def _insert_error(db: apsw.Connection, ids: dict[str, str], **columns: Any) -> apsw.Error:
    values = {
        "api_id": ids["api"],
        "integration_id": ids["integration"],
        "integration_response_key": "$default",
        "region": "us-east-1",
        "response_templates": None,
        "response_parameters": None,
        "content_handling_strategy": None,
        **columns,
    }
    return error_of(db, INSERT, tuple(values.values()))


@pytest.mark.parametrize(
    ("columns", "kind", "message"),
    [
        (
            {"integration_response_key": None},
            apsw.ConstraintError,
            "integration_response_key = NULL: AWS::ApiGatewayV2::IntegrationResponse requires "
            "IntegrationResponseKey (NOT NULL); give integration_response_key a value in the INSERT "
            "[integration_responses row 1]",
        ),
        (
            {"response_templates": "{not json"},
            apsw.ConstraintError,
            "response_templates = '{not json': not valid JSON (unexpected character, expected a string key: "
            'line 1 column 2 (char 1)); write a JSON object as text, like \'{"key": "value"}\' '
            "[integration_responses row 1]",
        ),
        (
            {"response_templates": 42},
            apsw.ConstraintError,
            "response_templates = 42: ResponseTemplates is a JSON object, not a number; write a JSON "
            'object as text, like \'{"key": "value"}\' [integration_responses row 1]',
        ),
        (
            {"response_parameters": '["method.response.header.X"]'},
            apsw.ConstraintError,
            "response_parameters = '[\"method.response.header.X\"]': a JSON array, but ResponseParameters "
            'must be a JSON object; write a JSON object as text, like \'{"key": "value"}\' '
            "[integration_responses row 1]",
        ),
        (
            {"response_parameters": '"text"'},
            apsw.ConstraintError,
            "response_parameters = '\"text\"': a JSON string, but ResponseParameters must be a JSON object;",
        ),
        (
            {"content_handling_strategy": "CONVERT_TO_XML"},
            apsw.ConstraintError,
            "content_handling_strategy = 'CONVERT_TO_XML': not one of the values ContentHandlingStrategy "
            "allows; use 'CONVERT_TO_BINARY' or 'CONVERT_TO_TEXT' (or NULL to leave it unset) "
            "[integration_responses row 1]",
        ),
        (
            {"region": "us-east-9"},
            apsw.SQLError,
            "region = 'us-east-9': region 'us-east-9' is not an AWS region where Cloud Control is available "
            "(did you mean",
        ),
        (
            {"api_id": b"\x00\x01"},
            apsw.ConstraintError,
            "api_id = X'0001': ApiId cannot be a BLOB; write ApiId as a string [integration_responses row 1]",
        ),
    ],
)
def test_bad_insert_values_are_refused_before_sending(
    emulator: Emulator, ids: dict[str, str], columns: dict[str, Any], kind: type[apsw.Error], message: str
) -> None:
    db = connect(emulator)
    error = _insert_error(db, ids, **columns)
    assert type(error) is kind
    assert str(error).startswith(message), str(error)
    assert write_calls(emulator) == []


def test_one_bad_row_of_a_multi_row_insert_sends_no_row(emulator: Emulator, ids: dict[str, str]) -> None:
    db = connect(emulator)
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region, "
        "content_handling_strategy) VALUES (?1, ?2, 'a', 'us-east-1', NULL), "
        "(?1, ?2, 'b', 'us-east-1', NULL), (?1, ?2, 'c', 'us-east-1', 'BINARY')",
        (ids["api"], ids["integration"]),
    )
    assert type(error) is apsw.ConstraintError
    assert str(error).startswith("content_handling_strategy = 'BINARY': not one of the values")
    assert str(error).endswith("[integration_responses row 3]")
    assert write_calls(emulator) == []
    assert len(emulator.integration_responses("us-east-1", ids["api"], ids["integration"])) == 1


def test_two_plain_inserts_of_one_key_are_refused_before_sending(
    emulator: Emulator, ids: dict[str, str]
) -> None:
    db = connect(emulator)
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, 'a', 'us-east-1'), (?1, ?2, 'd1', 'us-east-1'), (?1, ?2, 'd1', 'us-east-1')",
        (ids["api"], ids["integration"]),
    )
    key = f"api_id='{ids['api']}', integration_id='{ids['integration']}', integration_response_key='d1'"
    assert type(error) is apsw.ConstraintError
    assert str(error) == (
        f"integration_response_key = 'd1': row 3 has the same key as row 2 ({key}) in us-east-1; "
        "AWS::ApiGatewayV2::IntegrationResponse allows one per key, so the second create would fail "
        "AlreadyExists; keep one of the rows, or write INSERT OR IGNORE (the first wins) or INSERT OR "
        "REPLACE (the last wins) [integration_responses row 3]"
    )
    assert write_calls(emulator) == []
    assert len(emulator.integration_responses("us-east-1", ids["api"], ids["integration"])) == 1


def test_a_plain_insert_of_a_key_the_transaction_already_creates_is_refused(
    emulator: Emulator, ids: dict[str, str]
) -> None:
    db = connect(emulator)
    insert = (
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?, ?, ?, 'us-east-1')"
    )
    db.execute("BEGIN")
    db.execute(insert, (ids["api"], ids["integration"], "d1"))
    error = error_of(db, insert, (ids["api"], ids["integration"], "d1"))
    assert type(error) is apsw.ConstraintError
    assert str(error).startswith(
        "integration_response_key = 'd1': row 1 has the same key as row 1 of an earlier statement of this "
        "transaction ("
    )
    assert write_calls(emulator) == []
    db.execute(insert, (ids["api"], ids["integration"], "d2"))
    db.execute("COMMIT")  # the refused statement took back only its own row
    keys = sorted(
        m["IntegrationResponseKey"]
        for m in emulator.integration_responses("us-east-1", ids["api"], ids["integration"])
    )
    assert keys == ["$default", "d1", "d2"]


@pytest.mark.parametrize(
    ("columns", "kind", "message"),
    [
        (
            "integration_response_id",
            apsw.ReadOnlyError,
            "integration_response_id = 'abc': IntegrationResponseId is read-only (AWS sets it when the "
            "resource is created); leave integration_response_id out of the INSERT "
            "[integration_responses row 1]",
        ),
        (
            "data__Identifier",
            apsw.ReadOnlyError,
            "data__Identifier = 'abc': the identifier is read-only (AWS assigns it when the resource is "
            "created); leave data__Identifier out of the INSERT [integration_responses row 1]",
        ),
        (
            "data__PatchDocument",
            apsw.SQLError,
            "data__PatchDocument = 'abc': only UPDATE takes a patch document; an INSERT sets the columns "
            "themselves [integration_responses row 1]",
        ),
    ],
)
def test_insert_into_read_only_or_write_only_columns_is_refused(
    emulator: Emulator, ids: dict[str, str], columns: str, kind: type[apsw.Error], message: str
) -> None:
    db = connect(emulator)
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region, "
        f"{columns}) VALUES (?, ?, 'k', 'us-east-1', 'abc')",
        (ids["api"], ids["integration"]),
    )
    assert type(error) is kind
    assert str(error) == message
    assert write_calls(emulator) == []


def test_insert_without_region_when_several_are_configured_is_refused(
    emulator: Emulator, ids: dict[str, str]
) -> None:
    db = connect(emulator, regions="us-east-1,eu-west-1")
    error = error_of(
        db,
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
        "VALUES (?, ?, 'k')",
        (ids["api"], ids["integration"]),
    )
    assert type(error) is apsw.SQLError
    assert str(error) == (
        "region = NULL: 2 regions are configured (us-east-1, eu-west-1), so the INSERT must say which one, "
        "e.g. region = 'us-east-1' [integration_responses row 1]"
    )
    assert write_calls(emulator) == []


def _update_error(db: apsw.Connection, ids: dict[str, str], set_clause: str, *values: Any) -> apsw.Error:
    return error_of(
        db, f"UPDATE integration_responses SET {set_clause} {WHERE_ID}", (*values, ids["response"])
    )


@pytest.mark.parametrize(
    ("set_clause", "kind", "message"),
    [
        (
            "api_id = 'other'",
            apsw.ReadOnlyError,
            "api_id = 'other' (was '{api}'): ApiId is create-only and cannot change; DELETE the row and "
            "INSERT a new one instead [integration_responses {response}]",
        ),
        (
            "integration_id = 'other'",
            apsw.ReadOnlyError,
            "integration_id = 'other' (was '{integration}'): IntegrationId is create-only and cannot change;",
        ),
        (
            "integration_response_id = 'other'",
            apsw.ReadOnlyError,
            "integration_response_id = 'other' (was '{rid}'): IntegrationResponseId is read-only (AWS sets "
            "it) and cannot change; leave integration_response_id out of the UPDATE",
        ),
        (
            "data__Identifier = 'a|b|c'",
            apsw.ReadOnlyError,
            "data__Identifier = 'a|b|c' (was '{response}'): the identifier is read-only (AWS assigns it); "
            "to re-key a resource, DELETE it and INSERT a new one [integration_responses {response}]",
        ),
        (
            "region = 'eu-west-1'",
            apsw.ReadOnlyError,
            "region = 'eu-west-1' (was 'us-east-1'): a resource cannot move to another region;",
        ),
        (
            "integration_response_key = NULL",
            apsw.ConstraintError,
            "integration_response_key = NULL: AWS::ApiGatewayV2::IntegrationResponse requires "
            "IntegrationResponseKey (NOT NULL); integration_response_key cannot be removed "
            "[integration_responses {response}]",
        ),
        (  # named as the statement wrote it
            "IntegrationResponseKey = NULL",
            apsw.ConstraintError,
            "IntegrationResponseKey = NULL: AWS::ApiGatewayV2::IntegrationResponse requires "
            "IntegrationResponseKey (NOT NULL); IntegrationResponseKey cannot be removed",
        ),
        (
            "response_parameters = 'nope'",
            apsw.ConstraintError,
            "response_parameters = 'nope': not valid JSON",
        ),
        (
            "content_handling_strategy = 'convert_to_text'",
            apsw.ConstraintError,
            "content_handling_strategy = 'convert_to_text': not one of the values ContentHandlingStrategy "
            "allows",
        ),
        (
            "data__PatchDocument = '[]', response_templates = '{}'",
            apsw.SQLError,
            "data__PatchDocument cannot be combined with other SET columns (response_templates): either SET "
            "data__PatchDocument alone, or SET the columns without it [integration_responses {response}]",
        ),
    ],
)
def test_bad_updates_are_refused_before_sending(
    emulator: Emulator, ids: dict[str, str], set_clause: str, kind: type[apsw.Error], message: str
) -> None:
    db = connect(emulator)
    error = _update_error(db, ids, set_clause)
    expected = message.format(**ids, rid=ids["response"].split("|")[2])
    assert type(error) is kind
    assert str(error).startswith(expected), str(error)
    assert write_calls(emulator) == []


EXAMPLE = """'[{"op":"replace","path":"/IntegrationResponseKey","value":"..."}]'"""


@pytest.mark.parametrize(
    ("patch", "kind", "message"),
    [
        ("not json", apsw.SQLError, "not a JSON Patch (RFC 6902): not valid JSON (invalid literal"),
        (
            '{"op": "replace", "path": "/IntegrationResponseKey", "value": "x"}',
            apsw.SQLError,
            "not a JSON Patch (RFC 6902): the document is a JSON object, not an array",
        ),
        (
            '["replace"]',
            apsw.SQLError,
            "not a JSON Patch (RFC 6902): operation 0 is a JSON string, not an object",
        ),
        (
            '[{"op": "rename", "path": "/IntegrationResponseKey"}]',
            apsw.SQLError,
            "operation 0 has op 'rename'; use add, remove, replace, move, copy or test",
        ),
        (
            '[{"op": "replace", "value": "x"}]',
            apsw.SQLError,
            "operation 0 needs a 'path' like '/PropertyName', got None",
        ),
        ('[{"op": "add", "path": "/ResponseTemplates"}]', apsw.SQLError, "operation 0 (add) has no 'value'"),
        (
            '[{"op": "replace", "path": "/ApiId", "value": "x"}]',
            apsw.ReadOnlyError,
            "api_id (path /ApiId in operation 0 of data__PatchDocument): ApiId is create-only and cannot "
            "change after creation; DELETE the row and INSERT a new one instead",
        ),
        (
            '[{"op": "test", "path": "/ApiId", "value": "{api}"}, '
            '{"op": "remove", "path": "/IntegrationResponseId"}]',
            apsw.ReadOnlyError,
            "integration_response_id (path /IntegrationResponseId in operation 1 of data__PatchDocument): "
            "IntegrationResponseId is read-only (AWS sets it); leave it out of the patch",
        ),
        (
            '[{"op": "move", "from": "/IntegrationId", "path": "/IntegrationResponseKey"}]',
            apsw.ReadOnlyError,
            "integration_id (path /IntegrationId in operation 0 of data__PatchDocument): IntegrationId is "
            "create-only",
        ),
        (
            '[{"op": "add", "path": "/Colour", "value": "red"}]',
            apsw.SQLError,
            "data__PatchDocument (path /Colour in operation 0 of data__PatchDocument): "
            "AWS::ApiGatewayV2::IntegrationResponse has no property 'Colour'; the properties a patch may "
            "change are /ResponseTemplates, /TemplateSelectionExpression, /ResponseParameters, "
            "/ContentHandlingStrategy, /IntegrationResponseKey",
        ),
        (
            '[{"op": "remove", "path": "/ContentHandlingStrategy"}]',
            apsw.SQLError,
            "does not apply to the current resource (can't remove a non-existent object "
            "'ContentHandlingStrategy'); SELECT the row to see its properties and patch those",
        ),
        (
            '[{"op": "replace", "path": "/ContentHandlingStrategy", "value": "X"}]',
            apsw.SQLError,
            "does not apply to the current resource",
        ),
        (
            '[{"op": "add", "path": "/ContentHandlingStrategy", "value": "X"}]',
            apsw.ConstraintError,
            "content_handling_strategy = 'X': not one of the values ContentHandlingStrategy allows",
        ),
        (
            '[{"op": "add", "path": "/ResponseTemplates", "value": [1]}]',
            apsw.ConstraintError,
            "response_templates = '[1]': the data__PatchDocument makes ResponseTemplates a JSON array, "
            "but it must be a JSON object",
        ),
        (
            '[{"op": "replace", "path": "/IntegrationResponseKey", "value": 404}]',
            apsw.ConstraintError,
            "integration_response_key = 404: the data__PatchDocument makes IntegrationResponseKey a JSON "
            "number, but it must be a string; write IntegrationResponseKey as a string",
        ),
        (
            '[{"op": "remove", "path": "/IntegrationResponseKey"}]',
            apsw.ConstraintError,
            "integration_response_key = NULL: AWS::ApiGatewayV2::IntegrationResponse requires "
            "IntegrationResponseKey (NOT NULL)",
        ),
        (
            '[{"op": "test", "path": "/IntegrationResponseKey", "value": "200"}]',
            apsw.SQLError,
            "does not apply to the current resource",
        ),
        (  # jsonpatch's message would dump the whole resource: only the member is named
            '[{"op": "test", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_TEXT"}]',
            apsw.SQLError,
            "does not apply to the current resource (member 'ContentHandlingStrategy' not found); SELECT",
        ),
    ],
)
def test_bad_patch_documents_are_refused_before_sending(
    emulator: Emulator, ids: dict[str, str], patch: str, kind: type[apsw.Error], message: str
) -> None:
    db = connect(emulator)
    error = _update_error(db, ids, "data__PatchDocument = ?", patch.replace("{api}", ids["api"]))
    assert type(error) is kind
    assert message in str(error), str(error)
    assert str(error).endswith(f"[integration_responses {ids['response']}]")
    if "not a JSON Patch" in message:
        assert str(error).startswith("data__PatchDocument = '")
        assert f"write a JSON array of operations, like {EXAMPLE}" in str(error)
    assert write_calls(emulator) == []


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE integration_responses SET response_templates = '{}' WHERE region = 'us-east-1' "
        "AND data__Identifier = 'abc|def'",
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = 'abc|def'",
    ],
)
def test_malformed_identifier_is_refused_before_sending(emulator: Emulator, statement: str) -> None:
    db = connect(emulator)
    error = error_of(db, statement)
    assert type(error) is apsw.SQLError
    assert str(error).startswith(
        "data__Identifier = 'abc|def' is malformed: identifier 'abc|def' has 2 part(s)"
    )
    assert "'<ApiId>|<IntegrationId>|<IntegrationResponseId>'" in str(error)
    assert emulator.calls == []


def test_unknown_region_in_update_is_refused_before_sending(emulator: Emulator, ids: dict[str, str]) -> None:
    db = connect(emulator)
    error = error_of(
        db,
        "DELETE FROM integration_responses WHERE region = 'mars-north-1' AND data__Identifier = ?",
        (ids["response"],),
    )
    assert type(error) is apsw.SQLError
    assert str(error).startswith(
        "region 'mars-north-1' is not an AWS region where Cloud Control is available"
    )
    assert emulator.calls == []


def test_max_writes_refuses_the_statement_and_names_the_option(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, max_writes=2)
    emulator.clear_calls()
    error = error_of(
        db,
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
        (api_id, integration_id),
    )
    assert type(error) is apsw.ConstraintError
    assert str(error) == (
        "max_writes=2: this statement would send more than 2 write(s) to AWS, so it was refused before "
        "anything was sent; narrow the WHERE clause, or raise the connection's limit: pass max_writes=N to "
        "vtab.register() (a table's own max_writes may only lower it) [integration_responses]"
    )
    assert write_calls(emulator) == []
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 3

    # At the limit is fine, and the limit is per statement.
    for key in ("a", "b"):
        db.execute(
            "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
            "VALUES (?1, ?2, ?3 || '1', 'us-east-1'), (?1, ?2, ?3 || '2', 'us-east-1')",
            (api_id, integration_id, key),
        )
    assert len(emulator.integration_responses("us-east-1", api_id, integration_id)) == 7


def test_max_writes_from_create_virtual_table(emulator: Emulator, ids: dict[str, str]) -> None:
    db = connect(emulator)
    db.execute("CREATE VIRTUAL TABLE temp.careful USING integration_responses(max_writes=1)")
    error = error_of(
        db,
        "INSERT INTO careful (api_id, integration_id, integration_response_key, region) "
        "VALUES (?1, ?2, 'a', 'us-east-1'), (?1, ?2, 'b', 'us-east-1')",
        (ids["api"], ids["integration"]),
    )
    assert type(error) is apsw.ConstraintError
    assert re.match(r"max_writes=1: this statement would send more than 1 write\(s\)", str(error))
    assert str(error).endswith("[careful]")
    assert write_calls(emulator) == []


@pytest.mark.parametrize(
    ("statement", "verb"),
    [
        (
            "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
            "VALUES (?1, ?2, 'k', 'us-east-1')",
            "INSERT",
        ),
        (
            "UPDATE integration_responses SET response_templates = '{}' " + WHERE_ID.replace("?", "?3"),
            "UPDATE",
        ),
        ("DELETE FROM integration_responses " + WHERE_ID.replace("?", "?3"), "DELETE"),
    ],
)
def test_read_only_refuses_every_write(
    emulator: Emulator, ids: dict[str, str], statement: str, verb: str
) -> None:
    db = connect(emulator, read_only=True)
    sql = statement.replace("?1", "?").replace("?2", "?").replace("?3", "?")
    bindings = (ids["response"],) if verb != "INSERT" else (ids["api"], ids["integration"])
    error = error_of(db, sql, bindings)
    assert type(error) is apsw.ReadOnlyError
    assert str(error) == (
        f"integration_responses is read-only (the connection's read_only=True): {verb} refused before "
        "anything was sent; a table cannot lift it: open the connection without read_only=True to change "
        "AWS resources"
    )
    assert write_calls(emulator) == []


def test_a_read_only_table_on_a_writable_connection_names_the_table_option(
    emulator: Emulator, ids: dict[str, str]
) -> None:
    """Only a table's own read_only can be left by using another table; the connection's is a ceiling."""
    db = connect(emulator)
    db.execute("CREATE VIRTUAL TABLE temp.careful USING integration_responses(read_only=true)")
    error = error_of(db, "DELETE FROM careful " + WHERE_ID, (ids["response"],))
    assert type(error) is apsw.ReadOnlyError
    assert str(error) == (
        "careful is read-only (its option read_only=true): DELETE refused before anything was sent; use a "
        "table without read_only to change AWS resources"
    )
    assert write_calls(emulator) == []
