"""Property-name columns: every property is also a hidden column under its schema name (``ApiId``).

They read the same values as their snake_case twins, push down to the same plans and calls, and are
writable in INSERT and UPDATE; one property given twice with different values is refused, naming both,
and NULL under one name beside a value under the other is the value (in INSERT and UPDATE alike).
"""

from __future__ import annotations

from typing import Any

import apsw
import apsw.ext
import pytest

from tests.readhelpers import IR, endpoint_summary
from tests.test_writes_helpers import connect, error_of, rows, sent_writes, write_calls
from vtab.catalog.columns import snake_case
from vtab.catalog.schema import ResourceSchema, load_schema, supported_types
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded
from vtab.read.plan import Plan
from vtab.sqlite.table import Columns

REGION = "us-east-1"
PROPERTIES = list(load_schema(IR).properties)
VISIBLE = [
    "integration_response_id",
    "response_templates",
    "template_selection_expression",
    "response_parameters",
    "content_handling_strategy",
    "integration_id",
    "integration_response_key",
    "api_id",
    "region",
    "account_id",
]


def test_select_star_is_unchanged_and_the_property_names_are_hidden_columns(emulator: Emulator) -> None:
    db = connect(emulator)
    info = apsw.ext.query_info(db, "SELECT * FROM integration_responses WHERE 0")
    assert [name for name, _ in info.description or ()] == VISIBLE
    hidden = {name: flag for _, name, *_, flag in db.execute("PRAGMA table_xinfo(integration_responses)")}
    assert {name for name, flag in hidden.items() if flag} == {
        "data__Identifier",
        "data__PatchDocument",
        "account_name",
        "Identifier",  # today's StackQL names of the two
        "PatchDocument",
        *PROPERTIES,
    }


