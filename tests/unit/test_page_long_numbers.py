"""The test for an integer beyond 64 bits runs once per page on the raw body: a body that clears it clears
every JSON text it carries (a row's Properties), including texts whose digits the body spells with
``\\u`` escapes; rows of a cleared page are parsed with orjson alone and still read exactly."""

from __future__ import annotations

import json
import re
from typing import Any

import orjson
import pytest

from vtab.catalog.columns import json_value, page_may_hold_long_number


def _page(*properties: str) -> bytes:
    """A ListResources body carrying ``properties`` as its rows' Properties texts."""
    rows = [{"Identifier": f"r{n}", "Properties": text} for n, text in enumerate(properties)]
    return orjson.dumps({"ResourceDescriptions": rows, "TypeName": "AWS::Logs::LogGroup"})


CLEAN = _page('{"n": 922337203685477580, "m": [1.5, -2, "123456789012345678"]}', '{"RetentionInDays": 7}')
BIG = _page('{"n": 1}', '{"n": 123456789012345678901234567890, "m": -9223372036854775809}')
# A big integer with two of its digits spelled as escapes in the body: a run of 19 digits only once the
# body is parsed.
ESCAPED = (
    b'{"ResourceDescriptions": [{"Identifier": "r0",'
    b' "Properties": "{\\"n\\": 123456789\\u00301234567\\u0038901234}"}]}'
)


def _rows(body: bytes) -> list[str]:
    return [row["Properties"] for row in orjson.loads(body)["ResourceDescriptions"]]


def test_a_page_without_a_run_of_19_digits_is_cleared_once() -> None:
    assert not page_may_hold_long_number(CLEAN)
    assert page_may_hold_long_number(BIG)


def test_digits_spelled_by_escapes_in_the_body_are_caught() -> None:
    (text,) = _rows(ESCAPED)
    assert re.search("[0-9]{19}", text)  # the escapes made a run the raw body does not show
    assert b"1" * 19 not in ESCAPED.translate(bytes(0x31 if 0x30 <= b <= 0x39 else 0x20 for b in range(256)))
    assert page_may_hold_long_number(ESCAPED)


@pytest.mark.parametrize("body", [CLEAN, BIG, ESCAPED], ids=["clean", "big", "escaped"])
def test_each_row_reads_exactly_with_its_pages_verdict(body: bytes) -> None:
    verdict = page_may_hold_long_number(body)
    for text in _rows(body):
        got: Any = json_value(text, may_hold_long_number=verdict)
        expected = json.loads(text)
        assert got == expected
        assert json.dumps(got) == json.dumps(expected)  # types included: 1.23e29 != 123...890 as text
