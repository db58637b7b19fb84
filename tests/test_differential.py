"""Differential test: vtab's answers against native SQLite's over the same rows (issue 16, finding 8).

The estate (tests/differential/estate.py) is created through Cloud Control calls on the emulator in two
regions and copied, exactly as vtab shows it, into native tables with the same declared types; random
SELECTs (tests/differential/queries.py) run on both and must agree (compare.py), as must ternary logic
partitions of a query. The generator goes everywhere, the four causes of finding 8 included (an identifier
repeated across regions, a number against a pushed-down TEXT column, a space-only id part, an empty IN):
``Cause`` still names them, so that a regression is reported by its cause.
"""

from __future__ import annotations

from collections.abc import Iterator

import apsw
import pytest

from tests.differential import estate
from tests.differential.compare import Figures, Runner
from tests.differential.queries import Cause, Generator
from vtab.emulator import Emulator

PENDING_FIXES: frozenset[Cause] = frozenset()
"""Causes the generator steers around: none (all four of finding 8 are fixed)."""

Estate = tuple[apsw.Connection, apsw.Connection, tuple[estate.Table, ...]]


@pytest.fixture(scope="module")
def world() -> Iterator[Estate]:
    """The seeded emulator, a vtab connection on it and the native oracle, shared by this module's tests
    (they only read)."""
    with Emulator(polls_before_complete=0) as emulator:
        live, native, tables = estate.build(emulator)
        yield live, native, tables
        live.close()
        native.close()


def run(world: Estate, seeds: range, statements: int) -> Figures:
    live, native, tables = world
    runner = Runner(live, native)
    for seed in seeds:
        runner.run(Generator(seed, tables, native, avoid=PENDING_FIXES), statements)
    return runner.figures


def test_the_copy_holds_every_awkward_value_the_generator_counts_on(world: Estate) -> None:
    _, native, _ = world
    shared = "SELECT region FROM logs_log_groups WHERE data__Identifier = 'shared' ORDER BY region"
    assert list(native.execute(shared)) == [("eu-west-1",), ("us-east-1",)]
    assert list(native.execute("SELECT count(*) FROM logs_log_streams WHERE log_stream_name = ' '")) == [(1,)]
    strategies = (
        "SELECT typeof(deployment_duration_in_minutes), description FROM appconfig_deployment_strategies"
    )
    assert ("real", "") in list(native.execute(strategies + " WHERE name = 'linear'"))


def test_a_whole_number_in_a_real_column_reads_as_sqlite_stores_it(world: Estate) -> None:
    """Found by this test: JSON's 10 in a REAL column was the integer 10, so ``/ 4`` gave 2, not 2.5."""
    live, native, _ = world
    sql = (
        "SELECT deployment_duration_in_minutes / 4, typeof(deployment_duration_in_minutes), "
        "final_bake_time_in_minutes LIKE '%.0' FROM appconfig_deployment_strategies "
        "WHERE region = 'us-east-1' AND name IN ('linear', '3.5') ORDER BY name"
    )
    assert list(live.execute(sql)) == list(native.execute(sql)) == [(0.875, "real", 1), (2.5, "real", None)]


def test_random_statements_and_their_partitions_agree_with_sqlite(world: Estate) -> None:
    figures = run(world, range(1, 3), statements=200)

    assert figures.statements >= 400
    assert [str(f) for f in figures.findings] == []


@pytest.mark.stress
def test_thousands_of_random_statements_agree_with_sqlite(
    world: Estate, capsys: pytest.CaptureFixture[str]
) -> None:
    figures = run(world, range(100, 106), statements=1500)

    with capsys.disabled():
        print("\n" + figures.line("differential, 6 seeds"))
    assert figures.statements >= 9000
    assert [str(f) for f in figures.findings] == []
