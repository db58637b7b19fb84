"""Cloud Control calls: paged lists, gets and the write verbs, each rate-limited, retried and logged.

The clients are botocore's, as boto3 makes them (from botocore's Session, which boto3.Session wraps, so
the resource layer and s3transfer are never imported). One ``CloudControl`` serves every table of a
connection with the same client options: one client per region, built under a lock (Sessions are not
thread-safe while clients are), and every call passes through ``_call`` so the rate limit, the call log
and the error translation cannot be forgotten.
"""

from __future__ import annotations

import contextlib
import copy
import threading
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import apsw
import botocore.session
import orjson
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import BotoCoreError, ClientError, ProfileNotFound, UnknownRegionError
from botocore.loaders import Loader, create_loader

from vtab import hints
from vtab.aws import errors, identity, mfa, signing, transport, wire
from vtab.aws.calllog import CallLog, CallRecord, Timer, tag
from vtab.aws.rate_limits import RateLimiters
from vtab.catalog.columns import json_value, page_may_hold_long_number
from vtab.catalog.schema import ResourceSchema
from vtab.options import Options, region_problem

Properties = dict[str, Any]


class OperationStatus(StrEnum):
    """A ProgressEvent's OperationStatus: where AWS says a write request is."""

    PENDING = "PENDING"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCESS = "SUCCESS"
    FAILED = "FAILED"
    CANCEL_IN_PROGRESS = "CANCEL_IN_PROGRESS"
    CANCEL_COMPLETE = "CANCEL_COMPLETE"

    @classmethod
    def of(cls, text: object) -> OperationStatus | None:
        """The status an answer gives; None for one this version does not know (polled again)."""
        return cls(text) if isinstance(text, str) and text in cls.__members__ else None

    @property
    def terminal(self) -> bool:
        """The request is over: no poll will change it."""
        return self in (OperationStatus.SUCCESS, OperationStatus.FAILED, OperationStatus.CANCEL_COMPLETE)


Item = tuple[str, Properties]
"""A resource as Cloud Control describes it: (identifier, properties)."""


class Page(list[Item]):
    """One ListResources page; ``last`` says no page follows (so a reader can stop without asking)."""

    last: bool = True


ANSWER_MEMBERS: dict[str, transport.Member] = {
    "ListResources": ("ResourceDescriptions", list),
    "GetResource": ("ResourceDescription", dict),
    "CreateResource": ("ProgressEvent", dict),
    "UpdateResource": ("ProgressEvent", dict),
    "DeleteResource": ("ProgressEvent", dict),
    "GetResourceRequestStatus": ("ProgressEvent", dict),
}
"""The member each operation's answer must hold; an answer without it is malformed (and retried)."""


def _item(description: object, record: CallRecord, may_hold_long_number: bool = True) -> Item:
    """(Identifier, properties) of a ResourceDescription, whose Properties member is JSON text, maybe
    absent; anything else is a malformed answer, never a row with holes. ``may_hold_long_number=False``
    (its page's texts were cleared at once: page_may_hold_long_number) spares the row that test."""
    if not isinstance(description, dict) or not isinstance(description.get("Identifier"), str):
        raise _malformed(record, f"holds a ResourceDescription without an Identifier: {description!r}")
    text = description.get("Properties")
    try:
        properties = json_value(text, may_hold_long_number=may_hold_long_number) if text else {}
    except ValueError:  # orjson's JSONDecodeError is one
        properties = None
    if not isinstance(properties, dict):
        raise _malformed(
            record, f"describes {description['Identifier']!r} with Properties that are not a JSON object"
        )
    return description["Identifier"], properties


def _may_hold_long_number(descriptions: list[Any]) -> bool:
    """Whether a page's Properties texts may hold an integer beyond 64 bits, tested once for the page
    (True when a description is not an object: _item names that one)."""
    try:
        return page_may_hold_long_number([desc.get("Properties") or "" for desc in descriptions])
    except AttributeError:
        return True


