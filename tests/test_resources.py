"""vtab_resources: every resource type as one table, read through real SQL against the local endpoint.

One endpoint for the module (seeded once: EKS clusters and node groups, log groups, IAM roles, an S3
bucket, in two regions); each test clears its calls and reads on a fresh connection without a rate limit.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import apsw
import pytest

from tests.readhelpers import connect, names_failure, rows
from tests.test_docs import ROOT, sql_blocks, statements
from vtab.catalog.store import load_catalog
from vtab.emulator import Emulator
from vtab.read.resources import listable_types

ACCOUNT = "123456789012"
EAST, WEST = "us-east-1", "eu-west-1"
CLUSTER, NODEGROUP = "AWS::EKS::Cluster", "AWS::EKS::Nodegroup"
LOG_GROUP, ROLE, BUCKET = "AWS::Logs::LogGroup", "AWS::IAM::Role", "AWS::S3::Bucket"
OTHER = "us-west-2"
FIRST = min(
    t for t in listable_types(load_catalog()) if not load_catalog().entry(t).plan.chain
)  # AWS::ACMPCA::CertificateAuthority
"""The first type listed alone, by name: a LIMIT's first listing (seeded in OTHER only)."""


@pytest.fixture(scope="module")
def estate() -> Iterator[tuple[Emulator, set[tuple[str, str, str]]]]:
    """The endpoint and every resource it holds, as (type, region, identifier)."""
    with Emulator() as emulator:
        held: set[tuple[str, str, str]] = set()
        for type_name, region, count, parents in [
            (NODEGROUP, EAST, 2, 2),
            (LOG_GROUP, EAST, 2, 1),
            (LOG_GROUP, WEST, 3, 1),
            (CLUSTER, WEST, 1, 1),
            (BUCKET, WEST, 1, 1),
            (ROLE, EAST, 2, 1),
            (FIRST, OTHER, 3, 1),
        ]:
            seeded = emulator.seed_type(type_name, region, count=count, parents=parents)
            held |= {(type_name, region, identifier) for identifier in seeded.identifiers}
            for parent, identifiers in seeded.parents.items():
                held |= {(parent, region, identifier) for identifier in identifiers}
        yield emulator, held


@pytest.fixture
def endpoint(estate: tuple[Emulator, set[tuple[str, str, str]]]) -> Emulator:
    estate[0].clear_calls()
    return estate[0]


def listed(db: apsw.Connection) -> Counter[tuple[str, str, str | None]]:
    """(region, type, ResourceModel) -> the ListResources calls made to the endpoint (not the memo's)."""
    calls = rows(
        db,
        "SELECT region, type_name, resource_model FROM vtab_calls "
        "WHERE operation = 'ListResources' AND cache = 'miss'",
    )
    return Counter((region, type_name, model) for region, type_name, model in calls)


def test_what_is_in_eu_west_1_is_every_type_held_there_each_parent_listed_once(
    endpoint: Emulator, estate: tuple[Emulator, set[tuple[str, str, str]]]
) -> None:
    db = connect(endpoint)
    found = rows(
        db,
        "SELECT type_name, table_name, account_id, region, identifier FROM vtab_resources "
        f"WHERE region = '{WEST}'",
    )
    held = {(t, r, i) for t, r, i in estate[1] if r == WEST}
    roles = {(t, WEST, i) for t, r, i in estate[1] if t == ROLE}  # global: listed through the region asked
    assert {(t, r, i) for t, _, _, r, i in found} == held | roles
    assert len(found) == len(held | roles)
    assert {(t, table, account) for t, table, account, _, _ in found} >= {
        (LOG_GROUP, "logs_log_groups", ACCOUNT),
        (CLUSTER, "eks_clusters", ACCOUNT),
    }
    calls = listed(db)
    assert max(calls.values()) == 1, [key for key, n in calls.items() if n > 1]  # no listing made twice
    types = {type_name for _, type_name, _ in calls}
    listable = listable_types(load_catalog())
    alone = {t for t in listable if not load_catalog().entry(t).plan.chain}
    assert alone <= types <= listable.keys()  # a walk's type is listed under the parents it finds only
    assert {region for region, _, _ in calls} == {WEST}


