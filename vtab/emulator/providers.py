"""Resource-provider semantics of the three ApiGatewayV2 types, on moto's apigatewayv2 backend objects.

Each provider maps the CloudFormation model (PascalCase properties from the registry schema) onto moto's
objects and fills moto's gaps the way the real handlers behave: missing ids are ``NotFound`` (moto raises
KeyError or deletes silently), a duplicate IntegrationResponseKey is ``AlreadyExists``, and integration
responses exist only on WebSocket APIs. Callers hold the emulator lock; nothing here sleeps.
"""

from __future__ import annotations

import string
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from random import Random
from typing import Any, ClassVar

from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, Integration, IntegrationResponse
from moto.moto_api._internal import mock_random

from vtab.catalog.columns import snake_case
from vtab.catalog.schema import ResourceSchema, load_schema
from vtab.emulator.errors import HandlerFailure
from vtab.emulator.provider import ListInputs, Provider
from vtab.emulator.rules import TypeRules
from vtab.emulator.state import ACCOUNT_ID, RegionState

__all__ = ["ACCOUNT_ID", "PROVIDERS", "MotoProvider"]

_EXTRA = "_vtab_extra"


def drop_nulls(value: Any) -> Any:
    """Cloud Control omits absent properties; moto keeps them as None."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value


def _random_id() -> str:
    return "".join(mock_random.choice(string.ascii_lowercase) for _ in range(8))


_MOTO_RANDOM = threading.Lock()


@contextmanager
def moto_ids(rng: Random) -> Iterator[None]:
    """Let moto draw its ids (one process-wide ``mock_random``) from the emulator's own Random meanwhile,
    so a seeded emulator's Api, Integration and IntegrationResponse ids repeat run after run."""
    with _MOTO_RANDOM:
        saved = mock_random.getstate()
        mock_random.setstate(rng.getstate())
        try:
            yield
        finally:
            rng.setstate(mock_random.getstate())
            mock_random.setstate(saved)


def _parent_missing(what: str, ident: str) -> HandlerFailure:
    """The apigatewayv2 404 as a handler reports it."""
    return HandlerFailure(
        "NotFound",
        f"Invalid {what} identifier specified {ACCOUNT_ID}:{ident} "
        "(Service: ApiGatewayV2, Status Code: 404, Error Code: NotFoundException)",
    )


def find_api(backend: ApiGatewayV2Backend, api_id: str) -> Api:
    api = backend.apis.get(api_id)
    if api is None:
        raise _parent_missing("API", api_id)
    return api


def find_integration(api: Api, integration_id: str) -> Integration:
    integration = api.integrations.get(integration_id)
    if integration is None:
        raise _parent_missing("Integration", integration_id)
    return integration


def require_websocket(api: Api) -> None:
    if api.protocol_type != "WEBSOCKET":
        raise HandlerFailure(
            "InvalidRequest",
            f"Integration responses are supported only for WebSocket APIs; API {api.api_id} is "
            f"{api.protocol_type} (Service: ApiGatewayV2, Status Code: 400, Error Code: BadRequestException)",
        )


def make_api(backend: ApiGatewayV2Backend, **fields: Any) -> Api:
    """``backend.create_api`` with moto's arguments (snake_case); absent ones are None."""
    names = (
        "api_key_selection_expression",
        "cors_configuration",
        "description",
        "disable_schema_validation",
        "disable_execute_api_endpoint",
        "name",
        "protocol_type",
        "route_selection_expression",
        "version",
    )
    moto: Any = backend  # moto annotates its optional arguments as plain str
    api: Api = moto.create_api(tags=fields.pop("tags", None) or {}, **{n: fields.pop(n, None) for n in names})
    if fields:
        raise TypeError(f"unexpected Api field(s): {', '.join(fields)}")
    return api


def make_integration(api: Api, **fields: Any) -> Integration:
    """``api.create_integration`` with moto's (snake_case) arguments; absent ones are None."""
    required = ("connection_type", "description", "integration_method", "integration_type", "integration_uri")
    moto: Any = api
    integration: Integration = moto.create_integration(**{**dict.fromkeys(required), **fields})
    return integration


