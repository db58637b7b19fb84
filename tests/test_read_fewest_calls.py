"""Reads make the fewest calls in the shapes issue 10 named: LIMIT on a walk, parent ids from a join,
identifier lists grouped by their parent. Every count is the endpoint's own recorder."""

from __future__ import annotations

from typing import Any

import pytest

from tests.readhelpers import KNOWN_ACCOUNT, connect, endpoint_summary, rows

SELECT_IDS = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'"


def _in(identifiers: list[str]) -> str:
    return ", ".join(f"'{i}'" for i in identifiers)


# -- LIMIT on a walk ---------------------------------------------------------------------------------


def test_limit_1_on_a_walk_lists_one_parent_per_level(emulator: Any) -> None:
    emulator.seed("us-east-1", websocket_apis=10, integrations=5, responses=3)
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db, "SELECT integration_response_id FROM integration_responses WHERE region = 'us-east-1' LIMIT 1"
    )
    assert len(got) == 1
    assert endpoint_summary(emulator) == {
        "ListResources Api": 1,
        "ListResources Integration": 1,
        "ListResources IntegrationResponse": 1,
    }


def test_limit_walks_on_past_empty_parents_and_widens(emulator: Any) -> None:
    # The first API has integrations without responses: the walk must go on until it has the rows.
    emulator.seed("us-east-1", websocket_apis=1, integrations=3, responses=0)
    seeded = emulator.seed("us-east-1", websocket_apis=3, integrations=2, responses=2)
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(db, f"{SELECT_IDS} LIMIT 7")
    assert len(got) == 7
    assert {i for (i,) in got} <= set(seeded.responses)
    full = len(rows(db, SELECT_IDS))
    assert full == len(seeded.responses) == 12


def test_limit_with_offset_and_a_limit_larger_than_the_rows(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=3)
    db = connect(emulator)
    assert len(rows(db, f"{SELECT_IDS} LIMIT 5 OFFSET 4")) == 5
    every = rows(db, f"{SELECT_IDS} LIMIT 1000")
    assert sorted(i for (i,) in every) == sorted(seeded.responses)


def test_limit_on_a_walk_from_integrations(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=6, responses=2)
    api_id = seeded.websocket_api_ids[0]
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(db, f"{SELECT_IDS} AND api_id = '{api_id}' LIMIT 2")
    assert len(got) == 2
    assert endpoint_summary(emulator) == {
        "ListResources Integration": 1,
        "ListResources IntegrationResponse": 1,
    }


# -- parent ids from a join --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT v.data__Identifier FROM my_apis m JOIN integration_responses v ON v.api_id = m.id "
        "WHERE v.region = 'us-east-1'",
        "SELECT v.data__Identifier FROM integration_responses v JOIN my_apis m ON v.api_id = m.id "
        "WHERE v.region = 'us-east-1'",
        "SELECT v.data__Identifier FROM integration_responses v, my_apis m "
        "WHERE m.id = v.api_id AND v.region = 'us-east-1'",
    ],
    ids=["local-first", "vtab-first", "comma-join"],
)
def test_join_on_api_id_lists_only_those_apis(emulator: Any, sql: str) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=10, integrations=2, responses=2)
    mine = list(seeded.websocket_api_ids[:2])
    db = connect(emulator)
    db.execute("CREATE TABLE my_apis(id TEXT, note TEXT)")
    db.executemany("INSERT INTO my_apis VALUES (?, ?)", [(a, "mine") for a in mine])
    emulator.clear_calls()
    got = rows(db, sql)
    assert sorted(i for (i,) in got) == sorted(r for r in seeded.responses if r.split("|")[0] in mine)
    assert endpoint_summary(emulator) == {
        "ListResources Integration": 2,
        "ListResources IntegrationResponse": 4,
    }
    plan = " ".join(r[3] for r in db.execute("EXPLAIN QUERY PLAN " + sql))
    assert "walk from=Integration" in plan and "walk from=Api" not in plan


