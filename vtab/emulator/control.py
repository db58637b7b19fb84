"""The control routes under ``/_emulator/``: switches, call log, reset and seeding over HTTP.

They let a process that only has the endpoint URL (the CLI's users, another language) drive the same
knobs the Python API has. Control calls are not recorded as Cloud Control calls.

    GET  /_emulator/health            {"ok": true}
    GET  /_emulator/settings          current settings and pending one-shot faults
    POST /_emulator/settings          {"latency": 0.2, "throttle_next": 3, "deny_next": 1,
                                       "fail_next_call": {"exception": "GeneralServiceException"},
                                       "fail_next_write": {"error_code": "Throttling", "message": "..."},
                                       "refuse_type": {"type": "AWS::EKS::Cluster", "region": "eu-west-1",
                                                       "exception": "AccessDeniedException",
                                                       "account": "111111111111" (optional)}}
    GET  /_emulator/calls             recorded Cloud Control calls;  DELETE clears them
    POST /_emulator/reset             drop all resources, requests, calls and pending faults
    POST /_emulator/seed              {"region": "us-east-1", "websocket_apis": 2, ...} or {"demo": true}
                                      or {"type": "AWS::EKS::Nodegroup", "count": 3, "parents": 2}
                                      ("account": "210987654321" seeds that account, default the
                                      management account 123456789012)
    POST /_emulator/org               {"accounts": 1000, "ous": ["OU1", ...]}: an Organization (orgseed.py)
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import TYPE_CHECKING, Any

import orjson

from vtab.emulator.errors import CloudControlError, HandlerFailure
from vtab.emulator.http_server import HttpRequest, HttpResponse
from vtab.emulator.orgseed import DEFAULT_OUS
from vtab.emulator.seed_types import SeededType
from vtab.emulator.state import ACCOUNT_ID

if TYPE_CHECKING:
    from vtab.emulator.emulator import Emulator

ACCOUNT_PATTERN = re.compile(r"\d{12}")
_SEED_ARGS = frozenset({"websocket_apis", "integrations", "responses", "http_apis"})


def _json(value: Any, status: int = 200) -> HttpResponse:
    return HttpResponse(status, orjson.dumps(value), "application/json")


class ControlRoutes:
    """Serves ``/_emulator/*`` for one :class:`~vtab.emulator.emulator.Emulator`."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __call__(self, request: HttpRequest) -> HttpResponse:
        route = (request.method, request.path.rstrip("/"))
        try:
            body = json.loads(request.body or b"{}") if request.method == "POST" else {}
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            if route == ("GET", "/_emulator/health"):
                return _json({"ok": True})
            if route == ("GET", "/_emulator/settings"):
                return _json(self._settings())
            if route == ("POST", "/_emulator/settings"):
                return _json(self._configure(body))
            if route == ("GET", "/_emulator/calls"):
                return _json({"calls": [call.to_json() for call in self.emulator.calls]})
            if route == ("DELETE", "/_emulator/calls"):
                self.emulator.clear_calls()
                return _json({"ok": True})
            if route == ("POST", "/_emulator/reset"):
                self.emulator.reset()
                return _json({"ok": True})
            if route == ("POST", "/_emulator/seed"):
                return _json(self._seed(body))
            if route == ("POST", "/_emulator/org"):
                return _json(self._org(body))
        except (ValueError, TypeError) as exc:
            return _json({"error": str(exc)}, 400)
        return _json({"error": f"no control route {request.method} {request.path}"}, 404)

    def _settings(self) -> dict[str, Any]:
        return {
            "settings": dataclasses.asdict(self.emulator.settings),
            "pending": self.emulator.switches.pending(),
        }

    def _configure(self, body: dict[str, Any]) -> dict[str, Any]:
        changes = dict(body)
        throttle = changes.pop("throttle_next", None)
        deny = changes.pop("deny_next", None)
        call_failure = changes.pop("fail_next_call", None)
        failure = changes.pop("fail_next_write", None)
        refusal = changes.pop("refuse_type", None)
        if changes:
            self.emulator.configure(**changes)
        if throttle is not None:
            self.emulator.throttle_next(int(throttle))
        if deny is not None:
            self.emulator.deny_next(int(deny))
        if call_failure is not None:
            self.emulator.fail_next_call(
                call_failure["exception"], call_failure.get("message", "Injected failure")
            )
        if failure is not None:
            if isinstance(failure, dict):
                self.emulator.fail_next_write(
                    failure["error_code"], failure.get("message", "Injected failure")
                )
            elif isinstance(failure, str):
                self.emulator.fail_next_write(failure)
            else:
                self.emulator.fail_next_write(*failure)
        if refusal is not None:
            self.emulator.refuse_type(
                refusal["type"],
                refusal["region"],
                refusal.get("exception", "AccessDeniedException"),
                refusal.get("account"),
            )
        return self._settings()

    def _seed(self, body: dict[str, Any]) -> dict[str, Any]:
        account = str(body.pop("account", ACCOUNT_ID))
        if not ACCOUNT_PATTERN.fullmatch(account):
            raise ValueError(f"seed account {account!r} is not a 12-digit account id")
        if body.get("demo"):
            return {"seeded": [s.to_json() for s in self.emulator.seed_demo(account).values()]}
        if "type" in body:
            return {"seeded": [self._seed_type(body, account).to_json()]}
        unknown = set(body) - _SEED_ARGS - {"region"}
        if unknown:
            raise ValueError(f"unknown seed argument(s): {', '.join(sorted(unknown))}")
        counts: dict[str, Any] = {k: int(v) for k, v in body.items() if k in _SEED_ARGS}
        seeded = self.emulator.seed(str(body.get("region", "us-east-1")), **counts, account=account)
        return {"seeded": [seeded.to_json()]}

    def _org(self, body: dict[str, Any]) -> dict[str, Any]:
        unknown = set(body) - {"accounts", "ous"}
        if unknown:
            raise ValueError(f"unknown org argument(s): {', '.join(sorted(unknown))}")
        ous = tuple(str(name) for name in body.get("ous", DEFAULT_OUS))
        made = self.emulator.seed_org(int(body.get("accounts", 1)), ous)
        return {"root_id": made.root_id, "ous": made.ous, "accounts": list(made.account_ids)}

    def _seed_type(self, body: dict[str, Any], account: str) -> SeededType:
        unknown = set(body) - {"type", "region", "count", "parents"}
        if unknown:
            raise ValueError(f"unknown seed argument(s) with 'type': {', '.join(sorted(unknown))}")
        try:
            return self.emulator.seed_type(
                str(body["type"]),
                str(body.get("region", "us-east-1")),
                count=int(body.get("count", 1)),
                parents=int(body.get("parents", 1)),
                account=account,
            )
        except (CloudControlError, HandlerFailure) as exc:
            raise ValueError(f"cannot seed {body['type']}: {exc}") from None
