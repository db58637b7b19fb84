"""A list input given under another column: DataZone types are identified by ``DomainId|Id`` while their
list needs ``DomainIdentifier``; the catalog records that both hold the domain's id, so ``WHERE domain_id``
lists that domain's children with one call instead of walking every domain."""

from __future__ import annotations

from typing import Any

import apsw
import pytest

import vtab
from tests.readhelpers import connect, endpoint_ops, rows
from vtab.catalog import load_catalog
from vtab.read.plan import Offer, choose_plan, missing_where, walk_start

REGION = "us-east-1"
PROJECT = "AWS::DataZone::Project"
ENVIRONMENT = "AWS::DataZone::Environment"
DOMAIN_UNIT = "AWS::DataZone::DomainUnit"


def _plan(db: apsw.Connection, sql: str, bindings: Any = ()) -> str:
    """The plan vtab chose, as EXPLAIN QUERY PLAN shows it (``list args=...``)."""
    ((_, _, _, detail),) = db.execute("EXPLAIN QUERY PLAN " + sql, bindings).fetchall()
    return str(detail).split(":", 1)[1]


def _domains_with_projects(db: apsw.Connection) -> dict[str, str]:
    """Two domains with two projects each, made through SQL: domain name -> its id."""
    db.execute(f"INSERT INTO datazone_domains (region, name) VALUES ('{REGION}', 'd1'), ('{REGION}', 'd2')")
    domains = dict(rows(db, f"SELECT name, id FROM datazone_domains WHERE region = '{REGION}'"))
    for name, domain in domains.items():
        db.execute(
            "INSERT INTO datazone_projects (region, domain_identifier, name) VALUES (?, ?, ?), (?, ?, ?)",
            (REGION, domain, f"{name}-p1", REGION, domain, f"{name}-p2"),
        )
    return domains


def test_an_identifier_part_feeds_the_list_input_it_equals(emulator: Any) -> None:
    db = connect(emulator)
    domains = _domains_with_projects(db)
    emulator.clear_calls()
    sql = (
        "SELECT name, domain_id, domain_identifier FROM datazone_projects "
        f"WHERE region = '{REGION}' AND domain_id = ?"
    )
    assert _plan(db, sql, (domains["d1"],)).endswith(
        "list args=region,domain_id fetch=full recheck=domain_id"
    )
    got = sorted(rows(db, sql, (domains["d1"],)))
    assert got == [("d1-p1", domains["d1"], domains["d1"]), ("d1-p2", domains["d1"], domains["d1"])]
    # one listing of that domain's projects: no domain listed, no other domain's projects
    assert endpoint_ops(emulator) == {("ListResources", PROJECT): 1}
    assert [call.resource_model for call in emulator.calls] == [{"DomainIdentifier": domains["d1"]}]


def test_the_input_column_still_works_and_disagreeing_columns_match_nothing(emulator: Any) -> None:
    db = connect(emulator)
    domains = _domains_with_projects(db)
    emulator.clear_calls()
    base = f"SELECT name FROM datazone_projects WHERE region = '{REGION}'"
    assert sorted(rows(db, base + " AND domain_identifier = ?", (domains["d2"],))) == [("d2-p1",), ("d2-p2",)]
    assert endpoint_ops(emulator) == {("ListResources", PROJECT): 1}
    emulator.clear_calls()
    both = base + " AND domain_id = ? AND domain_identifier = ?"
    assert rows(db, both, (domains["d1"], domains["d2"])) == []
    assert emulator.calls == []  # the two columns hold one value: no domain has both
    assert sorted(rows(db, both, (domains["d1"], domains["d1"]))) == [("d1-p1",), ("d1-p2",)]


