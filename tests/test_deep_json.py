"""Objects nested deeper than orjson writes (254 levels; it reads 1,024, SQLite's JSON takes 1,000) read
and write as their JSON text, in the same compact shape, never as a bare TypeError from Cursor.Column; and
integers beyond 64 bits, which orjson reads as floats, read and write exactly."""

from __future__ import annotations

import json
from typing import Any

import orjson
import pytest

from tests.readhelpers import connect, rows
from vtab.catalog.columns import json_text
from vtab.emulator import Emulator


def nested(depth: int) -> dict[str, Any]:
    """``{"Statement": {"Statement": ... {"Effect": "Allow", "n": 1.5} ...}}``, ``depth`` objects deep."""
    value: dict[str, Any] = {"Effect": "Allow", "n": 1.5}
    for _ in range(depth - 1):
        value = {"Statement": value, "Sid": "x"}
    return value


def test_a_policy_nested_300_levels_inserts_and_reads_back_as_its_json_text(emulator: Emulator) -> None:
    db = connect(emulator)
    policy = nested(300)
    text = json.dumps(policy, separators=(",", ":"))

    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, data_protection_policy, region) "
        "VALUES ('deep', ?, 'us-east-1')",
        (text,),
    )
    ((read, valid),) = rows(
        db,
        "SELECT data_protection_policy, json_valid(data_protection_policy) FROM logs_log_groups "
        "WHERE region = 'us-east-1' AND log_group_name = 'deep'",
    )

    assert read == text  # compact, as every object column reads
    assert valid == 1


@pytest.mark.parametrize("depth", [1, 2, 253])
def test_the_deep_writer_writes_what_orjson_writes(depth: int) -> None:
    from vtab.catalog.columns import _deep_json_text

    value = [nested(depth), {"é": [None, True, 2**40, -0.5, '\u2028"q"']}, [], {}]

    assert _deep_json_text(value) == orjson.dumps(value).decode()


def test_values_past_orjson_are_written_without_recursion() -> None:
    value: list[Any] = []
    for _ in range(5000):  # past Python's recursion limit too
        value = [value]

    assert json_text(value) == "[" * 5001 + "]" * 5001


def test_integers_beyond_64_bits_read_and_write_exactly(emulator: Emulator) -> None:
    # orjson reads them as floats (1.2345678901234568e+29): a policy would come back changed
    db = connect(emulator)
    text = '{"Statement":[{"Sid":"big","n":123456789012345678901234567890,"m":-9223372036854775809}]}'
    db.execute(
        "INSERT INTO logs_log_groups (log_group_name, data_protection_policy, region) "
        "VALUES ('big', ?, 'us-east-1')",
        (text,),
    )
    model = emulator.resource("us-east-1", "AWS::Logs::LogGroup", "big")
    assert model is not None
    policy = model["DataProtectionPolicy"]
    assert policy["Statement"][0]["n"] == 123456789012345678901234567890  # sent exactly
    assert rows(
        db,
        "SELECT data_protection_policy FROM logs_log_groups "
        "WHERE region = 'us-east-1' AND log_group_name = 'big'",
    ) == [(text,)]  # read exactly


def test_a_page_with_one_big_integer_reads_it_exactly_and_a_clean_page_reads_as_before(
    emulator: Emulator,
) -> None:
    """The 19-digit test runs once per page (tests/unit/test_page_long_numbers.py): a page holding one
    integer beyond 64 bits has every row tested and reads it exactly; a page without one (us-west-2)
    skips the per-row test and reads the same values."""
    db = connect(emulator)
    policies = {
        ("us-east-1", "a"): '{"Statement":[{"Sid":"a","n":922337203685477580,"m":-1.5}]}',
        ("us-east-1", "big"): '{"Statement":[{"Sid":"big","n":123456789012345678901234567890}]}',
        ("us-west-2", "b"): '{"Statement":[{"Sid":"b","n":922337203685477580,"m":-1.5}]}',
        ("us-west-2", "c"): '{"Statement":[{"Sid":"c","id":"1234567890123456"}]}',
    }
    for (region, name), text in policies.items():
        db.execute(
            "INSERT INTO logs_log_groups (log_group_name, data_protection_policy, region) VALUES (?, ?, ?)",
            (name, text, region),
        )
    for region in ("us-east-1", "us-west-2"):
        got = rows(
            db,
            "SELECT log_group_name, data_protection_policy FROM logs_log_groups WHERE region = ? "
            "ORDER BY log_group_name",
            (region,),
        )
        assert got == [(name, text) for (where, name), text in policies.items() if where == region]
