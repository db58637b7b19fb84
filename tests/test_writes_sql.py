"""The write examples of issue 4, verbatim, against the local endpoint; the backend is checked afterwards."""

from __future__ import annotations

import json
from typing import Any

import apsw
import pytest

from tests.test_writes_helpers import IR, connect, create_response, error_of, rows, sent_writes, write_calls
from vtab.emulator import Emulator

# The SQL of issue 4, as written there; only the placeholders are replaced with real ids.
EXAMPLE_INSERT = """
INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region)
VALUES ('<ApiId>', '<IntegrationId>', '$default', 'us-east-1');
"""
EXAMPLE_INSERT_SELECT = """
INSERT INTO integration_responses (response_templates, template_selection_expression, response_parameters,
  content_handling_strategy, integration_id, integration_response_key, api_id, region)
SELECT '{"application/json": "{\\"ok\\": true}"}', '$default', '{}', 'CONVERT_TO_TEXT',
       integration_id, '$default', api_id, region FROM my_local_integrations;
"""
EXAMPLE_UPDATE = """
UPDATE integration_responses SET response_templates = '{"application/json": "{}"}'
WHERE region = 'us-east-1' AND data__Identifier = '<ApiId>|<IntegrationId>|<IntegrationResponseId>';
"""
EXAMPLE_PATCH = """
UPDATE integration_responses SET data__PatchDocument = '[{"op": "replace", "path": "/IntegrationResponseKey", "value": "$default"}]'
WHERE region = 'us-east-1' AND data__Identifier = '...';
"""  # noqa: E501
EXAMPLE_DELETE = """
DELETE FROM integration_responses WHERE data__Identifier = '...' AND region = 'us-east-1';
"""


def _with_ids(sql: str, identifier: str) -> str:
    api_id, integration_id, _ = identifier.split("|")
    return (
        sql.replace("<ApiId>|<IntegrationId>|<IntegrationResponseId>", identifier)
        .replace("'...'", f"'{identifier}'")
        .replace("<ApiId>", api_id)
        .replace("<IntegrationId>", integration_id)
    )


def _calls(db: apsw.Connection, operation: str) -> list[tuple[Any, ...]]:
    return rows(
        db,
        "SELECT identifier, request_token, status, error_code, pages FROM vtab_calls WHERE operation = ? "
        "ORDER BY seq",
        (operation,),
    )


def test_insert_example_creates_the_response_and_logs_its_identifier(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)

    db.execute(_with_ids(EXAMPLE_INSERT, f"{api_id}|{integration_id}|x"))

    (created,) = emulator.integration_responses("us-east-1", api_id, integration_id)
    assert created["IntegrationResponseKey"] == "$default"
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state == {
        "ApiId": api_id,
        "IntegrationId": integration_id,
        "IntegrationResponseKey": "$default",
    }
    identifier = f"{api_id}|{integration_id}|{created['IntegrationResponseId']}"
    # RETURNING-like visibility: the call log has the token, the final status and the new identifier.
    assert _calls(db, "CreateResource") == [(identifier, create.request_token, "SUCCESS", None, 1)]
    polls = sent_writes(emulator, "GetResourceRequestStatus")
    assert [p.request_token for p in polls] == [create.request_token]
    assert rows(
        db,
        "SELECT integration_response_key FROM integration_responses WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (identifier,),
    ) == [("$default",)]


def test_insert_select_example_creates_one_response_per_local_row_in_parallel(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=3, responses=0)
    emulator.configure(latency=0.05, polls_before_complete=2)
    db = connect(emulator)
    db.execute("CREATE TABLE my_local_integrations(api_id TEXT, integration_id TEXT, region TEXT)")
    db.executemany("INSERT INTO my_local_integrations VALUES (?, ?, 'us-east-1')", list(seeded.integrations))

    db.execute(EXAMPLE_INSERT_SELECT)

    for api_id, integration_id in seeded.integrations:
        (created,) = emulator.integration_responses("us-east-1", api_id, integration_id)
        created.pop("IntegrationResponseId")
        assert created == {
            "ApiId": api_id,
            "IntegrationId": integration_id,
            "IntegrationResponseKey": "$default",
            "ResponseTemplates": {"application/json": '{"ok": true}'},
            "TemplateSelectionExpression": "$default",
            "ResponseParameters": {},
            "ContentHandlingStrategy": "CONVERT_TO_TEXT",
        }
    creates = sent_writes(emulator, "CreateResource")
    assert len(creates) == 6
    assert len({c.client_token for c in creates}) == 6  # one ClientToken per row
    # All six were in flight at once: every create started before the first one was answered.
    assert max(c.at for c in creates) < min(c.finished_at for c in creates)
    assert [status for *_, status, _, _ in _calls(db, "CreateResource")] == ["SUCCESS"] * 6