def new_integration_response(integration: Integration, fields: dict[str, Any]) -> IntegrationResponse:
    """A moto IntegrationResponse with an id unique within its integration (moto would overwrite)."""
    factory: Any = IntegrationResponse  # moto annotates the optional fields as plain str
    response: IntegrationResponse = factory(
        content_handling_strategy=fields.get("ContentHandlingStrategy"),
        integration_response_key=fields["IntegrationResponseKey"],
        response_parameters=fields.get("ResponseParameters"),
        response_templates=fields.get("ResponseTemplates"),
        template_selection_expression=fields.get("TemplateSelectionExpression"),
    )
    while response.id in integration.responses:
        response.id = _random_id()
    integration.responses[response.id] = response
    return response


class MotoProvider(Provider):
    """Generic mapping between schema properties and the attributes of one moto object class.

    A property maps to the moto attribute of the same snake_case name; properties moto does not keep are
    stored in a side dict on the object. Write-only properties are accepted and never read back.
    """

    id_property: ClassVar[str]
    """The read-only, service-generated property that ends the primary identifier."""

    def __init__(self) -> None:
        self.schema: ResourceSchema = load_schema(self.type_name)
        self.rules = TypeRules.from_schema(self.schema)
        self.list_inputs = ListInputs(required=self.schema.list_requires)
        self.parent_properties = tuple(p for p in self.schema.primary_identifier if p != self.id_property)
        self.plain_properties = tuple(
            p
            for p in self.schema.properties
            if p not in self.schema.primary_identifier and p not in self.schema.read_only
        )

    # --- object access -------------------------------------------------------------------------
    def object_id(self, obj: Any) -> str:
        return str(obj.id)

    def get_property(self, obj: Any, prop: str) -> Any:
        attr = snake_case(prop)
        if hasattr(obj, attr):
            return getattr(obj, attr)
        return getattr(obj, _EXTRA, {}).get(prop)

    def set_property(self, obj: Any, prop: str, value: Any) -> None:
        attr = snake_case(prop)
        if hasattr(obj, attr):
            setattr(obj, attr, value)
        else:
            extra = obj.__dict__.setdefault(_EXTRA, {})
            extra[prop] = value

    def describe(self, obj: Any, parent: dict[str, Any]) -> dict[str, Any]:
        """The full CloudFormation model of ``obj`` (nulls dropped, write-only left out)."""
        model: dict[str, Any] = dict(parent)
        model[self.id_property] = self.object_id(obj)
        for prop in self.schema.properties:
            if prop in model or prop in self.schema.write_only:
                continue
            model[prop] = self.get_property(obj, prop)
        return drop_nulls(model)

    def identifier(self, obj: Any, parent: dict[str, Any]) -> str:
        return "|".join([*(parent[p] for p in self.parent_properties), self.object_id(obj)])

    # --- handlers (on the region's moto backend) -----------------------------------------------
    def list_objects(self, region: RegionState, parent: dict[str, Any]) -> Sequence[Any]:
        return self.list_in(region.backend, parent)

    def list_in(self, backend: ApiGatewayV2Backend, parent: dict[str, Any]) -> Sequence[Any]:
        raise NotImplementedError

    def each(self, backend: ApiGatewayV2Backend) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Every object of the type in the backend, with its parent ids."""
        raise NotImplementedError

    def matching(self, region: RegionState, values: dict[str, Any]) -> list[dict[str, Any]]:
        models = (self.describe(obj, parent) for obj, parent in self.each(region.backend))
        return [m for m in models if all(m.get(k) == v for k, v in values.items())]

    def find(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> Any:
        """The object named by ``ids``; HandlerFailure NotFound when it or a parent is missing."""
        raise NotImplementedError

    def read(self, region: RegionState, ids: dict[str, str]) -> dict[str, Any]:
        return self.read_in(region.backend, ids)

    def read_in(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> dict[str, Any]:
        obj = self.find(backend, ids)
        return self.describe(obj, {p: ids[p] for p in self.parent_properties})

    def create(self, region: RegionState, desired: dict[str, Any]) -> dict[str, Any]:
        with moto_ids(region.random):
            return self.create_in(region.backend, desired)

    def create_in(self, backend: ApiGatewayV2Backend, desired: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def update(self, region: RegionState, ids: dict[str, str], desired: dict[str, Any]) -> dict[str, Any]:
        """Make the object match ``desired`` (absent properties are unset, as a full-model update does)."""
        backend = region.backend
        obj = self.find(backend, ids)
        self.check_update(backend, ids, obj, desired)
        for prop in self.plain_properties:
            if prop in self.schema.create_only:
                continue
            self.set_property(obj, prop, desired.get(prop))
        return self.read_in(backend, ids)

    def check_update(
        self, backend: ApiGatewayV2Backend, ids: dict[str, str], obj: Any, desired: dict[str, Any]
    ) -> None:
        """Service-side checks a real update would fail on; none by default."""

    def delete(self, region: RegionState, ids: dict[str, str]) -> None:
        self.delete_in(region.backend, ids)

    def delete_in(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> None:
        raise NotImplementedError

    def _missing(self, ids: dict[str, str]) -> HandlerFailure:
        return self.not_found(ids)


class ApiProvider(MotoProvider):
    type_name = "AWS::ApiGatewayV2::Api"
    id_property = "ApiId"

    def object_id(self, obj: Any) -> str:
        return str(obj.api_id)

    def get_property(self, obj: Any, prop: str) -> Any:
        if prop == "Tags":
            return obj.backend.get_tags(obj.arn) or None
        return super().get_property(obj, prop)

    def set_property(self, obj: Any, prop: str, value: Any) -> None:
        if prop == "Tags":
            old = obj.backend.get_tags(obj.arn)
            if old:
                obj.backend.untag_resource(obj.arn, list(old))
            if value:
                obj.backend.tag_resource(obj.arn, value)
            return
        if prop in self.schema.write_only:
            return
        super().set_property(obj, prop, value)

    def list_in(self, backend: ApiGatewayV2Backend, parent: dict[str, Any]) -> Sequence[Any]:
        return list(backend.apis.values())

    def each(self, backend: ApiGatewayV2Backend) -> Iterator[tuple[Any, dict[str, Any]]]:
        for api in backend.apis.values():
            yield api, {}

    def find(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> Any:
        api = backend.apis.get(ids["ApiId"])
        if api is None:
            raise self._missing(ids)
        return api

    def create_in(self, backend: ApiGatewayV2Backend, desired: dict[str, Any]) -> dict[str, Any]:
        body = desired.get("Body")
        has_definition = body is not None or desired.get("BodyS3Location") is not None
        name = desired.get("Name")
        if name is None and isinstance(body, dict):
            name = body.get("info", {}).get("title")
        protocol = desired.get("ProtocolType") or ("HTTP" if has_definition else None)
        if not name or not protocol:
            raise HandlerFailure(
                "InvalidRequest", "Name and ProtocolType are required unless Body or BodyS3Location is set"
            )
        api = make_api(
            backend,
            api_key_selection_expression=desired.get("ApiKeySelectionExpression"),
            cors_configuration=desired.get("CorsConfiguration"),
            description=desired.get("Description"),
            disable_schema_validation=desired.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=desired.get("DisableExecuteApiEndpoint"),
            name=name,
            protocol_type=protocol,
            route_selection_expression=desired.get("RouteSelectionExpression"),
            tags=desired.get("Tags"),
            version=desired.get("Version"),
        )
        if desired.get("IpAddressType") is not None:
            self.set_property(api, "IpAddressType", desired["IpAddressType"])
        return self.describe(api, {})

    def delete_in(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> None:
        api = self.find(backend, ids)
        old = backend.get_tags(api.arn)
        if old:
            backend.untag_resource(api.arn, list(old))
        del backend.apis[api.api_id]


class IntegrationProvider(MotoProvider):
    type_name = "AWS::ApiGatewayV2::Integration"
    id_property = "IntegrationId"

    def list_in(self, backend: ApiGatewayV2Backend, parent: dict[str, Any]) -> Sequence[Any]:
        return list(find_api(backend, parent["ApiId"]).integrations.values())

    def each(self, backend: ApiGatewayV2Backend) -> Iterator[tuple[Any, dict[str, Any]]]:
        for api in backend.apis.values():
            for integration in api.integrations.values():
                yield integration, {"ApiId": api.api_id}

    def find(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> Any:
        api = backend.apis.get(ids["ApiId"])
        integration = api.integrations.get(ids["IntegrationId"]) if api is not None else None
        if integration is None:
            raise self._missing(ids)
        return integration

    def create_in(self, backend: ApiGatewayV2Backend, desired: dict[str, Any]) -> dict[str, Any]:
        api = find_api(backend, desired["ApiId"])
        fields = {snake_case(p): desired.get(p) for p in self.plain_properties}
        integration = make_integration(api, **fields)
        return self.describe(integration, {"ApiId": api.api_id})

    def delete_in(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> None:
        integration = self.find(backend, ids)
        del backend.apis[ids["ApiId"]].integrations[integration.id]


class IntegrationResponseProvider(MotoProvider):
    type_name = "AWS::ApiGatewayV2::IntegrationResponse"
    id_property = "IntegrationResponseId"

    def list_in(self, backend: ApiGatewayV2Backend, parent: dict[str, Any]) -> Sequence[Any]:
        api = find_api(backend, parent["ApiId"])
        require_websocket(api)
        return list(find_integration(api, parent["IntegrationId"]).responses.values())

    def each(self, backend: ApiGatewayV2Backend) -> Iterator[tuple[Any, dict[str, Any]]]:
        for api in backend.apis.values():
            for integration in api.integrations.values():
                parent = {"ApiId": api.api_id, "IntegrationId": integration.id}
                for response in integration.responses.values():
                    yield response, parent

    def find(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> Any:
        api = backend.apis.get(ids["ApiId"])
        integration = api.integrations.get(ids["IntegrationId"]) if api is not None else None
        response = integration.responses.get(ids["IntegrationResponseId"]) if integration else None
        if response is None:
            raise self._missing(ids)
        return response

    def _check_key(self, integration: Integration, key: str, own_id: str | None) -> None:
        for other in integration.responses.values():
            if other.integration_response_key == key and other.id != own_id:
                raise HandlerFailure(
                    "AlreadyExists",
                    f"Resource of type '{self.type_name}' with identifier 'IntegrationResponseKey={key}' "
                    f"already exists on integration {integration.id} (existing IntegrationResponseId "
                    f"{other.id}).",
                )

    def create_in(self, backend: ApiGatewayV2Backend, desired: dict[str, Any]) -> dict[str, Any]:
        api = find_api(backend, desired["ApiId"])
        require_websocket(api)
        integration = find_integration(api, desired["IntegrationId"])
        self._check_key(integration, desired["IntegrationResponseKey"], None)
        response = new_integration_response(integration, desired)
        return self.describe(response, {"ApiId": api.api_id, "IntegrationId": integration.id})

    def check_update(
        self, backend: ApiGatewayV2Backend, ids: dict[str, str], obj: Any, desired: dict[str, Any]
    ) -> None:
        integration = backend.apis[ids["ApiId"]].integrations[ids["IntegrationId"]]
        self._check_key(integration, desired["IntegrationResponseKey"], obj.id)

    def delete_in(self, backend: ApiGatewayV2Backend, ids: dict[str, str]) -> None:
        response = self.find(backend, ids)
        del backend.apis[ids["ApiId"]].integrations[ids["IntegrationId"]].responses[response.id]


PROVIDERS: dict[str, MotoProvider] = {
    p.type_name: p for p in (ApiProvider(), IntegrationProvider(), IntegrationResponseProvider())
}