POLLS_PER_WORKER = 2
"""Status polls a table's writes may have in flight per ``max_workers``, besides that many start calls
(vtab.write.send says why). The connection pool holds them all, so no call opens a connection only to
drop it after one use ("Connection pool is full, discarding connection")."""
MOST_POOLED = 512
"""The most connections a pool of several statements keeps (one statement's own are all kept): urllib3
fills a new pool's queue with that many placeholders and drains them all when it closes (a vtab sync's 256
statements at once asked 13,312: about 40 ms of CPU a pool, 6 pools a sync), while a sync's calls in
flight at once are bound by its rate limits well below."""


def _pool_size(max_workers: int, statements: int) -> int:
    """Connections a client's pool keeps: every call ``statements`` may have in flight at once, bounded by
    MOST_POOLED, but never fewer than one statement's (max_workers=256 has 772 in flight)."""
    one = max(10, max_workers * (1 + POLLS_PER_WORKER) + 4)
    return min(max(MOST_POOLED, one), one * statements)


_LOADERS: dict[str | None, Loader] = {}
_LOADERS_LOCK = threading.Lock()


def _loader(data_path: str | None) -> Loader:
    """The process's botocore data loader (per AWS_DATA_PATH): a new Session's own loader reads the
    service models and endpoint rules from disk again, 40-60 ms of CPU before its first client; a
    connection's Session shares this one, which keeps what it read."""
    with _LOADERS_LOCK:
        found = _LOADERS.get(data_path)
        if found is None:
            found = _LOADERS[data_path] = create_loader(data_path)
        return found


WARM_SERVICES = ("cloudcontrol", "sts")


def warm_loader() -> None:
    """Read into the process's loader what a first client of each service needs (its model, the endpoint
    rules: about 40 ms of CPU), without looking up credentials (a chain may run a credential process or
    wait for instance metadata): a sync's worker process does it while the sync plans. Best effort: a
    configuration that fails here fails the same way, named, in the connection that needs it."""
    with contextlib.suppress(Exception):
        session = botocore.session.Session()
        session.register_component("data_loader", _loader(session.get_config_variable("data_path")))
        for service in WARM_SERVICES:
            session.create_client(
                service,
                region_name="us-east-1",
                endpoint_url="http://127.0.0.1:9",  # never called
                aws_access_key_id="warm",
                aws_secret_access_key="warm",
            )


