"""vtab's SigV4 signer against botocore's SigV4Auth: the same request at the same (frozen) time signs to a
byte-identical Authorization header, with and without a session token, and the key is derived once."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import ReadOnlyCredentials

from vtab.aws import sigv4

URL = "https://cloudcontrolapi.eu-west-1.amazonaws.com/"
FIXED = {
    "X-Amz-Target": "CloudApiService.ListResources",
    "Content-Type": "application/x-amz-json-1.0",
    "User-Agent": "Botocore/1.44  ua/2.1 vtab",  # not signed (SigV4's blacklist), spaces as sent
}
BODY = b'{"TypeName": "AWS::ApiGatewayV2::Api", "NextToken": "a  b"}'
WHEN = datetime.datetime(2026, 12, 7, 20, 30, 5)


def _botocore_headers(credentials: ReadOnlyCredentials, url: str, headers: dict[str, str]) -> dict[str, Any]:
    request = AWSRequest(method="POST", url=url, headers=dict(headers), data=BODY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("botocore.auth.get_current_datetime", lambda *_, **__: WHEN)
        SigV4Auth(credentials, "cloudcontrolapi", "eu-west-1").add_auth(request)
    return {name: request.headers[name] for name in ("X-Amz-Date", "X-Amz-Security-Token", "Authorization")}


@pytest.mark.parametrize("token", [None, "", "FwoGZXIvYXdzE  token/with+chars=="])
@pytest.mark.parametrize(
    ("url", "headers"),
    [
        (URL, FIXED),
        ("http://127.0.0.1:4566/", FIXED),
        ("https://cloudcontrolapi-fips.us-gov-west-1.amazonaws.com:443/", {**FIXED, "X-Custom": " a   b "}),
    ],
)
def test_the_authorization_header_is_botocores_byte_for_byte(
    token: str | None, url: str, headers: dict[str, str]
) -> None:
    credentials = ReadOnlyCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token)
    expected = _botocore_headers(credentials, url, headers)

    signer = sigv4.Signer("POST", url, headers, "eu-west-1", "cloudcontrolapi")
    added = dict(signer.sign(credentials, WHEN.strftime(sigv4.TIMESTAMP), BODY))

    assert added["Authorization"] == expected["Authorization"]
    assert added["X-Amz-Date"] == expected["X-Amz-Date"] == "20261207T203005Z"
    assert added.get("X-Amz-Security-Token") == expected["X-Amz-Security-Token"]  # None: no header


def test_the_signing_key_is_derived_once_per_secret_day_region_and_service(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    derived: list[tuple[str, ...]] = []
    original: Callable[..., bytes] = sigv4.derive_key

    def counted(*scope: str) -> bytes:
        derived.append(scope)
        return original(*scope)

    monkeypatch.setattr(sigv4, "derive_key", counted)
    signer = sigv4.Signer("POST", URL, FIXED, "eu-west-1", "cloudcontrolapi")
    first = ReadOnlyCredentials("AKID1", "secret-of-test-once-1", None)
    second = ReadOnlyCredentials("AKID2", "secret-of-test-once-2", None)
    for stamp in ("20261207T203005Z", "20261207T235959Z", "20261208T000001Z"):
        for _ in range(3):
            signer.sign(first, stamp, BODY)
            signer.sign(second, stamp, BODY)

    assert [(secret[-1], day) for secret, day, *_ in derived] == [
        ("1", "20261207"),
        ("2", "20261207"),
        ("1", "20261208"),
        ("2", "20261208"),
    ]


def test_the_derived_key_is_sigv4s() -> None:
    """The AWS documentation's example: secret, 20120215, us-east-1, iam."""
    key = sigv4.derive_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam")
    assert key.hex() == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
