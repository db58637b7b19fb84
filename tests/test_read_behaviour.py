"""Reads: partial list items, vanished parents, errors, caches, the call log and table options."""

from __future__ import annotations

import json
from typing import Any

import apsw
import pytest

import vtab
from tests.readhelpers import KNOWN_ACCOUNT, connect, endpoint_summary, rows
from vtab.aws.rate_limits import RateLimiter
from vtab.options import OptionError

ALL_COLUMNS = (
    "SELECT data__Identifier, response_templates, response_parameters, integration_response_key, "
    "content_handling_strategy FROM integration_responses WHERE region = 'us-east-1'"
)


def _truth(cloudcontrol: Any, identifiers: list[str]) -> list[tuple[Any, ...]]:
    result = []
    for identifier in identifiers:
        props = json.loads(
            cloudcontrol().get_resource(
                TypeName="AWS::ApiGatewayV2::IntegrationResponse", Identifier=identifier
            )["ResourceDescription"]["Properties"]
        )
        result.append(
            (
                identifier,
                props.get("ResponseTemplates"),
                props.get("ResponseParameters"),
                props["IntegrationResponseKey"],
                props.get("ContentHandlingStrategy"),
            )
        )
    return sorted(result)


def _decoded(got: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(
        (i, json.loads(t) if t else None, json.loads(p) if p else None, k, c) for i, t, p, k, c in got
    )


def test_partial_list_items_are_hydrated_only_when_a_column_needs_it(
    emulator: Any, cloudcontrol: Any
) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=3)
    truth = _truth(cloudcontrol, list(seeded.responses))
    emulator.configure(identifier_only_lists=True)
    db = connect(emulator)

    emulator.clear_calls()
    ids = rows(db, "SELECT data__Identifier, api_id FROM integration_responses WHERE region = 'us-east-1'")
    assert sorted(i for i, _ in ids) == sorted(seeded.responses)
    assert "GetResource IntegrationResponse" not in endpoint_summary(emulator)

    emulator.clear_calls()
    assert _decoded(rows(db, ALL_COLUMNS)) == truth
    summary = endpoint_summary(emulator)
    assert summary["GetResource IntegrationResponse"] == len(seeded.responses)
    # ProtocolType is not in identifier-only API items either: each API is read to keep WebSocket ones.
    assert summary["GetResource Api"] == len(seeded.api_ids)


def test_full_list_items_are_never_hydrated(emulator: Any, cloudcontrol: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=3)
    truth = _truth(cloudcontrol, list(seeded.responses))
    db = connect(emulator)
    emulator.clear_calls()
    assert _decoded(rows(db, ALL_COLUMNS)) == truth
    assert not any(call.operation == "GetResource" for call in emulator.calls)


def test_a_parent_deleted_mid_walk_is_skipped_not_an_error(emulator: Any, cloudcontrol: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=3, responses=2)
    (api_id, kept), (_, doomed), (_, other) = seeded.integrations
    db = connect(emulator, cache_ttl=300)
    # Cache the API and integration listings (and the responses of `kept` only).
    rows(db, "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND integration_id = ?", (kept,))
    emulator.backend("us-east-1").delete_integration(api_id=api_id, integration_id=doomed)

    emulator.clear_calls()
    got = rows(db, "SELECT integration_id FROM integration_responses WHERE region = 'us-east-1'")

    assert sorted(i for (i,) in got) == sorted([kept, kept, other, other])
    summary = endpoint_summary(emulator)
    assert summary["ListResources IntegrationResponse"] == 2  # doomed (failed) and other; kept was cached
    assert summary["GetResource Integration"] == 1  # the check that the parent is really gone


