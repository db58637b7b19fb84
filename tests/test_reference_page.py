"""The StackQL reference page's SQL, verbatim, on a ``vtab.connect()`` connection and through ``vtab query``.

The page is read at test time (from ../shared/notes when the checkout sits beside it, else the copy in
tests/reference/); only its placeholders (``{{ ApiId }}``, ``<ApiId>|...``) are filled, with ids the local
endpoint was seeded with. Each statement's rows, the Cloud Control calls the endpoint answered, and the
endpoint's state afterwards are asserted. The page has no UPDATE example; the UPDATE below is written as
its Methods table says (``data__Identifier``, ``data__PatchDocument``, ``region``), in the page's style.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

import vtab
from tests.readhelpers import IR, endpoint_summary
from vtab.cli import main as cli
from vtab.emulator import Emulator
from vtab.emulator.seed import Seeded
from vtab.sql.guards import is_placeholder

PAGE_NAME = "seed-integration_responses.md"
REGION = "us-east-1"
STACKQL_NAME = "aws.apigatewayv2.integration_responses"

UPDATE_SQL = """/*+ update */
UPDATE aws.apigatewayv2.integration_responses
SET data__PatchDocument = '[{"op": "replace", "path": "/TemplateSelectionExpression", "value": "{{ TemplateSelectionExpression }}"}]'
WHERE data__Identifier = '<ApiId>|<IntegrationId>|<IntegrationResponseId>'
AND region = 'us-east-1';
"""  # noqa: E501

OBJECT_COLUMNS = {"response_templates", "response_parameters"}


def page_path() -> Path:
    repo = Path(__file__).resolve().parents[1]
    shared = repo.parent / "shared" / "notes" / PAGE_NAME
    return shared if shared.is_file() else repo / "tests" / "reference" / PAGE_NAME


@dataclass(frozen=True)
class PageSql:
    list_select: str
    get_select: str
    insert_required: str
    insert_all: str
    delete: str


def page_sql() -> PageSql:
    """The page's five SQL blocks, told apart by what they say (the page's own order is not relied on)."""
    blocks = re.findall(r"```sql\n(.*?)```", page_path().read_text(), re.DOTALL)
    assert len(blocks) == 5, blocks
    selects = [b for b in blocks if b.lstrip().upper().startswith("SELECT")]
    inserts = [b for b in blocks if "INSERT INTO" in b]
    (delete,) = [b for b in blocks if "DELETE FROM" in b]
    (get_select,) = [b for b in selects if "data__Identifier" in b]
    (list_select,) = [b for b in selects if b is not get_select]
    (insert_all,) = [b for b in inserts if "ResponseTemplates" in b]
    (insert_required,) = [b for b in inserts if b is not insert_all]
    for block in blocks:
        assert STACKQL_NAME in block
    return PageSql(list_select, get_select, insert_required, insert_all, delete)


def fill(sql: str, identifier: str = "", **values: str) -> str:
    """Fill the page's placeholders: ``{{ Name }}`` inside a SQL string literal, ``<ApiId>|...`` ids."""

    def value(match: re.Match[str]) -> str:
        return values[match.group(1)].replace("'", "''")

    filled = re.sub(r"\{\{\s*(\w+)\s*\}\}", value, sql)
    filled = re.sub(
        r"<ApiId>\|<IntegrationId>\|<IntegrationResponseId>|<ApiId\|IntegrationId\|IntegrationResponseId>",
        identifier,
        filled,
    )
    assert not is_placeholder(filled), filled
    return filled


# --- the two ways of running SQL ------------------------------------------------------------------------


Runner = Callable[[str], list[tuple[Any, ...]]]


def _cell(column: str, text: str) -> Any:
    """A CSV cell of ``vtab query`` as the connection returns it (NULL prints empty)."""
    return None if text == "" else text


