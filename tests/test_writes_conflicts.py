"""INSERT OR IGNORE / INSERT OR REPLACE on an existing IntegrationResponseKey, and dry_run."""

from __future__ import annotations

import json
from typing import Any

import apsw
import pytest

from tests.test_writes_helpers import IR, connect, create_response, error_of, rows, sent_writes, write_calls
from vtab.emulator import Emulator

COLUMNS = "(api_id, integration_id, integration_response_key, region, content_handling_strategy)"


@pytest.fixture
def existing(emulator: Emulator) -> dict[str, Any]:
    """One integration with the seeded '$default' (templates, parameters) and '200' (CONVERT_TO_TEXT)."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    api_id, integration_id = seeded.integrations[0]
    default, ok = seeded.responses
    emulator.clear_calls()
    return {"api": api_id, "integration": integration_id, "$default": default, "200": ok}


def _models(emulator: Emulator, existing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        m["IntegrationResponseKey"]: m
        for m in emulator.integration_responses("us-east-1", existing["api"], existing["integration"])
    }


def test_insert_or_ignore_skips_an_existing_key_and_creates_a_new_one(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    before = _models(emulator, existing)
    db = connect(emulator)
    db.execute(
        f"INSERT OR IGNORE INTO integration_responses {COLUMNS} VALUES "
        "(?1, ?2, '$default', 'us-east-1', 'CONVERT_TO_BINARY'), (?1, ?2, '404', 'us-east-1', NULL), "
        "(?1, ?2, '404', 'us-east-1', 'CONVERT_TO_TEXT')",
        (existing["api"], existing["integration"]),
    )
    after = _models(emulator, existing)
    assert after["$default"] == before["$default"]  # ignored
    assert "ContentHandlingStrategy" not in after["404"]  # the first '404' row won; the second was ignored
    assert sorted(after) == ["$default", "200", "404"]
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state["IntegrationResponseKey"] == "404"  # type: ignore[index]
    # Existence was checked with one listing of the integration's responses.
    assert [c.operation for c in emulator.calls if c.operation in ("ListResources", "GetResource")] == [
        "ListResources"
    ]


def test_insert_or_ignore_of_existing_keys_only_sends_no_write(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    db = connect(emulator)
    db.execute(
        f"INSERT OR IGNORE INTO integration_responses {COLUMNS} VALUES (?, ?, '200', 'us-east-1', NULL)",
        (existing["api"], existing["integration"]),
    )
    assert write_calls(emulator) == []


def test_insert_or_replace_updates_the_existing_response_in_place(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT OR REPLACE INTO integration_responses (api_id, integration_id, integration_response_key, "
        "region, response_templates, content_handling_strategy) "
        "VALUES (?, ?, '$default', 'us-east-1', ?, 'CONVERT_TO_TEXT')",
        (existing["api"], existing["integration"], json.dumps({"text/plain": "replaced"})),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.identifier == existing["$default"]  # the same resource, not a new one
    # Like SQLite's REPLACE, columns the new row leaves NULL are cleared.
    assert update.patch_document == [
        {"op": "replace", "path": "/ResponseTemplates", "value": {"text/plain": "replaced"}},
        {"op": "remove", "path": "/TemplateSelectionExpression"},
        {"op": "remove", "path": "/ResponseParameters"},
        {"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_TEXT"},
    ]
    assert sent_writes(emulator, "CreateResource") == []
    assert emulator.resource("us-east-1", IR, existing["$default"]) == {
        "ApiId": existing["api"],
        "IntegrationId": existing["integration"],
        "IntegrationResponseId": existing["$default"].split("|")[2],
        "IntegrationResponseKey": "$default",
        "ResponseTemplates": {"text/plain": "replaced"},
        "ContentHandlingStrategy": "CONVERT_TO_TEXT",
    }


def test_insert_or_replace_with_identical_values_sends_nothing_and_new_keys_are_created(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    db = connect(emulator)
    db.execute(
        f"INSERT OR REPLACE INTO integration_responses {COLUMNS} VALUES "
        "(?1, ?2, '200', 'us-east-1', 'CONVERT_TO_TEXT'), (?1, ?2, '500', 'us-east-1', 'CONVERT_TO_TEXT'), "
        "(?1, ?2, '500', 'us-east-1', 'CONVERT_TO_BINARY')",
        (existing["api"], existing["integration"]),
    )
    assert sent_writes(emulator, "UpdateResource") == []
    (create,) = sent_writes(emulator, "CreateResource")
    # Two rows with one key: the later one replaces the earlier, as in SQLite.
    assert create.desired_state["ContentHandlingStrategy"] == "CONVERT_TO_BINARY"  # type: ignore[index]
    assert sorted(_models(emulator, existing)) == ["$default", "200", "500"]


def test_conflict_modes_work_with_identifier_only_listings(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    emulator.configure(identifier_only_lists=True)
    db = connect(emulator)
    db.execute(
        f"INSERT OR REPLACE INTO integration_responses {COLUMNS} "
        "VALUES (?, ?, '200', 'us-east-1', 'CONVERT_TO_BINARY')",
        (existing["api"], existing["integration"]),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.identifier == existing["200"]
    assert update.patch_document == [
        {"op": "replace", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}
    ]


@pytest.mark.parametrize("identifier_only", [False, True])
def test_insert_or_replace_clears_what_the_row_leaves_out_whatever_the_listing_shows(
    emulator: Emulator, identifier_only: bool
) -> None:
    """A log group has no required property, so a listing's item of its name only looked whole: REPLACE
    patched against it and kept the retention the row leaves NULL, where a full listing removed it."""
    group = "AWS::Logs::LogGroup"
    db = connect(emulator)
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, retention_in_days, region) VALUES ('g', 7, ?)",
        ("us-east-1",),
    )
    emulator.configure(identifier_only_lists=identifier_only)
    db.execute("INSERT OR REPLACE INTO logs_log_groups (log_group_name, region) VALUES ('g', 'us-east-1')")
    model = emulator.resource("us-east-1", group, "g")
    assert model is not None and "RetentionInDays" not in model
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.patch_document == [{"op": "remove", "path": "/RetentionInDays"}]


def test_insert_or_ignore_under_a_missing_parent_reports_the_create_failure(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=0)
    api_id, integration_id = seeded.integrations[0]
    emulator.backend("us-east-1").delete_integration(api_id=api_id, integration_id=integration_id)
    db = connect(emulator)
    error = error_of(
        db,
        f"INSERT OR IGNORE INTO integration_responses {COLUMNS} VALUES (?, ?, 'k', 'us-east-1', NULL)",
        (api_id, integration_id),
    )
    assert type(error) is apsw.NotFoundError
    assert str(error).startswith("NotFound: 1 of 1 write to integration_responses failed")


# -- dry_run -----------------------------------------------------------------------------------------


def _dry_rows(db: apsw.Connection) -> list[tuple[Any, ...]]:
    return rows(
        db,
        "SELECT table_name, operation, region, type_name, identifier, desired_state, patch_document, note "
        "FROM vtab_dry_run ORDER BY seq",
    )


def test_dry_run_records_the_writes_and_sends_nothing(emulator: Emulator, existing: dict[str, Any]) -> None:
    before = _models(emulator, existing)
    db = connect(emulator, dry_run=True)
    db.execute(
        f"INSERT INTO integration_responses {COLUMNS} VALUES (?, ?, '404', 'us-east-1', 'CONVERT_TO_TEXT')",
        (existing["api"], existing["integration"]),
    )
    db.execute(
        "UPDATE integration_responses SET content_handling_strategy = 'CONVERT_TO_BINARY' "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (existing["200"],),
    )
    db.execute(
        "DELETE FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?",
        (existing["$default"],),
    )

    assert write_calls(emulator) == []
    assert _models(emulator, existing) == before
    desired = {
        "ApiId": existing["api"],
        "IntegrationId": existing["integration"],
        "IntegrationResponseKey": "404",
        "ContentHandlingStrategy": "CONVERT_TO_TEXT",
    }
    got = _dry_rows(db)
    assert [row[:5] for row in got] == [
        ("integration_responses", "CREATE", "us-east-1", IR, None),
        ("integration_responses", "UPDATE", "us-east-1", IR, existing["200"]),
        ("integration_responses", "DELETE", "us-east-1", IR, existing["$default"]),
    ]
    assert json.loads(got[0][5]) == desired and got[0][6] is None
    assert got[1][5] is None
    assert json.loads(got[1][6]) == [
        {"op": "replace", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}
    ]
    assert got[2][5:7] == (None, None)
    assert rows(db, "SELECT vtab_clear_dry_run()") == [(3,)]
    assert _dry_rows(db) == []
    assert got[2][7] == f"dry_run: DELETE {existing['$default']} in us-east-1 not sent"
    assert rows(
        db, "SELECT operation, cache, status FROM vtab_calls WHERE cache = 'dry-run' ORDER BY seq"
    ) == [
        ("CreateResource", "dry-run", "NOT_SENT"),
        ("UpdateResource", "dry-run", "NOT_SENT"),
        ("DeleteResource", "dry-run", "NOT_SENT"),
    ]


def test_dry_run_shows_what_insert_or_replace_and_or_ignore_would_do(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    db = connect(emulator)
    db.execute("CREATE VIRTUAL TABLE temp.rehearsal USING integration_responses(dry_run=true)")
    db.execute(
        f"INSERT OR REPLACE INTO rehearsal {COLUMNS} VALUES (?, ?, '200', 'us-east-1', 'CONVERT_TO_BINARY')",
        (existing["api"], existing["integration"]),
    )
    db.execute(
        f"INSERT OR IGNORE INTO rehearsal {COLUMNS} VALUES (?, ?, '$default', 'us-east-1', NULL)",
        (existing["api"], existing["integration"]),
    )
    assert write_calls(emulator) == []
    replace, ignore = _dry_rows(db)
    assert replace[:5] == ("rehearsal", "UPDATE", "us-east-1", IR, existing["200"])
    assert json.loads(replace[6]) == [
        {"op": "replace", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}
    ]
    key = f"api_id='{existing['api']}', integration_id='{existing['integration']}', integration_response_key="
    assert replace[7] == f"INSERT OR REPLACE: {key}'200' exists as {existing['200']}"
    assert ignore[1] == "SKIP"
    assert ignore[7] == f"INSERT OR IGNORE: {key}'$default' already exists as {existing['$default']}"


def test_dry_run_still_validates(emulator: Emulator, existing: dict[str, Any]) -> None:
    db = connect(emulator, dry_run=True)
    error = error_of(
        db,
        f"INSERT INTO integration_responses {COLUMNS} VALUES (?, ?, '404', 'us-east-1', 'TEXT')",
        (existing["api"], existing["integration"]),
    )
    assert type(error) is apsw.ConstraintError
    assert _dry_rows(db) == []


def test_insert_or_ignore_after_a_plain_insert_of_the_same_key_in_a_transaction_sends_one_create(
    emulator: Emulator, existing: dict[str, Any]
) -> None:
    db = connect(emulator)
    parent = (existing["api"], existing["integration"])
    db.execute("BEGIN")
    db.execute(f"INSERT INTO integration_responses {COLUMNS} VALUES (?, ?, 'k1', 'us-east-1', NULL)", parent)
    db.execute(
        f"INSERT OR IGNORE INTO integration_responses {COLUMNS} "
        "VALUES (?, ?, 'k1', 'us-east-1', 'CONVERT_TO_TEXT')",
        parent,
    )
    db.execute(f"INSERT INTO integration_responses {COLUMNS} VALUES (?, ?, 'k2', 'us-east-1', NULL)", parent)
    db.execute(
        f"INSERT OR REPLACE INTO integration_responses {COLUMNS} "
        "VALUES (?, ?, 'k2', 'us-east-1', 'CONVERT_TO_BINARY')",
        parent,
    )
    db.execute("COMMIT")

    creates = sent_writes(emulator, "CreateResource")
    assert sorted(
        (c.desired_state["IntegrationResponseKey"], c.desired_state.get("ContentHandlingStrategy"))  # type: ignore[index, union-attr]
        for c in creates
    ) == [("k1", None), ("k2", "CONVERT_TO_BINARY")]  # the ignored row sent nothing; the replacing row won
    assert not any(c.error_code for c in emulator.calls)
    models = _models(emulator, existing)
    assert "ContentHandlingStrategy" not in models["k1"]
    assert models["k2"]["ContentHandlingStrategy"] == "CONVERT_TO_BINARY"


# -- a listing that lags behind a recent create --------------------------------------------------------


def test_insert_or_ignore_of_a_key_the_listing_does_not_show_yet_is_ignored(
    emulator: Emulator, existing: dict[str, Any], cloudcontrol: Any
) -> None:
    emulator.configure(invisible_for=1)  # the next listing leaves the new response out
    fresh = create_response(cloudcontrol, existing["api"], existing["integration"], "lagging")
    before = emulator.resource("us-east-1", IR, fresh)
    db = connect(emulator)
    emulator.clear_calls()

    db.execute(
        f"INSERT OR IGNORE INTO integration_responses {COLUMNS} "
        "VALUES (?, ?, 'lagging', 'us-east-1', 'CONVERT_TO_BINARY')",
        (existing["api"], existing["integration"]),
    )

    (create,) = [c for c in emulator.calls if c.operation == "CreateResource"]  # sent: the key was not listed
    assert create.error_code is None
    assert emulator.resource("us-east-1", IR, fresh) == before  # AlreadyExists: the row was ignored
    assert rows(db, "SELECT status, error_code FROM vtab_calls WHERE operation = 'CreateResource'") == [
        ("FAILED", "AlreadyExists")
    ]


def test_insert_or_replace_of_a_key_the_listing_does_not_show_yet_updates_it(
    emulator: Emulator, existing: dict[str, Any], cloudcontrol: Any
) -> None:
    emulator.configure(invisible_for=2)  # left out of the conflict check and of the first listing after
    fresh = create_response(cloudcontrol, existing["api"], existing["integration"], "lagging")
    db = connect(emulator)
    emulator.clear_calls()

    db.execute(
        f"INSERT OR REPLACE INTO integration_responses {COLUMNS} "
        "VALUES (?, ?, 'lagging', 'us-east-1', 'CONVERT_TO_BINARY')",
        (existing["api"], existing["integration"]),
    )

    assert [c.operation for c in emulator.calls if c.operation in ("ListResources", "CreateResource")] == [
        "ListResources",
        "CreateResource",
        "ListResources",
        "ListResources",
    ]
    (update,) = sent_writes(emulator, "UpdateResource")
    assert update.identifier == fresh
    assert update.patch_document == [
        {"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_BINARY"}
    ]
    assert (emulator.resource("us-east-1", IR, fresh) or {})["ContentHandlingStrategy"] == "CONVERT_TO_BINARY"
    assert sorted(_models(emulator, existing)) == ["$default", "200", "lagging"]


def test_insert_or_replace_says_so_when_the_listing_keeps_lagging(
    emulator: Emulator, existing: dict[str, Any], cloudcontrol: Any
) -> None:
    emulator.configure(invisible_for=100)
    create_response(cloudcontrol, existing["api"], existing["integration"], "lagging")
    db = connect(emulator)

    error = error_of(
        db,
        f"INSERT OR REPLACE INTO integration_responses {COLUMNS} "
        "VALUES (?, ?, 'lagging', 'us-east-1', 'CONVERT_TO_BINARY')",
        (existing["api"], existing["integration"]),
    )

    assert type(error) is apsw.ConstraintError
    assert str(error).startswith("AlreadyExists: 1 of 1 write to integration_responses failed; none applied:")
    key = f"api_id='{existing['api']}', integration_id='{existing['integration']}', integration_response_key="
    assert (
        f"; INSERT OR REPLACE could not turn it into an update: ListResources still does not list {key}"
        "'lagging' after 3 tries (a listing that lags behind a recent create); run the statement again "
        "shortly (RequestToken "
    ) in str(error)
    assert sent_writes(emulator, "UpdateResource") == []