def test_a_missing_parent_given_by_the_user_is_no_rows(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    api_id, _ = seeded.integrations[0]
    db = connect(emulator)
    sql = (
        "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?"
    )
    assert rows(db, sql, (api_id, "nosuchint")) == []
    emulator.clear_calls()
    assert rows(db, sql, ("nosuchapi", "nosuchint")) == []
    # The list answers GeneralServiceException once (it is never retried); a GetResource of the parent
    # confirms it is gone, which makes "no rows" rather than an error.
    assert [(c.operation, c.error_code) for c in emulator.calls] == [
        ("ListResources", "GeneralServiceException"),
        ("GetResource", "ResourceNotFoundException"),
    ]


def test_an_http_api_has_no_integration_responses_rather_than_an_error(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1, http_apis=1)
    (api_id, integration_id) = seeded.http_integrations[0]
    db = connect(emulator, **KNOWN_ACCOUNT)
    emulator.clear_calls()
    # The listing under an HTTP API's integration fails (InvalidRequest); its API is not a WebSocket API,
    # which the walk would have skipped anyway, so that is no rows, as for a walk.
    got = rows(
        db,
        "SELECT * FROM integration_responses "
        "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
        (api_id, integration_id),
    )
    assert got == []
    assert [(c.operation, c.type_name.split("::")[-1], c.error_code) for c in emulator.calls] == [
        ("ListResources", "IntegrationResponse", "InvalidRequestException"),
        ("GetResource", "Integration", None),
        ("GetResource", "Api", None),
    ]
    assert rows(
        db, "SELECT count(*) FROM integration_responses WHERE region = 'us-east-1' AND api_id = ?", (api_id,)
    ) == [(0,)]


def test_a_failing_listing_whose_parents_are_fine_is_an_error(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator)
    emulator.fail_next_call("GeneralServiceException", "the handler failed")
    with pytest.raises(apsw.SQLError, match=r"^GeneralServiceException: the handler failed \[ListResources"):
        rows(
            db,
            "SELECT * FROM integration_responses "
            "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ?",
            (api_id, integration_id),
        )


def test_options_are_checked_when_the_table_is_made(emulator: Any) -> None:
    with pytest.raises(apsw.SQLError, match=r"region 'mars-1' is not an AWS region"):
        connect(emulator, regions="us-east-1,mars-1")


def test_a_rate_below_one_call_per_second_still_makes_its_first_call(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, rate_limit=0.5)
    got = rows(
        db,
        "SELECT data__Identifier FROM integration_responses "
        "WHERE region = 'us-east-1' AND data__Identifier = ?",
        (seeded.responses[0],),
    )
    assert got == [(seeded.responses[0],)]


def test_tables_of_one_connection_share_the_rate_limit_of_a_region(emulator: Any) -> None:
    # One response per integration: each identifier is its own GetResource (none share a listing).
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=1)
    db = apsw.Connection(":memory:")
    registry = vtab.register(
        db, endpoint_url=emulator.endpoint_url, regions="us-east-1", rate_limit=1, cache_ttl=0
    )
    db.execute(
        "CREATE VIRTUAL TABLE temp.twin USING integration_responses("
        f"endpoint_url='{emulator.endpoint_url}', regions='us-east-1', rate_limit=1, cache_ttl=0)"
    )
    marks = ",".join("?" * 2)
    emulator.clear_calls()
    got = rows(
        db,
        f"SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' "
        f"AND data__Identifier IN ({marks}) UNION ALL "
        f"SELECT data__Identifier FROM temp.twin "
        f"WHERE region = 'us-east-1' AND data__Identifier IN ({marks})",
        seeded.responses * 2,
    )
    assert len(got) == 4
    # One bucket for both tables: it handed out a token for each of the 4 calls (the waits a bucket
    # imposes are checked with a fake clock in test_rate_limiter_spaces_calls_past_its_burst).
    (bucket,) = registry.rate_limiters.buckets()
    assert bucket.acquired == len(emulator.calls) == 4
    assert bucket.waited > 0  # 4 calls through a bucket of 1 a second, started at once


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("abc|def", r"data__Identifier = 'abc\|def' is malformed: identifier 'abc\|def' has 2 part"),
        ("abc||ghi", r"has an empty IntegrationId"),
        ("a|b|c|d", r"has 4 part"),
    ],
)
def test_malformed_identifier_is_a_clear_error_and_sends_nothing(
    emulator: Any, identifier: str, message: str
) -> None:
    db = connect(emulator)
    with pytest.raises(apsw.SQLError, match=message) as caught:
        rows(
            db,
            "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?",
            (identifier,),
        )
    assert "<ApiId>|<IntegrationId>|<IntegrationResponseId>" in str(caught.value)
    assert emulator.calls == []


