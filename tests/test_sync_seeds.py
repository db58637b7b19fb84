"""Which walk parents a resumed shard takes from its file (vtab/sync/seeds.py), on a real sync file: only
the rows of a parent task done in the run being resumed, never an earlier sync's."""

from __future__ import annotations

from pathlib import Path

from vtab.sync.plan import Shard, SyncMode, Task, TaskStatus
from vtab.sync.seeds import Written
from vtab.sync.store import Run, Store, TaskResult

ACCOUNT, REGION = "111111111111", "us-east-1"
API, ROUTE, ROUTE_RESPONSE = (
    Task(ACCOUNT, REGION, "apigatewayv2_apis", "AWS::ApiGatewayV2::Api"),
    Task(ACCOUNT, REGION, "apigatewayv2_routes", "AWS::ApiGatewayV2::Route"),
    Task(ACCOUNT, REGION, "apigatewayv2_route_responses", "AWS::ApiGatewayV2::RouteResponse"),
)
COLUMNS = {
    API: [("api_id", "TEXT"), ("name", "TEXT"), ("region", "TEXT"), ("account_id", "TEXT")],
    ROUTE: [("api_id", "TEXT"), ("route_id", "TEXT"), ("region", "TEXT"), ("account_id", "TEXT")],
}


def _run(store: Store, sync_id: str, started_at: str, done: dict[Task, list[tuple[str, ...]]]) -> Run:
    """A run of API, ROUTE and ROUTE_RESPONSE tasks, those in ``done`` done with their rows (values, then
    the identifier), the others pending."""
    run = Run(sync_id, started_at, None, SyncMode.OVERWRITE, "{}", "")
    store.begin(run, [API, ROUTE, ROUTE_RESPONSE])
    for task, rows in done.items():
        result = TaskResult(TaskStatus.DONE, started_at, started_at, 0.1, rows=len(rows))
        store.write(sync_id, task, COLUMNS[task], rows, run.mode, result, started_at)
    return run


def _listings(store: Store, run: Run) -> dict[tuple[str, str], list[str]]:
    shard = Shard(ACCOUNT, REGION, (ROUTE_RESPONSE,))
    return {
        (listing.type_name.rsplit("::", 1)[1], str(listing.model)): [
            identifier for identifier, _ in listing.items
        ]
        for listing in Written(store, run).parent_listings(shard)
    }


def test_a_resume_takes_the_parents_its_run_wrote_and_the_listings_they_tell_were_empty(
    tmp_path: Path,
) -> None:
    store = Store(str(tmp_path / "sync.db"))
    try:
        _run(store, "old", "2026-12-07T10:00:00.000Z", {API: [("gone", "old api", REGION, ACCOUNT, "gone")]})
        apis = [(api, api, REGION, ACCOUNT, api) for api in ("a1", "a2")]
        run = _run(
            store,
            "new",
            "2026-12-07T11:00:00.000Z",
            {API: apis, ROUTE: [("a1", "r1", REGION, ACCOUNT, "a1|r1")]},
        )
        assert _listings(store, run) == {
            ("Api", "{}"): ["a1", "a2"],  # not the earlier sync's "gone", still in the file (overwrite)
            ("Route", "{'ApiId': 'a1'}"): ["a1|r1"],
            ("Route", "{'ApiId': 'a2'}"): [],  # listed by the route task, found nothing
        }
    finally:
        store.close()


def test_a_parent_whose_task_is_not_done_in_the_run_is_listed_again(tmp_path: Path) -> None:
    store = Store(str(tmp_path / "sync.db"))
    try:
        _run(store, "old", "2026-12-07T10:00:00.000Z", {API: [("a1", "api", REGION, ACCOUNT, "a1")]})
        run = _run(
            store, "new", "2026-12-07T11:00:00.000Z", {ROUTE: [("a1", "r1", REGION, ACCOUNT, "a1|r1")]}
        )
        # the APIs are not taken from the earlier sync's rows; the routes found are, but which APIs have
        # none cannot be told without the APIs' task
        assert _listings(store, run) == {("Route", "{'ApiId': 'a1'}"): ["a1|r1"]}
    finally:
        store.close()
