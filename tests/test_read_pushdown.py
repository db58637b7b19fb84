"""Reads: IN lists taken whole, joins with local tables both ways, and the per-statement memo."""

from __future__ import annotations

from typing import Any

from tests.readhelpers import connect, endpoint_summary, rows


def test_region_in_list_reads_each_region_once(emulator: Any) -> None:
    east = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=2)
    emulator.seed("ap-south-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT region, data__Identifier FROM integration_responses "
        "WHERE region IN ('us-east-1', 'eu-west-1')",
    )
    assert sorted(got) == sorted(
        [("us-east-1", i) for i in east.responses] + [("eu-west-1", i) for i in west.responses]
    )
    api_lists = sorted(c.region for c in emulator.calls if c.type_name == "AWS::ApiGatewayV2::Api")
    assert api_lists == ["eu-west-1", "us-east-1"]


def test_identifier_in_list_is_one_get_each(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=2)
    wanted = [seeded.responses[0], seeded.responses[3], seeded.responses[5]]
    db = connect(emulator)
    emulator.clear_calls()
    marks = ",".join("?" * len(wanted))
    got = rows(
        db,
        f"SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' "
        f"AND data__Identifier IN ({marks})",
        wanted,
    )
    assert sorted(i for (i,) in got) == sorted(wanted)
    assert endpoint_summary(emulator) == {"GetResource IntegrationResponse": 3}


def test_api_id_in_list_walks_only_those_apis(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=3, integrations=1, responses=2)
    apis = list(seeded.websocket_api_ids[:2])
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db, "SELECT api_id FROM integration_responses WHERE region = 'us-east-1' AND api_id IN (?, ?)", apis
    )
    assert sorted(a for (a,) in got) == sorted(apis * 2)
    assert endpoint_summary(emulator) == {
        "ListResources Integration": 2,
        "ListResources IntegrationResponse": 2,
    }


def test_integration_id_in_list_with_api_id_lists_each_pair(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=3, responses=2)
    (api_id, first), (_, second) = seeded.integrations[0], seeded.integrations[1]
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT integration_id FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? "
        "AND integration_id IN (?, ?)",
        (api_id, first, second),
    )
    assert sorted(i for (i,) in got) == sorted([first, first, second, second])
    assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 2}


def test_integration_id_without_api_id_prunes_the_walk(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=2)
    api_id, integration_id = seeded.integrations[3]
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT api_id, integration_id FROM integration_responses "
        "WHERE region = 'us-east-1' AND integration_id = ?",
        (integration_id,),
    )
    assert got == [(api_id, integration_id)] * 2
    # Every integration is listed, but responses only for the wanted one.
    assert endpoint_summary(emulator) == {
        "ListResources Api": 1,
        "ListResources Integration": 2,
        "ListResources IntegrationResponse": 1,
    }


def test_response_id_in_list_with_parents_is_one_listing_of_that_parent(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=4)
    parts = [identifier.split("|") for identifier in seeded.responses[:3]]
    api_id, integration_id, _ = parts[0]
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT integration_response_id FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? "
        "AND integration_id = ? AND integration_response_id IN (?, ?, ?)",
        (api_id, integration_id, *(p[2] for p in parts)),
    )
    assert sorted(r for (r,) in got) == sorted(p[2] for p in parts)
    assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 1}


def _local_identifiers(db: Any, identifiers: list[str]) -> None:
    db.execute("CREATE TABLE wanted(id TEXT, note TEXT)")
    db.executemany("INSERT INTO wanted VALUES (?, ?)", [(i, f"n{n}") for n, i in enumerate(identifiers)])


def test_join_with_local_identifiers_is_one_get_per_distinct_row_either_way(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=3)
    wanted = [seeded.responses[0], seeded.responses[4], seeded.responses[0], "a|b|missing"]
    joins = [
        "SELECT w.note, v.integration_response_key FROM wanted w JOIN integration_responses v "
        "ON v.data__Identifier = w.id AND v.region = 'us-east-1'",
        "SELECT w.note, v.integration_response_key FROM integration_responses v JOIN wanted w "
        "ON v.data__Identifier = w.id WHERE v.region = 'us-east-1'",
    ]
    for sql in joins:
        db = connect(emulator)
        _local_identifiers(db, wanted)
        emulator.clear_calls()
        got = rows(db, sql)
        assert sorted(note for note, _ in got) == ["n0", "n1", "n2"]
        # Three distinct identifiers: three gets, the duplicate answered from the statement's memo.
        assert endpoint_summary(emulator) == {"GetResource IntegrationResponse": 3}, sql
        plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
        assert "get args=" in plan


def test_join_with_local_regions_reads_each_region_once(emulator: Any) -> None:
    east = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, regions="ap-south-1")
    db.execute(
        "CREATE TABLE mine(name TEXT); INSERT INTO mine VALUES ('us-east-1'), ('eu-west-1'), ('us-east-1')"
    )
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT m.name, v.data__Identifier FROM mine m JOIN integration_responses v ON v.region = m.name",
    )
    expected = [("us-east-1", i) for i in east.responses] * 2 + [("eu-west-1", i) for i in west.responses]
    assert sorted(got) == sorted(expected)
    # The configured region (ap-south-1) is never read; each joined region is walked once.
    assert sorted(c.region for c in emulator.calls if c.type_name == "AWS::ApiGatewayV2::Api") == [
        "eu-west-1",
        "us-east-1",
    ]
    assert len(emulator.calls) == 2 * 3


def test_json_functions_work_on_object_columns(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator)
    (row,) = rows(
        db,
        """SELECT json_extract(response_templates, '$."application/json"'),
                  response_parameters ->> '$."method.response.header.X-Response-Index"',
                  json_type(response_templates)
           FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?""",
        (seeded.responses[0],),
    )
    assert row[0] == '{"response": 0, "body": $input.body}'
    assert row[1] == "'0'"
    assert row[2] == "object"
    keys = rows(
        db,
        "SELECT j.key FROM integration_responses v, json_each(v.response_templates) j "
        "WHERE v.region = 'us-east-1' AND v.data__Identifier = ?",
        (seeded.responses[0],),
    )
    assert keys == [("application/json",)]


def test_self_join_streams_both_sides_without_starving_either(emulator: Any) -> None:
    """The outer scan fills its queue and waits for SQLite; the inner scan still gets threads."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=300)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, max_workers=1)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT count(*), count(b.response_templates) "
        "FROM integration_responses a JOIN integration_responses b "
        "ON b.data__Identifier = a.data__Identifier AND b.region = 'us-east-1' "
        "WHERE a.region = 'us-east-1' AND a.api_id = ? AND a.integration_id = ?",
        (api_id, integration_id),
    )
    assert got == [(300, 150)]
    assert endpoint_summary(emulator) == {
        "ListResources IntegrationResponse": 12,
        "GetResource IntegrationResponse": 300,
    }


def test_ids_no_row_can_have_match_nothing_without_calls(emulator: Any) -> None:
    """A BLOB equals no text and '' is no id; a number is compared as its text ('5'), as SQLite does
    (tests/test_answers_match_sqlite.py), so it is looked up like any other id."""
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    emulator.clear_calls()
    where = "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?"
    assert rows(db, f"SELECT * FROM integration_responses {where}", (api_id, b"5")) == []
    assert (
        rows(
            db,
            f"SELECT * FROM integration_responses {where} AND integration_response_id = ''",
            (api_id, integration_id),
        )
        == []
    )
    assert emulator.calls == []
