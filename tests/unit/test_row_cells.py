"""RowCells (vtab.sqlite.cells): the cells Next makes a row at a time are the ones each column's reader
gives, whatever the answer holds, and only the columns used are made."""

from __future__ import annotations

from typing import Any

import pytest

from vtab.catalog.store import load_catalog
from vtab.read.rows import Row
from vtab.sqlite.cells import RowCells
from vtab.sqlite.columns import Columns

TABLE = Columns(load_catalog().schema("AWS::DynamoDB::Table"))
"""String, boolean, object, array and untyped (KeySchema) properties."""

ANSWERS: list[dict[str, Any]] = [
    {},
    {"TableName": "t", "BillingMode": "PAY_PER_REQUEST", "DeletionProtectionEnabled": True},
    {"KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}], "AttributeDefinitions": []},
    {"KeySchema": {"HashKey": "id"}, "SSESpecification": {"SSEEnabled": False}},
    # A malformed answer: an object and a list in string properties, numbers where text or a boolean is
    # due, a whole float in a boolean (INTEGER) column, an integer beyond 64 bits.
    {"TableName": {"not": "text"}, "Arn": ["a"], "BillingMode": 7, "TableClass": 2.5},
    {"DeletionProtectionEnabled": 1.0, "StreamArn": 123456789012345678901234567890},
]


@pytest.mark.parametrize("properties", ANSWERS)
def test_every_cell_is_what_its_column_reader_gives(properties: dict[str, Any]) -> None:
    row = Row("eu-west-1", "t", properties, "123456789012")
    every = range(len(TABLE.names))
    cells = RowCells(TABLE, frozenset(every), TABLE.own_readers).of(row)
    assert [cells[number] for number in every] == [read(row) for read in TABLE.readers]
    for number in every:  # the same type too: 1 and 1.0 and True compare equal
        assert type(cells[number]) is type(TABLE.readers[number](row)), TABLE.names[number]


def test_only_the_used_columns_are_made() -> None:
    row = Row("eu-west-1", "t", ANSWERS[1], None)
    used = frozenset({TABLE.index["table_name"], TABLE.index["region"]})
    cells = RowCells(TABLE, used, TABLE.own_readers).of(row)
    assert cells[TABLE.index["table_name"]] == "t"
    assert cells[TABLE.index["region"]] == "eu-west-1"
    assert cells[TABLE.index["billing_mode"]] is None  # not used: never asked, never made
    assert len(cells) == len(TABLE.names) + 1  # every column, and the rowid's slot (-1)


def test_an_integer_beyond_64_bits_in_a_text_column_is_its_digits() -> None:
    # apsw cannot hand SQLite an int past 64 bits (a bare OverflowError naming no column): in a string
    # property's column (a malformed answer) it is its exact digits, by either path
    row = Row("eu-west-1", "t", ANSWERS[5], None)
    number = TABLE.index["stream_arn"]
    cells = RowCells(TABLE, frozenset({number}), TABLE.own_readers).of(row)
    assert cells[number] == TABLE.readers[number](row) == "123456789012345678901234567890"