def test_property_names_read_what_their_twins_read(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    pairs = ", ".join(f"{snake_case(p)}, {p}" for p in PROPERTIES)
    read = rows(db, f"SELECT {pairs} FROM integration_responses WHERE region = 'us-east-1'")
    assert len(read) == len(seeded.responses)
    for row in read:
        assert row[0::2] == row[1::2]
    assert any(value is not None for row in read for value in row[2::2][:2])  # the objects came through


READ = "SELECT v.data__Identifier, v.IntegrationResponseKey FROM integration_responses v "
WHERE = READ + "WHERE v.region = 'us-east-1' AND "
JOIN = READ.replace("FROM integration_responses v", "FROM mine m JOIN integration_responses v")


@pytest.mark.parametrize(
    "sql",
    [
        WHERE + "v.{api_id} = :api",
        WHERE + "v.{api_id} IN (:api, :other)",
        WHERE + "v.{api_id} = :api AND v.{integration_id} = :integration",
        WHERE + "v.{api_id} = :api AND v.{integration_id} = :integration "
        "AND v.{integration_response_id} = :response",
        WHERE + "v.{integration_id} = :integration",
        JOIN + "ON v.{api_id} = m.api AND v.region = 'us-east-1'",
        JOIN + "ON v.{api_id} = m.api AND v.{integration_id} = m.integration AND v.region = 'us-east-1'",
    ],
)
def test_property_names_push_down_to_the_same_plan_and_calls(
    sql: str, emulator: Emulator, seeded: Seeded
) -> None:
    api_id, integration_id, response_id = seeded.responses[0].split("|")
    bindings: dict[str, Any] = {
        "api": api_id,
        "other": seeded.websocket_api_ids[1],
        "integration": integration_id,
        "response": response_id,
    }
    db = connect(emulator)
    db.execute("CREATE TABLE mine(api TEXT, integration TEXT)")
    db.execute("INSERT INTO mine VALUES (?, ?)", (api_id, integration_id))
    results = []
    for names in (
        {
            "api_id": "api_id",
            "integration_id": "integration_id",
            "integration_response_id": "integration_response_id",
        },
        {
            "api_id": "ApiId",
            "integration_id": "IntegrationId",
            "integration_response_id": "IntegrationResponseId",
        },
    ):
        query = sql.format(**names)
        plan = [row[-1] for row in db.execute("EXPLAIN QUERY PLAN " + query, bindings)]
        emulator.clear_calls()
        found = sorted(rows(db, query, bindings))
        results.append((plan, found, endpoint_summary(emulator)))
    (snake_plan, snake_rows, snake_calls), (prop_plan, prop_rows, prop_calls) = results
    # The same plan, which EXPLAIN shows in the statement's own names (args=region,ApiId,...)
    as_written = [
        step.replace("api_id", "ApiId")
        .replace("integration_response_id", "IntegrationResponseId")
        .replace("integration_id", "IntegrationId")
        for step in snake_plan
    ]
    assert prop_plan == as_written
    assert any("ApiId" in step or "IntegrationId" in step for step in prop_plan)
    pushed = [step.split("args=")[1] for step in snake_plan if "args=" in step]
    assert pushed and "region" in pushed[0] and "_id" in pushed[0]  # region and an id column pushed down
    assert prop_rows == snake_rows and snake_rows
    assert prop_calls == snake_calls


def test_insert_and_update_by_property_names(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    api_id, integration_id = seeded.integrations[0]
    db.execute(
        "INSERT INTO integration_responses (ApiId, IntegrationId, IntegrationResponseKey, ResponseTemplates, "
        "api_id, response_templates, region) "
        'VALUES (?, ?, \'/4\\d{2}/\', \'{"a": "b"}\', ?, \'{"a":"b"}\', ?)',
        (api_id, integration_id, api_id, REGION),
    )  # the same value under both names is fine, JSON text compared as JSON
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state == {
        "ApiId": api_id,
        "IntegrationId": integration_id,
        "IntegrationResponseKey": "/4\\d{2}/",
        "ResponseTemplates": {"a": "b"},
    }
    (identifier,) = [
        i
        for (i, k) in rows(
            db,
            "SELECT data__Identifier, IntegrationResponseKey FROM integration_responses "
            "WHERE region = 'us-east-1' AND ApiId = ? AND IntegrationId = ?",
            (api_id, integration_id),
        )
        if k == "/4\\d{2}/"
    ]

    db.execute(
        "UPDATE integration_responses SET TemplateSelectionExpression = '$default', "
        "ContentHandlingStrategy = 'CONVERT_TO_TEXT', content_handling_strategy = 'CONVERT_TO_TEXT' "
        "WHERE region = ? AND data__Identifier = ?",
        (REGION, identifier),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert sorted(update.patch_document or [], key=str) == [
        {"op": "add", "path": "/ContentHandlingStrategy", "value": "CONVERT_TO_TEXT"},
        {"op": "add", "path": "/TemplateSelectionExpression", "value": "$default"},
    ]
    model = emulator.resource(REGION, IR, identifier)
    assert model is not None and model["ContentHandlingStrategy"] == "CONVERT_TO_TEXT"


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        (
            "INSERT INTO integration_responses "
            "(api_id, IntegrationId, IntegrationResponseKey, ApiId, region) "
            "VALUES ('a1', 'i1', 'k', 'a2', 'us-east-1')",
            "api_id = 'a1' and ApiId = 'a2': both columns are the property ApiId, with different values; "
            "give it once (either name) [integration_responses row 1]",
        ),
        (
            "UPDATE integration_responses SET template_selection_expression = 'x', "
            "TemplateSelectionExpression = 'y' "
            "WHERE region = 'us-east-1' AND data__Identifier = '{target}'",
            "template_selection_expression = 'x' and TemplateSelectionExpression = 'y': both columns are the "
            "property TemplateSelectionExpression, with different values; give it once (either name) "
            "[integration_responses {target}]",
        ),
    ],
)
def test_one_property_with_two_values_is_refused_naming_both(
    statement: str, message: str, emulator: Emulator, seeded: Seeded
) -> None:
    db = connect(emulator)
    target = seeded.responses[0]
    error = error_of(db, statement.format(target=target))
    assert type(error) is apsw.ConstraintError
    assert str(error) == message.format(target=target)
    assert write_calls(emulator) == []


@pytest.mark.parametrize("null_under", ["template_selection_expression", "TemplateSelectionExpression"])
def test_null_under_one_name_and_a_value_under_the_other_means_the_value_in_insert_and_update(
    null_under: str, emulator: Emulator, seeded: Seeded
) -> None:
    # An INSERT cannot tell NULL from a column left out, so NULL beside a value is the value there; an
    # UPDATE reads the same two columns the same way, whichever name holds the NULL.
    db = connect(emulator)
    api_id, integration_id = seeded.integrations[0]
    first, second = ("NULL", "?") if null_under == "template_selection_expression" else ("?", "NULL")
    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region, "
        "template_selection_expression, TemplateSelectionExpression) "
        f"VALUES (?, ?, 'k', ?, {first}, {second})",
        (api_id, integration_id, REGION, "$inserted"),
    )
    (create,) = sent_writes(emulator, "CreateResource")
    assert create.desired_state is not None
    assert create.desired_state["TemplateSelectionExpression"] == "$inserted"

    target = seeded.responses[0]
    db.execute(
        f"UPDATE integration_responses SET template_selection_expression = {first}, "
        f"TemplateSelectionExpression = {second} WHERE region = ? AND data__Identifier = ?",
        ("$updated", REGION, target),
    )
    (update,) = sent_writes(emulator, "UpdateResource")
    assert [(op["path"], op.get("value")) for op in update.patch_document or []] == [
        ("/TemplateSelectionExpression", "$updated")
    ]
    model = emulator.resource(REGION, IR, target)
    assert model is not None and model["TemplateSelectionExpression"] == "$updated"


