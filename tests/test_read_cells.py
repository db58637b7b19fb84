"""A read's cells: made by Next for the columns the statement uses, so SQLite's per-cell Column runs no
Python (vtab.sqlite.cells), and each statement still sees exactly its own columns."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from tests.emulator.emulator_helpers import wait_ok
from tests.readhelpers import KNOWN_ACCOUNT, connect, rows
from vtab.emulator import Emulator, Seeded

WHERE = "WHERE region = 'us-east-1'"


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(",", ":"), ensure_ascii=False)


@contextmanager
def python_calls() -> Iterator[Counter[str]]:
    """Python functions called on this thread (the one SQLite calls the cursor on), by qualified name."""
    calls: Counter[str] = Counter()

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call":
            calls[frame.f_code.co_qualname] += 1

    sys.setprofile(profile)
    try:
        yield calls
    finally:
        sys.setprofile(None)


def test_cells_are_made_once_a_row_and_each_statement_sees_its_own_columns(
    emulator: Emulator, seeded: Seeded, cloudcontrol: Callable[..., Any]
) -> None:
    db = connect(emulator, **KNOWN_ACCOUNT)
    truth = {
        identifier: json.loads(
            cloudcontrol().get_resource(
                TypeName="AWS::ApiGatewayV2::IntegrationResponse", Identifier=identifier
            )["ResourceDescription"]["Properties"]
        )
        for identifier in seeded.responses
    }
    with python_calls() as calls:
        cursor = db.execute(f"SELECT *, data__Identifier FROM integration_responses {WHERE}")
        star = [dict(zip([d[0] for d in cursor.getdescription()], row, strict=True)) for row in cursor]
        # Two scans of one plan using different columns: each gets its own cells, none NULL for want
        # of the other's.
        both = rows(
            db,
            f"SELECT 'templates', data__Identifier, response_templates FROM integration_responses {WHERE} "
            f"UNION ALL SELECT 'key', data__Identifier, IntegrationResponseKey FROM integration_responses "
            f"{WHERE}",
        )
    assert len(star) == len(seeded.responses) == 12
    for row in star:
        properties = truth[row["data__Identifier"]]
        templates = row["response_templates"]
        assert (templates and json.loads(templates)) == properties.get("ResponseTemplates")
        assert row["integration_response_key"] == properties["IntegrationResponseKey"]
        assert (row["region"], row["account_id"]) == ("us-east-1", KNOWN_ACCOUNT["account_id"])
    assert sorted(both) == sorted(
        [("templates", i, _json(p.get("ResponseTemplates"))) for i, p in truth.items()]
        + [("key", i, p["IntegrationResponseKey"]) for i, p in truth.items()]
    )
    # 12 + 24 rows of up to 11 cells: no Python frame per cell, one (the cells' making) per row.
    assert calls["Cursor.Column"] == 0, calls
    assert calls["RowCells.of"] == 36


def test_an_integer_beyond_64_bits_reads_as_a_real(
    emulator: Emulator, cloudcontrol: Callable[..., Any]
) -> None:
    # The model's EvaluationPeriods is exact past 64 bits (json_value); SQLite holds 64 bits, so the
    # cell is the REAL a literal of those digits is in SQLite, not an OverflowError naming no column.
    client = cloudcontrol()
    model = {
        "AlarmName": "big",
        "ComparisonOperator": "GreaterThanThreshold",
        "EvaluationPeriods": 18446744073709551616,
        "DatapointsToAlarm": 9223372036854775807,
        "MetricName": "m",
        "Namespace": "n",
        "Period": 60,
        "Statistic": "Sum",
        "Threshold": 1,
    }
    started = client.create_resource(TypeName="AWS::CloudWatch::Alarm", DesiredState=json.dumps(model))
    wait_ok(client, started["ProgressEvent"]["RequestToken"])
    db = connect(emulator, **KNOWN_ACCOUNT)
    assert rows(
        db,
        "SELECT evaluation_periods, typeof(evaluation_periods), datapoints_to_alarm FROM cloudwatch_alarms "
        f"{WHERE}",
    ) == [(18446744073709551616.0, "real", 9223372036854775807)]
    assert rows(db, f"SELECT evaluation_periods > 1e19 FROM cloudwatch_alarms {WHERE}") == [(1,)]
