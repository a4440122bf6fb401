"""``--plot PATH.png|.svg|.pdf``: the live metric over ticks, drift windows shaded, one marker lane per event kind.

matplotlib with the Agg backend (no display needed); the file type follows the suffix. A bad suffix is a
``CtsimError`` raised by ``check_plot_path`` before any run starts or any file is written.
"""

from __future__ import annotations

from pathlib import Path

from ctsim.errors import CtsimError
from ctsim.report import facts
from ctsim.report.record import RunRecord
from ctsim.steps.metrics import metric_label
from ctsim.timeline import OutageBegan, OutageEnded, ScriptedEvent

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
# Marker kind -> (matplotlib marker, colour); the terminal chart uses the same kinds and labels.
STYLE = {
    "drift": ("v", "#8e24aa"),
    "trigger": ("^", "#f9a825"),
    "retrain": ("o", "#1e88e5"),
    "run-failed": ("x", "#c62828"),
    "block": ("s", "#e53935"),
    "canary": ("D", "#00acc1"),
    "rollout": ("*", "#2e7d32"),
    "rollback": ("X", "#b71c1c"),
    "promotion-failed": ("P", "#6a1b9a"),
}


def check_plot_path(path: Path) -> str:
    """The format for ``path``, or a CtsimError that says what is accepted (or which extra brings matplotlib)."""
    from ctsim.extras import require

    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CtsimError(
            f"--plot {path}: the plot file must end in .png, .svg or .pdf (got '{path.suffix or 'no suffix'}')"
        )
    require("plot", "--plot")
    return fmt


def plot_figure(record: RunRecord):
    """A matplotlib Figure of the run (pure: nothing is written)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from matplotlib.figure import Figure

    timeline = record.timeline
    fig = Figure(figsize=(10, 5.2), dpi=110, layout="constrained")
    top, lanes = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3.2, 1.3]})
    _metric_panel(top, timeline)
    _marker_lanes(lanes, timeline)
    verdict = "PASSED" if record.verdict.passed else "FAILED"
    fig.suptitle(
        f"{timeline.scenario} (seed {timeline.seed}): live {timeline.metric} per tick, verdict {verdict}", fontsize=11
    )
    return fig


def _metric_panel(ax, timeline) -> None:
    ticks = [t.tick for t in timeline.ticks]
    served = [t.served_metric for t in timeline.ticks]
    champion = [t.champion_metric for t in timeline.ticks]
    for window in facts.drift_windows(timeline):
        label = "drift window" + (" (until the recovering rollout)" if window.rollout_tick is not None else "")
        ax.axvspan(window.start, window.end, color="#8e24aa", alpha=0.12, label=label)
    ax.plot(ticks, _nan(served), color="#1565c0", linewidth=2, marker=".", label=f"live {timeline.metric} (served)")
    ax.plot(ticks, _nan(champion), color="#546e7a", linewidth=1, linestyle="--", label=f"champion {timeline.metric}")
    for start, end in _outages(timeline):
        ax.axvspan(start, end, color="#757575", alpha=0.15, label="object store outage")
    for event in timeline.of(ScriptedEvent):
        ax.axvline(event.tick, color="#757575", linewidth=1, linestyle="--")
        ax.annotate(
            event.event,
            (event.tick, 1),
            xycoords=("data", "axes fraction"),
            xytext=(3, -12),
            textcoords="offset points",
            fontsize=8,
            color="#616161",
        )
    for tick, kind in facts.markers(timeline):
        if kind in ("rollout", "rollback", "block", "drift"):
            ax.axvline(tick, color=STYLE[kind][1], linewidth=0.9, alpha=0.6, linestyle=":")
    ax.set_ylabel(metric_label(timeline.metric))
    known = [v for v in served + champion if v is not None]
    if known:
        low, high = min(known), max(known)
        pad = max(0.02, (high - low) * 0.08)
        ax.set_ylim(low - pad, min(1.0 + pad / 2, high + pad) if high <= 1 else high + pad)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8, framealpha=0.85)


def _marker_lanes(ax, timeline) -> None:
    kinds = list(facts.MARKERS)
    found = facts.markers(timeline)
    for lane, kind in enumerate(kinds):
        ticks = [tick for tick, k in found if k == kind]
        marker, colour = STYLE[kind]
        ax.scatter(
            ticks, [lane] * len(ticks), marker=marker, color=colour, s=60, zorder=3, label=facts.MARKERS[kind][1]
        )
    ax.set_yticks(range(len(kinds)), [facts.MARKERS[k][1] for k in kinds], fontsize=7)
    ax.set_ylim(-0.7, len(kinds) - 0.3)
    ax.invert_yaxis()
    ax.grid(axis="x", alpha=0.3)
    ax.set_xlabel("tick")
    if timeline.ticks:
        ax.set_xlim(timeline.ticks[0].tick - 0.5, timeline.ticks[-1].tick + 0.5)
        ax.xaxis.get_major_locator().set_params(integer=True)


def _outages(timeline) -> list[tuple[int, int]]:
    ends = [e.tick for e in timeline.of(OutageEnded)]
    spans = []
    for start in (e.tick for e in timeline.of(OutageBegan)):
        end = min((t for t in ends if t >= start), default=facts.last_tick(timeline))
        spans.append((start, end))
    return spans


def _nan(values):
    return [float("nan") if v is None else v for v in values]
