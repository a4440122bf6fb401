"""The live view while a scenario runs: a rich progress bar on a terminal, plain lines otherwise."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class LiveView:
    def __init__(self, console: Console, enabled: bool = True):
        self.console = console
        self.enabled = enabled
        self.interactive = console.is_terminal
        self._progress: Progress | None = None
        self._task = None
        self._status = ""

    def __enter__(self) -> "LiveView":
        if self.enabled and self.interactive:
            self._progress = Progress(TextColumn("[bold]tick"), MofNCompleteColumn(), BarColumn(),
                                      TextColumn("{task.description}"), TimeElapsedColumn(), console=self.console,
                                      transient=True)
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, kind: str, data: dict[str, Any]) -> None:
        if not self.enabled:
            return
        if kind == "tick":
            self._status = (f"champion {data['champion'] or '-'}"
                            + (f", canary at {data['canary_weight']}%" if data.get("canary_weight") else ""))
            if self._progress is not None:
                self._progress.update(self._task, completed=data["tick"], total=data["ticks"], description=self._status)
        elif kind == "step":
            if self._progress is not None:
                self._progress.update(self._task, description=f"{self._status} · {data['step']}")
            else:
                self.console.print(f"  … {data['step']}")
