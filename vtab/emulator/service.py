"""Cloud Control operation semantics: the eight operations over providers, requests and switches.

Operations take the caller's account (its state), the caller's region and the decoded JSON input and
return the JSON output, or raise :class:`CloudControlError`. The wire protocol lives in ``server.py``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

from vtab.catalog.columns import json_text
from vtab.catalog.facts import Verb
from vtab.emulator.errors import CloudControlError, HandlerFailure, invalid_request, not_found_message
from vtab.emulator.provider import Provider
from vtab.emulator.requests import CANCELLED, IN_FLIGHT, Outcome, ResourceRequest
from vtab.emulator.served import VERB_OF_OPERATION, ServedTypes
from vtab.emulator.state import ACCOUNT_ID, AccountState, EmulatorState
from vtab.emulator.switches import Switches
from vtab.emulator.validation import (
    apply_patch,
    parse_identifier,
    parse_json_object,
    parse_patch,
    validate_model,
)

#: Required members per operation, as the botocore model declares them.
REQUIRED_MEMBERS = {
    "ListResources": ("TypeName",),
    "GetResource": ("TypeName", "Identifier"),
    "CreateResource": ("TypeName", "DesiredState"),
    "UpdateResource": ("TypeName", "Identifier", "PatchDocument"),
    "DeleteResource": ("TypeName", "Identifier"),
    "GetResourceRequestStatus": ("RequestToken",),
    "ListResourceRequests": (),
    "CancelResourceRequest": ("RequestToken",),
}


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _properties(model: dict[str, Any]) -> str:
    return json_text(model)  # AWS answers models deeper than orjson writes (254 levels)


class CloudControlService:
    """The eight Cloud Control operations of one emulator instance."""

    def __init__(self, state: EmulatorState, switches: Switches) -> None:
        self.state = state
        self.switches = switches
        self.types = ServedTypes()
        self._operations: dict[str, Callable[[AccountState, str, dict[str, Any]], dict[str, Any]]] = {
            "ListResources": self.list_resources,
            "GetResource": self.get_resource,
            "CreateResource": self.create_resource,
            "UpdateResource": self.update_resource,
            "DeleteResource": self.delete_resource,
            "GetResourceRequestStatus": self.get_resource_request_status,
            "ListResourceRequests": self.list_resource_requests,
            "CancelResourceRequest": self.cancel_resource_request,
        }

    def handle(
        self, operation: str, region: str, params: dict[str, Any], account_id: str = ACCOUNT_ID
    ) -> dict[str, Any]:
        handler = self._operations.get(operation)
        if handler is None:
            raise CloudControlError("UnknownOperationException", f"Unknown operation {operation!r}")
        missing = [m for m in REQUIRED_MEMBERS[operation] if params.get(m) is None]
        if missing:
            raise CloudControlError(
                "ValidationException",
                f"{len(missing)} validation error(s) detected: "
                + "; ".join(
                    f"Value null at '{m[0].lower() + m[1:]}' failed to satisfy constraint: "
                    "Member must not be null"
                    for m in missing
                ),
            )
        return handler(self.state.account(account_id), region, params)

    # --- helpers -------------------------------------------------------------------------------
    def provider(self, type_name: Any, operation: str) -> Provider:
        """The provider serving the type for the operation's verb; TypeNotFound / UnsupportedAction else."""
        return self.types.get(type_name, VERB_OF_OPERATION[operation])

    def _sign(self, payload: dict[str, Any]) -> str:
        body = base64.urlsafe_b64encode(_canonical(payload).encode()).decode().rstrip("=")
        mac = hmac.new(self.state.token_key, body.encode(), hashlib.sha256).hexdigest()[:24]
        return f"{body}.{mac}"

    def _unsign(self, token: Any, expect: dict[str, Any]) -> dict[str, Any]:
        """The payload of a NextToken this endpoint issued for the same request; InvalidRequest else."""
        bad = invalid_request(f"The NextToken value {token!r} is not valid for this request.")
        if not isinstance(token, str) or "." not in token:
            raise bad
        body, mac = token.rsplit(".", 1)
        good = hmac.new(self.state.token_key, body.encode(), hashlib.sha256).hexdigest()[:24]
        if not hmac.compare_digest(mac, good):
            raise bad
        try:
            payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        except ValueError:
            raise bad from None
        if not isinstance(payload, dict) or any(payload.get(k) != v for k, v in expect.items()):
            raise bad
        return payload

    # --- reads ---------------------------------------------------------------------------------
    def list_resources(self, account: AccountState, region: str, params: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider(params["TypeName"], "ListResources")
        rules = provider.rules
        settings = self.switches.settings
        model: dict[str, Any] = {}
        if params.get("ResourceModel") is not None:
            model = parse_json_object(params["ResourceModel"], "ResourceModel")
        parent = provider.list_filter(model)
        scope = {"r": region, "t": rules.type_name, "p": parent}
        offset = 0
        if params.get("NextToken") is not None:
            offset = int(self._unsign(params["NextToken"], scope)["o"])
        with self.state.lock:
            region_state = account.region(region)
            try:
                objects = provider.list_objects(region_state, parent)
            except HandlerFailure as failure:
                if failure.error_code == "NotFound":
                    raise CloudControlError(settings.missing_parent_error, failure.message) from None
                raise failure.as_sync_error() from None
            hidden = region_state.store(provider.is_global).hidden.get(rules.type_name)
            if hidden:
                objects = [o for o in objects if provider.identifier(o, parent) not in hidden]
                for identifier in list(hidden):
                    hidden[identifier] -= 1
                    if hidden[identifier] <= 0:
                        del hidden[identifier]
            page = objects[offset : offset + settings.page_size]
            models = [provider.describe(o, parent) for o in page]
            more = offset + settings.page_size < len(objects)
        descriptions = []
        for item in models:
            shown = item
            if settings.identifier_only_lists:
                shown = {k: item[k] for k in rules.primary_identifier if k in item}
            descriptions.append({"Identifier": rules.identifier_of(item), "Properties": _properties(shown)})
        result: dict[str, Any] = {"TypeName": rules.type_name, "ResourceDescriptions": descriptions}
        if more:
            result["NextToken"] = self._sign({**scope, "o": offset + settings.page_size})
        return result

    def get_resource(self, account: AccountState, region: str, params: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider(params["TypeName"], "GetResource")
        rules = provider.rules
        ids = parse_identifier(rules, params["Identifier"])
        if ids is None:
            raise CloudControlError(
                "ResourceNotFoundException", not_found_message(rules.type_name, str(params["Identifier"]))
            )
        with self.state.lock:
            try:
                model = provider.read(account.region(region), ids)
            except HandlerFailure as failure:
                raise failure.as_sync_error() from None
        return {
            "TypeName": rules.type_name,
            "ResourceDescription": {
                "Identifier": rules.identifier_of(model),
                "Properties": _properties(model),
            },
        }

    # --- writes --------------------------------------------------------------------------------
    def _replay(
        self, account: AccountState, region: str, client_token: str | None, fingerprint: str
    ) -> ResourceRequest | None:
        """The earlier request of this ClientToken, or ClientTokenConflict when it asked something else."""
        earlier = account.requests.by_client_token(region, client_token)
        if earlier is None:
            return None
        if earlier.fingerprint != fingerprint:
            raise CloudControlError(
                "ClientTokenConflictException",
                f"The client token {client_token} has already been used in another resource request. "
                "Client tokens expire after 36 hours.",
            )
        return earlier

    def _check_not_busy(self, account: AccountState, region: str, type_name: str, identifier: str) -> None:
        busy = account.requests.in_flight(region, type_name, identifier)
        if busy is not None:
            raise CloudControlError(
                "ConcurrentOperationException",
                f"Another resource operation is currently being performed on this resource "
                f"({type_name} {identifier}, request {busy.request_token}).",
            )

    def _submit(
        self,
        account: AccountState,
        region: str,
        provider: Provider,
        operation: str,
        identifier: str | None,
        client_token: str | None,
        fingerprint: str,
        payload: Any,
    ) -> dict[str, Any]:
        settings = self.switches.settings
        request = account.requests.new(
            region=region,
            type_name=provider.type_name,
            operation=operation,
            identifier=identifier,
            client_token=client_token,
            fingerprint=fingerprint,
            payload=payload,
            forced_failure=self.switches.take_write_failure(),
            retry_after=settings.retry_after,
        )
        if settings.polls_before_complete == 0:
            self._apply(account, request)
        return {"ProgressEvent": request.event()}

    def create_resource(self, account: AccountState, region: str, params: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider(params["TypeName"], "CreateResource")
        desired = parse_json_object(params["DesiredState"], "DesiredState")
        client_token = params.get("ClientToken")
        fingerprint = _canonical(["CREATE", provider.type_name, desired])
        validate_model(provider.rules, desired)
        with self.state.lock:
            earlier = self._replay(account, region, client_token, fingerprint)
            if earlier is not None:
                return {"ProgressEvent": earlier.event()}
            return self._submit(account, region, provider, "CREATE", None, client_token, fingerprint, desired)

    def _target(self, provider: Provider, raw: Any) -> tuple[dict[str, str] | None, str]:
        """Parsed identifier parts (None if malformed) and the identifier to report and lock on."""
        ids = parse_identifier(provider.rules, raw)
        return ids, provider.rules.identifier_of(ids) if ids is not None else str(raw)

    def update_resource(self, account: AccountState, region: str, params: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider(params["TypeName"], "UpdateResource")
        ids, identifier = self._target(provider, params["Identifier"])
        client_token = params.get("ClientToken")
        fingerprint = _canonical(["UPDATE", provider.type_name, identifier, params["PatchDocument"]])
        ops = parse_patch(provider.rules, params["PatchDocument"])
        with self.state.lock:
            earlier = self._replay(account, region, client_token, fingerprint)
            if earlier is not None:
                return {"ProgressEvent": earlier.event()}
            if ids is not None:
                try:
                    current = provider.read(account.region(region), ids)
                except HandlerFailure:
                    current = None  # reported as FAILED NotFound by the request
                if current is not None:
                    apply_patch(provider.rules, current, ops)
            self._check_not_busy(account, region, provider.type_name, identifier)
            return self._submit(
                account, region, provider, "UPDATE", identifier, client_token, fingerprint, ops
            )

    def delete_resource(self, account: AccountState, region: str, params: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider(params["TypeName"], "DeleteResource")
        _, identifier = self._target(provider, params["Identifier"])
        client_token = params.get("ClientToken")
        fingerprint = _canonical(["DELETE", provider.type_name, identifier])
        with self.state.lock:
            earlier = self._replay(account, region, client_token, fingerprint)
            if earlier is not None:
                return {"ProgressEvent": earlier.event()}
            self._check_not_busy(account, region, provider.type_name, identifier)
            return self._submit(
                account, region, provider, "DELETE", identifier, client_token, fingerprint, None
            )

    def _apply(self, account: AccountState, request: ResourceRequest) -> None:
        """Carry out a request against the provider and keep the outcome for the next poll to publish."""
        verb = {"CREATE": Verb.CREATE, "UPDATE": Verb.UPDATE, "DELETE": Verb.DELETE}[request.operation]
        provider = self.types.get(request.type_name, verb)
        rules = provider.rules
        region_state = account.region(request.region)
        if request.forced_failure is not None:
            code, message = request.forced_failure
            request.outcome = Outcome("FAILED", error_code=code, message=message)
            return
        try:
            if request.operation == "CREATE":
                model = provider.create(region_state, request.payload)
                identifier = rules.identifier_of(model)
                invisible_for = self.switches.settings.invisible_for
                if invisible_for > 0:
                    hidden = region_state.store(provider.is_global).hidden
                    hidden.setdefault(rules.type_name, {})[identifier] = invisible_for
                request.outcome = Outcome("SUCCESS", identifier=identifier, model=model)
                return
            ids = parse_identifier(rules, request.identifier)
            if ids is None:
                raise HandlerFailure("NotFound", not_found_message(rules.type_name, str(request.identifier)))
            if request.operation == "UPDATE":
                current = provider.read(region_state, ids)
                try:
                    patched = apply_patch(rules, current, request.payload)
                except CloudControlError as exc:
                    raise HandlerFailure("InvalidRequest", exc.message) from None
                model = provider.update(region_state, ids, patched)
                request.outcome = Outcome("SUCCESS", identifier=request.identifier, model=model)
            else:
                provider.delete(region_state, ids)
                request.outcome = Outcome("SUCCESS", identifier=request.identifier)
        except HandlerFailure as failure:
            request.outcome = Outcome("FAILED", error_code=failure.error_code, message=failure.message)

    def get_resource_request_status(
        self, account: AccountState, region: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.state.lock:
            request = account.requests.get(region, params["RequestToken"])
            if request.status in IN_FLIGHT:
                request.polls += 1
                if not request.applied and request.polls >= self.switches.settings.polls_before_complete:
                    self._apply(account, request)
                if request.outcome is not None:
                    request.published = request.outcome
                    account.requests.finish(request, request.outcome.status)
            return {"ProgressEvent": request.event()}

    def list_resource_requests(
        self, account: AccountState, region: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        status_filter = params.get("ResourceRequestStatusFilter") or {}
        operations = frozenset(status_filter.get("Operations") or ())
        statuses = frozenset(status_filter.get("OperationStatuses") or ())
        max_results = params.get("MaxResults") or 20
        if not isinstance(max_results, int) or not 1 <= max_results <= 100:
            raise invalid_request("MaxResults must be between 1 and 100")
        scope = {"r": region, "f": [sorted(operations), sorted(statuses)]}
        before = None
        if params.get("NextToken") is not None:
            before = int(self._unsign(params["NextToken"], scope)["s"])
        summaries: list[dict[str, Any]] = []
        more = False
        last_seq = 0
        with self.state.lock:
            for request in account.requests.newest_first(region):
                if before is not None and request.seq >= before:
                    continue
                if operations and request.operation not in operations:
                    continue
                if statuses and request.status not in statuses:
                    continue
                if len(summaries) == max_results:
                    more = True
                    break
                summaries.append(request.event())
                last_seq = request.seq
        result: dict[str, Any] = {"ResourceRequestStatusSummaries": summaries}
        if more:
            result["NextToken"] = self._sign({**scope, "s": last_seq})
        return result

    def cancel_resource_request(
        self, account: AccountState, region: str, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.state.lock:
            request = account.requests.get(region, params["RequestToken"])
            if request.status in IN_FLIGHT:
                account.requests.finish(request, "CANCEL_COMPLETE")
            elif request.status not in CANCELLED:
                raise CloudControlError(
                    "ConcurrentModificationException",
                    f"Request {request.request_token} is already {request.status}; only PENDING or "
                    "IN_PROGRESS requests can be canceled.",
                )
            return {"ProgressEvent": request.event()}
