"""Seed data, written straight into the backend objects (no HTTP), so 20,000 responses take ~a second.

Values vary with the index so reads have JSON objects and optional strings to show: even responses carry
ResponseTemplates, every third ResponseParameters, and ContentHandlingStrategy and
TemplateSelectionExpression appear on some.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from vtab.emulator.providers import make_api, make_integration, moto_ids, new_integration_response
from vtab.emulator.state import AccountState

RESPONSE_KEYS = ("$default", "200", "400", "404", "500")
INTEGRATION_TYPES = ("MOCK", "HTTP", "AWS_PROXY")
DEMO_REGIONS = ("us-east-1", "eu-west-1")


@dataclass(frozen=True)
class Seeded:
    """The ids one :func:`seed` call created in ``region``."""

    region: str
    websocket_api_ids: tuple[str, ...]
    http_api_ids: tuple[str, ...]
    integrations: tuple[tuple[str, str], ...]
    """(ApiId, IntegrationId) of the WebSocket integrations, the ones that carry responses."""
    http_integrations: tuple[tuple[str, str], ...]
    responses: tuple[str, ...]
    """Full identifiers ``ApiId|IntegrationId|IntegrationResponseId``."""

    @property
    def api_ids(self) -> tuple[str, ...]:
        return self.websocket_api_ids + self.http_api_ids

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def response_key(index: int) -> str:
    return RESPONSE_KEYS[index] if index < len(RESPONSE_KEYS) else f"r{index}"


def response_fields(index: int) -> dict[str, Any]:
    """The deterministic properties of the ``index``-th response of an integration."""
    fields: dict[str, Any] = {"IntegrationResponseKey": response_key(index)}
    if index % 2 == 0:
        fields["ResponseTemplates"] = {"application/json": f'{{"response": {index}, "body": $input.body}}'}
        fields["TemplateSelectionExpression"] = "$integration.response.header.Content-Type"
    if index % 3 == 0:
        fields["ResponseParameters"] = {
            "method.response.header.X-Response-Index": f"'{index}'",
            "method.response.header.X-Request-Id": "integration.response.header.x-amzn-RequestId",
        }
    if index % 3 == 1:
        fields["ContentHandlingStrategy"] = "CONVERT_TO_TEXT"
    elif index % 5 == 2:
        fields["ContentHandlingStrategy"] = "CONVERT_TO_BINARY"
    return fields


def seed(
    state: AccountState,
    region: str,
    *,
    websocket_apis: int = 1,
    integrations: int = 1,
    responses: int = 3,
    http_apis: int = 1,
) -> Seeded:
    """Create ``websocket_apis`` WebSocket APIs with ``integrations`` integrations each and ``responses``
    integration responses per integration, plus ``http_apis`` HTTP APIs with one HTTP_PROXY integration."""
    for name, value in (
        ("websocket_apis", websocket_apis),
        ("integrations", integrations),
        ("responses", responses),
        ("http_apis", http_apis),
    ):
        if value < 0:
            raise ValueError(f"{name} must be >= 0")
    ws_ids: list[str] = []
    http_ids: list[str] = []
    pairs: list[tuple[str, str]] = []
    http_pairs: list[tuple[str, str]] = []
    response_ids: list[str] = []
    with state.lock, moto_ids(state.random):
        backend = state.region(region).backend
        offset = len(backend.apis)
        for a in range(websocket_apis):
            api = make_api(
                backend,
                description=f"Seeded WebSocket API {a}",
                name=f"ws-api-{offset + a}",
                protocol_type="WEBSOCKET",
                route_selection_expression="$request.body.action",
                tags={"seeded": "true"},
            )
            ws_ids.append(api.api_id)
            for i in range(integrations):
                kind = INTEGRATION_TYPES[i % len(INTEGRATION_TYPES)]
                integration = make_integration(
                    api,
                    connection_type="INTERNET",
                    description=f"Seeded integration {i}",
                    integration_method=None if kind == "MOCK" else "POST",
                    integration_type=kind,
                    integration_uri=None if kind == "MOCK" else f"https://example.com/ws/{a}/{i}",
                    template_selection_expression="\\$default" if kind == "MOCK" else None,
                )
                pairs.append((api.api_id, integration.id))
                prefix = f"{api.api_id}|{integration.id}|"
                for r in range(responses):
                    response = new_integration_response(integration, response_fields(r))
                    response_ids.append(prefix + response.id)
        for h in range(http_apis):
            api = make_api(
                backend,
                description=f"Seeded HTTP API {h}",
                name=f"http-api-{offset + websocket_apis + h}",
                protocol_type="HTTP",
            )
            http_ids.append(api.api_id)
            integration = make_integration(
                api,
                connection_type="INTERNET",
                description="Seeded HTTP proxy integration",
                integration_method="GET",
                integration_type="HTTP_PROXY",
                integration_uri="https://example.com/http",
                payload_format_version="1.0",
            )
            http_pairs.append((api.api_id, integration.id))
    return Seeded(
        region=region,
        websocket_api_ids=tuple(ws_ids),
        http_api_ids=tuple(http_ids),
        integrations=tuple(pairs),
        http_integrations=tuple(http_pairs),
        responses=tuple(response_ids),
    )


def seed_demo(state: AccountState) -> dict[str, Seeded]:
    """The demo data: in two regions, 3 WebSocket APIs x 2 integrations x 4 responses, and 1 HTTP API."""
    return {
        region: seed(state, region, websocket_apis=3, integrations=2, responses=4, http_apis=1)
        for region in DEMO_REGIONS
    }