def test_count_per_type_in_us_east_1_matches_the_typed_tables(endpoint: Emulator) -> None:
    db = connect(endpoint)
    counts = dict(
        rows(db, f"SELECT type_name, count(*) FROM vtab_resources WHERE region = '{EAST}' GROUP BY type_name")
    )
    assert counts == {CLUSTER: 2, NODEGROUP: 4, LOG_GROUP: 2, ROLE: 2}
    typed = rows(db, f"SELECT count(*) FROM eks_nodegroups WHERE region = '{EAST}'")[0][0]
    assert counts[NODEGROUP] == typed


@pytest.mark.parametrize(
    ("where", "shown"),
    [
        ("type_name LIKE 'AWS::EKS::%'", "like:AWS::EKS::%"),
        ("type_name GLOB 'AWS::EKS::*'", "glob:AWS::EKS::*"),
    ],
)
def test_a_prefix_lists_only_its_types(endpoint: Emulator, where: str, shown: str) -> None:
    db = connect(endpoint)
    sql = (
        "SELECT type_name, region, identifier FROM vtab_resources "
        f"WHERE {where} AND region IN ('{EAST}', '{WEST}')"
    )
    found = rows(db, sql)
    assert Counter((t, r) for t, r, _ in found) == {
        (CLUSTER, EAST): 2,
        (NODEGROUP, EAST): 4,
        (CLUSTER, WEST): 1,
    }
    assert {type_name.split("::")[1] for _, type_name, _ in listed(db)} == {"EKS"}
    plan = rows(db, f"EXPLAIN QUERY PLAN {sql}")[0][3]
    assert f"types={shown}" in plan and "regions=?" in plan and "accounts=caller" in plan


def test_an_in_list_of_types_and_of_tables_lists_those_only(endpoint: Emulator) -> None:
    db = connect(endpoint)
    by_type = rows(
        db,
        f"SELECT type_name, count(*) FROM vtab_resources WHERE type_name IN ('{LOG_GROUP}', '{ROLE}') "
        f"AND region IN ('{EAST}', '{WEST}') GROUP BY 1 ORDER BY 1",
    )
    assert by_type == [(ROLE, 2), (LOG_GROUP, 5)]
    assert {type_name for _, type_name, _ in listed(db)} == {LOG_GROUP, ROLE}
    by_table = rows(
        db,
        "SELECT table_name, count(*) FROM vtab_resources "
        "WHERE table_name IN ('eks_clusters', 'logs_log_groups') GROUP BY 1 ORDER BY 1",
    )
    assert by_table == [("eks_clusters", 2), ("logs_log_groups", 2)]


def test_properties_are_what_the_listing_gave(endpoint: Emulator) -> None:
    db = connect(endpoint)
    found = rows(
        db,
        "SELECT identifier, properties ->> '$.LogGroupName', json_valid(properties) FROM vtab_resources "
        f"WHERE type_name = '{LOG_GROUP}' AND region = '{WEST}'",
    )
    assert len(found) == 3 and all(identifier == name and valid == 1 for identifier, name, valid in found)
    assert "GetResource" not in {op for (op,) in rows(db, "SELECT operation FROM vtab_calls")}