class CloudControl:
    """The Cloud Control calls of the tables that share one set of client options, in any region, from
    any thread."""

    def __init__(
        self,
        options: Options,
        log: CallLog,
        limiters: RateLimiters,
        accounts: identity.AccountIds | None = None,
        statements: int = 1,
    ) -> None:
        """``statements``: how many connections' statements call through it at once (``lend``), each with
        up to ``max_workers`` calls and their polls in flight: its connection pools hold them all."""
        self.options = options
        self.log = log
        self.limiters = limiters
        self.accounts = accounts or identity.AccountIds()
        """The connection's account ids (shared by its clients, so each is looked up once)."""
        # botocore's Session, which boto3.Session wraps: the clients are the same, and vtab never needs
        # boto3's resource layer (importing boto3 also imports s3transfer: about 100 ms of a cold start).
        self._session = botocore.session.Session(profile=options.profile)
        try:
            self._session.get_scoped_config()  # a profile name missing from the files fails here
            self.default_region: str | None = self._session.get_config_variable("region")
            data_path = self._session.get_config_variable("data_path")
        except ProfileNotFound as error:
            raise errors.unknown_profile(error, options.profile, self._session.available_profiles) from None
        self._session.register_component("data_loader", _loader(data_path))
        mfa.apply(self._session)  # a sync's MFA profile: the code asked once, in the sync's process
        self._config = Config(
            retries={"mode": "standard", "total_max_attempts": options.max_attempts},
            max_pool_connections=_pool_size(options.max_workers, statements),
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            user_agent_extra="vtab",
        )
        self._clients: dict[str, Any] = {}
        """Region -> its client, shared by every account's Cloud Control (vtab.aws.signing)."""
        self._callers: dict[str, wire.Caller] = {}
        """Region -> the lean path of its client's calls (vtab.aws.wire), shared alike."""
        self._lock = threading.Lock()
        self.account: str | None = None
        """The account an assumed role's credentials act in (see ``for_account``); None: the session's own."""
        self._credentials: Credentials | None = None
        """An assumed account's credentials, which every call of this Cloud Control signs with."""
        self._accounts: dict[str, CloudControl] = {}
        self._side_clients: dict[tuple[str, str, str | None], Any] = {}

    def for_account(self, account: str, credentials: Credentials) -> CloudControl:
        """The Cloud Control of another account, reached with ``credentials`` (an assumed role's, which
        botocore refreshes before they expire): same options, log and rate limits (its own bucket per
        region), and the same client per region, each call signed with ``credentials``
        (vtab.aws.signing): reaching an account makes no client. One per account."""
        with self._lock:
            found = self._accounts.get(account)
            if found is None:
                found = copy.copy(self)  # shares _clients, _callers and _lock: the clients are the region's
                found._accounts = {}
                found.account, found._credentials = account, credentials
                self._accounts[account] = found
            return found

    def lend(self, log: CallLog, options: Options) -> CloudControl:
        """This Cloud Control's Session and clients for another connection, whose calls go to its own
        ``log`` (``vtab sync``'s task connections: a Session costs about 8 ms of CPU, a client 2-5 ms, and a
        sync has 4 connections per account-region). ``options`` must have the same client options."""
        lent = copy.copy(self)  # shares _session, _clients, _callers, _side_clients and _lock
        lent.options, lent.log, lent._accounts = options, log, {}
        return lent

    # -- plumbing -------------------------------------------------------------------------------------

    def check_region(self, region: object) -> str:
        """The region name, or an SQLError naming the value and the fix."""
        problem = region_problem(region)
        if problem or not isinstance(region, str):
            raise apsw.SQLError(problem)
        return region

    def partition_of(self, region: str) -> str:
        """``us-east-1`` -> ``aws``, ``cn-north-1`` -> ``aws-cn`` (botocore's endpoint data): a global type
        has one set of resources per partition. A region botocore does not know is a partition of its own."""
        try:
            partition: str = self._session.get_partition_for_region(region)
        except UnknownRegionError:
            return region
        return partition

    def client(self, region: str) -> Any:
        """The region's client (made on first use), which signs with the session's credentials unless a
        call names others (``_send``, for an assumed account)."""
        return self.caller(region).client

    def caller(self, region: str) -> wire.Caller:
        """The region's client's calls, sent by vtab.aws.wire (made with the client, on first use)."""
        found = self._callers.get(region)
        if found is not None:
            return found
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                try:
                    client = self._session.create_client(
                        "cloudcontrol",
                        region_name=region,
                        endpoint_url=self.options.endpoint_url,
                        config=self._config,
                    )
                except ValueError as error:  # e.g. endpoint_url = 127.0.0.1:4566 in an AWS config file
                    raise apsw.SQLError(
                        f"the Cloud Control endpoint of the AWS configuration is not usable ({error}); write "
                        "endpoint_url in the config file as http://host:port, or "
                        f"{hints.set_option('endpoint_url', 'http://127.0.0.1:4566')}"
                    ) from None
                transport.install(client, ANSWER_MEMBERS)  # botocore's own calls (vtab.aws.wire's fallback)
                signing.install(client)
                self._clients[region] = client
            found = self._callers.get(region)
            if found is None:
                found = self._callers[region] = wire.Caller(client, ANSWER_MEMBERS)
            return found

    def side_client(self, service: str, region: str, endpoint: str | None) -> Any:
        """The client of a service beside Cloud Control (STS, Organizations) with this connection's
        credentials and client config, made once per (service, region, endpoint): the account-id lookup
        and every AssumeRole share it. ValueError for an unusable endpoint."""
        key = (service, region, endpoint)
        with self._lock:
            found = self._side_clients.get(key)
            if found is None:
                found = self._session.create_client(
                    service, region_name=region, endpoint_url=endpoint, config=self._config
                )
                self._side_clients[key] = found
            return found

    def account_client(self, service: str, region: str, endpoint: str | None) -> Any:
        """A client of another service signed as this Cloud Control's account (an assumed role's
        credentials, else the session's), with its client config; ValueError for an unusable endpoint."""
        frozen = self._credentials.get_frozen_credentials() if self._credentials is not None else None
        with self._lock:
            return self._session.create_client(
                service,
                region_name=region,
                endpoint_url=endpoint,
                config=self._config,
                aws_access_key_id=frozen.access_key if frozen else None,
                aws_secret_access_key=frozen.secret_key if frozen else None,
                aws_session_token=frozen.token if frozen else None,
            )

    def account_id(self, region: str, given: str | None, fix: str) -> str:
        """The caller's account id: ``given`` (the table's account_id option), else STS GetCallerIdentity,
        asked once per connection and credentials (vtab.aws.identity). ``fix`` says how the statement could
        give it, should the call fail. An assumed account's is that account, whatever the option."""
        if self.account is not None:
            return self.account
        if given:
            return given
        endpoint = identity.sts_endpoint(self.options)

        def look_up() -> str:
            try:
                client = self.side_client("sts", region, endpoint)
            except ValueError as error:  # e.g. a malformed AWS_ENDPOINT_URL_STS
                raise apsw.SQLError(
                    f"the STS endpoint of the AWS configuration is not usable ({error}); "
                    f"{identity.remedy(fix)}"
                ) from None
            return identity.caller_account(client, self.log, region, self.options, fix)

        return self.accounts.get(self._own_key(), look_up)

    def log_start(self, operation: str, region: str, type_name: str | None, **details: Any) -> CallRecord:
        """A new row of the call log, in this Cloud Control's account (vtab_calls' account_id): the
        caller's own, when not known yet, is filled in once a lookup learns it."""
        record = self.log.start(operation, region, type_name, account_id=self.account_label(), **details)
        if record.account_id is None:
            self.accounts.label(self._own_key(), record)
        return record

    def account_label(self) -> str | None:
        """The account the calls act in, as far as known without a call: an assumed one's, the option's,
        or the caller's own once looked up."""
        if self.account is not None:
            return self.account
        return self.options.account_id or self.accounts.known(self._own_key())

    def _own_key(self) -> tuple[str | None, str | None]:
        """What the caller's own account id is known by (vtab.aws.identity.AccountIds)."""
        return (self.options.profile, identity.sts_endpoint(self.options))

    def _call(
        self, record: CallRecord, schema: ResourceSchema, verb: str, method: str, **params: Any
    ) -> dict[str, Any]:
        """One HTTP call: rate limit, time it into ``record``, translate errors (recording their code);
        every error it raises is tagged with ``record`` (vtab.aws.calllog.tag)."""
        try:
            return self._send(record, schema, verb, method, **params)
        except apsw.Error as error:
            tag(error, record)
            raise

    def _send(
        self, record: CallRecord, schema: ResourceSchema, verb: str, method: str, **params: Any
    ) -> dict[str, Any]:
        caller = self.caller(record.region)
        limiter = self.limiters.for_region(self.options, record.region, self.account)
        if limiter is not None:
            limiter.acquire()
        poll = method == "get_resource_request_status"
        if self.options.role_arn and not poll:
            params["RoleArn"] = self.options.role_arn
        try:
            with Timer(record):
                response = caller.call(caller.operation(method), params, self._credentials)
            record.request_id = response.get("ResponseMetadata", {}).get("RequestId")
        except ClientError as error:
            record.error_code = errors.aws_error_code(error)
            record.request_id = errors.request_id_of(error)
            what = _what(record, poll=poll)  # built only for an error's message
            raise errors.from_client_error(error, schema, verb, record.operation, what) from error
        except BotoCoreError as error:
            record.error_code = errors.transport_code(error)
            raise errors.from_transport_error(
                error,
                _what(record, poll=poll),
                connect_timeout=self.options.connect_timeout,
                read_timeout=self.options.read_timeout,
                max_attempts=self.options.max_attempts,
                endpoint=caller.client.meta.endpoint_url,
            ) from error
        return response

    # -- reads ----------------------------------------------------------------------------------------

    def list_pages(self, region: str, schema: ResourceSchema, model: dict[str, str] | None) -> Iterator[Page]:
        """Every page of ListResources, as it arrives. No page cap: a listing is read to its end, and a
        NextToken the listing already followed (a server going round in circles) is an error."""
        model_text = orjson.dumps(model).decode() if model else None
        shown = orjson.dumps(schema.sensitive.model(model)).decode() if model else None
        record = self.log_start("ListResources", region, schema.type_name, resource_model=shown)
        params: dict[str, Any] = {"TypeName": schema.type_name}
        if model_text:
            params["ResourceModel"] = model_text
        followed: dict[str, int] = {}
        """NextToken -> the page that gave it."""
        while True:
            response = self._call(record, schema, "list", "list_resources", **params)
            descriptions = response["ResourceDescriptions"]
            long_number = _may_hold_long_number(descriptions)
            page = Page([_item(desc, record, long_number) for desc in descriptions])
            record.pages += 1
            token = response.get("NextToken")
            page.last = not token
            if token and token in followed:
                record.error_code = "RepeatedNextToken"
                request_id = errors.request_id_text(record.request_id)
                raise tag(
                    apsw.IOError(
                        f"RepeatedNextToken: {_what(record)} answered page {record.pages} with the "
                        f"NextToken of page {followed[token]} again, so the listing would never end; the "
                        f"endpoint failed (no rows of this listing are kept): try again{request_id}"
                    ),
                    record,
                )
            record.items += len(page)
            yield page
            if not token:
                return
            followed[token] = record.pages
            params["NextToken"] = token

    def get(self, region: str, schema: ResourceSchema, identifier: str) -> Properties | None:
        """GetResource; None when the resource (or a parent) does not exist."""
        record = self.log_start("GetResource", region, schema.type_name, identifier=identifier)
        try:
            response = self._call(
                record, schema, "read", "get_resource", TypeName=schema.type_name, Identifier=identifier
            )
        except apsw.Error:
            if record.error_code and errors.error_stem(record.error_code) in errors.NOT_FOUND_CODES:
                return None
            raise
        _, properties = _item(response["ResourceDescription"], record)
        record.pages = 1
        record.items = 1
        return properties

    # -- writes ---------------------------------------------------------------------------------------

    def start_write(
        self, record: CallRecord, schema: ResourceSchema, verb: str, method: str, **params: Any
    ) -> dict[str, Any]:
        """Create/Update/DeleteResource: returns the first ProgressEvent."""
        response = self._call(record, schema, verb, method, TypeName=schema.type_name, **params)
        event = _progress_event(response, record)
        record.request_token = event["RequestToken"]
        record.status = event["OperationStatus"]
        return event

    def request_status(
        self, record: CallRecord, schema: ResourceSchema, verb: str, token: str
    ) -> dict[str, Any]:
        response = self._call(record, schema, verb, "get_resource_request_status", RequestToken=token)
        event = _progress_event(response, record, poll=True)
        record.pages += 1
        record.status = event["OperationStatus"]
        return event


def _what(record: CallRecord, *, poll: bool = False) -> str:
    """``ListResources AWS::ApiGatewayV2::Api in us-east-1``: the call, for messages."""
    operation = f"GetResourceRequestStatus of {record.operation}" if poll else record.operation
    return f"{operation} {record.type_name} in {record.region}"


def _malformed(record: CallRecord, why: str, *, poll: bool = False) -> apsw.IOError:
    record.error_code = "MalformedAnswer"
    error = errors.malformed_answer(_what(record, poll=poll), why, record.request_id)
    tag(error, record)
    return error


def _progress_event(response: dict[str, Any], record: CallRecord, *, poll: bool = False) -> dict[str, Any]:
    """The ProgressEvent of a write or poll answer, which must say its RequestToken and status."""
    event: dict[str, Any] = response["ProgressEvent"]
    for member in ("RequestToken", "OperationStatus"):
        if not isinstance(event.get(member), str):
            raise _malformed(record, f"holds a ProgressEvent without {member}: {event!r}", poll=poll)
    return event