def test_a_get_shows_the_list_input_its_identifier_holds_as_a_listing_does(emulator: Any) -> None:
    """GetResource does not return the write-only DomainIdentifier; the row still shows it (the
    identifier's DomainId part), as a listing's row does, so a WHERE on it does not lose the resource."""
    db = connect(emulator)
    domains = _domains_with_projects(db)
    sql = "SELECT data__Identifier, domain_identifier FROM datazone_projects WHERE region = ?"
    listed = rows(db, sql, (REGION,))
    identifier, domain = next((i, d) for i, d in listed if d == domains["d1"])
    emulator.clear_calls()
    sql = "SELECT data__Identifier, domain_identifier FROM datazone_projects WHERE data__Identifier = ?"
    assert rows(db, sql, (identifier,)) == [(identifier, domain)]
    both = sql + " AND domain_identifier = ?"
    assert _plan(db, both, (identifier, domain)).startswith("get ")
    assert rows(db, both, (identifier, domain)) == [(identifier, domain)]
    assert rows(db, both, (identifier, domains["d2"])) == []
    assert endpoint_ops(emulator) == {("GetResource", PROJECT): 3}  # one per statement (no cache)


def test_a_missing_parent_named_in_where_is_no_row_when_its_identifier_needs_an_alias(emulator: Any) -> None:
    """An environment that does not exist, in a domain that does: its actions' listing fails, and the get
    that confirms the environment is gone builds its identifier 'DomainId|Id' from the listing's
    DomainIdentifier. No rows, as for a missing domain, not the listing's error."""
    seeded = emulator.seed_type("AWS::DataZone::EnvironmentActions", REGION, count=1)
    (domain,) = seeded.parents["AWS::DataZone::Domain"]
    db = connect(emulator)
    emulator.clear_calls()
    sql = (
        "SELECT id FROM datazone_environment_actions "
        f"WHERE region = '{REGION}' AND domain_id = ? AND environment_identifier = ?"
    )
    assert rows(db, sql, (domain, "gone")) == []
    assert endpoint_ops(emulator) == {
        ("ListResources", "AWS::DataZone::EnvironmentActions"): 1,
        ("GetResource", ENVIRONMENT): 1,
    }
    assert [c.identifier for c in emulator.calls if c.operation == "GetResource"] == [f"{domain}|gone"]
    environment = seeded.identifiers[0].split("|")[1]
    assert rows(db, sql, (domain, environment)) == [(seeded.identifiers[0].split("|")[2],)]


def test_identifiers_sharing_an_alias_part_are_read_from_one_listing(emulator: Any) -> None:
    db = connect(emulator)
    domains = _domains_with_projects(db)
    ids = [
        i
        for (i,) in rows(
            db,
            f"SELECT id FROM datazone_projects WHERE region = '{REGION}' AND domain_id = ?",
            (domains["d1"],),
        )
    ]
    emulator.clear_calls()
    sql = f"SELECT name FROM datazone_projects WHERE region = '{REGION}' AND domain_id = ? AND id IN (?, ?)"
    assert _plan(db, sql, (domains["d1"], *ids)).startswith("get ")
    assert sorted(rows(db, sql, (domains["d1"], *ids))) == [("d1-p1",), ("d1-p2",)]
    # the DomainId part gives the DomainIdentifier the listing needs: one listing, not a get per project
    assert endpoint_ops(emulator) == {("ListResources", PROJECT): 1}


def test_aliases_at_two_levels_make_a_plain_list_and_one_alone_narrows_the_walk(emulator: Any) -> None:
    db = connect(emulator)
    domains = _domains_with_projects(db)
    projects = dict(rows(db, f"SELECT name, id FROM datazone_projects WHERE region = '{REGION}'"))
    for name in ("d1-p1", "d1-p2"):
        db.execute(
            "INSERT INTO datazone_environments (region, domain_identifier, project_identifier, name) "
            "VALUES (?, ?, ?, ?)",
            (REGION, domains["d1"], projects[name], f"{name}-env"),
        )
    emulator.clear_calls()
    sql = (
        f"SELECT name FROM datazone_environments WHERE region = '{REGION}' "
        "AND domain_id = ? AND project_id = ?"
    )
    bindings = (domains["d1"], projects["d1-p2"])
    assert _plan(db, sql, bindings).startswith("list args=region,domain_id,project_id")
    assert rows(db, sql, bindings) == [("d1-p2-env",)]
    assert endpoint_ops(emulator) == {("ListResources", ENVIRONMENT): 1}
    emulator.clear_calls()
    # project_id alone: the domain is still unknown, so the walk lists domains, then keeps only that project
    sql = f"SELECT name FROM datazone_environments WHERE region = '{REGION}' AND project_id = ?"
    assert _plan(db, sql, (projects["d1-p1"],)).startswith("walk from=Domain")
    assert rows(db, sql, (projects["d1-p1"],)) == [("d1-p1-env",)]
    assert endpoint_ops(emulator) == {
        ("ListResources", "AWS::DataZone::Domain"): 1,
        ("ListResources", PROJECT): 2,
        ("ListResources", ENVIRONMENT): 1,
    }