ALARM = "AWS::CloudWatch::Alarm"
"""Its identifier has one part, AlarmName, which may hold '|'."""


def test_a_one_part_identifier_holding_the_separator_is_that_one_part(emulator: Any) -> None:
    """'|' joins the parts of a compound identifier; a type whose identifier has one part takes it whole:
    an alarm named 'cpu|high' is inserted, read by data__Identifier and by name, updated and deleted."""
    db = connect(emulator)
    rows(
        db,
        "INSERT INTO cloudwatch_alarms (alarm_name, comparison_operator, evaluation_periods, threshold, "
        "metric_name, namespace, statistic, period, region) VALUES ('cpu|high', 'GreaterThanThreshold', 1, "
        "90, 'CPUUtilization', 'AWS/EC2', 'Average', 60, 'us-east-1')",
    )
    assert (emulator.resource("us-east-1", ALARM, "cpu|high") or {}).get("Threshold") == 90
    where = "region = 'us-east-1' AND data__Identifier = 'cpu|high'"
    assert rows(db, f"SELECT alarm_name, threshold FROM cloudwatch_alarms WHERE {where}") == [
        ("cpu|high", 90)
    ]
    named = "SELECT data__Identifier FROM cloudwatch_alarms WHERE region = 'us-east-1' AND alarm_name = ?"
    assert rows(db, named, ("cpu|high",)) == [("cpu|high",)]
    rows(db, f"UPDATE cloudwatch_alarms SET threshold = 80 WHERE {where}")
    assert (emulator.resource("us-east-1", ALARM, "cpu|high") or {}).get("Threshold") == 80
    rows(db, f"DELETE FROM cloudwatch_alarms WHERE {where}")
    assert emulator.resource("us-east-1", ALARM, "cpu|high") is None


def test_unknown_region_is_a_clear_error_and_sends_nothing(emulator: Any) -> None:
    db = connect(emulator)
    with pytest.raises(
        apsw.SQLError, match=r"region 'us-east-9' is not an AWS region.*did you mean .*'us-east-1'"
    ):
        rows(db, "SELECT * FROM integration_responses WHERE region = 'us-east-9'")
    with pytest.raises(
        apsw.SQLError, match=r"region 'US-EAST-1' is not an AWS region.*did you mean 'us-east-1'"
    ):
        rows(db, "SELECT * FROM integration_responses WHERE region IN ('us-west-2', 'US-EAST-1')")
    assert emulator.calls == []


