"""The rule for when a failed listing means "no rows", on its own: the parents' answers are given by a
table of answers (what the fetch layer would return), so each case needs no endpoint."""

from __future__ import annotations

from collections.abc import Iterable

from vtab.aws.cloudcontrol import Page, Properties
from vtab.catalog.schema import ResourceSchema
from vtab.catalog.store import load_catalog
from vtab.read.absence import listing_cannot_apply

RESPONSES = load_catalog().schema("AWS::ApiGatewayV2::IntegrationResponse")
MODEL = {"ApiId": "a", "IntegrationId": "i"}


class Answers:
    """GetResource answers by (type, identifier); every lookup is recorded."""

    def __init__(self, gets: dict[tuple[str, str], Properties | None]) -> None:
        self.gets = gets
        self.asked: list[tuple[str, str, bool]] = []

    def get(
        self, region: str, schema: ResourceSchema, identifier: str, *, dropping: bool = False
    ) -> Properties | None:
        self.asked.append((schema.type_name, identifier, dropping))
        return self.gets[(schema.type_name, identifier)]

    def listing(
        self, region: str, schema: ResourceSchema, model: dict[str, str] | None, *, dropping: bool = False
    ) -> Iterable[Page]:
        raise AssertionError("these parents are read by identifier")


def test_a_listing_under_a_parent_that_is_gone_means_no_rows() -> None:
    answers = Answers({("AWS::ApiGatewayV2::Integration", "a|i"): None})
    assert listing_cannot_apply(answers, "us-east-1", RESPONSES, MODEL)
    assert answers.asked == [("AWS::ApiGatewayV2::Integration", "a|i", True)]  # asked afresh


def test_a_listing_under_an_ancestor_the_walk_excludes_means_no_rows() -> None:
    """An HTTP API cannot have integration responses (the walk keeps WebSocket APIs only)."""
    answers = Answers(
        {
            ("AWS::ApiGatewayV2::Integration", "a|i"): {"IntegrationId": "i"},
            ("AWS::ApiGatewayV2::Api", "a"): {"ApiId": "a", "ProtocolType": "HTTP"},
        }
    )
    assert listing_cannot_apply(answers, "us-east-1", RESPONSES, MODEL)


def test_a_listing_whose_parents_all_exist_fails_with_its_own_error() -> None:
    answers = Answers(
        {
            ("AWS::ApiGatewayV2::Integration", "a|i"): {"IntegrationId": "i"},
            ("AWS::ApiGatewayV2::Api", "a"): {"ApiId": "a", "ProtocolType": "WEBSOCKET"},
        }
    )
    assert not listing_cannot_apply(answers, "us-east-1", RESPONSES, MODEL)
    assert [type_name for type_name, _, _ in answers.asked] == [
        "AWS::ApiGatewayV2::Integration",
        "AWS::ApiGatewayV2::Api",
    ]


def test_a_listing_without_a_model_has_no_parent_to_blame() -> None:
    answers = Answers({})
    assert not listing_cannot_apply(answers, "us-east-1", RESPONSES, None)
    assert answers.asked == []