def test_update_example_sends_only_the_changed_column(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    before = emulator.resource("us-east-1", IR, identifier)
    assert before is not None
    db = connect(emulator)

    db.execute(_with_ids(EXAMPLE_UPDATE, identifier))

    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.identifier == identifier
    assert update.patch_document == [
        {"op": "replace", "path": "/ResponseTemplates", "value": {"application/json": "{}"}}
    ]
    assert emulator.resource("us-east-1", IR, identifier) == {
        **before,
        "ResponseTemplates": {"application/json": "{}"},
    }
    assert _calls(db, "UpdateResource") == [(identifier, update.request_token, "SUCCESS", None, 1)]


def test_patch_document_example_is_sent_as_given(emulator: Emulator, cloudcontrol: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    identifier = create_response(
        cloudcontrol, *seeded.integrations[0], "200", ContentHandlingStrategy="CONVERT_TO_TEXT"
    )
    emulator.clear_calls()
    db = connect(emulator)

    db.execute(_with_ids(EXAMPLE_PATCH, identifier))

    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [
        {"op": "replace", "path": "/IntegrationResponseKey", "value": "$default"}
    ]
    after = emulator.resource("us-east-1", IR, identifier)
    assert after is not None
    assert after["IntegrationResponseKey"] == "$default"
    assert after["ContentHandlingStrategy"] == "CONVERT_TO_TEXT"


def test_delete_example_deletes_the_response(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    doomed, kept = seeded.responses
    db = connect(emulator)

    db.execute(_with_ids(EXAMPLE_DELETE, doomed))

    assert emulator.resource("us-east-1", IR, doomed) is None
    assert emulator.resource("us-east-1", IR, kept) is not None
    (delete,) = sent_writes(emulator, "DeleteResource")
    assert delete.identifier == doomed
    assert _calls(db, "DeleteResource") == [(doomed, delete.request_token, "SUCCESS", None, 1)]


def test_an_unchanged_value_sends_nothing(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    templates = emulator.resource("us-east-1", IR, identifier)["ResponseTemplates"]  # type: ignore[index]
    db = connect(emulator)
    where = "WHERE region = 'us-east-1' AND data__Identifier = ?"
    for statement in (
        f"UPDATE integration_responses SET response_templates = response_templates {where}",
        f"UPDATE integration_responses SET integration_response_key = '$default' {where}",
        f"UPDATE integration_responses SET api_id = api_id, content_handling_strategy = NULL {where}",
        f"UPDATE integration_responses SET data__PatchDocument = '[]' {where}",
    ):
        db.execute(statement, (identifier,))
    # The same JSON object with other spacing and key order is the same value.
    db.execute(
        f"UPDATE integration_responses SET response_templates = ? {where}",
        (json.dumps(templates, indent=4), identifier),
    )
    assert write_calls(emulator) == []


def test_update_or_delete_matching_no_row_sends_nothing_and_is_no_error(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    missing = f"{api_id}|{integration_id}|nosuchid"
    db = connect(emulator)
    db.execute(
        "UPDATE integration_responses SET response_templates = '{}' WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (missing,),
    )
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?", (missing,)
    )
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ? "
        "AND integration_response_key = 'no such key'",
        (api_id, integration_id),
    )
    assert db.changes() == 0
    assert write_calls(emulator) == []


def test_multi_row_update_patches_only_rows_whose_value_changes(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=5)
    api_id, integration_id = seeded.integrations[0]
    before = {r: emulator.resource("us-east-1", IR, r) for r in seeded.responses}
    already = {
        r
        for r, model in before.items()
        if model and model.get("ContentHandlingStrategy") == "CONVERT_TO_BINARY"
    }
    assert already and len(already) < 5  # the seed mixes strategies
    db = connect(emulator)

    db.execute(
        "UPDATE integration_responses SET content_handling_strategy = 'CONVERT_TO_BINARY' "
        "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
        (api_id, integration_id),
    )

    updates = sent_writes(emulator, "UpdateResource")
    assert sorted(u.identifier for u in updates) == sorted(set(seeded.responses) - already)
    for update in updates:
        op = "replace" if before[update.identifier].get("ContentHandlingStrategy") else "add"  # type: ignore[index,union-attr]
        assert update.patch_document == [
            {"op": op, "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}
        ]
    assert all(
        emulator.resource("us-east-1", IR, r)["ContentHandlingStrategy"] == "CONVERT_TO_BINARY"  # type: ignore[index]
        for r in seeded.responses
    )


def test_setting_null_removes_the_property(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    db = connect(emulator)
    db.execute(
        "UPDATE integration_responses SET response_templates = NULL, template_selection_expression = NULL "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (identifier,),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [
        {"op": "remove", "path": "/ResponseTemplates"},
        {"op": "remove", "path": "/TemplateSelectionExpression"},
    ]
    after = emulator.resource("us-east-1", IR, identifier)
    assert (
        after is not None and "ResponseTemplates" not in after and "TemplateSelectionExpression" not in after
    )


def test_multi_row_delete_deletes_every_matching_row(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=3)
    (api_id, doomed), (_, kept) = seeded.integrations
    db = connect(emulator)
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
        (api_id, doomed),
    )
    assert db.changes() == 3
    assert emulator.integration_responses("us-east-1", api_id, doomed) == []
    assert len(emulator.integration_responses("us-east-1", api_id, kept)) == 3
    assert len(sent_writes(emulator, "DeleteResource")) == 3


def test_delete_of_rows_from_an_identifier_only_listing_fetches_no_row(emulator: Emulator) -> None:
    """A delete needs the identifier and region only: no GetResource per row when listings are partial."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=4)
    api_id, integration_id = seeded.integrations[0]
    emulator.configure(identifier_only_lists=True)
    db = connect(emulator)
    emulator.clear_calls()

    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
        (api_id, integration_id),
    )

    assert db.changes() == 4
    assert emulator.integration_responses("us-east-1", api_id, integration_id) == []
    assert sorted(c.identifier for c in sent_writes(emulator, "DeleteResource")) == sorted(seeded.responses)
    assert [c for c in emulator.calls if c.operation == "GetResource"] == []


def test_a_write_invalidates_the_read_cache(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, cache_ttl=300)
    listing = (
        "SELECT integration_response_key FROM integration_responses WHERE region = 'us-east-1' "
        "AND api_id = ? AND integration_id = ? ORDER BY 1"
    )
    assert rows(db, listing, (api_id, integration_id)) == [("$default",)]
    emulator.clear_calls()
    assert rows(db, listing, (api_id, integration_id)) == [("$default",)]
    assert emulator.calls == []  # answered from the cache

    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?, ?, '404', 'us-east-1')",
        (api_id, integration_id),
    )
    assert rows(db, listing, (api_id, integration_id)) == [("$default",), ("404",)]


def test_insert_without_region_uses_the_configured_region(emulator: Emulator) -> None:
    seeded = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, regions="eu-west-1")
    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key) "
        "VALUES (?, ?, 'k')",
        (api_id, integration_id),
    )
    assert [
        m["IntegrationResponseKey"]
        for m in emulator.integration_responses("eu-west-1", api_id, integration_id)
    ] == ["k"]
    assert {c.region for c in write_calls(emulator)} == {"eu-west-1"}


def test_an_update_diffs_against_the_live_row_not_a_cached_one(emulator: Emulator, cloudcontrol: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    db = connect(emulator, cache_ttl=300)
    select = (
        "SELECT content_handling_strategy FROM integration_responses WHERE region = 'us-east-1' "
        "AND data__Identifier = ?"
    )
    assert rows(db, select, (identifier,)) == [(None,)]  # now cached for 300 s
    # Someone else changes it behind the cache's back.
    patch = json.dumps([{"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_TEXT"}])
    token = cloudcontrol().update_resource(TypeName=IR, Identifier=identifier, PatchDocument=patch)[
        "ProgressEvent"
    ]["RequestToken"]
    cloudcontrol().get_resource_request_status(RequestToken=token)
    assert emulator.resource("us-east-1", IR, identifier)["ContentHandlingStrategy"] == "CONVERT_TO_TEXT"  # type: ignore[index]
    emulator.clear_calls()

    # Setting it back to the value the cache still holds must not be skipped as "unchanged".
    db.execute(
        "UPDATE integration_responses SET content_handling_strategy = NULL WHERE region = 'us-east-1' "
        "AND data__Identifier = ?",
        (identifier,),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [{"op": "remove", "path": "/ContentHandlingStrategy"}]
    assert "ContentHandlingStrategy" not in emulator.resource("us-east-1", IR, identifier)  # type: ignore[operator]


def test_statements_of_a_write_transaction_read_live_rows_too(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    identifier = seeded.responses[0]
    db = connect(emulator, cache_ttl=300)
    select = "SELECT 1 FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?"
    db.execute("BEGIN")
    db.execute("DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = 'a|b|c'")
    assert rows(db, select, (identifier,)) == [(1,)]
    emulator.clear_calls()
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?", (identifier,)
    )
    assert [c.operation for c in emulator.calls] == ["GetResource"]  # read again, not from the cache
    db.execute("COMMIT")
    assert emulator.resource("us-east-1", IR, identifier) is None


def test_update_from_a_local_table_reads_each_row_once_and_patches_only_changes(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=3)
    to_binary, already_text, to_none = seeded.responses
    before = [
        (emulator.resource("us-east-1", IR, r) or {}).get("ContentHandlingStrategy") for r in seeded.responses
    ]
    assert before == [None, "CONVERT_TO_TEXT", "CONVERT_TO_BINARY"]
    db = connect(emulator)
    db.execute("CREATE TABLE wanted(identifier TEXT, strategy TEXT)")
    db.executemany(
        "INSERT INTO wanted VALUES (?, ?)",
        [(to_binary, "CONVERT_TO_BINARY"), (already_text, "CONVERT_TO_TEXT"), (to_none, None)],
    )
    emulator.clear_calls()

    db.execute(
        "UPDATE integration_responses AS ir SET content_handling_strategy = w.strategy FROM wanted w "
        "WHERE ir.data__Identifier = w.identifier AND ir.region = 'us-east-1'"
    )

    assert sorted(c.identifier for c in emulator.calls if c.operation == "GetResource") == sorted(
        seeded.responses
    )
    patches = {u.identifier: u.patch_document for u in sent_writes(emulator, "UpdateResource")}
    assert patches == {  # the row that already had its value sends nothing
        to_binary: [{"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}],
        to_none: [{"op": "remove", "path": "/ContentHandlingStrategy"}],
    }
    models = [emulator.resource("us-east-1", IR, r) or {} for r in seeded.responses]
    assert [m.get("ContentHandlingStrategy") for m in models] == [
        "CONVERT_TO_BINARY",
        "CONVERT_TO_TEXT",
        None,
    ]


def test_update_from_with_several_source_rows_for_one_resource_sends_the_last_one(
    emulator: Emulator,
) -> None:
    """SQLite uses one joined row per target row; here the last one wins and one UpdateResource is sent."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    twice, once = seeded.responses
    db = connect(emulator)
    db.execute("CREATE TABLE wanted(identifier TEXT, expression TEXT)")
    db.executemany("INSERT INTO wanted VALUES (?, ?)", [(twice, "A"), (twice, "B"), (once, "C")])
    update_from = (
        "UPDATE integration_responses AS ir SET template_selection_expression = w.expression FROM wanted w "
        "WHERE ir.data__Identifier = w.identifier AND ir.region = 'us-east-1'"
    )
    emulator.clear_calls()

    db.execute(update_from)

    patches = sorted(
        (u.identifier, u.patch_document[0]["value"])  # type: ignore[index]
        for u in sent_writes(emulator, "UpdateResource")
    )
    assert patches == sorted([(twice, "B"), (once, "C")])
    assert not any(c.error_code for c in emulator.calls)
    assert (emulator.resource("us-east-1", IR, twice) or {})["TemplateSelectionExpression"] == "B"

    # The last row asks for the value the resource has: the earlier row's change is taken back too.
    db.execute("DELETE FROM wanted")
    db.executemany("INSERT INTO wanted VALUES (?, ?)", [(twice, "other"), (twice, "B")])
    emulator.clear_calls()
    db.execute(update_from)
    assert sent_writes(emulator, "UpdateResource") == []
    assert (emulator.resource("us-east-1", IR, twice) or {})["TemplateSelectionExpression"] == "B"


def test_json_text_in_a_column_of_several_types_is_sent_as_json(emulator: Emulator) -> None:
    """DynamoDB's KeySchema allows an array or an object (no one declared type): the JSON text of a key
    schema is sent as that array, not as a string AWS would refuse, so a table can be created at all."""
    db = connect(emulator)
    key_schema = '[{"AttributeName": "id", "KeyType": "HASH"}]'
    db.execute(
        "INSERT INTO dynamodb_tables (table_name, key_schema, attribute_definitions, billing_mode, region) "
        "VALUES ('t', ?, ?, 'PAY_PER_REQUEST', 'us-east-1')",
        (key_schema, '[{"AttributeName": "id", "AttributeType": "S"}]'),
    )
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state is not None
    assert create.desired_state["KeySchema"] == [{"AttributeName": "id", "KeyType": "HASH"}]
    assert rows(
        db, "SELECT key_schema FROM dynamodb_tables WHERE region = 'us-east-1' AND table_name = 't'"
    ) == [('[{"AttributeName":"id","KeyType":"HASH"}]',)]
    # The same value written with other spacing is no change (KeySchema is create-only: a change is refused).
    emulator.clear_calls()
    db.execute(
        "UPDATE dynamodb_tables SET key_schema = ? WHERE region = 'us-east-1' AND table_name = 't'",
        (key_schema,),
    )
    assert sent_writes(emulator, "UpdateResource") == []
    # Text that is no JSON array or object is refused before sending: KeySchema cannot be a string.
    emulator.clear_calls()
    with pytest.raises(
        apsw.ConstraintError, match=r"^key_schema = 'id': KeySchema is a JSON string, not a JSON"
    ):
        db.execute(
            "INSERT INTO dynamodb_tables (table_name, key_schema, region) VALUES ('u', 'id', 'us-east-1')"
        )
    assert write_calls(emulator) == []


def test_a_patch_of_a_write_only_property_must_add_it(emulator: Emulator) -> None:
    """AWS never returns a write-only property (a secret's SecretString) and patches the resource as it
    reads it, so only "add" sets one; "replace" is refused before sending, with that fix, not with jsonpatch's
    "can't replace a non-existent object" and a hint to SELECT the row (which shows NULL)."""
    db = connect(emulator)
    db.execute(
        "INSERT INTO secretsmanager_secrets (name, secret_string, region) VALUES ('s', 'a', 'us-east-1')"
    )
    where = "WHERE region = 'us-east-1' AND name = 's'"
    assert rows(db, f"SELECT secret_string FROM secretsmanager_secrets {where}") == [(None,)]
    emulator.clear_calls()
    replace = json.dumps([{"op": "replace", "path": "/SecretString", "value": "b"}])
    error = error_of(db, f"UPDATE secretsmanager_secrets SET data__PatchDocument = ? {where}", (replace,))
    assert isinstance(error, apsw.SQLError)
    assert str(error).startswith(
        "data__PatchDocument (path /SecretString in operation 0, op 'replace'): SecretString is write-only"
    )
    assert 'set it with "op": "add" instead' in str(error)
    assert write_calls(emulator) == []
    add = [{"op": "add", "path": "/SecretString", "value": "b"}]
    db.execute(f"UPDATE secretsmanager_secrets SET data__PatchDocument = ? {where}", (json.dumps(add),))
    assert [c.patch_document for c in sent_writes(emulator, "UpdateResource")] == [add]
