"""The Python face of the local Cloud Control endpoint: start it, seed it, flip its switches, read its log.

with Emulator(latency=0.0, page_size=25, polls_before_complete=1) as emu:
    seeded = emu.seed("us-east-1", websocket_apis=2, integrations=2, responses=3)
    nodegroups = emu.seed_type("AWS::EKS::Nodegroup", count=3, parents=2)  # any catalog type, parents first
    client = boto3.client("cloudcontrol", endpoint_url=emu.endpoint_url, region_name="us-east-1")
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

from moto.apigatewayv2.models import ApiGatewayV2Backend

from vtab.emulator.accounts import Accounts
from vtab.emulator.control import ControlRoutes
from vtab.emulator.errors import HandlerFailure
from vtab.emulator.http_server import HttpServer
from vtab.emulator.orgseed import DEFAULT_OUS, SeededOrg, seed_org
from vtab.emulator.providers import PROVIDERS
from vtab.emulator.recorder import CallRecord, Recorder
from vtab.emulator.seed import Seeded, seed, seed_demo
from vtab.emulator.seed_types import SeededType, seed_type
from vtab.emulator.server import CloudControlApp
from vtab.emulator.service import CloudControlService
from vtab.emulator.state import ACCOUNT_ID, EmulatorState
from vtab.emulator.switches import Settings, Switches
from vtab.emulator.validation import parse_identifier

INTEGRATION_RESPONSE = "AWS::ApiGatewayV2::IntegrationResponse"


class Emulator:
    """A Cloud Control endpoint on a free (or given) 127.0.0.1 port, with its own state.

    ``seed`` names the Random its ids are drawn from (``"demo"``: the same ids every run, and again
    after :meth:`reset`; None: new ones every run). The other keyword arguments are the initial
    :class:`~vtab.emulator.switches.Settings`.
    """

    def __init__(
        self,
        *,
        port: int = 0,
        latency: float = 0.0,
        page_size: int = 25,
        polls_before_complete: int = 1,
        throttle_rate: float | None = None,
        invisible_for: int = 0,
        identifier_only_lists: bool = False,
        missing_parent_error: str = "GeneralServiceException",
        retry_after: float = 0.0,
        seed: str | None = None,
    ) -> None:
        self._port = port
        self.switches = Switches(
            Settings(
                latency=latency,
                page_size=page_size,
                polls_before_complete=polls_before_complete,
                throttle_rate=throttle_rate,
                invisible_for=invisible_for,
                identifier_only_lists=identifier_only_lists,
                missing_parent_error=missing_parent_error,
                retry_after=retry_after,
            )
        )
        self.state = EmulatorState(seed)
        self.recorder = Recorder()
        self.service = CloudControlService(self.state, self.switches)
        self.accounts = Accounts(self.state.random)
        """The organization (moto's Organizations backend) and the sessions STS AssumeRole issued."""
        self.app = CloudControlApp(
            self.service, self.switches, self.recorder, ControlRoutes(self), self.accounts
        )
        self._server: HttpServer | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> Emulator:
        if self._server is None:
            server = HttpServer(self.app, self._port)
            server.start()
            self._server = server
        return self

    def stop(self) -> None:
        """Stop serving, close keep-alive connections and join the server threads."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.port

    @property
    def endpoint_url(self) -> str:
        """``http://127.0.0.1:PORT``: pass as ``endpoint_url`` or set ``AWS_ENDPOINT_URL_CLOUDCONTROL``."""
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.endpoint_url

    # --- switches ------------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        return self.switches.settings

    def configure(self, **changes: Any) -> Settings:
        """Change switches by name (see :class:`Settings`); ValueError for unknown names or bad values."""
        return self.switches.configure(**changes)

    def throttle_next(self, n: int) -> None:
        self.switches.throttle_next(n)

    def deny_next(self, n: int) -> None:
        self.switches.deny_next(n)

    def fail_next_call(self, exception: str, message: str = "Injected failure") -> None:
        self.switches.fail_next_call(exception, message)

    def refuse_type(
        self,
        type_name: str,
        region: str,
        exception: str = "AccessDeniedException",
        account: str | None = None,
    ) -> None:
        self.switches.refuse_type(type_name, region, exception, account)

    def fail_next_write(self, error_code: str, message: str = "Injected failure") -> None:
        self.switches.fail_next_write(error_code, message)

    # --- call log ------------------------------------------------------------------------------
    @property
    def calls(self) -> list[CallRecord]:
        return self.recorder.calls()

    def clear_calls(self) -> None:
        self.recorder.clear()

    # --- data ----------------------------------------------------------------------------------
    def seed(
        self,
        region: str = "us-east-1",
        *,
        websocket_apis: int = 1,
        integrations: int = 1,
        responses: int = 3,
        http_apis: int = 1,
        account: str = ACCOUNT_ID,
    ) -> Seeded:
        """API Gateway WebSocket APIs, integrations and responses (and HTTP APIs) in ``account``'s region."""
        return seed(
            self.state.account(account),
            region,
            websocket_apis=websocket_apis,
            integrations=integrations,
            responses=responses,
            http_apis=http_apis,
        )

    def seed_type(
        self,
        type_name: str,
        region: str = "us-east-1",
        *,
        count: int = 1,
        parents: int = 1,
        account: str = ACCOUNT_ID,
    ) -> SeededType:
        """``count`` resources of any served type under each innermost parent, ``parents`` of each parent
        type per resource of the level above (see :func:`~vtab.emulator.seed_types.seed_type`)."""
        where = self.state.account(account)
        return seed_type(where, self.service.types, region, type_name, count=count, parents=parents)

    def seed_demo(self, account: str = ACCOUNT_ID) -> dict[str, Seeded]:
        return seed_demo(self.state.account(account))

    def seed_org(self, size: int, ous: tuple[str, ...] = DEFAULT_OUS) -> SeededOrg:
        """An Organization of ``size`` accounts over ``ous`` (see :func:`~vtab.emulator.orgseed.seed_org`)."""
        return seed_org(self.accounts, size, ous)

    def reset(self) -> None:
        """Drop every resource, request, recorded call, the organization, its sessions and pending one-shot
        faults; settings stay."""
        self.state.reset()
        self.accounts.reset()
        self.recorder.clear()
        self.switches.reset_one_shots()

    def backend(self, region: str) -> ApiGatewayV2Backend:
        """The moto backend of ``region`` (created on first use), for direct inspection."""
        return self.state.region(region).backend

    def integration_responses(self, region: str, api_id: str, integration_id: str) -> list[dict[str, Any]]:
        """The CloudFormation models of one integration's responses, as GetResource would show them."""
        provider = PROVIDERS[INTEGRATION_RESPONSE]
        parent = {"ApiId": api_id, "IntegrationId": integration_id}
        with self.state.lock:
            try:
                objects = provider.list_objects(self.state.region(region), parent)
            except HandlerFailure as failure:
                raise KeyError(failure.message) from None
            return [provider.describe(obj, parent) for obj in objects]

    def resource(self, region: str, type_name: str, identifier: str) -> dict[str, Any] | None:
        """The model GetResource would return, or None when it does not exist (any served type)."""
        provider = self.service.types.get(type_name, None)
        ids = parse_identifier(provider.rules, identifier)
        if ids is None:
            expected = "|".join(provider.rules.primary_identifier)
            raise ValueError(f"{identifier!r} is not an identifier of {type_name} ('{expected}')")
        with self.state.lock:
            try:
                return provider.read(self.state.region(region), ids)
            except HandlerFailure:
                return None
