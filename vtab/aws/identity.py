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
    next statement asks again)."""

    def __init__(self) -> None:
        self._known: dict[Hashable, str] = {}
        self._lock = threading.Lock()

    def known(self, key: Hashable) -> str | None:
        """The account id of ``key`` if looked up already (never a call, never a wait)."""
        return self._known.get(key)

    def learned(self) -> dict[Hashable, str]:
        """Every account id looked up so far (no secret: handed to another process's connections, whose
        first statement then needs no lookup of its own, as ``vtab sync --executor dask`` does)."""
        return dict(self._known)

    def learn(self, known: dict[Hashable, str]) -> None:
        """Account ids another connection looked up (``learned``), before this one's first statement."""
        with self._lock:
            self._known.update(known)

    def get(self, key: Hashable, look_up: Callable[[], str]) -> str:
        with self._lock:
            found = self._known.get(key)
            if found is None:
                found = self._known[key] = look_up()
            return found


def remedy(fix: str) -> str:
    """How to do without the lookup: ``fix`` (the statement's own way: a WHERE value, an INSERT column), or
    the option."""
    return f"{fix}, or {hints.set_option('account_id', repr(EXAMPLE))}"


def side_call(
    client: Any,
    log: CallLog,
    region: str,
    options: Options,
    call: SideCall,
    why: str,
    account_id: str | None = None,
    **params: Any,
) -> tuple[dict[str, Any], CallRecord]:
    """One call to a service beside Cloud Control (STS, Organizations), logged in ``vtab_calls`` as one
    call (in ``account_id``); an apsw error naming the AWS code, message and request id, and ``why`` vtab
    made it, when it fails (tagged with its record)."""
    record = log.start(call.operation, region, None, identifier=call.about, account_id=account_id)
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
    response, record = side_call(client, log, region, options, CALLER_IDENTITY, why)
    account = response.get("Account")
    what = f"{OPERATION} (STS, for the account id) in {region}"
    if not isinstance(account, str) or not ACCOUNT_ID_PATTERN.fullmatch(account):
        record.error_code = "MalformedAnswer"
        raise tag(errors.malformed_answer(what, f"holds no 12-digit Account ({account!r}); {why}"), record)
    record.items = 1
    record.account_id = account
    return account
