"""Peak memory of this process and of its descendants, measured per process image (Linux /proc).

``ru_maxrss`` is no good here: Linux carries it across fork and exec, so a worker spawned
by a large parent, or a pipeline task started by the simulator, reports the parent's peak
as its own. ``VmHWM`` in /proc/<pid>/status is the peak of the current process image only.
Descendants are sampled every ``interval`` seconds while they run; their VmHWM is already a
peak, so a sample late in a process's life catches it (only the last moments can slip by).
"""

from __future__ import annotations

import os
import resource
import threading
from pathlib import Path

__all__ = ["ChildSampler", "peak_rss_mb", "vm_hwm_mb"]


def vm_hwm_mb(pid: int | str = "self") -> float | None:
    """Peak RSS of one process image in MiB; None when /proc has no such process."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text(encoding="utf-8").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM where /proc exists, else ru_maxrss (KiB on Linux)."""
    peak = vm_hwm_mb()
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def descendants(root: int) -> list[int]:
    """Every process below ``root``, from the ppid field of /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])  # the name field may hold spaces and parens
        children.setdefault(ppid, []).append(int(entry.name))
    found, queue = [], [root]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


class ChildSampler:
    """A daemon thread that records the largest VmHWM of any descendant while it runs."""

    def __init__(self, interval: float = 0.25):
        self.interval = interval
        self.peak_mb = 0.0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-rss-sampler", daemon=True)

    def __enter__(self) -> ChildSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.interval):
            peaks = [vm_hwm_mb(pid) for pid in descendants(me)]
            self.peak_mb = max([self.peak_mb] + [p for p in peaks if p is not None])
            self.samples += 1
