"""The fetch layer on its own: answers remembered in the memo and the cache, a real Cloud Control client
pointed at a port nothing listens on (so any call it makes fails, and the call log shows what was asked)."""

from __future__ import annotations

import threading

import apsw
import pytest

from vtab.aws.calllog import CallLog
from vtab.aws.cloudcontrol import CloudControl, Page
from vtab.aws.rate_limits import RateLimiters
from vtab.catalog.store import load_catalog
from vtab.options import Options
from vtab.read.cache import ResultStore
from vtab.read.fetch import Fetcher
from vtab.read.stream import Cancelled

APIS = load_catalog().schema("AWS::ApiGatewayV2::Api")
GET_KEY = ("us-east-1", APIS.type_name, "get", "a")
LIST_KEY = ("us-east-1", APIS.type_name, "list", "null")


@pytest.fixture
def cloud(closed_port: int) -> CloudControl:
    options = Options(endpoint_url=f"http://127.0.0.1:{closed_port}", max_attempts=1, rate_limit=None)
    return CloudControl(options, CallLog(), RateLimiters())


def stores() -> tuple[ResultStore, ResultStore]:
    return ResultStore(ttl=None), ResultStore(ttl=60)


def test_the_memo_answers_before_the_cache_and_the_call_log_says_which(cloud: CloudControl) -> None:
    memo, cache = stores()
    memo.put(GET_KEY, {"Name": "from the memo"})
    cache.put(GET_KEY, {"Name": "from the cache"})
    cache.put(LIST_KEY, [Page([("a", {"Name": "listed"})])])
    fetch = Fetcher.scan(cloud, memo, cache, threading.Event())
    assert fetch.get("us-east-1", APIS, "a") == {"Name": "from the memo"}
    assert [page for page in fetch.listing("us-east-1", APIS, None)] == [[("a", {"Name": "listed"})]]
    log = cloud.log.snapshot()
    assert [(r.operation, r.cache) for r in log] == [("GetResource", "memo"), ("ListResources", "hit")]
    assert log[1].items == 1


def test_a_remembered_absence_is_asked_again_when_it_would_drop_rows(cloud: CloudControl) -> None:
    memo, cache = stores()
    memo.put(GET_KEY, None)
    fetch = Fetcher.scan(cloud, memo, cache, threading.Event())
    assert fetch.get("us-east-1", APIS, "a") is None  # remembered: no call
    with pytest.raises(apsw.Error):
        fetch.get("us-east-1", APIS, "a", dropping=True)  # asked of AWS (nothing listens)
    assert [r.cache for r in cloud.log.snapshot()] == ["memo", "miss"]


def test_a_fresh_fetcher_remembers_nothing_and_asks_every_time(cloud: CloudControl) -> None:
    fetch = Fetcher.fresh(cloud)
    assert fetch.stores == []
    for _ in range(2):
        with pytest.raises(apsw.Error):
            fetch.get("us-east-1", APIS, "a")
    assert [(r.operation, r.cache) for r in cloud.log.snapshot()] == [("GetResource", "miss")] * 2


def test_a_closed_scan_makes_no_further_call(cloud: CloudControl) -> None:
    closed = threading.Event()
    closed.set()
    memo, cache = stores()
    with pytest.raises(Cancelled):
        Fetcher.scan(cloud, memo, cache, closed).get("us-east-1", APIS, "a")
    assert cloud.log.snapshot() == []
