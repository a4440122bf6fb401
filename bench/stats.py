"""Pure arithmetic on timings: medians, percentiles, straight-line fits, task overhead."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Fit", "growth_exponent", "linear_fit", "median", "percentile", "ratio", "task_overheads", "summarize"]

# Growth no faster than linear: a log-log slope up to this (1.0 is linear; fixed costs make it smaller).
LINEAR_EXPONENT = 1.15


def median(values: Iterable[float]) -> float:
    data = list(values)
    return float(statistics.median(data)) if data else math.nan


def percentile(values: Iterable[float], share: float) -> float:
    """The ``share`` quantile (0..1) with linear interpolation between closest ranks; NaN when empty."""
    data = sorted(values)
    if not data:
        return math.nan
    position = share * (len(data) - 1)
    low = math.floor(position)
    high = min(low + 1, len(data) - 1)
    return float(data[low] + (data[high] - data[low]) * (position - low))


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, NaN when the denominator is zero or either side is NaN."""
    if denominator == 0 or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return numerator / denominator


def summarize(values: Sequence[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": median(values),
        "p90": percentile(values, 0.9),
        "min": min(values) if values else math.nan,
        "max": max(values) if values else math.nan,
    }


@dataclass(frozen=True)
class Fit:
    """y = intercept + slope * x, with R^2 and how far the worst point strays from the line (relative)."""

    slope: float
    intercept: float
    r2: float
    worst_relative_residual: float


def linear_fit(xs: Sequence[float], ys: Sequence[float]) -> Fit:
    """Least-squares line through the points; needs two distinct x values."""
    if len(xs) != len(ys) or len(set(xs)) < 2:
        raise ValueError("A linear fit needs at least two points with distinct x values.")
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    predicted = [intercept + slope * x for x in xs]
    ss_res = sum((y - p) ** 2 for y, p in zip(ys, predicted))
    ss_tot = sum((y - mean_y) ** 2 for y in ys)
    flat = ss_tot <= 1e-12 * len(ys) * (1.0 + mean_y * mean_y)  # y constant up to rounding: a perfect fit
    r2 = 1.0 if flat else 1.0 - ss_res / ss_tot
    worst = max(abs(y - p) / abs(y) if y else 0.0 for y, p in zip(ys, predicted))
    return Fit(slope, intercept, r2, worst)


def growth_exponent(xs: Sequence[float], ys: Sequence[float]) -> float:
    """The least-squares slope of log(y) against log(x): 1 linear, 2 quadratic, < 1 with a fixed part.

    R^2 of a straight line cannot tell (x^2 over 10..80 still fits with R^2 0.96); the exponent can.
    """
    points = [(math.log(x), math.log(y)) for x, y in zip(xs, ys) if x > 0 and y > 0]
    return linear_fit([p[0] for p in points], [p[1] for p in points]).slope


def task_overheads(runs: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per task of every pipeline run: its wall time (kfp.local's log) minus the step's own work.

    ``runs`` are the timeline's run entries: ``tasks`` (task, seconds, status) and ``step_seconds``
    (the step's own work, from its step record). A task without a step record (the exit handler,
    alerts) did no recorded work: its whole wall time is overhead. Failed tasks are left out.
    """
    rows = []
    for run in runs:
        own = run.get("step_seconds") or {}
        for task in run.get("tasks") or ():
            if task.get("status") != "SUCCESS":
                continue
            work = own.get(task["task"]) or 0.0
            rows.append(
                {
                    "task": task["task"],
                    "wall": float(task["seconds"]),
                    "work": float(work),
                    "overhead": max(0.0, float(task["seconds"]) - float(work)),
                }
            )
    return rows
