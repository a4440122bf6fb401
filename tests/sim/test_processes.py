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

    started = time.monotonic()
    ended = end_descendants(grace_s=1.0, spare=session)

    assert set(found) - session <= set(ended) | set(descendants())
    assert not set(ended) & session  # nothing that was running before was touched
    assert time.monotonic() - started < 5
    parent.wait(timeout=5)
    assert not [pid for pid in set(found) - session if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False