def test_a_type_that_fails_in_one_region_is_named_and_the_rest_are_read(endpoint: Emulator) -> None:
    endpoint.refuse_type(CLUSTER, WEST, "AccessDeniedException")
    try:
        db = connect(endpoint)
        cursor = db.execute(
            "SELECT type_name, region FROM vtab_resources "
            f"WHERE type_name LIKE 'AWS::EKS::%' AND region IN ('{EAST}', '{WEST}')"
        )
        read: list[tuple[Any, ...]] = []
        with pytest.raises(apsw.PermissionsError) as failed:
            for row in cursor:
                read.append(row)
    finally:
        endpoint.switches.reset_one_shots()
    assert Counter(read) == {(CLUSTER, EAST): 2, (NODEGROUP, EAST): 4}  # us-east-1 all read
    message = str(failed.value)
    assert message.startswith("vtab_resources: 9 of 18 listings failed in 1 account ")
    where = f"{CLUSTER} in account {ACCOUNT} in {WEST}"
    assert names_failure(message, where, "AccessDeniedException")
    assert (  # its walk would list the clusters that failed: no call made again
        f"{NODEGROUP} in account {ACCOUNT} in {WEST}: AccessDeniedException: not listed, "
        f"its walk lists {CLUSTER}"
    ) in message
    assert listed(db)[(WEST, CLUSTER, None)] == 1
    assert f"in account {ACCOUNT} in {EAST}" not in message
    assert "Leave those types, regions or accounts out" in message
    assert "on_account_error='skip'" in message


def test_a_type_a_region_does_not_offer_fails_that_listing_only(endpoint: Emulator) -> None:
    endpoint.refuse_type(LOG_GROUP, WEST, "TypeNotFoundException")
    try:
        db = connect(endpoint)
        with pytest.raises(
            apsw.Error,
            match=r"vtab_resources: 1 of 4 listings failed in 1 account .*: TypeNotFoundException: ",
        ):
            rows(
                db,
                f"SELECT count(*) FROM vtab_resources WHERE type_name IN ('{LOG_GROUP}', '{CLUSTER}') "
                f"AND region IN ('{EAST}', '{WEST}')",
            )
        made = {(region, type_name) for region, type_name, _ in listed(db)}
        assert made == {(EAST, LOG_GROUP), (EAST, CLUSTER), (WEST, CLUSTER), (WEST, LOG_GROUP)}
        failed = rows(db, "SELECT region, type_name, error_code FROM vtab_calls WHERE error_code IS NOT NULL")
        assert failed == [(WEST, LOG_GROUP, "TypeNotFoundException")]  # the others were listed
    finally:
        endpoint.switches.reset_one_shots()


def test_a_type_that_needs_where_is_left_out_and_named_when_asked_alone(endpoint: Emulator) -> None:
    catalog = load_catalog()
    listable = listable_types(catalog)
    needs = next(
        t
        for t in sorted(catalog.type_names())
        if catalog.entry(t).table
        and catalog.entry(t).plan.where_columns
        and any(other.startswith(t.rsplit("::", 1)[0] + "::") for other in listable)
    )
    table = catalog.entry(needs).table
    db = connect(endpoint)
    with pytest.raises(
        apsw.SQLError, match=rf"{needs} \(its list needs .* in WHERE: SELECT ... FROM {table} WHERE"
    ):
        rows(db, f"SELECT * FROM vtab_resources WHERE type_name = '{needs}'")
    assert listed(db) == Counter()
    service = needs.split("::")[1]
    rows(db, f"SELECT * FROM vtab_resources WHERE type_name LIKE 'AWS::{service}::%'")
    assert needs not in {type_name for _, type_name, _ in listed(db)}


def test_a_name_no_type_has_is_refused_with_the_closest(endpoint: Emulator) -> None:
    db = connect(endpoint)
    with pytest.raises(
        apsw.SQLError,
        match=r"type_name = 'AWS::EKS::Clustr' is no resource type's type_name; "
        r"did you mean 'AWS::EKS::Cluster'",
    ):
        rows(db, "SELECT * FROM vtab_resources WHERE type_name = 'AWS::EKS::Clustr'")
    with pytest.raises(
        apsw.SQLError,
        match=r"table_name = 'integration_responses' .* did you mean 'apigatewayv2_integration_responses'",
    ):
        rows(db, "SELECT * FROM vtab_resources WHERE table_name = 'integration_responses'")
    assert endpoint.calls == []