def test_null_under_both_names_clears_the_property_in_update(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    target = seeded.responses[0]
    where = "WHERE region = ? AND data__Identifier = ?"
    db.execute(
        f"UPDATE integration_responses SET TemplateSelectionExpression = 'set' {where}", (REGION, target)
    )
    db.execute(
        "UPDATE integration_responses SET template_selection_expression = NULL, "
        f"TemplateSelectionExpression = NULL {where}",
        (REGION, target),
    )
    patches = [update.patch_document for update in sent_writes(emulator, "UpdateResource")]
    assert patches[-1] == [{"op": "remove", "path": "/TemplateSelectionExpression"}]
    model = emulator.resource(REGION, IR, target)
    assert model is not None and "TemplateSelectionExpression" not in model


def test_messages_name_the_column_as_written(emulator: Emulator, seeded: Seeded) -> None:
    db = connect(emulator)
    target = seeded.responses[0]
    error = error_of(
        db,
        "UPDATE integration_responses SET ApiId = 'zzz' WHERE region = 'us-east-1' AND data__Identifier = ?",
        (target,),
    )
    assert type(error) is apsw.ReadOnlyError
    assert str(error).startswith(f"ApiId = 'zzz' (was '{target.split('|')[0]}'): ApiId is create-only")
    error = error_of(
        db,
        "INSERT INTO integration_responses "
        "(ApiId, IntegrationId, IntegrationResponseKey, ResponseParameters) "
        "VALUES ('a', 'b', 'c', 'nope')",
    )
    assert str(error).startswith("ResponseParameters = 'nope': not valid JSON")
    assert write_calls(emulator) == []


@pytest.mark.parametrize("type_name", supported_types())
def test_no_column_name_clashes_for_any_shipped_schema(type_name: str) -> None:
    columns = Columns(load_schema(type_name))
    lower = {name.lower() for name in columns.names}
    assert len(lower) == len(columns.names)
    # every property is a column under its schema name: its own twin, or its field name when SQLite
    # cannot tell the two apart (Name is name)
    assert {prop.lower() for prop in load_schema(type_name).properties} <= lower


def test_a_property_whose_field_name_is_its_own_name_gets_one_column() -> None:
    doc = {
        "typeName": "AWS::Example::Thing",
        "properties": {
            "Name": {"type": "string"},
            "name2": {"type": "string"},
            "ThingId": {"type": "string"},
        },
        "primaryIdentifier": ["/properties/ThingId"],
    }
    columns = Columns(ResourceSchema.from_json(doc))
    assert columns.twins == {"ThingId": "thing_id"}  # "Name" is "name" and "name2" is itself to SQLite
    assert columns.names == [
        "name",
        "name2",
        "thing_id",
        "region",
        "account_id",
        "data__Identifier",
        "data__PatchDocument",
        "account_name",
        "Identifier",
        "PatchDocument",
        "ThingId",
    ]
    assert columns.canonical["ThingId"] == "thing_id" and columns.property_of["name"] == "Name"


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("list args=region,ApiId,IntegrationId fetch=full", ("region", "api_id", "integration_id")),
        ("walk from=Integration args=api_id,region,limit fetch=ids", ("api_id", "region", "limit")),
        (
            "get args=region,ApiId,integration_id,IntegrationResponseId fetch=full",
            ("region", "api_id", "integration_id", "integration_response_id"),
        ),
    ],
)
def test_a_plan_written_with_schema_names_decodes_to_the_field_names_and_back(
    text: str, args: tuple[str, ...]
) -> None:
    schema = load_schema(IR)
    plan = Plan.decode(text, schema)
    assert plan.args == args  # Filter reads the values by field name
    assert plan.encode(schema) == text  # EXPLAIN and messages keep the statement's own names
    assert plan.written == (() if "Id" not in text else tuple(text.split("args=")[1].split()[0].split(",")))
