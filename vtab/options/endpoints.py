"""Where Cloud Control requests may be sent: an ``endpoint_url`` (the option, or boto3's environment
variables) checked as botocore would read it, and refused when it carries a user or password (messages
print it)."""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from vtab.options.rules import OptionError

ENDPOINT_VARIABLES = ("AWS_ENDPOINT_URL_CLOUDCONTROL", "AWS_ENDPOINT_URL")
"""The environment variables boto3 reads a Cloud Control endpoint from (service-specific first)."""


def check_endpoint_url(url: str, origin: str) -> str:
    """``url`` when botocore would accept it as an endpoint, else OptionError naming ``origin``: the
    option or environment variable it came from, so a typo fails at register(), not at the first query."""
    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError as error:  # e.g. an unclosed IPv6 bracket
        raise OptionError(f"{origin} is not a URL ({error}); write it like http://127.0.0.1:4566") from None
    if parts.username is not None or parts.password is not None:
        host = parts.netloc.rpartition("@")[2] or "HOST"
        bare = f"{parts.scheme}://{host}"
        raise OptionError(
            f"{origin.replace(url, f'{parts.scheme}://***@{host}')} carries a user or password before its "
            f"host; endpoints are printed in messages, logs and the call log, so give it as {bare} (vtab "
            "signs every request with the AWS credentials of a profile)"
        )
    if "://" not in text:
        raise OptionError(
            f"{origin} has no scheme; write it as http://{text} (or https://{text}) for a Cloud Control "
            "endpoint"
        )
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as error:
        raise OptionError(f"{origin} is not a URL ({error}); write it like http://127.0.0.1:4566") from None
    valid = is_valid_endpoint_url(text) or is_valid_ipv6_endpoint_url(text)
    if parts.scheme not in ("http", "https") or not parts.hostname or not valid or text != url:
        raise OptionError(
            f"{origin} is not an http:// or https:// URL with a host name; write it like "
            "http://127.0.0.1:4566 or https://cloudcontrolapi.us-east-1.amazonaws.com"
        )
    return url


def check_endpoint_environment() -> None:
    """The endpoint boto3 would take from the environment, checked like the option (see above)."""
    if os.environ.get("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "").strip().lower() == "true":
        return
    for variable in ENDPOINT_VARIABLES:
        value = os.environ.get(variable)
        if value:
            check_endpoint_url(value, f"environment variable {variable}={value!r}")
            return
