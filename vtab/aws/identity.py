"""The caller's account id, which account-wide types list with (QuickSight's AwsAccountId, Glue's CatalogId).

It is the ``account_id`` option when given; else STS GetCallerIdentity answers it, once per connection and
credentials (profile and STS endpoint), and only when a statement needs it: connecting never calls. The
call is made with the botocore Session and client config of Cloud Control's clients and shows in
``vtab_calls`` like theirs.

Where the call goes: botocore's own choice when ``AWS_ENDPOINT_URL_STS`` is set (its service-specific
variable); else Cloud Control's endpoint when that is overridden (the ``endpoint_url`` option, or
``AWS_ENDPOINT_URL_CLOUDCONTROL``), since an endpoint standing in for AWS (the local one) answers both;
else botocore's usual STS endpoint for the region.
"""

from __future__ import annotations

import os
import re
import threading
import weakref
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from vtab import hints
from vtab.aws import errors
from vtab.aws.calllog import CallLog, CallRecord, Timer, tag
from vtab.options import ACCOUNT_ID_PATTERN, Options

OPERATION = "GetCallerIdentity"
STS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_STS"
ORGANIZATIONS_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_ORGANIZATIONS"
CLOUDCONTROL_ENDPOINT_VARIABLE = "AWS_ENDPOINT_URL_CLOUDCONTROL"
EXAMPLE = "123456789012"


