"""Ctrl-C in tests that press it on a child process (SIGINT)."""

from __future__ import annotations

import signal


def as_default() -> None:
    """In the child before exec (``preexec_fn``): SIGINT gets its default disposition, whatever the parent
    had. A shell starts a background job (``make test &``) with SIGINT ignored, the child inherits that,
    and Python keeps an ignored SIGINT ignored: Ctrl-C would never reach the command under test."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
