"""Unit tests of the wording of a broken schema rule: vtab's (column message) and the emulator's (everit's).

Pure logic: jsonschema's error for a value and a JSON Schema subset, turned into path, rule and fix.
"""

from __future__ import annotations

from typing import Any

import pytest

from vtab.catalog.checks import strict_validator
from vtab.emulator.validation import everit_message
from vtab.write.constraints import Violation, violation

TAGS = {
    "items": {
        "type": "object",
        "properties": {
            "Key": {"type": "string", "minLength": 1, "maxLength": 128},
            "Value": {"type": "string"},
        },
        "required": ["Key", "Value"],
    },
    "maxItems": 2,
}


@pytest.mark.parametrize(
    ("rules", "value", "expected"),
    [
        (
            {"minimum": 0, "maximum": 900},
            -5,
            Violation(("P",), -5, "is less than 0", "use 0 to 900"),
        ),
        ({"maximum": 900}, 901, Violation(("P",), 901, "is more than 900", "use 900 at most")),
        (
            {"minimum": 3600, "maximum": 43200},
            10,
            Violation(("P",), 10, "is less than 3,600", "use 3,600 to 43,200"),
        ),
        (
            {"minLength": 3, "maxLength": 63},
            "ab",
            Violation(("P",), "ab", "is 2 characters, fewer than 3", "use 3 to 63 characters"),
        ),
        (
            {"maxLength": 2},
            "abc",
            Violation(("P",), "abc", "is 3 characters, more than 2", "use 2 characters at most"),
        ),
        (
            {"pattern": "^[a-z]+$"},
            "A",
            Violation(("P",), "A", "does not match the pattern ^[a-z]+$", "use a value that matches it"),
        ),
        (
            TAGS,
            [{"Key": "k"}],
            Violation(("P", "0", "Value"), None, "is required", 'add "Value" to P/0'),
        ),
        (
            TAGS,
            [{"Key": "", "Value": "v"}],
            Violation(("P", "0", "Key"), "", "is 0 characters, fewer than 1", "use 1 to 128 characters"),
        ),
        (
            TAGS,
            [{"Key": "k", "Value": 5}],
            Violation(("P", "0", "Value"), 5, "is a JSON number, not a string", "write a string"),
        ),
        (
            TAGS,
            [{"Key": "a", "Value": "1"}] * 3,
            Violation(
                ("P",), [{"Key": "a", "Value": "1"}] * 3, "has 3 items, more than 2", "give 2 items at most"
            ),
        ),
        (
            {"properties": {"Status": {"type": "string", "enum": ["Enabled", "Suspended"]}}},
            {"Status": "Maybe"},
            Violation(
                ("P", "Status"), "Maybe", "is not one of the values it allows", "use 'Enabled' or 'Suspended'"
            ),
        ),
        (
            {"type": ["array", "object"], "minItems": 1},
            "id",
            Violation(
                ("P",),
                "id",
                "is a JSON string, not a JSON array or a JSON object",
                "write a JSON array or a JSON object",
            ),
        ),
        (
            {"properties": {"N": {"type": "integer"}}},
            {"N": 1.0},
            Violation(("P", "N"), 1.0, "is a JSON number, not an integer", "write an integer"),
        ),
    ],
)
def test_a_broken_rule_is_named_with_its_path_value_and_fix(
    rules: dict[str, Any], value: Any, expected: Violation
) -> None:
    """``P``: the property; its validator is cached per (type, property), so each case is its own type."""
    assert violation(f"AWS::Test::{rules!r}", "P", rules, value) == expected


def test_a_value_within_the_rules_and_a_null_break_nothing() -> None:
    assert violation("AWS::Test::Ok", "P", TAGS, [{"Key": "k", "Value": ""}]) is None
    assert violation("AWS::Test::Ok", "P", TAGS, None) is None
    assert violation("AWS::Test::None", "P", {}, "anything") is None


def test_a_shallow_error_wins_over_a_deeper_one() -> None:
    """jsonschema's best match: the item count of the array before a member inside it."""
    found = violation("AWS::Test::Both", "P", TAGS, [{"Key": ""}, {}, {}])
    assert found is not None and found.rule == "has 3 items, more than 2"


@pytest.mark.parametrize(
    ("schema", "value", "message"),
    [
        ({"minimum": 0}, -5, "#: -5 is not greater or equal to 0"),
        ({"maximum": 900}, 901.0, "#: 901 is not less or equal to 900"),
        ({"minLength": 1}, "", "#: expected minLength: 1, actual: 0"),
        ({"maxLength": 1}, "ab", "#: expected maxLength: 1, actual: 2"),
        ({"pattern": "^a$"}, "b", "#: string [b] does not match pattern ^a$"),
        ({"minItems": 1}, [], "#: expected minimum item count: 1, found: 0"),
        ({"maxItems": 1}, [1, 2], "#: expected maximum item count: 1, found: 2"),
        (TAGS, [{"Key": "k"}], "#/0: required key [Value] not found"),
        ({"items": {"enum": ["A"]}}, ["B"], "#/0: B is not a valid enum value"),
        ({"items": {"type": "integer"}}, [True], "#/0: expected type: Integer, found: Boolean"),
    ],
)
def test_the_emulator_words_a_broken_rule_as_cloudformation_does(
    schema: dict[str, Any], value: Any, message: str
) -> None:
    errors = list(strict_validator(schema).iter_errors(value))
    assert [everit_message(error) for error in errors] == [message]