def test_limit_stops_after_the_listings_it_needs(endpoint: Emulator) -> None:
    db = connect(endpoint)
    sql = f"SELECT type_name, identifier FROM vtab_resources WHERE region = '{OTHER}' LIMIT 2"
    found = rows(db, sql)
    assert len(found) == 2 and {t for t, _ in found} == {FIRST}
    assert sum(listed(db).values()) == 1  # the first listing had the rows: no other started
    assert rows(db, f"EXPLAIN QUERY PLAN {sql}")[0][3].endswith(
        f"regions={OTHER} accounts=caller limit args=region:eq,limit:limit"
    )


def test_account_id_chooses_the_places(endpoint: Emulator) -> None:
    db = connect(endpoint)
    assert rows(
        db,
        "SELECT count(*) FROM vtab_resources "
        f"WHERE account_id = '000000000000' AND type_name = '{LOG_GROUP}'",
    ) == [(0,)]
    assert listed(db) == Counter()
    assert rows(
        db,
        f"SELECT count(*) FROM vtab_resources WHERE account_id = '{ACCOUNT}' AND type_name = '{LOG_GROUP}'",
    ) == [(2,)]


PAGE = ROOT / "docs" / "resources.md"
SECTIONS = ("What is in a region", "Choosing the types", "What it cannot list")
"""The sections of docs/resources.md whose SQL this test runs (each lists every type: no rate limit here)."""


def test_the_sql_of_resources_md_runs(endpoint: Emulator) -> None:
    blocks = [block for block in sql_blocks(PAGE) if block.section in SECTIONS]
    assert {block.section for block in blocks} == set(SECTIONS)
    db = connect(endpoint)
    answered = {}
    for block in blocks:
        for statement in statements(block.sql):
            answered[statement] = rows(db, statement)
    assert all(answered.values()), [statement for statement, found in answered.items() if not found]
    plan = next(found for statement, found in answered.items() if statement.startswith("EXPLAIN"))
    assert "types=like:AWS::EKS::% regions=us-east-1 accounts=caller" in plan[0][3]


def test_progress_counts_the_listings(endpoint: Emulator, capfd: pytest.CaptureFixture[str]) -> None:
    eks = [t for t in listable_types(load_catalog()) if t.startswith("AWS::EKS::")]
    endpoint.configure(latency=0.2)  # the read outlasts the progress delay (half a second)
    try:
        db = connect(endpoint, progress=True)
        assert rows(db, "SELECT count(*) FROM vtab_resources WHERE type_name LIKE 'AWS::EKS::%'") == [(6,)]
    finally:
        endpoint.configure(latency=0.0)
    shown = capfd.readouterr().err
    assert "vtab_resources: " in shown
    assert re.search(rf"types listed [1-9]\d*/{len(eks)}, parents listed [1-9]", shown), shown


def test_an_interrupt_ends_the_read_and_the_listings_not_started_are_never_made(endpoint: Emulator) -> None:
    db = connect(endpoint, max_workers=2)
    endpoint.configure(latency=1.0)  # each call outlasts the interrupt: the next ones are not yet sent
    seen = threading.Event()

    def interrupt() -> None:
        if endpoint.recorder.wait_for(lambda calls: any(c.operation == "ListResources" for c in calls), 120):
            seen.set()
            db.interrupt()

    thread = threading.Thread(target=interrupt, name="interrupter")
    thread.start()
    try:
        with pytest.raises(apsw.InterruptError, match="the scan of vtab_resources stopped"):
            rows(db, f"SELECT count(*) FROM vtab_resources WHERE region = '{EAST}'")
    finally:
        thread.join()
        endpoint.configure(latency=0.0)
    assert seen.is_set()
    made = [c for c in endpoint.calls if c.operation == "ListResources"]
    assert len(made) <= 4  # two workers' calls in flight, not the region's 1,300 listings
    assert rows(db, f"SELECT count(*) FROM vtab_resources WHERE type_name = '{LOG_GROUP}'") == [(2,)]
