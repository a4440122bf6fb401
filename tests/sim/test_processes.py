"""descendants / end_descendants find children and grandchildren by PID and end them, TERM then KILL."""

from __future__ import annotations

import subprocess
import sys
import time

from ctsim.processes import descendants, end_descendants


def test_end_descendants_ends_children_and_grandchildren_even_those_ignoring_sigterm():
    stubborn = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)"
    session = set(descendants())  # the test session's own servers: spared, as the CLI spares its host's
    parent = subprocess.Popen(["sh", "-c", f"{sys.executable} -c '{stubborn}' & sleep 60 & wait"])
    deadline = time.monotonic() + 10
    while len(set(descendants()) - session) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    found = descendants()
    assert parent.pid in found and len(set(found) - session) >= 3
    started_at = {pid: _start_time(pid) for pid in set(found) - session}

    started = time.monotonic()
    ended = end_descendants(grace_s=1.0, spare=session)

    assert set(found) - session <= set(ended) | set(descendants())
    assert not set(ended) & session  # nothing that was running before was touched
    assert time.monotonic() - started < 5
    parent.wait(timeout=5)
    settle = time.monotonic() + 2  # a SIGKILLed process can take a moment to be torn down on a loaded machine
    while (left := [pid for pid, at in started_at.items() if _alive(pid, at)]) and time.monotonic() < settle:
        time.sleep(0.05)
    assert not left


def _fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: [0] is the state, [19] the start time."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _start_time(pid: int) -> str | None:
    fields = _fields(pid)
    return fields[19] if fields else None


def _alive(pid: int, started_at: str | None) -> bool:
    """The same process (pid and start time: a busy machine reuses pids) is running, not a zombie."""
    fields = _fields(pid)
    return fields is not None and fields[19] == started_at and fields[0] != "Z"
