"""Following a pipeline run's log while it runs: kfp.local writes "Executing task 'x'" as each task starts.

The runner's log is line-buffered, so a thread polling it sees each task start within a poll interval.
The live view uses it to show the step in flight; a fault uses it to strike when a given step starts.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from ctsim.runners import started_task

POLL_S = 0.02


class TaskFollower:
    """Calls ``on_task(name)`` once for every task kfp.local starts, from a background thread."""

    def __init__(self, log_path: Path, on_task: Callable[[str], None]):
        self.log_path = log_path
        self.on_task = on_task
        self._offset = 0
        self._partial = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="ctsim-task-follower", daemon=True)

    def __enter__(self) -> TaskFollower:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _follow(self) -> None:
        while not self._stop.wait(POLL_S):
            for name in self._new_tasks():
                self.on_task(name)

    def _new_tasks(self) -> list[str]:
        try:
            with self.log_path.open("r", encoding="utf-8", errors="replace") as log:
                log.seek(self._offset)
                text = log.read()
                self._offset = log.tell()
        except FileNotFoundError:
            return []
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()  # an unfinished last line waits for the next poll
        return [task for line in lines if (task := started_task(line))]
