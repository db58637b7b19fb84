"""The test for an integer beyond 64 bits runs once per ListResources page, over its rows' Properties texts
as parsed (so digits the raw body spells with ``\\u`` escapes count); the rows of a page it clears are
parsed with orjson alone and still read exactly."""

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
# Two texts whose digits would make a run of 19 only if they were joined with nothing between them.
SPLIT = _page('{"n": 1234567890}', "1234567890")


def _texts(body: bytes) -> list[str]:
    return [row["Properties"] for row in orjson.loads(body)["ResourceDescriptions"]]


def test_a_page_without_a_run_of_19_digits_is_cleared_once() -> None:
    assert not page_may_hold_long_number(_texts(CLEAN))
    assert not page_may_hold_long_number(_texts(SPLIT))
    assert page_may_hold_long_number(_texts(BIG))


def test_digits_spelled_by_escapes_in_the_body_are_caught() -> None:
    assert not re.search(rb"[0-9]{19}", ESCAPED)  # the raw body shows no run
    (text,) = _texts(ESCAPED)
    assert re.search("[0-9]{19}", text)
    assert page_may_hold_long_number([text])


def test_a_page_with_a_text_that_is_not_a_string_is_left_to_each_row() -> None:
    assert page_may_hold_long_number(["{}", None])


@pytest.mark.parametrize("body", [CLEAN, BIG, ESCAPED, SPLIT], ids=["clean", "big", "escaped", "split"])
def test_each_row_reads_exactly_with_its_pages_verdict(body: bytes) -> None:
    texts = _texts(body)
    verdict = page_may_hold_long_number(texts)
    for text in texts:
        got: Any = json_value(text, may_hold_long_number=verdict)
        assert json.dumps(got) == json.dumps(json.loads(text))  # types included: 1.2e29 is not 12...90
