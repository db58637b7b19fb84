"""Which statements may hand vtab an empty IN list (vtab.sql.inlists), from the text alone."""

from __future__ import annotations

import pytest

from vtab.sql.inlists import may_give_empty_in, prepared_text, preparing


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t WHERE id IN (SELECT x FROM u)",
        "SELECT * FROM t WHERE id in ( select x from u)",
        "SELECT * FROM t WHERE id IN (WITH c AS (SELECT 1) SELECT * FROM c)",
        "SELECT * FROM t WHERE id IN (VALUES (1))",
        "SELECT * FROM t WHERE id IN u",
        "SELECT * FROM t WHERE id IN main.u",
        "SELECT * FROM t WHERE id IN json_each(?)",
        "DELETE FROM t WHERE region IN /* c */ (SELECT r FROM w)",
    ],
)
def test_a_subquery_table_or_function_list_may_be_empty(sql: str) -> None:
    assert may_give_empty_in(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t WHERE id IN ('a', 'b')",
        "SELECT * FROM t WHERE id IN (?, ?)",
        "SELECT * FROM t WHERE id IN ((SELECT 1))",  # a list of one value
        "SELECT 'x IN (SELECT 1)' FROM t WHERE id = 1",
        "SELECT * FROM t -- IN (SELECT 1)\n WHERE id IN (1)",
        "SELECT * FROM t WHERE id IN",
    ],
)
def test_a_literal_list_is_never_empty(sql: str) -> None:
    assert not may_give_empty_in(sql)


def test_an_unknown_statement_may_be_one() -> None:
    assert may_give_empty_in(None)


def test_the_text_being_prepared_is_known_only_while_it_is_prepared() -> None:
    assert prepared_text() is None
    with preparing("SELECT 1"):
        assert prepared_text() == "SELECT 1"
        with preparing(b"not text"):
            assert prepared_text() is None
        assert prepared_text() == "SELECT 1"
    assert prepared_text() is None
