"""A Cloud Control client's connection pool: sized for the statements that share it, within a bound (urllib3
fills a new pool with a placeholder per connection it may keep and drains them all when it closes)."""

from __future__ import annotations

from vtab.aws.calllog import CallLog
from vtab.aws.cloudcontrol import MOST_POOLED, POLLS_PER_WORKER, CloudControl
from vtab.aws.rate_limits import RateLimiters
from vtab.options import Options


def _pool_size(statements: int, max_workers: int = 16) -> int:
    options = Options(endpoint_url="http://127.0.0.1:4566", max_workers=max_workers, rate_limit=None)
    cloud = CloudControl(options, CallLog(), RateLimiters(), statements=statements)
    size: int = cloud.client("us-east-1").meta.config.max_pool_connections
    return size


def test_one_statement_pools_its_calls_and_polls_and_a_sync_of_many_is_bounded() -> None:
    assert _pool_size(1) == 16 * (1 + POLLS_PER_WORKER) + 4
    assert _pool_size(4) == 4 * (16 * (1 + POLLS_PER_WORKER) + 4)
    # a sync's 256 statements at once asked 13,312 before: each of its pools filled and drained that many
    assert _pool_size(256) == MOST_POOLED


def test_the_bound_never_pools_fewer_than_one_statement_may_have_in_flight() -> None:
    # max_workers=256 (the most allowed): 256 start calls and 512 polls at once; a pool of MOST_POOLED
    # dropped each connection past 512 after one use, urllib3 warning "Connection pool is full" on stderr
    assert _pool_size(1, max_workers=256) == 256 * (1 + POLLS_PER_WORKER) + 4
    assert _pool_size(3, max_workers=256) == 256 * (1 + POLLS_PER_WORKER) + 4