@pytest.fixture(params=["vtab.connect", "vtab query"])
def run(
    request: pytest.FixtureRequest, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> Iterator[Runner]:
    """Runs SQL as written and returns its rows: on a vtab.connect() connection, or by ``vtab query``."""
    options = {"endpoint_url": emulator.endpoint_url, "regions": REGION, "rate_limit": None, "cache_ttl": 0}
    if request.param == "vtab.connect":
        db = vtab.connect(**options)
        yield lambda sql: [tuple(row) for row in db.execute(sql)]
        db.close()
        return

    def query(sql: str) -> list[tuple[Any, ...]]:
        capsys.readouterr()
        flags = ["--endpoint-url", emulator.endpoint_url, "--regions", REGION, "--rate-limit", "none"]
        status = cli.main(["query", "--format", "csv", "--cache-ttl", "0", *flags, sql])
        out, err = capsys.readouterr()
        assert status == 0, err
        lines = list(csv.reader(io.StringIO(out)))
        if not lines:
            return []
        header, *rows = lines
        return [tuple(_cell(c, v) for c, v in zip(header, row, strict=True)) for row in rows]

    yield query


def as_json(columns: list[str], row: tuple[Any, ...]) -> dict[str, Any]:
    """A row by column name, object columns parsed (their JSON text's spacing is not the point)."""
    return {
        c: orjson.loads(v) if c in OBJECT_COLUMNS and v is not None else v
        for c, v in zip(columns, row, strict=True)
    }


def writes_of(emulator: Emulator, operation: str) -> list[Any]:
    return [call for call in emulator.calls if call.operation == operation]


# --- the page's statements --------------------------------------------------------------------------------


def test_list_select_walks_the_region_and_returns_every_response(
    run: Runner, seeded: Seeded, emulator: Emulator
) -> None:
    rows = run(page_sql().list_select)

    expected = {(REGION, *identifier.split("|")) for identifier in seeded.responses}
    assert sorted(rows) == sorted(expected)
    # APIs, then the WebSocket APIs' integrations, then each integration's responses: nothing else.
    assert endpoint_summary(emulator) == Counter(
        {
            "ListResources Api": 1,
            "ListResources Integration": len(seeded.websocket_api_ids),
            "ListResources IntegrationResponse": len(seeded.integrations),
        }
    )


def test_get_select_reads_one_resource_with_one_get(run: Runner, seeded: Seeded, emulator: Emulator) -> None:
    identifier = seeded.responses[0]
    sql = fill(page_sql().get_select, identifier)

    (row,) = run(sql)

    selected = re.search(r"SELECT(.*?)FROM", sql, re.DOTALL)
    assert selected is not None
    columns = [column.strip() for column in selected.group(1).split(",")]
    assert columns[0] == "region" and len(columns) == 9
    model = emulator.resource(REGION, IR, identifier)
    assert model is not None
    expected = {"region": REGION} | {
        column: model.get(vtab_property(column)) for column in columns if column != "region"
    }
    assert as_json(columns, row) == expected
    assert expected["response_templates"] is not None  # the seed gives the first response every kind of value
    assert endpoint_summary(emulator) == Counter({"GetResource IntegrationResponse": 1})


def vtab_property(column: str) -> str:
    return "".join(part.capitalize() for part in column.split("_"))


def test_insert_of_required_properties_creates_the_response(
    run: Runner, seeded: Seeded, emulator: Emulator
) -> None:
    api_id, integration_id = seeded.integrations[0]
    sql = fill(
        page_sql().insert_required,
        IntegrationId=integration_id,
        IntegrationResponseKey="/4\\d{2}/",
        ApiId=api_id,
        region=REGION,
    )

    run(sql)  # what a write prints is not the point here: the endpoint's state and calls are

    (create,) = writes_of(emulator, "CreateResource")
    desired = {"ApiId": api_id, "IntegrationId": integration_id, "IntegrationResponseKey": "/4\\d{2}/"}
    assert create.desired_state == desired
    assert create.error_code is None
    polls = writes_of(emulator, "GetResourceRequestStatus")
    assert polls and {poll.request_token for poll in polls} == {create.request_token}
    assert polls[-1].operation_status == "SUCCESS"
    assert set(endpoint_summary(emulator)) == {
        "CreateResource IntegrationResponse",
        "GetResourceRequestStatus IntegrationResponse",
    }
    created = [
        r
        for r in emulator.integration_responses(REGION, api_id, integration_id)
        if r.items() >= desired.items()
    ]
    assert len(created) == 1


def test_insert_of_all_properties_sends_each_of_them(run: Runner, seeded: Seeded, emulator: Emulator) -> None:
    api_id, integration_id = seeded.integrations[1]
    values = {
        "ResponseTemplates": '{"application/json": "{\\"status\\": \\"$input.path(\'$.status\')\\"}"}',
        "TemplateSelectionExpression": "$default",
        "ResponseParameters": '{"method.response.header.X-Source": "\'vtab\'"}',
        "ContentHandlingStrategy": "CONVERT_TO_TEXT",
        "IntegrationId": integration_id,
        "IntegrationResponseKey": "/5\\d{2}/",
        "ApiId": api_id,
        "region": REGION,
    }
    sql = fill(page_sql().insert_all, **values)

    run(sql)  # what a write prints is not the point here: the endpoint's state and calls are

    (create,) = writes_of(emulator, "CreateResource")
    desired = {
        "ResponseTemplates": {"application/json": '{"status": "$input.path(\'$.status\')"}'},
        "TemplateSelectionExpression": "$default",
        "ResponseParameters": {"method.response.header.X-Source": "'vtab'"},
        "ContentHandlingStrategy": "CONVERT_TO_TEXT",
        "IntegrationId": integration_id,
        "IntegrationResponseKey": "/5\\d{2}/",
        "ApiId": api_id,
    }
    assert create.desired_state == desired
    assert set(endpoint_summary(emulator)) == {
        "CreateResource IntegrationResponse",
        "GetResourceRequestStatus IntegrationResponse",
    }
    (created,) = [
        r
        for r in emulator.integration_responses(REGION, api_id, integration_id)
        if r["IntegrationResponseKey"] == "/5\\d{2}/"
    ]
    assert created.items() >= desired.items()


def test_delete_removes_the_one_resource_it_names(run: Runner, seeded: Seeded, emulator: Emulator) -> None:
    identifier = seeded.responses[1]
    sql = fill(page_sql().delete, identifier)

    run(sql)  # what a write prints is not the point here: the endpoint's state and calls are

    assert emulator.resource(REGION, IR, identifier) is None
    for other in seeded.responses:
        if other != identifier:
            assert emulator.resource(REGION, IR, other) is not None
    (delete,) = writes_of(emulator, "DeleteResource")
    assert (delete.identifier, delete.error_code) == (identifier, None)
    (get,) = writes_of(emulator, "GetResource")
    assert get.identifier == identifier  # the DELETE reads its row (one GetResource), then deletes it
    assert set(endpoint_summary(emulator)) == {
        "GetResource IntegrationResponse",
        "DeleteResource IntegrationResponse",
        "GetResourceRequestStatus IntegrationResponse",
    }


def test_update_with_a_patch_document_sends_it_as_written(
    run: Runner, seeded: Seeded, emulator: Emulator
) -> None:
    identifier = seeded.responses[2]
    sql = fill(UPDATE_SQL, identifier, TemplateSelectionExpression="$default")

    run(sql)  # what a write prints is not the point here: the endpoint's state and calls are

    (update,) = writes_of(emulator, "UpdateResource")
    assert update.identifier == identifier
    assert update.patch_document == [
        {"op": "replace", "path": "/TemplateSelectionExpression", "value": "$default"}
    ]
    model = emulator.resource(REGION, IR, identifier)
    assert model is not None and model["TemplateSelectionExpression"] == "$default"
    assert set(endpoint_summary(emulator)) == {
        "GetResource IntegrationResponse",
        "UpdateResource IntegrationResponse",
        "GetResourceRequestStatus IntegrationResponse",
    }


def test_the_page_read_here_is_the_shared_one_or_its_copy() -> None:
    """The copy in tests/reference keeps the tests running outside the team's checkout; it must not drift."""
    copy = Path(__file__).resolve().parent / "reference" / PAGE_NAME
    assert page_path().read_text() == copy.read_text()
