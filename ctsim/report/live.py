"""The live view while a scenario runs: a rich progress line on a terminal, plain lines otherwise.

The simulator calls ``update(kind, data)``:

- ``"tick"``  {tick, ticks, champion, canary_weight} and optionally running counts {triggers, blocks, rollbacks}
- ``"step"``  {step}: the pipeline step (or run) in flight
- ``"event"`` {tick, kind, message}: a timeline event as it happens; triggers, gate blocks and rollbacks are
  counted from these

The counts appear only once the simulator reports them (by ``event`` or by counts on ``tick``), so the view
never shows a zero it does not know. Colour follows the console (the CLI honours NO_COLOR); on a non-terminal
the view prints one plain line per step and per counted event instead of redrawing.

While a pipeline runs, kfp.local's output is redirected into the run's log (``sys.stdout`` swapped), and a
console that looks ``sys.stdout`` up at each write would redraw into that log, or, not being a terminal there,
not at all: the view froze for the whole run. The view pins its console to the stream it started on, and its
line is rendered at every refresh, so the step in flight and its elapsed seconds move while a task runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.text import Text

from ctsim.report.redact import Redactor
from ctsim.timeline import GateBlocked, PromotionFailed, RolledBack, TriggerFired

# The events counted on the live line, by the kind the simulator reports; a failed promotion has its own count,
# shown once there is one (most runs have none).
COUNTED = {
    TriggerFired.kind: "triggers",
    GateBlocked.kind: "blocks",
    RolledBack.kind: "rollbacks",
    PromotionFailed.kind: "failed promotions",
}
SHOWN_WHEN_ZERO = ("triggers", "blocks", "rollbacks")


@dataclass
class LiveState:
    """What the live line shows; pure, so it is tested without a terminal."""

    tick: int = 0
    ticks: int | None = None
    champion: str | None = None
    canary_weight: int = 0
    step: str = ""
    step_since: float | None = None  # monotonic seconds when the step in flight started
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTED.values(), 0))
    counts_known: bool = False

    def apply(self, kind: str, data: dict[str, Any], now: float | None = None) -> str | None:
        """Fold one progress call in; returns a plain line worth printing on a non-terminal, if any."""
        if kind == "tick":
            self.tick, self.ticks = data["tick"], data.get("ticks", self.ticks)
            self.champion, self.canary_weight = data.get("champion"), data.get("canary_weight") or 0
            self.step, self.step_since = "", None
            if any(name in data for name in COUNTED.values()):
                self.counts_known = True
                self.counts.update({name: int(data[name]) for name in COUNTED.values() if name in data})
            return None
        if kind == "step":
            self.step = str(data.get("step", ""))
            self.step_since = time.monotonic() if now is None else now
            return f"tick {self.tick}: {self.step}"
        if kind == "event":
            self.counts_known = True
            name = COUNTED.get(data.get("kind", ""))
            if name is None:
                return None
            self.counts[name] += 1
            return f"tick {data.get('tick', self.tick)}: {data.get('kind')}: {data.get('message', '')}"
        return None

    def describe(self, now: float | None = None) -> str:
        parts = [f"champion {self.champion or '-'}"]
        if self.canary_weight and self.canary_weight < 100:
            parts.append(f"canary {self.canary_weight}%")
        if self.counts_known:
            parts.append(
                " ".join(f"{name} {value}" for name, value in self.counts.items() if value or name in SHOWN_WHEN_ZERO)
            )
        if self.step:
            since = "" if now is None or self.step_since is None else f" {max(0.0, now - self.step_since):.1f} s"
            parts.append(f"▶ {self.step}{since}")
        return " · ".join(parts)


class _StateColumn(ProgressColumn):
    """The live line, rendered afresh at every refresh (so elapsed time moves between updates)."""

    def __init__(self, render: Callable[[], str]):
        super().__init__()
        self._render = render

    def render(self, task: Any) -> Text:
        return Text(self._render())


class LiveView:
    def __init__(self, console: Console, enabled: bool = True, redactor: Redactor | None = None):
        self.console = console
        self.enabled = enabled
        self.interactive = console.is_terminal
        self.state = LiveState()
        self._redact = (redactor or Redactor.from_env()).text
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __enter__(self) -> LiveView:
        if self.enabled and self.interactive:
            self.console.file = self.console.file  # pinned: the runner swaps sys.stdout for the run's log
            line = _StateColumn(lambda: self._redact(self.state.describe(time.monotonic())))
            self._progress = Progress(
                TextColumn("[bold]tick"),
                MofNCompleteColumn(),
                BarColumn(bar_width=24),
                line,
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
                refresh_per_second=4,
            )
            self._progress.start()
            self._task = self._progress.add_task("starting", total=None)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()

    def update(self, kind: str, data: dict[str, Any]) -> None:
        if not self.enabled:
            return
        line = self.state.apply(kind, data)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.state.tick, total=self.state.ticks)
        elif line is not None:
            self.console.print(f"  … {self._redact(line)}", markup=False, highlight=False)
