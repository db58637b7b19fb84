"""A ``vtab sync`` process killed half-way: the kill and resume tests' way to leave a file a run did not
finish (a real process, SIGKILL once its plain progress line says half the tasks are done; no sleep)."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path


def sync_killed_half_way(out: Path, *arguments: str) -> None:
    """Run ``vtab sync OUT ARGUMENTS`` and kill it once half its tasks are done (or more: it runs on while
    the line is read)."""
    argv = [sys.executable, "-m", "vtab.cli", "sync", str(out), *arguments]
    process = subprocess.Popen(argv, stderr=subprocess.PIPE, text=True)
    assert process.stderr is not None
    for line in process.stderr:  # plain progress lines: "sync: 18/36 tasks, ..."
        found = re.match(r"sync: (\d+)/(\d+) tasks", line)
        if found and int(found[1]) * 2 >= int(found[2]):
            process.send_signal(signal.SIGKILL)
            break
    process.wait()
    assert process.returncode == -signal.SIGKILL
