"""The write part of ``make demo``: the INSERT, UPDATE and DELETE examples, with the table before and after.

Runs on a fresh WebSocket API of the demo endpoint (two integrations, no responses yet), so the examples'
``'$default'`` keys are free; each step prints the Cloud Control calls it made, RequestTokens included.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import apsw

if TYPE_CHECKING:
    from vtab.cli.demo import Demo
    from vtab.emulator import Emulator

BEFORE_AFTER = """
SELECT data__Identifier, integration_response_key, content_handling_strategy, response_templates
FROM integration_responses WHERE region = 'us-east-1' AND api_id = '{api}' ORDER BY integration_id;"""


def show_writes(demo: Demo, emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=0, http_apis=0)
    (api, first), (_, second) = seeded.integrations
    before_after = BEFORE_AFTER.format(api=api)
    demo.step("Writes: a new WebSocket API's responses before (none yet)", before_after)
    demo.step(
        "INSERT one response (CreateResource, then GetResourceRequestStatus until SUCCESS)",
        f"""
INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region)
VALUES ('{api}', '{first}', '$default', 'us-east-1');""",
    )
    demo.db.execute(
        "CREATE TABLE my_local_integrations(api_id TEXT, integration_id TEXT, region TEXT);"
        "INSERT INTO my_local_integrations VALUES (?, ?, 'us-east-1');",
        (api, second),
    )
    demo.step(
        "INSERT ... SELECT from a local table (all rows are sent in parallel at the end of the statement)",
        """
INSERT INTO integration_responses (response_templates, template_selection_expression, response_parameters,
  content_handling_strategy, integration_id, integration_response_key, api_id, region)
SELECT '{"application/json": "{\\"ok\\": true}"}', '$default', '{}', 'CONVERT_TO_TEXT',
       integration_id, '$default', api_id, region FROM my_local_integrations;""",
    )
    rows = demo.step("After the INSERTs", before_after)
    created, other = rows[0][0], rows[1][0]
    demo.step(
        "UPDATE one column (a minimal JSON Patch: only response_templates)",
        f"""
UPDATE integration_responses SET response_templates = '{{"application/json": "{{}}"}}'
WHERE region = 'us-east-1' AND data__Identifier = '{created}';""",
    )
    demo.step(
        "UPDATE with an explicit RFC 6902 patch document, sent as given",
        f"""
UPDATE integration_responses SET data__PatchDocument = '[{{"op": "replace", "path": "/IntegrationResponseKey", "value": "$default"}}]'
WHERE region = 'us-east-1' AND data__Identifier = '{other}';""",  # noqa: E501 (the issue's SQL, verbatim)
    )
    demo.step(
        "DELETE one response",
        f"""
DELETE FROM integration_responses WHERE data__Identifier = '{created}' AND region = 'us-east-1';""",
    )
    demo.step("After the UPDATEs and the DELETE", before_after)
    print("\n== Bad input is refused before anything is sent", file=demo.out)
    bad = (
        f"UPDATE integration_responses SET content_handling_strategy = 'CONVERT_TO_XML' "
        f"WHERE region = 'us-east-1' AND data__Identifier = '{other}';"
    )
    print(bad, file=demo.out)
    try:
        demo.db.execute(bad)
    except apsw.Error as error:
        print(f"{type(error).__name__}: {error}", file=demo.out)
    demo.db.execute(
        "CREATE VIRTUAL TABLE temp.rehearsal USING integration_responses(dry_run=true, regions='us-east-1')"
    )
    demo.step(
        "dry_run: a DELETE on a dry-run table sends nothing ...",
        f"DELETE FROM rehearsal WHERE region = 'us-east-1' AND api_id = '{api}';",
    )
    demo.step(
        "... and vtab_dry_run shows what it would have sent",
        "SELECT operation, identifier, note FROM vtab_dry_run;",
    )