def test_null_constraints_match_nothing_and_send_nothing(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    db = connect(emulator, **KNOWN_ACCOUNT)
    emulator.clear_calls()
    base = "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND "
    assert rows(db, base + "data__Identifier = ?", (None,)) == []
    assert rows(db, base + "api_id = NULL") == []
    assert emulator.calls == []
    got = rows(db, base + "data__Identifier IN (?, NULL)", (seeded.responses[0],))
    assert [r[-2:] for r in got] == [("us-east-1", "123456789012")]  # region, account_id
    assert endpoint_summary(emulator) == {"GetResource IntegrationResponse": 1}


def test_no_region_anywhere_is_a_clear_error(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    db = connect(emulator, regions="")
    with pytest.raises(apsw.SQLError, match=r"no region.*WHERE region = 'us-east-1'.*regions=.*AWS_REGION"):
        rows(db, "SELECT * FROM integration_responses")
    assert emulator.calls == []


def test_access_denied_names_the_iam_permissions(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, **KNOWN_ACCOUNT)
    emulator.deny_next(1)
    with pytest.raises(
        apsw.PermissionsError,
        match=r"^AccessDeniedException: .* \(read AWS::ApiGatewayV2::IntegrationResponse needs IAM "
        r"permissions: cloudformation:GetResource, apigateway:GET\)",
    ):
        rows(
            db,
            "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND data__Identifier = ?",
            (seeded.responses[0],),
        )
    emulator.deny_next(1)
    with pytest.raises(
        apsw.PermissionsError, match=r"list AWS::ApiGatewayV2::Api needs .*cloudformation:ListResources"
    ):
        rows(db, "SELECT * FROM integration_responses WHERE region = 'us-east-1'")


def test_throttling_is_retried_then_reported(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, max_attempts=3)
    emulator.throttle_next(2)
    got = rows(db, "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'")
    assert [i for (i,) in got] == list(seeded.responses)

    emulator.throttle_next(3)
    with pytest.raises(apsw.BusyError, match=r"^ThrottlingException: Rate exceeded.*retries were exhausted"):
        rows(db, "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'")


def test_cache_answers_repeated_statements_until_cleared(emulator: Any) -> None:
    emulator.seed("us-east-1", websocket_apis=1, integrations=2, responses=2)
    db = connect(emulator, cache_ttl=300)
    sql = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'"
    first = sorted(rows(db, sql))
    calls_after_first = len(emulator.calls)
    assert sorted(rows(db, sql)) == first
    assert len(emulator.calls) == calls_after_first
    assert {c for (c,) in rows(db, "SELECT DISTINCT cache FROM vtab_calls WHERE seq > 4")} == {"hit"}

    assert rows(db, "SELECT vtab_clear_cache()")[0][0] > 0
    assert sorted(rows(db, sql)) == sorted(first)
    assert len(emulator.calls) == 2 * calls_after_first


def test_the_cache_is_shared_by_the_tables_of_a_connection(emulator: Any) -> None:
    """A walk of node groups lists the clusters; a SELECT from eks_clusters then reuses that listing, and a
    write through another instance of the table drops it for every table."""
    emulator.seed_type("AWS::EKS::Nodegroup", "us-east-1", count=1, parents=2)
    db = connect(emulator, cache_ttl=300)
    assert len(rows(db, "SELECT nodegroup_name FROM eks_nodegroups WHERE region = 'us-east-1'")) == 2
    emulator.clear_calls()
    clusters = rows(db, "SELECT name FROM eks_clusters WHERE region = 'us-east-1'")
    assert len(clusters) == 2
    assert endpoint_summary(emulator) == {}  # answered from the walk's listing of clusters
    hits = rows(db, "SELECT operation, type_name, cache FROM vtab_calls ORDER BY seq DESC LIMIT 1")
    assert hits == [("ListResources", "AWS::EKS::Cluster", "hit")]

    db.execute("CREATE VIRTUAL TABLE temp.clusters USING eks_clusters(cache_ttl=300)")
    db.execute(
        "UPDATE temp.clusters SET version = '1.31' WHERE region = 'us-east-1' AND name = ?", (clusters[0][0],)
    )
    emulator.clear_calls()
    assert len(rows(db, "SELECT name, version FROM eks_clusters WHERE region = 'us-east-1'")) == 2
    assert endpoint_summary(emulator)["ListResources Cluster"] == 1  # the write dropped the cached listing


def test_cache_ttl_zero_always_asks(emulator: Any) -> None:
    emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, cache_ttl=0)
    sql = "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1'"
    rows(db, sql)
    once = len(emulator.calls)
    rows(db, sql)
    assert len(emulator.calls) == 2 * once


def test_vtab_calls_keeps_the_request_id_of_each_answer_and_of_a_failure(emulator: Any) -> None:
    emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, **KNOWN_ACCOUNT)
    rows(db, "SELECT * FROM integration_responses WHERE region = 'us-east-1'")
    ids = [i for (i,) in rows(db, "SELECT request_id FROM vtab_calls ORDER BY seq")]
    assert len(ids) == 3 and all(ids) and len(set(ids)) == 3  # Api, Integration, IntegrationResponse
    emulator.fail_next_call("GeneralServiceException", "boom")
    with pytest.raises(apsw.SQLError) as caught:
        rows(db, "SELECT * FROM integration_responses WHERE region = 'us-east-1'")
    ((code, request_id),) = rows(
        db, "SELECT error_code, request_id FROM vtab_calls WHERE error_code IS NOT NULL ORDER BY seq"
    )
    assert code == "GeneralServiceException"
    assert str(caught.value).endswith(f"(request id {request_id})")


