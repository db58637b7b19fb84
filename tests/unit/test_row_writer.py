"""Rows into checked operations on their own (vtab.write.rows.RowWriter): a registered connection's
table context, with no endpoint (nothing here sends; the region and account id are given)."""

from __future__ import annotations

from collections.abc import Iterator

import apsw
import pytest

import vtab
from vtab.catalog.facts import Verb
from vtab.sqlite.registry import Registry
from vtab.sqlite.table import Table
from vtab.write.rows import RowWriter

ROW = {"api_id": "a", "integration_id": "i", "integration_response_key": "$default", "region": "us-east-1"}


@pytest.fixture
def table(closed_port: int) -> Iterator[tuple[Table, Registry]]:
    db = apsw.Connection(":memory:")
    registry = vtab.register(
        db, regions="us-east-1,eu-west-1", endpoint_url=f"http://127.0.0.1:{closed_port}", cache_ttl=0
    )
    db.execute("SELECT 1 FROM integration_responses WHERE 0")  # connects the eponymous table
    (connected,) = registry.tables
    assert isinstance(connected, Table)
    yield connected, registry
    db.close()


def test_an_insert_row_becomes_a_create_of_its_desired_state(table: tuple[Table, Registry]) -> None:
    connected, registry = table
    op = RowWriter(connected.context, registry).create(dict(ROW), None, 1, 0, "[row 1]")
    assert (op.verb, op.region, op.row) == (Verb.CREATE, "us-east-1", 1)
    assert op.desired == {"ApiId": "a", "IntegrationId": "i", "IntegrationResponseKey": "$default"}


def test_a_row_naming_a_property_twice_with_two_values_is_refused(table: tuple[Table, Registry]) -> None:
    connected, registry = table
    with pytest.raises(apsw.ConstraintError, match=r"api_id = 'a' and ApiId = 'b'.*give it once"):
        RowWriter(connected.context, registry).create({**ROW, "ApiId": "b"}, None, 1, 0, "[row 1]")


def test_a_row_without_a_region_among_several_is_refused_naming_them(table: tuple[Table, Registry]) -> None:
    connected, registry = table
    with pytest.raises(
        apsw.SQLError, match=r"region = NULL: 2 regions are configured \(us-east-1, eu-west-1\)"
    ):
        RowWriter(connected.context, registry).create({**ROW, "region": None}, None, 1, 0, "[row 1]")


def test_an_update_of_a_row_not_read_is_refused(table: tuple[Table, Registry]) -> None:
    connected, registry = table
    with pytest.raises(apsw.SQLError, match=r"rowid 42: the row to change was not read by this statement"):
        RowWriter(connected.context, registry).update(42, None, {}, 1, lambda row: row)
