"""Account-wide types (QuickSight's AwsAccountId, Glue's CatalogId): the account_id option, else one STS
GetCallerIdentity per connection, asked only when a statement needs it; WHERE still wins; INSERT fills a
required account id left NULL; every type the catalog says lists by itself does, with a region alone."""

from __future__ import annotations

import socket
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import apsw
import pytest

from tests.readhelpers import connect, endpoint_ops
from tests.test_cli import run_vtab
from vtab.aws.identity import AccountIds, sts_endpoint
from vtab.catalog.columns import REGION
from vtab.catalog.discovery import TYPE_COLUMNS, type_rows
from vtab.catalog.list_plan import ListMode
from vtab.catalog.store import load_catalog
from vtab.emulator import Emulator
from vtab.emulator.state import ACCOUNT_ID
from vtab.options import Options
from vtab.read.plan import Offer, choose_plan, missing_where

ANALYSIS = "AWS::QuickSight::Analysis"
STS = ("GetCallerIdentity", None)
OTHER_ACCOUNT = "999999999999"


def sts_calls(emulator: Emulator) -> int:
    return endpoint_ops(emulator)[STS]


def logged_sts(db: apsw.Connection) -> list[tuple[Any, ...]]:
    sql = "SELECT region, type_name, cache, error_code FROM vtab_calls WHERE operation = 'GetCallerIdentity'"
    return list(db.execute(sql))


def insert_analyses(db: apsw.Connection, *names: str) -> None:
    db.execute(
        "INSERT INTO quicksight_analyses (analysis_id, name, region) VALUES "
        + ", ".join("(?, ?, 'us-east-1')" for _ in names),
        [value for name in names for value in (name, name.title())],
    )


def vtab_query(emulator: Emulator, *args: str) -> subprocess.CompletedProcess[str]:
    """``vtab query`` on the local endpoint in us-east-1."""
    return run_vtab("query", "--endpoint-url", emulator.endpoint_url, "--regions", "us-east-1", *args)


# --- the lookup ---------------------------------------------------------------------------------------