def test_vtab_calls_shows_each_logical_call(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=30)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, **KNOWN_ACCOUNT)
    rows(db, "SELECT * FROM integration_responses WHERE region = 'us-east-1' AND api_id = ?", (api_id,))
    got = rows(
        db,
        "SELECT operation, region, type_name, resource_model, pages, items, cache, error_code "
        "FROM vtab_calls",
    )
    assert got == [
        (
            "ListResources",
            "us-east-1",
            "AWS::ApiGatewayV2::Integration",
            f'{{"ApiId":"{api_id}"}}',
            1,
            1,
            "miss",
            None,
        ),
        (
            "ListResources",
            "us-east-1",
            "AWS::ApiGatewayV2::IntegrationResponse",
            f'{{"ApiId":"{api_id}","IntegrationId":"{integration_id}"}}',
            2,
            30,
            "miss",
            None,
        ),
    ]
    assert rows(db, "SELECT vtab_clear_calls()") == [(2,)]
    assert rows(db, "SELECT count(*) FROM vtab_calls") == [(0,)]


def test_named_table_carries_its_own_options(emulator: Any) -> None:
    emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=2)
    db = connect(emulator)
    db.execute(
        "CREATE VIRTUAL TABLE temp.west USING integration_responses("
        f"regions='eu-west-1', endpoint_url='{emulator.endpoint_url}', rate_limit=none, cache_ttl=0)"
    )
    got = rows(db, "SELECT region, data__Identifier FROM temp.west")
    assert sorted(got) == sorted(("eu-west-1", i) for i in west.responses)


def test_unknown_options_are_errors_that_list_the_known_ones(emulator: Any) -> None:
    db = connect(emulator)
    meant = r"unknown option regoins; did you mean regions\? \(known options: profile, regions"
    with pytest.raises(apsw.SQLError, match=meant):
        db.execute("CREATE VIRTUAL TABLE temp.bad USING integration_responses(regoins='eu-west-1')")
    with pytest.raises(OptionError, match=r"unknown option max_worker; did you mean max_workers\?"):
        vtab.register(apsw.Connection(":memory:"), max_worker=3)
    with pytest.raises(OptionError, match=r"unknown option zzz \(known options: profile, regions"):
        vtab.register(apsw.Connection(":memory:"), zzz=3)
    with pytest.raises(apsw.SQLError, match=r"max_workers='zero' is not a number"):
        db.execute("CREATE VIRTUAL TABLE temp.bad2 USING integration_responses(max_workers=zero)")


def test_endpoint_and_region_come_from_the_standard_environment(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=2)
    monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDCONTROL", emulator.endpoint_url)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    db = apsw.Connection(":memory:")
    vtab.register(db, rate_limit=None, cache_ttl=0)  # no endpoint_url, no regions
    got = rows(db, "SELECT region, data__Identifier FROM integration_responses")
    assert sorted(got) == sorted(("eu-west-1", i) for i in west.responses)


