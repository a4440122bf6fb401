"""Process lifetime: stop on Ctrl-C or SIGTERM, end every process started, and die with the parent.

- ``Terminated`` is raised by the SIGTERM handler ``stop_on_sigterm`` installs, and is a
  ``KeyboardInterrupt``: one unwinding path for both signals, so every ``finally`` and context
  manager (embedded servers, relays, pools) runs, and the CLI exits 143 instead of 130.
- ``end_descendants`` ends every process below this one (kfp.local's task processes, suite
  workers, servers), found through /proc: SIGTERM, a grace period, then SIGKILL.
- ``die_with_parent`` asks Linux to kill this process when its parent dies
  (``prctl(PR_SET_PDEATHSIG)``), so a ``kill -9`` of ctsim leaves no server or worker behind.
  The signal follows the parent *thread* that started the child: start long-lived children
  from the main thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import time
from collections.abc import Collection
from pathlib import Path
from typing import Any

__all__ = [
    "INTERRUPTED_EXIT",
    "TERMINATED_EXIT",
    "Terminated",
    "adopt_orphans",
    "descendants",
    "die_with_parent",
    "end_descendants",
    "exit_code_of",
    "stop_on_sigterm",
]

INTERRUPTED_EXIT = 130  # 128 + SIGINT
TERMINATED_EXIT = 143  # 128 + SIGTERM
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36


class Terminated(KeyboardInterrupt):
    """SIGTERM arrived: unwind exactly as for Ctrl-C."""


def exit_code_of(interrupt: BaseException) -> int:
    return TERMINATED_EXIT if isinstance(interrupt, Terminated) else INTERRUPTED_EXIT


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated()


def stop_on_sigterm() -> None:
    """Make SIGTERM raise ``Terminated`` in the main thread (call from the main thread)."""
    signal.signal(signal.SIGTERM, _raise_terminated)


def die_with_parent(signum: int = signal.SIGKILL, expected_parent: int | None = None) -> None:
    """Have the kernel send ``signum`` to this process when its parent dies (Linux; a no-op elsewhere).

    ``expected_parent``: the parent's pid as the parent knew it; if the parent already died before
    the request was made, this process exits at once instead of living on as an orphan.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if expected_parent is not None and os.getppid() != expected_parent:
        os._exit(1)


def adopt_orphans() -> None:
    """Become the reaper of our orphaned descendants (Linux ``PR_SET_CHILD_SUBREAPER``): a task process whose
    parent worker was killed is re-parented to us, not to init, so ``end_descendants`` still finds it."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def descendants(pid: int | None = None) -> list[int]:
    """Every live process below ``pid`` (default: this one), children before grandchildren (Linux /proc)."""
    root = os.getpid() if pid is None else pid
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # The command name (field 2) may hold spaces and parentheses: parse after its last ')'.
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, frontier = [], [root]
    while frontier:
        frontier = [child for parent in frontier for child in children.get(parent, [])]
        found += frontier
    return found


def end_descendants(grace_s: float = 3.0, spare: Collection[int] = ()) -> list[int]:
    """SIGTERM every descendant, wait up to ``grace_s`` for them to go, SIGKILL the rest; returns their pids.

    ``spare``: processes that were already running before this work began (a caller's own servers, when ctsim
    runs inside another program such as a test session): ctsim ends what it started, not its host's."""
    pids = [pid for pid in descendants() if pid not in spare]
    _signal_all(pids, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    _signal_all(
        [pid for pid in pids if _alive(pid)] + [pid for pid in descendants() if pid not in spare], signal.SIGKILL
    )
    return pids


def _signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signum)


def _alive(pid: int) -> bool:
    """Still running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    if state == "Z":
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # reap our own zombies
        return False
    return True