def test_join_on_both_parent_ids_lists_each_pair(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=3, integrations=3, responses=2)
    mine = seeded.integrations[:2]
    db = connect(emulator)
    db.execute("CREATE TABLE my_integrations(api TEXT, integration TEXT)")
    db.executemany("INSERT INTO my_integrations VALUES (?, ?)", mine)
    for sql in (
        "SELECT v.data__Identifier FROM my_integrations m JOIN integration_responses v "
        "ON v.api_id = m.api AND v.integration_id = m.integration WHERE v.region = 'us-east-1'",
        "SELECT v.data__Identifier FROM integration_responses v JOIN my_integrations m "
        "ON v.api_id = m.api AND v.integration_id = m.integration WHERE v.region = 'us-east-1'",
    ):
        db.execute("SELECT vtab_clear_cache()")
        emulator.clear_calls()
        got = rows(db, sql)
        assert len(got) == 4
        assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 2}, sql


# -- identifier lists grouped by parent --------------------------------------------------------------


def test_50_identifiers_of_one_integration_read_its_listing(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=50)
    db = connect(emulator, **KNOWN_ACCOUNT)
    emulator.clear_calls()
    got = rows(
        db,
        f"SELECT * FROM integration_responses WHERE region = 'us-east-1' "
        f"AND data__Identifier IN ({_in(seeded.responses)})",
    )
    assert len(got) == 50
    assert endpoint_summary(emulator) == {"ListResources IntegrationResponse": 2}


def test_mixed_identifier_list_groups_gets_and_missing(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=2, responses=4)
    by_parent: dict[str, list[str]] = {}
    for identifier in seeded.responses:
        by_parent.setdefault(identifier.rsplit("|", 1)[0], []).append(identifier)
    first, second, third = list(by_parent.values())[:3]
    grouped = first[:3]  # three of one integration: its listing
    alone = [second[0]]  # one of another: a get
    api_id, integration_id = third[0].split("|")[:2]
    missing_in_group = [third[0], f"{api_id}|{integration_id}|nosuch"]  # a group with one missing
    missing_alone = ["nosuchapi|nosuchint|nosuch"]  # a lone missing one: a get that finds nothing
    wanted = grouped + alone + missing_in_group + missing_alone
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(db, f"{SELECT_IDS} AND data__Identifier IN ({_in(wanted)})")
    assert sorted(i for (i,) in got) == sorted(grouped + alone + [third[0]])
    assert endpoint_summary(emulator) == {
        "ListResources IntegrationResponse": 2,
        "GetResource IntegrationResponse": 2,
    }
    # The same set of rows as one get each, columns included.
    columns = "data__Identifier, integration_response_key, response_templates"
    assert sorted(
        rows(
            db,
            f"SELECT {columns} FROM integration_responses WHERE region = 'us-east-1' "
            f"AND data__Identifier IN ({_in(wanted)})",
        )
    ) == sorted(
        row
        for identifier in wanted
        for row in rows(
            db,
            f"SELECT {columns} FROM integration_responses WHERE region = 'us-east-1' "
            f"AND data__Identifier = '{identifier}'",
        )
    )


def test_group_in_a_long_listing_switches_to_gets_when_they_are_cheaper(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=130)  # 6 pages
    wanted = [seeded.responses[-1], seeded.responses[-2]]  # on the last page
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(db, f"{SELECT_IDS} AND data__Identifier IN ({_in(wanted)})")
    assert sorted(i for (i,) in got) == sorted(wanted)
    # Two pages (as many as identifiers remain), then a get each: never more than twice the gets.
    assert endpoint_summary(emulator) == {
        "ListResources IntegrationResponse": 2,
        "GetResource IntegrationResponse": 2,
    }


def test_group_with_partial_list_items_hydrates_only_what_it_found(emulator: Any) -> None:
    emulator.configure(identifier_only_lists=True)
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=4)
    wanted = seeded.responses[:3]
    db = connect(emulator)
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT data__Identifier, integration_response_key FROM integration_responses "
        f"WHERE region = 'us-east-1' AND data__Identifier IN ({_in(wanted)})",
    )
    assert sorted(i for i, _ in got) == sorted(wanted)
    assert all(key for _, key in got)
    assert endpoint_summary(emulator) == {
        "ListResources IntegrationResponse": 1,
        "GetResource IntegrationResponse": 3,
    }
