"""The four retraining triggers: schedule, volume, performance, drift.

Each is a pure function of its settings and this tick's observations and
returns a ``TriggerDecision`` whose reasons carry the numbers. How to read them:

* ``ok=False`` means the rule argues for a training run; ``ok=True`` means it
  does not (including "no data yet, no decision": no data is not bad data).
* The first reason decides: ``decision.fired == (not decision.reasons[0].ok)``.
  Later reasons are detail (sample counts, one reason per drifted feature).

Windows: the performance trigger slices its own last ``window_ticks`` entries
of the current champion's traffic (a rollout restarts its window: the old
model's errors are not the new champion's);
for the drift trigger the caller passes the current window's rows (the last
``DriftTriggerSettings.window_ticks`` ticks), since only it can read the lake.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

import pandas as pd
from croniter import croniter

from ctsim.contract import ColumnKind
from ctsim.drift import DatasetDrift, Sketch, dataset_drift, dataset_sketch_drift
from ctsim.reasons import Reason, TriggerDecision
from ctsim.settings import (
    DriftTriggerSettings,
    PerformanceTriggerSettings,
    ScheduleTriggerSettings,
    VolumeTriggerSettings,
)
from ctsim.steps.metrics import metric_spec

__all__ = [
    "LiveScore",
    "drift_decision",
    "drift_decision_from",
    "drift_decision_from_sketches",
    "live_reference",
    "performance_decision",
    "schedule_decision",
    "volume_decision",
]

# Metrics are shares computed in floating point: 0.85 - 0.80 is 0.04999999999999993.
# A drop that equals max_drop in decimal must fire, so compare with this slack.
_DROP_TOLERANCE = 1e-9


def schedule_decision(settings: ScheduleTriggerSettings, previous: datetime, now: datetime) -> TriggerDecision:
    """Fire when an instant of ``settings.cron`` lies in (previous, now] of simulated time.

    The half-open window means consecutive ticks never both claim the same
    instant. Several instants in one window still fire once; the reason names the
    first of them. When quiet, the reason names the next instant.
    """
    instant = croniter(settings.cron, previous).get_next(datetime)
    fired = instant <= now
    reason = Reason(
        rule=f"first instant of cron '{settings.cron}' after the previous tick ({previous.isoformat()}) is after now",
        observed=instant.isoformat(),
        threshold=now.isoformat(),
        ok=not fired,
    )
    return TriggerDecision("schedule", fired, (reason,))


def volume_decision(settings: VolumeTriggerSettings, new_labelled_rows: int) -> TriggerDecision:
    """Fire when at least ``min_new_rows`` labelled rows arrived since the last run."""
    fired = new_labelled_rows >= settings.min_new_rows
    reason = Reason(
        rule="new labelled rows since the last run below min_new_rows",
        observed=new_labelled_rows,
        threshold=settings.min_new_rows,
        ok=not fired,
    )
    return TriggerDecision("volume", fired, (reason,))


class LiveScore(NamedTuple):
    """One tick of labelled live traffic: how many rows, the metric on them, and the champion that served them."""

    samples: int
    value: float
    version: str | None = None


def live_reference(
    settings: PerformanceTriggerSettings, live: Sequence[LiveScore], champion: str | None
) -> float | None:
    """The champion's live metric over its first ``window_ticks`` labelled ticks, sample-weighted.

    A tick counts when the champion served it and it has samples and a finite metric. None until those
    ticks hold ``min_samples`` rows: a reference from a handful of rows would be noise.
    """
    own = [
        (s.samples, s.value)
        for s in live
        if (champion is None or s.version == champion) and s.samples > 0 and math.isfinite(s.value)
    ]
    first = own[: settings.window_ticks]
    samples = sum(n for n, _ in first)
    if len(first) < settings.window_ticks or samples < settings.min_samples:
        return None
    return sum(n * value for n, value in first) / samples


def performance_decision(
    settings: PerformanceTriggerSettings,
    live: Sequence[LiveScore],
    reference: float | None,
    *,
    metric: str = "accuracy",
    champion: str | None = None,
) -> TriggerDecision:
    """Fire when the live metric worsened by at least ``max_drop`` from the reference.

    "Worsened" follows the metric's direction: a fall for accuracy, a rise for
    rmse or log loss. ``live`` holds one entry per tick, most recent last. Only
    the entries served by ``champion`` count (when it is given), so after a
    rollout the window restarts with the new champion's traffic. The live
    metric is the sample-weighted mean over the last ``window_ticks`` of those
    entries; ticks without samples (or with a NaN metric) weigh nothing.
    """
    own = [score for score in live if champion is None or score.version == champion]
    window = [(n, value) for n, value, _ in own[-settings.window_ticks :] if n > 0 and math.isfinite(value)]
    samples = sum(n for n, _ in window)
    span = f"the last {settings.window_ticks} tick(s)"
    if reference is None:
        quiet = Reason("no reference metric to compare the live metric against yet (no decision)", None, None, True)
        return TriggerDecision("performance", False, (quiet,))
    enough = Reason(f"labelled samples in {span} at least min_samples", samples, settings.min_samples, True)
    if samples < settings.min_samples:
        quiet = Reason(
            f"labelled samples in {span} below min_samples: not enough to judge yet (no decision)",
            samples,
            settings.min_samples,
            True,
        )
        return TriggerDecision("performance", False, (quiet,))
    live_metric = sum(n * value for n, value in window) / samples
    spec = metric_spec(metric)
    drop = spec.worsening(reference, live_metric)
    fired = drop >= settings.max_drop - _DROP_TOLERANCE
    worse = "drop" if spec.higher_is_better else "rise"
    decisive = Reason(
        f"{worse} of the live metric ({live_metric:.4f}, weighted over {span}) "
        f"from the reference ({reference:.4f}) below max_drop",
        drop,
        settings.max_drop,
        not fired,
    )
    return TriggerDecision("performance", fired, (decisive, enough))


def drift_decision(
    settings: DriftTriggerSettings,
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
) -> TriggerDecision:
    """Fire when the share of drifted features reaches ``drift_share`` (exact statistics)."""
    return drift_decision_from(dataset_drift(reference, current, kinds, settings))


def drift_decision_from_sketches(
    settings: DriftTriggerSettings, sketches: Mapping[str, Sketch], current: pd.DataFrame
) -> TriggerDecision:
    """``drift_decision`` against reference sketches: costs time in the current rows only."""
    return drift_decision_from(dataset_sketch_drift(sketches, current, settings))


def drift_decision_from(result: DatasetDrift) -> TriggerDecision:
    """One summary reason (share of drifted features vs drift_share), then one per feature."""
    drifted = len(result.drifted_columns)
    summary = Reason(
        f"share of drifted features ({drifted} of {len(result.features)}) below drift_share",
        result.share,
        result.drift_share,
        not result.drifted,
    )
    return TriggerDecision("drift", result.drifted, (summary, *(feature.reason for feature in result.features)))
