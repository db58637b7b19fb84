"""Profiles whose role needs an MFA code (``mfa_serial`` in the AWS config), for ``vtab sync``.

botocore asks for the code (``getpass`` on the terminal) when a Session first needs the profile's
credentials, and cannot refresh them (RefreshWithMFAUnsupportedError once they expire). A sync's worker
process has no terminal to ask on: left to itself, each one asked at once, and without a terminal read an
end of file, so every task failed. So the sync resolves such a profile once, in its own process, before
its workers start (one prompt, there, before the progress display), and every botocore Session of that
profile made while the sync runs takes those credentials (``provided``): its own connections, and a worker
process's, which the job hands them to in memory over the pipe (never a file, never a log: ``Handed``
shows no secret). Workers apart from this machine (Dask) are not sent them: the sync refuses the profile
there instead, naming it and the executors that can run it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import apsw
import botocore.session
from botocore.exceptions import BotoCoreError, ClientError

from vtab.aws import errors

DEFAULT_PROFILE = "default"


def mfa_serial(profile: str | None) -> str | None:
    """The MFA device whose code the profile's credentials need (its own ``mfa_serial``, or a source
    profile's up its ``source_profile`` chain), None when none does or the profile is not in the files
    (the connection names that error itself)."""
    session = botocore.session.Session(profile=profile)
    try:
        profiles: dict[str, dict[str, Any]] = session.full_config.get("profiles", {})
    except BotoCoreError:  # a profile missing from the files, a file botocore cannot read
        return None
    name: str | None = session.profile or DEFAULT_PROFILE
    seen: set[str] = set()
    while name is not None and name not in seen:
        seen.add(name)
        config = profiles.get(name, {})
        if config.get("role_arn") and config.get("mfa_serial"):
            return str(config["mfa_serial"])
        name = config.get("source_profile")
    return None


@dataclass(frozen=True)
class Handed:
    """A profile's credentials, resolved in the sync's process for its workers: shown by name only."""

    profile: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    token: str | None = field(repr=False)


def resolve(profiles: Sequence[str | None]) -> list[Handed]:
    """The credentials of each profile that needs an MFA code, resolved here (botocore asks for the code
    now, once per profile, on this process's terminal)."""
    handed = []
    for profile in dict.fromkeys(profiles):
        serial = mfa_serial(profile)
        if serial is None:
            continue
        session = botocore.session.Session(profile=profile)
        name = session.profile or DEFAULT_PROFILE
        try:
            credentials = session.get_credentials()
            frozen = None if credentials is None else credentials.get_frozen_credentials()
        except EOFError:  # no terminal, and stdin ended (a cron job, a pipe): nothing to read a code from
            raise apsw.AuthError(
                f"profile {name!r} needs an MFA code ({serial}) and there is no terminal to ask for it on: "
                "run the sync from a terminal, or with a profile whose credentials need no code"
            ) from None
        except ClientError as error:  # the code refused, or the role
            code = errors.aws_error_code(error)
            message = error.response.get("Error", {}).get("Message", "")
            tail = errors.request_id_text(errors.request_id_of(error))
            raise errors.exception_class(code)(
                f"{code}: {message} [AssumeRole (STS) of profile {name!r} with the MFA code of {serial}]"
                f"{tail}; check the code (a new one every 30 seconds) and the profile's role_arn, and run "
                "again"
            ) from None
        if frozen is None:
            continue  # no credentials at all: the connection says so, named
        handed.append(Handed(name, str(frozen.access_key), str(frozen.secret_key), frozen.token))
    return handed


_provided: dict[str, Handed] = {}
_lock = threading.Lock()


@contextlib.contextmanager
def provided(handed: Sequence[Handed]) -> Iterator[None]:
    """While the block runs, a botocore Session of one of these profiles takes its handed credentials
    (``apply``) instead of asking for a code again: process-wide, as a sync's connections are made on many
    threads; the profiles' earlier credentials, if any, are back afterwards."""
    with _lock:
        before = {item.profile: _provided.get(item.profile) for item in handed}
        _provided.update({item.profile: item for item in handed})
    try:
        yield
    finally:
        with _lock:
            for profile, earlier in before.items():
                if earlier is None:
                    _provided.pop(profile, None)
                else:
                    _provided[profile] = earlier


def apply(session: botocore.session.Session) -> None:
    """Give ``session`` its profile's handed credentials, if a sync handed any (its clients then sign with
    them; no prompt)."""
    if not _provided:
        return
    with _lock:
        found = _provided.get(session.profile or DEFAULT_PROFILE)
    if found is not None:
        session.set_credentials(found.access_key, found.secret_key, found.token)
