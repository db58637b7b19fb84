"""Seeding and the Python inspection helpers."""

from __future__ import annotations

import json

import pytest
from emulator_helpers import IR, parent_model

from vtab.catalog.schema import load_schema
from vtab.emulator import Emulator
from vtab.emulator.seed import response_fields, response_key


def test_seeded_ids_exist_and_are_distinct(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=2, integrations=3, responses=4, http_apis=2)
    assert seeded.region == "us-east-1"
    assert len(seeded.websocket_api_ids) == 2 and len(seeded.http_api_ids) == 2
    assert len(seeded.integrations) == 6 and len(seeded.http_integrations) == 2
    assert len(set(seeded.responses)) == 24
    backend = emulator.backend("us-east-1")
    assert {backend.apis[a].protocol_type for a in seeded.websocket_api_ids} == {"WEBSOCKET"}
    assert {backend.apis[a].protocol_type for a in seeded.http_api_ids} == {"HTTP"}
    for api_id, integration_id in seeded.integrations:
        keys = [
            m["IntegrationResponseKey"]
            for m in emulator.integration_responses("us-east-1", api_id, integration_id)
        ]
        assert keys == ["$default", "200", "400", "404"]
    assert all(r.count("|") == 2 for r in seeded.responses)
    assert emulator.resource("us-east-1", IR, seeded.responses[0]) is not None
    assert emulator.resource("us-east-1", IR, f"{seeded.integrations[0][0]}|x|y") is None


def test_seeded_responses_vary_and_validate_against_the_schema(emulator: Emulator) -> None:
    seeded = emulator.seed("us-east-1", responses=12, http_apis=0)
    models = emulator.integration_responses("us-east-1", *seeded.integrations[0])
    assert [m["IntegrationResponseKey"] for m in models] == [response_key(i) for i in range(12)]
    assert len({m["IntegrationResponseKey"] for m in models}) == 12
    assert any("ResponseTemplates" in m for m in models) and any("ResponseTemplates" not in m for m in models)
    assert any("ResponseParameters" in m for m in models)
    assert {m.get("ContentHandlingStrategy") for m in models} == {
        None,
        "CONVERT_TO_TEXT",
        "CONVERT_TO_BINARY",
    }
    assert any("TemplateSelectionExpression" in m for m in models)
    schema = load_schema(IR)
    for index, model in enumerate(models):
        assert {k: v for k, v in model.items() if k not in schema.primary_identifier} == response_fields(
            index
        )
        assert set(model) <= set(schema.properties)


def test_seeding_twenty_thousand_responses(emulator: Emulator, cloudcontrol) -> None:
    seeded = emulator.seed("us-east-1", websocket_apis=1, integrations=1, responses=20_000, http_apis=0)
    assert len(set(seeded.responses)) == 20_000
    api_id, integration_id = seeded.integrations[0]
    assert len(emulator.backend("us-east-1").apis[api_id].integrations[integration_id].responses) == 20_000
    # The endpoint serves them in seeding order, 25 per page.
    client = cloudcontrol()
    out = client.list_resources(TypeName=IR, ResourceModel=parent_model(api_id, integration_id))
    assert [d["Identifier"] for d in out["ResourceDescriptions"]] == list(seeded.responses[:25])


def test_seeding_twice_adds_more(emulator: Emulator) -> None:
    first = emulator.seed("us-east-1")
    second = emulator.seed("us-east-1")
    assert set(first.api_ids).isdisjoint(second.api_ids)
    assert len(emulator.backend("us-east-1").apis) == 4
    names = sorted(api.name for api in emulator.backend("us-east-1").apis.values())
    assert len(set(names)) == 4


def test_demo_seed(emulator: Emulator) -> None:
    demo = emulator.seed_demo()
    assert set(demo) == {"us-east-1", "eu-west-1"}
    for region, seeded in demo.items():
        assert len(seeded.websocket_api_ids) >= 2 and len(seeded.http_api_ids) == 1
        assert len(seeded.responses) >= len(seeded.integrations) >= 2
        assert len(emulator.backend(region).apis) == len(seeded.api_ids)
        assert json.dumps(seeded.to_json())


def test_seed_rejects_negative_counts(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="responses"):
        emulator.seed("us-east-1", responses=-1)


def test_integration_responses_helper_raises_key_error_for_missing_parent(emulator: Emulator) -> None:
    with pytest.raises(KeyError):
        emulator.integration_responses("us-east-1", "nope", "nope")