def side_endpoint(options: Options, variable: str) -> str | None:
    """The endpoint_url to give a client of a service beside Cloud Control (STS, Organizations) whose
    botocore variable is ``variable`` (None: botocore chooses; see the module docstring)."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return options.endpoint_url  # botocore ignores the variables; only the option overrides
    if os.environ.get(variable):
        return None
    return options.endpoint_url or os.environ.get(CLOUDCONTROL_ENDPOINT_VARIABLE) or None


def sts_endpoint(options: Options) -> str | None:
    """The endpoint_url to give the STS client (None: botocore chooses; see the module docstring)."""
    return side_endpoint(options, STS_ENDPOINT_VARIABLE)


class AccountIds:
    """The account ids a connection learned, per (profile, STS endpoint). One lookup runs at a time, so
    parallel scans that need the same account id make one call; a failed lookup is not remembered (the
    next statement asks again). The calls made with a key's credentials before its account id is known
    (``label``) get it when a lookup answers: vtab never makes the call for the log's sake, so a connection
    whose statements never need the account id leaves them NULL."""

    def __init__(self) -> None:
        self._known: dict[Hashable, str] = {}
        self._lock = threading.Lock()
        """Held through a lookup: one at a time."""
        self._waiting: dict[Hashable, weakref.WeakValueDictionary[int, CallRecord]] = {}
        """Key -> the calls that await its account id, by seq (weak: the call log's bound drops them)."""
        self._waiting_lock = threading.Lock()
        """Never held through a call: labelling a call never waits for a lookup."""

    def known(self, key: Hashable) -> str | None:
        """The account id of ``key`` if looked up already (never a call, never a wait)."""
        return self._known.get(key)

    def learned(self) -> dict[Hashable, str]:
        """Every account id looked up so far (no secret: handed to another process's connections, whose
        first statement then needs no lookup of its own, as ``vtab sync --executor dask`` does)."""
        return dict(self._known)

    def learn(self, known: dict[Hashable, str]) -> None:
        """Account ids another connection looked up (``learned``), before this one's first statement."""
        with self._lock, self._waiting_lock:
            self._known.update(known)
            waiting = [(known[key], list(self._waiting.pop(key, {}).values())) for key in known]
        for found, records in waiting:
            for record in records:
                if record.account_id is None:
                    record.account_id = found

    def label(self, key: Hashable, record: CallRecord) -> None:
        """Give ``record``, a call made with ``key``'s credentials, its account id: now when it is known,
        else when a lookup answers it."""
        with self._waiting_lock:
            found = self._known.get(key)
            if found is None:
                self._waiting.setdefault(key, weakref.WeakValueDictionary())[record.seq] = record
                return
        record.account_id = found

    def get(self, key: Hashable, look_up: Callable[[], str]) -> str:
        with self._lock:
            found = self._known.get(key)
            if found is None:
                found = look_up()
                with self._waiting_lock:
                    self._known[key] = found
                    waiting = list(self._waiting.pop(key, {}).values())
                for record in waiting:
                    if record.account_id is None:
                        record.account_id = found
            return found


def remedy(fix: str) -> str:
    """How to do without the lookup: ``fix`` (the statement's own way: a WHERE value, an INSERT column), or
    the option."""
    return f"{fix}, or {hints.set_option('account_id', repr(EXAMPLE))}"


Starter = Callable[..., CallRecord]
"""What makes a call's row of ``vtab_calls``: ``CallLog.start``, or ``CloudControl.log_start`` (a call in
that Cloud Control's account, the caller's own filled in once known)."""


def side_call(
    client: Any,
    start: Starter,
    region: str,
    options: Options,
    call: SideCall,
    why: str,
    **params: Any,
) -> tuple[dict[str, Any], CallRecord]:
    """One call to a service beside Cloud Control (STS, Organizations), logged in ``vtab_calls`` as one
    call (its row made by ``start``); an apsw error naming the AWS code, message and request id, and
    ``why`` vtab made it, when it fails (tagged with its record)."""
    record = start(call.operation, region, None, identifier=call.about)
    what = f"{call.operation} ({call.service}{', ' + call.purpose if call.purpose else ''}) in {region}"
    try:
        with Timer(record):
            response: dict[str, Any] = getattr(client, call.method)(**params)
        record.request_id = response.get("ResponseMetadata", {}).get("RequestId")
    except ClientError as error:
        record.error_code = errors.aws_error_code(error)
        record.request_id = errors.request_id_of(error)
        code = record.error_code
        message = error.response.get("Error", {}).get("Message", "")
        tail = errors.request_id_text(record.request_id)
        failure = errors.exception_class(code)(f"{code}: {message} [{what}]{tail}; {why}")
        raise tag(failure, record) from error
    except BotoCoreError as error:
        record.error_code = errors.transport_code(error)
        translated = errors.from_transport_error(
            error,
            what,
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            max_attempts=options.max_attempts,
            service=call.service,
        )
        raise tag(type(translated)(f"{translated}; {why}"), record) from error
    except ResponseParserError as error:  # not the service's answer (an endpoint that is not STS's)
        record.error_code = "MalformedAnswer"
        failure = errors.malformed_answer(what, f"could not be read ({str(error)[:200]}); {why}")
        raise tag(failure, record) from error
    record.pages = 1
    return response, record


@dataclass(frozen=True)
class SideCall:
    """What a call beside Cloud Control is, for the call log and messages."""

    service: str
    operation: str
    purpose: str = ""
    """Why vtab makes it, in messages: ``for the account id``."""
    about: str | None = None
    """What the call log shows as its identifier (AssumeRole's role ARN)."""

    @property
    def method(self) -> str:
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.operation).lower()


CALLER_IDENTITY = SideCall("STS", OPERATION, "for the account id")


def caller_account(client: Any, log: CallLog, region: str, options: Options, fix: str) -> str:
    """GetCallerIdentity's Account, logged as one call; an apsw error naming the AWS code, message and
    request id, and how to give the account id instead (``fix``), when it fails."""
    why = f"vtab asks STS for the account id, which this statement needs: {remedy(fix)}"
    response, record = side_call(client, log.start, region, options, CALLER_IDENTITY, why)
    account = response.get("Account")
    what = f"{OPERATION} (STS, for the account id) in {region}"
    if not isinstance(account, str) or not ACCOUNT_ID_PATTERN.fullmatch(account):
        record.error_code = "MalformedAnswer"
        raise tag(errors.malformed_answer(what, f"holds no 12-digit Account ({account!r}); {why}"), record)
    record.items = 1
    record.account_id = account
    return account