def test_one_sts_call_per_connection_across_statements_and_only_when_needed(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute("SELECT count(*) FROM integration_responses WHERE region = 'us-east-1'").fetchall()
    db.execute("EXPLAIN QUERY PLAN SELECT * FROM quicksight_analyses WHERE region = 'us-east-1'").fetchall()
    assert sts_calls(emulator) == 0  # connecting, other tables and planning never ask

    insert_analyses(db, "first", "second")  # the INSERT leaves aws_account_id NULL: the lookup fills it
    got = db.execute(
        "SELECT analysis_id, name, aws_account_id, region FROM quicksight_analyses WHERE region = 'us-east-1'"
    ).fetchall()
    assert sorted(got) == [
        ("first", "First", ACCOUNT_ID, "us-east-1"),
        ("second", "Second", ACCOUNT_ID, "us-east-1"),
    ]
    db.execute("SELECT * FROM quicksight_dashboards WHERE region = 'us-east-1'").fetchall()
    db.execute("SELECT * FROM glue_connections WHERE region = 'us-east-1'").fetchall()
    assert sts_calls(emulator) == 1
    assert logged_sts(db) == [("us-east-1", None, "miss", None)]
    listed = [c.resource_model for c in emulator.calls if c.operation == "ListResources"]
    assert {"AwsAccountId": ACCOUNT_ID} in listed and {"CatalogId": ACCOUNT_ID} in listed

    other = connect(emulator)  # a connection learns it for itself, once
    assert len(other.execute("SELECT * FROM quicksight_analyses").fetchall()) == 2
    assert len(other.execute("SELECT * FROM quicksight_analyses").fetchall()) == 2
    assert sts_calls(emulator) == 2


def test_calls_made_before_the_account_id_is_known_get_it_once_a_statement_looks_it_up(
    emulator: Emulator,
) -> None:
    """vtab_calls names the caller's own account on every call made with its credentials: those made
    before the lookup (an earlier statement's, a listing beside the lookup) get it when it answers; NULL
    only while no statement has needed it (vtab makes no call for the log's sake)."""
    db = connect(emulator)
    db.execute("SELECT count(*) FROM integration_responses WHERE region = 'us-east-1'").fetchall()
    logged = "SELECT operation, account_id FROM vtab_calls ORDER BY seq"
    assert set(db.execute(logged)) == {("ListResources", None)}
    assert sts_calls(emulator) == 0
    db.execute("SELECT account_id FROM logs_log_groups WHERE region = 'us-east-1'").fetchall()
    assert set(db.execute(logged)) == {("ListResources", ACCOUNT_ID), ("GetCallerIdentity", ACCOUNT_ID)}
    db.execute("SELECT count(*) FROM integration_responses WHERE region = 'eu-west-1'").fetchall()
    assert {account for _, account in db.execute(logged)} == {ACCOUNT_ID}  # known now: at once


def test_parallel_listings_that_need_the_account_id_ask_once(emulator: Emulator) -> None:
    seeded = emulator.seed_type("AWS::QuickSight::RefreshSchedule", "us-east-1", count=8, parents=4)
    emulator.configure(latency=0.02)  # the four data sets' schedule listings overlap on worker threads
    db = connect(emulator, max_workers=8)
    emulator.clear_calls()
    got = [i for (i,) in db.execute("SELECT data__Identifier FROM quicksight_refresh_schedules")]
    assert sorted(got) == sorted(seeded.identifiers)
    assert endpoint_ops(emulator) == {
        STS: 1,
        ("ListResources", "AWS::QuickSight::DataSet"): 1,
        ("ListResources", "AWS::QuickSight::RefreshSchedule"): 4,
    }
    models = [c.resource_model for c in emulator.calls if c.type_name == "AWS::QuickSight::RefreshSchedule"]
    assert all(model is not None and model["AwsAccountId"] == ACCOUNT_ID for model in models)


def test_a_walk_whose_middle_level_needs_the_account_id(emulator: Emulator) -> None:
    seeded = emulator.seed_type("AWS::Glue::Partition", "us-east-1", count=2, parents=2)
    db = connect(emulator)
    got = [
        i for (i,) in db.execute("SELECT data__Identifier FROM glue_partitions WHERE region = 'us-east-1'")
    ]
    assert sorted(got) == sorted(seeded.identifiers)
    assert sts_calls(emulator) == 1
    tables = [c.resource_model for c in emulator.calls if c.type_name == "AWS::Glue::Table"]
    assert tables and all(model and model["CatalogId"] == ACCOUNT_ID for model in tables)


def test_the_account_id_option_skips_sts_from_python_sql_and_the_command(emulator: Emulator) -> None:
    emulator.seed_type(ANALYSIS, "us-east-1", count=2)
    db = connect(emulator, account_id=ACCOUNT_ID)
    assert len(db.execute("SELECT * FROM quicksight_analyses").fetchall()) == 2
    insert_analyses(db, "third")
    assert len(db.execute("SELECT * FROM quicksight_analyses").fetchall()) == 3

    plain = connect(emulator)  # one table of a connection without the option has it
    plain.execute(
        f"CREATE VIRTUAL TABLE temp.mine USING quicksight_analyses(account_id='{ACCOUNT_ID}', cache_ttl=0)"
    )
    assert len(plain.execute("SELECT * FROM mine").fetchall()) == 3

    done = vtab_query(
        emulator,
        "--account-id",
        ACCOUNT_ID,
        "--format",
        "csv",
        "SELECT count(*) AS n FROM quicksight_analyses",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["n", "3"]
    assert sts_calls(emulator) == 0
    assert [c.resource_model for c in emulator.calls if c.operation == "ListResources"] == [
        {"AwsAccountId": ACCOUNT_ID}
    ] * 4


def test_the_option_is_what_is_sent_so_another_account_is_refused_by_the_endpoint(
    emulator: Emulator,
) -> None:
    db = connect(emulator, account_id=OTHER_ACCOUNT)
    with pytest.raises(apsw.SQLError, match=r"HandlerFailureException: Access denied for operation"):
        db.execute("SELECT * FROM quicksight_analyses").fetchall()
    assert sts_calls(emulator) == 0


# --- WHERE wins ---------------------------------------------------------------------------------------


def test_an_account_id_in_where_is_sent_as_given_and_another_account_is_refused(emulator: Emulator) -> None:
    seeded = emulator.seed_type(ANALYSIS, "us-east-1", count=2)
    db = connect(emulator)
    emulator.clear_calls()
    sql = "SELECT data__Identifier FROM quicksight_analyses WHERE region = 'us-east-1' AND aws_account_id = ?"
    assert sorted(i for (i,) in db.execute(sql, (ACCOUNT_ID,))) == sorted(seeded.identifiers)
    with pytest.raises(apsw.SQLError) as caught:
        db.execute(sql, (OTHER_ACCOUNT,)).fetchall()
    text = str(caught.value)
    assert text.startswith(f"HandlerFailureException: Access denied for operation '{ANALYSIS}'.")
    assert f"[ListResources {ANALYSIS} in us-east-1] (request id " in text
    assert endpoint_ops(emulator) == {("ListResources", ANALYSIS): 2}  # no STS: WHERE gave it
    assert [c.error_code for c in emulator.calls] == [None, "HandlerFailureException"]


# --- failures -----------------------------------------------------------------------------------------


def test_a_refused_sts_call_names_the_fix_and_is_asked_again_by_the_next_statement(
    emulator: Emulator,
) -> None:
    emulator.seed_type(ANALYSIS, "us-east-1", count=1)
    db = connect(emulator)
    emulator.clear_calls()
    emulator.deny_next(1)
    with pytest.raises(apsw.PermissionsError) as caught:
        db.execute("SELECT * FROM quicksight_analyses WHERE region = 'us-east-1'").fetchall()
    text = str(caught.value)
    for needle in (
        "AccessDenied: User: arn:aws:iam::123456789012:user/testing is not authorized to perform: "
        "sts:GetCallerIdentity",
        "[GetCallerIdentity (STS, for the account id) in us-east-1] (request id ",
        f"give aws_account_id = '{ACCOUNT_ID}' in WHERE",
        f"or pass account_id='{ACCOUNT_ID}' to vtab.register()",
    ):
        assert needle in text
    assert endpoint_ops(emulator) == {STS: 1}  # nothing listed without it
    assert logged_sts(db) == [("us-east-1", None, "miss", "AccessDenied")]

    assert len(db.execute("SELECT * FROM quicksight_analyses").fetchall()) == 1  # a failure is not kept
    assert sts_calls(emulator) == 2


def test_a_refused_lookup_fails_the_insert_before_anything_is_sent(emulator: Emulator) -> None:
    db = connect(emulator)
    emulator.deny_next(1)
    with pytest.raises(apsw.PermissionsError) as caught:
        insert_analyses(db, "one", "two")
    assert "give aws_account_id in the INSERT, or pass account_id=" in str(caught.value)
    assert str(caught.value).endswith("[quicksight_analyses row 1]")
    assert endpoint_ops(emulator) == {STS: 1}


def test_the_command_names_its_flag_in_the_fix(emulator: Emulator) -> None:
    emulator.deny_next(1)
    done = vtab_query(emulator, "SELECT count(*) FROM quicksight_analyses")
    assert done.returncode != 0
    assert f"add --account-id '{ACCOUNT_ID}' to the vtab command" in done.stderr
    assert "AccessDenied" in done.stderr


def test_an_unreachable_sts_endpoint_is_a_network_failure_naming_the_fix(
    emulator: Emulator, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{closed_port}")  # botocore's own variable
    db = connect(emulator, max_attempts=1)
    with pytest.raises(apsw.IOError) as caught:
        db.execute("SELECT * FROM quicksight_analyses").fetchall()
    text = str(caught.value)
    assert text.startswith(
        "NetworkFailure: GetCallerIdentity (STS, for the account id) in us-east-1 could not"
    )
    assert f"connect to STS at http://127.0.0.1:{closed_port}: connection refused" in text
    assert f"give aws_account_id = '{ACCOUNT_ID}' in WHERE" in text
    assert logged_sts(db) == [("us-east-1", None, "miss", "NetworkFailure")]
    assert endpoint_ops(emulator) == {}  # the variable won over the endpoint_url option


def test_no_credentials_names_the_fix(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    db = connect(emulator)
    with pytest.raises(apsw.PermissionsError) as caught:
        db.execute("SELECT * FROM glue_connections").fetchall()
    text = str(caught.value)
    assert text.startswith("NoCredentials: no AWS credentials found for GetCallerIdentity")
    assert f"give catalog_id = '{ACCOUNT_ID}' in WHERE, or pass account_id='{ACCOUNT_ID}'" in text
    assert emulator.calls == []


# --- where STS goes -----------------------------------------------------------------------------------


def test_sts_follows_the_cloud_control_endpoint_of_the_environment_unless_its_own_is_set(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", emulator.endpoint_url)
    db = connect(emulator, endpoint_url=None)
    db.execute("SELECT * FROM quicksight_themes").fetchall()
    assert endpoint_ops(emulator) == {STS: 1, ("ListResources", "AWS::QuickSight::Theme"): 1}

    with Emulator() as sts_only:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts_only.endpoint_url)
        emulator.clear_calls()
        connect(emulator, endpoint_url=None).execute("SELECT * FROM quicksight_themes").fetchall()
        assert endpoint_ops(emulator) == {("ListResources", "AWS::QuickSight::Theme"): 1}
        assert endpoint_ops(sts_only) == {STS: 1}


def test_sts_endpoint_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    option = Options(endpoint_url="http://127.0.0.1:4566")
    assert sts_endpoint(Options()) is None  # botocore's own STS endpoint
    assert sts_endpoint(option) == "http://127.0.0.1:4566"
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", "http://127.0.0.1:5000")
    assert sts_endpoint(Options()) == "http://127.0.0.1:5000"
    assert sts_endpoint(option) == "http://127.0.0.1:4566"  # the option wins, as for Cloud Control
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:6000")
    assert sts_endpoint(option) is None  # botocore reads AWS_ENDPOINT_URL_STS itself
    monkeypatch.setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
    assert sts_endpoint(option) == "http://127.0.0.1:4566"  # botocore ignores the variables then
    assert sts_endpoint(Options()) is None


def test_account_ids_keep_successes_per_key_and_forget_failures() -> None:
    accounts = AccountIds()
    asked: list[str] = []

    def answer(value: str) -> Any:
        def look_up() -> str:
            asked.append(value)
            return value

        return look_up

    def fail() -> str:
        asked.append("fail")
        raise apsw.PermissionsError("denied")

    with pytest.raises(apsw.PermissionsError):
        accounts.get("a", fail)
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda _: accounts.get("a", answer("111111111111")), range(16)))
    assert got == ["111111111111"] * 16
    assert accounts.get("b", answer("222222222222")) == "222222222222"
    assert asked == ["fail", "111111111111", "222222222222"]


# --- INSERT -------------------------------------------------------------------------------------------


def test_insert_fills_a_required_account_id_left_null_and_sends_a_given_one_as_is(emulator: Emulator) -> None:
    db = connect(emulator)
    db.execute(
        "INSERT INTO quicksight_custom_permissions (custom_permissions_name, region) VALUES ('readers', "
        "'us-east-1')"
    )  # a region-wide type: its AwsAccountId is no list input, yet the same account id
    db.execute(
        "INSERT INTO quicksight_analyses (AnalysisId, Name, AwsAccountId, region) VALUES "
        f"('given', 'Given', '{ACCOUNT_ID}', 'us-east-1')"
    )
    creates = [c.desired_state for c in emulator.calls if c.operation == "CreateResource"]
    assert creates == [
        {"CustomPermissionsName": "readers", "AwsAccountId": ACCOUNT_ID},
        {"AnalysisId": "given", "Name": "Given", "AwsAccountId": ACCOUNT_ID},
    ]
    assert sts_calls(emulator) == 1  # the second INSERT gave it


def test_a_dry_run_insert_shows_the_filled_account_id(emulator: Emulator) -> None:
    db = connect(emulator, dry_run=True, account_id=ACCOUNT_ID)
    insert_analyses(db, "planned")
    ((request,),) = db.execute("SELECT desired_state FROM vtab_dry_run").fetchall()
    assert f'"AwsAccountId":"{ACCOUNT_ID}"' in request.replace(" ", "")
    assert emulator.calls == []


# --- the catalog says the truth -----------------------------------------------------------------------


def test_vtab_types_says_how_account_wide_types_list(emulator: Emulator) -> None:
    db = connect(emulator)
    got = db.execute(
        "SELECT table_name, list_mode, needs_where FROM vtab_types WHERE table_name IN "
        "('quicksight_analyses', 'glue_connections', 'wafv2_web_acls', 'glue_tables', "
        "'quicksight_customizations') ORDER BY table_name"
    ).fetchall()
    assert got == [
        ("glue_connections", "account_id", None),
        ("glue_tables", "walk", None),
        ("quicksight_analyses", "account_id", None),
        ("quicksight_customizations", "needs_where", "namespace"),
        ("wafv2_web_acls", "fixed", None),
    ]


LISTS_BY_ITSELF = sorted(
    name
    for name in load_catalog().type_names()
    if load_catalog().entry(name).table
    and load_catalog().entry(name).plan.mode in (ListMode.FIXED, ListMode.ACCOUNT_ID)
)


def test_the_fixed_and_account_id_types_are_the_ones_expected() -> None:
    assert len(LISTS_BY_ITSELF) == 20
    account = [n for n in LISTS_BY_ITSELF if load_catalog().entry(n).plan.mode is ListMode.ACCOUNT_ID]
    assert account == [
        "AWS::Glue::Connection",
        *(f"AWS::QuickSight::{n}" for n in ("Agent", "Analysis", "Dashboard", "Space", "Template", "Theme")),
    ]


def test_the_planner_demands_where_exactly_for_the_needs_where_types() -> None:
    """Over the whole catalog: a region-only SELECT is refused before any call exactly when vtab_types
    says needs_where, and then for exactly the columns it names."""
    catalog = load_catalog()
    checked = 0
    for row in type_rows(catalog):
        fields = dict(zip(TYPE_COLUMNS, row, strict=True))
        type_name, mode, needs = fields["type_name"], fields["list_mode"], fields["needs_where"]
        if mode in (ListMode.NO_LIST, ListMode.EXCLUDED):
            continue
        schema = catalog.schema(type_name)
        plan, _, _ = choose_plan(schema, [Offer(REGION, False)], {"*"})
        assert (plan.kind == "needs") == (mode == ListMode.NEEDS_WHERE), (type_name, mode, plan)
        assert missing_where(schema, {REGION}) == (needs.split(",") if needs else []), type_name
        checked += 1
    assert checked > 1600


@pytest.fixture(scope="module")
def shared() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.mark.parametrize("type_name", LISTS_BY_ITSELF)
def test_every_fixed_or_account_id_type_lists_with_a_region_alone(shared: Emulator, type_name: str) -> None:
    """Whatever the catalog calls fixed or account_id lists with a region-only SELECT: no WHERE demanded,
    only ListResources (and the account id lookup) sent, and what is there is found."""
    seeded = shared.seed_type(type_name, "us-east-1", count=2)
    table = load_catalog().entry(type_name).table
    db = connect(shared)
    shared.clear_calls()
    got = [i for (i,) in db.execute(f"SELECT data__Identifier FROM {table} WHERE region = 'us-east-1'")]
    assert sorted(got) == sorted(seeded.identifiers)
    assert {c.operation for c in shared.calls} <= {"ListResources", "GetCallerIdentity"}
    assert sts_calls(shared) == (load_catalog().entry(type_name).plan.mode is ListMode.ACCOUNT_ID)


# --- interrupt ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "SELECT * FROM quicksight_analyses WHERE region = 'us-east-1'",
        "INSERT INTO quicksight_analyses (analysis_id, name, region) VALUES ('a', 'A', 'us-east-1')",
    ],
    ids=["select", "insert"],
)
def test_interrupt_ends_a_statement_waiting_for_the_lookup(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, statement: str
) -> None:
    """STS answers nothing (a socket that accepts and never replies): the lookup runs on a worker, so
    Connection.interrupt() ends the statement as soon as the call is connected, not at read_timeout."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", f"http://127.0.0.1:{silent.getsockname()[1]}")
        db = connect(emulator, read_timeout=30, max_attempts=1)  # else: a Timeout after 30 s
        accepted: list[socket.socket] = []

        def interrupt_once_connected() -> None:
            connection, _ = silent.accept()
            accepted.append(connection)
            db.interrupt()

        thread = threading.Thread(target=interrupt_once_connected)
        thread.start()
        try:
            with pytest.raises(apsw.InterruptError):
                db.execute(statement).fetchall()
        finally:
            thread.join(60)
            for connection in accepted:
                connection.close()
    assert emulator.calls == []  # nothing listed or created without the account id
    assert db.execute("SELECT count(*) FROM integration_responses").fetchall() == [(0,)]  # still usable