def test_a_profile_supplies_region_and_credentials(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    west = emulator.seed("eu-west-1", websocket_apis=1, integrations=1, responses=1)
    config = tmp_path / "config"
    config.write_text("[profile inventory]\nregion = eu-west-1\n")
    credentials = tmp_path / "credentials"
    credentials.write_text("[inventory]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(credentials))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    db = connect(emulator, profile="inventory", regions="")
    got = rows(db, "SELECT region, data__Identifier FROM integration_responses")
    assert got == [("eu-west-1", west.responses[0])]


def test_rate_limit_spaces_calls_per_region(emulator: Any) -> None:
    # One response per integration: each identifier is its own GetResource (none share a listing).
    # A bucket of one call a second and three GetResources started at once by three workers: the second
    # and third must wait for tokens unless a whole second passes between the workers' starts.
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=3, responses=1)
    db = apsw.Connection(":memory:")
    registry = vtab.register(
        db, endpoint_url=emulator.endpoint_url, regions="us-east-1", rate_limit=1, cache_ttl=0
    )
    emulator.clear_calls()
    got = rows(
        db,
        "SELECT data__Identifier FROM integration_responses WHERE region = 'us-east-1' "
        "AND data__Identifier IN (?, ?, ?)",
        seeded.responses,
    )
    assert len(got) == 3
    (bucket,) = registry.rate_limiters.buckets()
    assert bucket.acquired == len(emulator.calls) == 3
    assert bucket.waited > 0  # 3 calls through a bucket of 1: some had to wait for tokens


def test_rate_limiter_spaces_calls_past_its_burst() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    bucket = RateLimiter(20, clock=lambda: now[0], sleep=sleep)
    for _ in range(30):
        bucket.acquire()
    # 20 at once (the burst), then one every 1/20 s: the 30th call goes at 10/20 s.
    assert now[0] == pytest.approx(0.5)
    assert bucket.acquired == 30
    slow = RateLimiter(0.5, clock=lambda: now[0], sleep=sleep)
    start = now[0]
    slow.acquire()
    slow.acquire()
    assert now[0] - start == pytest.approx(2.0)  # below 1/s: bursts of one, then 1/rate apart


def test_configuration_is_read_by_the_first_statement_that_uses_aws_and_kept(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    east = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    db = connect(emulator, regions="")  # the default region comes from the environment: us-east-1
    sql = "SELECT region, data__Identifier FROM integration_responses"
    assert rows(db, sql) == [("us-east-1", east.responses[0])]
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert rows(db, sql) == [("us-east-1", east.responses[0])]
    assert {call.operation for call in emulator.calls} == {"ListResources"}


def test_an_unknown_profile_does_not_stop_register(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    db = apsw.Connection(":memory:")
    vtab.register(db, profile="nosuch")
    with pytest.raises(apsw.SQLError, match=r"the AWS profile 'nosuch' \(given as profile='nosuch'\)"):
        db.execute("SELECT * FROM integration_responses WHERE region = 'us-east-1'")


def test_connect_opens_your_file_with_the_tables_registered(emulator: Any, tmp_path: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=2)
    path = str(tmp_path / "inventory.db")
    with apsw.Connection(path) as setup:
        setup.execute("CREATE TABLE owners(identifier TEXT, owner TEXT)")
        setup.execute("INSERT INTO owners VALUES (?, 'alice')", (seeded.responses[1],))
    db = vtab.connect(path, endpoint_url=emulator.endpoint_url, regions="us-east-1", rate_limit=None)
    got = rows(
        db,
        "SELECT o.owner, v.integration_response_key FROM owners o JOIN integration_responses v "
        "ON v.data__Identifier = o.identifier AND v.region = 'us-east-1'",
    )
    assert got == [("alice", "200")]


def test_listings_lagging_behind_a_write_are_not_cached(emulator: Any) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=1)
    api_id, integration_id = seeded.integrations[0]
    db = connect(emulator, cache_ttl=300)
    emulator.configure(invisible_for=1)  # AWS lists can lag a moment behind a create
    db.execute(
        "INSERT INTO integration_responses (api_id, integration_id, integration_response_key, region) "
        "VALUES (?, ?, 'fresh', 'us-east-1')",
        (api_id, integration_id),
    )
    sql = (
        "SELECT integration_response_key FROM integration_responses "
        "WHERE region = 'us-east-1' AND api_id = ? AND integration_id = ? ORDER BY 1"
    )
    assert rows(db, sql, (api_id, integration_id)) == [("$default",)]  # the lagging listing ...
    assert rows(db, sql, (api_id, integration_id)) == [("$default",), ("fresh",)]  # ... was not kept