def test_a_where_input_given_by_its_alias_needs_nothing_more(emulator: Any) -> None:
    db = connect(emulator)
    db.execute(f"INSERT INTO datazone_domains (region, name) VALUES ('{REGION}', 'd1')")
    ((domain,),) = rows(db, f"SELECT id FROM datazone_domains WHERE region = '{REGION}'")
    for parent, name in (("root-1", "u1"), ("root-1", "u2"), ("root-2", "u3")):
        db.execute(
            "INSERT INTO datazone_domain_units "
            "(region, domain_identifier, parent_domain_unit_identifier, name) VALUES (?, ?, ?, ?)",
            (REGION, domain, parent, name),
        )
    emulator.clear_calls()
    with pytest.raises(apsw.SQLError) as caught:
        rows(db, f"SELECT name FROM datazone_domain_units WHERE region = '{REGION}'")
    assert "parent_domain_unit_identifier given in WHERE" in str(caught.value)
    assert "or give parent_domain_unit_id (the same value)" in str(caught.value)
    assert emulator.calls == []
    sql = (
        f"SELECT name FROM datazone_domain_units WHERE region = '{REGION}' "
        "AND domain_id = ? AND parent_domain_unit_id = ?"
    )
    assert _plan(db, sql, (domain, "root-1")).startswith("list ")
    assert sorted(rows(db, sql, (domain, "root-1"))) == [("u1",), ("u2",)]
    assert endpoint_ops(emulator) == {("ListResources", DOMAIN_UNIT): 1}
    assert [call.resource_model for call in emulator.calls] == [
        {"DomainIdentifier": domain, "ParentDomainUnitIdentifier": "root-1"}
    ]


def test_the_planner_counts_an_alias_as_its_input() -> None:
    """Pure planning over the catalog's schemas: no endpoint."""
    catalog = load_catalog()
    environment = catalog.schema(ENVIRONMENT)
    assert walk_start(environment, {"domain_id", "project_id"}) == 2  # both parents known: a plain list
    assert walk_start(environment, {"domain_identifier", "project_id"}) == 2
    assert walk_start(environment, {"project_id"}) == 0  # the project's domain is still unknown
    units = catalog.schema(DOMAIN_UNIT)
    assert missing_where(units, {"domain_id", "parent_domain_unit_id"}) == []
    assert missing_where(units, {"parent_domain_unit_id"}) == ["domain_identifier"]  # no walk of domains
    assert missing_where(units, {"domain_id"}) == ["parent_domain_unit_identifier"]
    offers = [Offer("region", False), Offer("domain_id", True)]
    plan, _, _ = choose_plan(catalog.schema(PROJECT), offers, {"name"})
    assert (plan.kind, plan.args) == ("list", ("region", "domain_id"))


def test_vtab_types_shows_the_columns_that_also_give_an_input() -> None:
    db = vtab.connect(regions=REGION)
    sql = (
        "SELECT json_extract(value, '$.column'), json_extract(value, '$.also_given_by') "
        "FROM vtab_types, json_each(list_inputs) WHERE table_name = 'datazone_environments'"
    )
    assert rows(db, sql) == [
        ("domain_identifier", '["domain_id"]'),
        ("project_identifier", '["project_id"]'),
    ]
