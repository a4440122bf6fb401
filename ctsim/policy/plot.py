"""The comparison plot: the served metric over ticks, one line per policy, drift onsets marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ctsim.errors import CtsimError
from ctsim.policy.metrics import served_curve


def new_figure(width: float) -> tuple[Any, Any]:
    """A figure and its one axes, on matplotlib's Agg backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, 4.5), layout="constrained")
    return figure, figure.add_subplot()


def save_figure(figure: Any, path: Path) -> Path:
    """Write ``figure`` to ``path`` (png, svg or pdf by suffix); a path that cannot be written is a CtsimError."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=110)
    except (OSError, ValueError) as exc:
        raise CtsimError(f"cannot write the plot to {path}: {exc}") from exc
    return path


def write_plot(comparison, path: Path) -> Path:
    """The comparison plot, written to ``path``."""
    figure, axes = new_figure(9)
    for run in comparison.runs:
        if run.timeline is None:
            continue
        curve = served_curve(run.timeline)
        star = " ★" if run.policy == comparison.winner else ""
        auc = f" (mean {run.metrics.auc:.3f})" if run.metrics and run.metrics.auc is not None else ""
        axes.plot([t for t, _ in curve], [v for _, v in curve], marker=".", label=f"{run.policy}{auc}{star}")
    for onset in comparison.onsets:
        axes.axvline(onset, color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("tick")
    axes.set_ylabel(f"served {comparison.metric} (live, labelled feedback)")
    axes.set_title(f"{comparison.scenario} (seed {comparison.seed}): policies compared; dashed = drift onset")
    axes.legend(loc="lower left")
    return save_figure(figure, path)
