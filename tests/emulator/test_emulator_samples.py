"""Unit tests of the values the emulator makes up: they keep the property's rules (pure logic)."""

from __future__ import annotations

import re

import pytest

from vtab.catalog.store import load_catalog
from vtab.emulator import Emulator
from vtab.emulator.samples import fits, sample_value, string_value
from vtab.write.constraints import violation

DATAZONE = {"pattern": "^dzd[-_][a-zA-Z0-9_-]{1,36}$"}
QUICKSIGHT_ACCOUNT = {"pattern": "^[0-9]*$", "minLength": 12, "maxLength": 12}
SAGEMAKER_DOMAIN = {"pattern": "^d-(-*[a-z0-9])+", "maxLength": 63}


def test_a_plain_value_that_fits_is_kept() -> None:
    assert string_value({"maxLength": 20}, "name-3") == "name-3"


@pytest.mark.parametrize("rules", [DATAZONE, QUICKSIGHT_ACCOUNT, SAGEMAKER_DOMAIN])
def test_a_value_is_generated_from_the_pattern_within_the_lengths(rules: dict[str, object]) -> None:
    for _ in range(20):
        value = string_value(rules, "abcdefghij")
        assert fits(rules, value) and "|" not in value and value.isprintable()


def test_a_value_keeps_the_rules_of_the_children_that_take_it() -> None:
    """Cognito's UserPool has no pattern on UserPoolId; its clients' UserPoolId says what one looks like."""
    child = {"pattern": r"^[\w-]+_[0-9a-zA-Z]+$"}
    assert re.match(child["pattern"], string_value({}, "abcdefghij", [child]))


def test_a_pattern_rstr_cannot_keep_falls_back_to_the_plain_value() -> None:
    """rstr ignores lookaheads: nothing it makes can fit, so the plain value is returned as it is."""
    assert string_value({"pattern": "^(?!x)x$"}, "plain") == "plain"


def test_a_sample_has_its_required_members_fewest_items_and_a_value_in_range() -> None:
    rules = {
        "type": "object",
        "required": ["SubnetIds", "Size"],
        "properties": {
            "SubnetIds": {"type": "array", "minItems": 2, "items": {"type": "string"}},
            "Size": {"type": "integer", "minimum": 10, "maximum": 20},
        },
    }
    assert sample_value("Config", rules, 0) == {"SubnetIds": ["subnet-ids-0", "subnet-ids-1"], "Size": 10}
    assert sample_value("Mode", {"type": "string", "enum": ["A", "B"]}, 4) == "A"


@pytest.mark.parametrize(
    ("type_name", "prop"),
    [
        ("AWS::Braket::SpendingLimit", "SpendingLimitArn"),  # not the SpendingLimit amount it was named for
        ("AWS::Outposts::Outpost", "SiteArn"),  # not the SiteId
        ("AWS::SageMaker::ImageVersion", "Version"),  # minimum 1, not 0
        ("AWS::Comprehend::DocumentClassifierEndpoint", "CurrentInferenceUnits"),  # minimum 1
    ],
)
def test_a_read_only_value_the_emulator_makes_up_keeps_its_schema(type_name: str, prop: str) -> None:
    """A patch applies to the model as read: a made-up value outside the schema would fail the update."""
    with Emulator() as emulator:
        (identifier,) = emulator.seed_type(type_name, "us-east-1").identifiers
        model = emulator.resource("us-east-1", type_name, identifier)
    assert model is not None and prop in model
    facts = load_catalog().facts(type_name)
    for name in facts.read_only:
        if name in model:
            rules = facts.properties[name].get("check", {})
            assert violation(type_name, name, rules, model[name]) is None, (name, model[name])
