"""A terminal chart of the live metric over ticks, with a marker row per event kind under it.

Each tick gets ``cell`` columns (1-3) when the ticks fit in ``width``; longer runs are downsampled to
``ticks_per_column`` ticks per column (mean of the known values), and the caption says which.
Bars use eighth blocks, so a chart of ``height`` rows resolves ``8 * height`` levels.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import fmean

from rich.text import Text

from ctsim.report.facts import MARKERS, Labels, markers, series
from ctsim.steps.metrics import metric_label
from ctsim.timeline import Timeline

_EIGHTHS = " ▁▂▃▄▅▆▇█"
MARKER_STYLE = {
    "drift": "magenta",
    "trigger": "yellow",
    "retrain": "blue",
    "run-failed": "red",
    "block": "red",
    "canary": "cyan",
    "rollout": "bold green",
    "rollback": "bold red",
    "promotion-failed": "bold red",
}
_LABEL_WIDTH = 6


@dataclass(frozen=True)
class Layout:
    ticks: int
    cell: int  # columns per tick (>= 1) ...
    ticks_per_column: int  # ... or ticks per column (>= 1); one of the two is 1

    @property
    def columns(self) -> int:
        return self.ticks * self.cell if self.ticks_per_column == 1 else math.ceil(self.ticks / self.ticks_per_column)

    def column_of(self, index: int) -> int:
        return index * self.cell if self.ticks_per_column == 1 else index // self.ticks_per_column

    def marker_column(self, index: int) -> int:
        """Markers sit in the middle of their tick's cells."""
        return self.column_of(index) + (self.cell // 2 if self.ticks_per_column == 1 else 0)

    def caption(self) -> str:
        if self.ticks_per_column > 1:
            return f"downsampled: 1 column = {self.ticks_per_column} ticks (mean)"
        return "1 column = 1 tick" if self.cell == 1 else f"{self.cell} columns = 1 tick"


def plan(ticks: int, width: int) -> Layout:
    if ticks <= 0:
        return Layout(0, 1, 1)
    if ticks <= width:
        return Layout(ticks, max(1, min(3, width // ticks)), 1)
    return Layout(ticks, 1, math.ceil(ticks / width))


def bounds(values: list[float]) -> tuple[float, float]:
    """A readable range: outward to 0.05 steps, at least 0.1 tall."""
    low, high = math.floor(min(values) * 20) / 20, math.ceil(max(values) * 20) / 20
    if high - low < 0.1:
        high = low + 0.1
    return round(low, 2), round(high, 2)


def columns(values: list[float | None], layout: Layout) -> list[float | None]:
    """The value each column shows (repeated across a tick's cells, or a mean over a downsampled bucket)."""
    if layout.ticks_per_column == 1:
        return [v for v in values for _ in range(layout.cell)]
    out = []
    for start in range(0, len(values), layout.ticks_per_column):
        known = [v for v in values[start : start + layout.ticks_per_column] if v is not None]
        out.append(fmean(known) if known else None)
    return out


def bar_rows(values: list[float | None], low: float, high: float, height: int) -> list[str]:
    """Rows top to bottom; each value fills ``height * 8`` levels from the bottom."""
    levels = [None if v is None else round((min(max(v, low), high) - low) / (high - low) * height * 8) for v in values]
    rows = []
    for row in range(height - 1, -1, -1):
        line = []
        for level in levels:
            fill = 0 if level is None else min(8, max(0, level - row * 8))
            line.append(_EIGHTHS[fill])
        rows.append("".join(line))
    return rows


def marker_rows(timeline: Timeline, layout: Layout) -> list[Text]:
    """As many rows as the busiest column has marker kinds; each kind keeps its symbol and colour."""
    first = timeline.ticks[0].tick if timeline.ticks else 0
    stacks: dict[int, list[str]] = {}
    for tick, kind in markers(timeline):
        index = tick - first
        if 0 <= index < layout.ticks:
            stack = stacks.setdefault(layout.marker_column(index), [])
            if kind not in stack:
                stack.append(kind)
    depth = max((len(s) for s in stacks.values()), default=0)
    rows = []
    for level in range(depth):
        text = Text(" " * (_LABEL_WIDTH + 1))
        for column in range(layout.columns):
            stack = stacks.get(column, [])
            shown = stack[level] if level < len(stack) else None
            text.append(MARKERS[shown][0] if shown else " ", style=MARKER_STYLE.get(shown or "", ""))
        rows.append(text)
    return rows


def axis(timeline: Timeline, layout: Layout) -> Text:
    """Tick numbers under the chart, every few columns, never overlapping."""
    line = [" "] * layout.columns
    step = max(1, math.ceil(6 / max(1, layout.cell)) * layout.ticks_per_column)
    step = 5 * math.ceil(step / 5) if step > 1 else 1
    for index, record in enumerate(timeline.ticks):
        if index % step:
            continue
        label, column = str(record.tick), layout.column_of(index)
        if column + len(label) <= layout.columns and all(
            c == " " for c in line[max(0, column - 1) : column + len(label)]
        ):
            line[column : column + len(label)] = label
    return Text(" " * (_LABEL_WIDTH + 1) + "".join(line), style="dim")


def format_chart(timeline: Timeline, width: int = 100, height: int = 5, labels: Labels | None = None) -> Text:
    """The chart as one Text: caption, bars with a y-axis, tick axis, marker rows and their legend.

    The caption says what the bars are scored against: labels that land ``delay`` ticks after serving, and
    the ticks whose labels were poisoned (their bars are drawn in red).
    """
    labels = labels or Labels()
    values = [v for _, v in series(timeline)]
    known = [v for v in values if v is not None]
    title = f"live {metric_label(timeline.metric)} per tick"
    if not known:
        return Text(f"{title}: no labelled traffic yet, nothing to chart")
    layout = plan(len(values), width - _LABEL_WIDTH - 1)
    low, high = bounds(known)
    text = Text.assemble((title, "bold"), (f"  ({layout.caption()}; blank = no labels yet)", "dim"), "\n")
    notes = _label_notes(timeline, labels)
    if notes:
        text.append(f"{'':>{_LABEL_WIDTH}} {notes}\n", style="dim")
    first = timeline.ticks[0].tick if timeline.ticks else 0
    poisoned = {
        layout.column_of(t - first) + c
        for t in labels.poisoned_scored
        if 0 <= t - first < layout.ticks
        for c in range(layout.cell if layout.ticks_per_column == 1 else 1)
    }
    for row, bars in enumerate(bar_rows(columns(values, layout), low, high, height)):
        label = {0: f"{high:.2f}", height // 2: f"{(low + high) / 2:.2f}", height - 1: f"{low:.2f}"}.get(row, "")
        text.append(f"{label:>{_LABEL_WIDTH}}┤", style="dim")
        for column, bar in enumerate(bars):
            text.append(bar, style="red" if column in poisoned else "cyan")
        text.append("\n")
    text.append_text(axis(timeline, layout))
    for marker_row in marker_rows(timeline, layout):
        text.append("\n")
        text.append_text(marker_row)
    used = {kind for _, kind in markers(timeline)}
    if used:
        text.append("\n" + " " * (_LABEL_WIDTH + 1))
        for kind in MARKERS:
            if kind in used:
                symbol, label = MARKERS[kind]
                text.append(symbol, style=MARKER_STYLE[kind])
                text.append(f" {label}  ", style="dim")
    return text


def _label_notes(timeline: Timeline, labels: Labels) -> str:
    """What the bars are scored on, when it is not plain same-tick labels."""
    notes = []
    if labels.delay_ticks > 1:
        notes.append(f"each tick scores the rows served {labels.delay_ticks} ticks earlier (labels arrive late)")
    scored = sorted(t for t in labels.poisoned_scored if any(r.tick == t for r in timeline.ticks))
    if scored:
        notes.append(f"ticks {_ranges(scored)} (red) are scored against POISONED labels, not the truth")
    return "; ".join(notes)


def _ranges(ticks: list[int]) -> str:
    spans: list[list[int]] = []
    for tick in ticks:
        if spans and tick == spans[-1][1] + 1:
            spans[-1][1] = tick
        else:
            spans.append([tick, tick])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans)
