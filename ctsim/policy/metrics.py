"""What a policy comparison measures, computed from timelines alone (pure: no I/O, no clock).

Definitions (the README states them too):

* **auc** — the mean served metric over the ticks that have one (ticks whose labelled
  feedback arrived), i.e. the area under the live-metric curve divided by its length, so
  runs of different lengths compare. Better in the metric's direction: higher for accuracy,
  lower for log loss, RMSE or MAE (the metric registry, ``ctsim.steps.metrics``, says which).
* **recovery** — for each onset (a scripted drift, concept drift or label shift), the
  *pre-drift level* is the mean served metric of the ``baseline_ticks`` ticks with a metric
  before the onset. The metric *dips* when it first is more than ``tolerance`` worse than that
  level (below it, or above it for a lower-is-better metric), between the onset and the next
  onset (or the end). It has *recovered* at the first
  later tick where it is back within ``tolerance`` and the next tick with a metric (if any)
  is too. Recovery time = that tick minus the onset; no dip means 0; no recovery means None.
* **retrains** — pipeline runs not started by the bootstrap; **compute seconds** — the wall
  seconds of all pipeline runs on kfp.local (start-up included: it depends on the machine's load);
  **own-work seconds** — what the steps themselves spent (their recorded step seconds); **gate blocks**
  and **rollbacks** — their events.
* **interval** — a paired, moving-block bootstrap of the served-metric difference between a policy and the
  best one (same seed, so the same ticks): per-tick differences on the ticks both have a metric, blocks of
  ``round(n ** (1/3))`` ticks (keeps the tick-to-tick correlation), ``RESAMPLES`` resamples seeded by the
  scenario's seed, the 2.5 and 97.5 percentiles of the mean. In "goodness" (the metric, or its negative when
  lower is better), so a policy worse than the best has a negative difference. When any other policy's
  interval holds zero strictly inside (or is the single point zero: identical curves), no policy is
  distinguishable: there is no winner on auc.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ctsim.steps.metrics import METRICS
from ctsim.timeline import CANARY_WITHDRAWN, DriftOnset, GateBlocked, PipelineRun, ScriptedEvent, Timeline

__all__ = [
    "OBJECTIVES",
    "Interval",
    "Objective",
    "PolicyMetrics",
    "Recovery",
    "choose_winner",
    "difference_interval",
    "drift_onsets",
    "intervals",
    "mean_metric",
    "measure",
    "recovery_after",
    "served_curve",
]

DEFAULT_TOLERANCE = 0.03
BASELINE_TICKS = 3
Objective = Literal["auc", "recovery", "retrains", "compute"]
OBJECTIVES: dict[str, str] = {
    "auc": "best mean served metric (highest, or lowest for a lower-is-better metric)",
    "recovery": "shortest mean recovery time (not recovered counts as the ticks left in the run)",
    "retrains": "fewest retrains",
    "compute": "fewest pipeline compute seconds",
}
_ONSET_EVENTS = ("concept_drift", "label_shift")

Curve = list[tuple[int, float]]


@dataclass(frozen=True)
class Recovery:
    onset: int
    baseline: float | None  # pre-drift level; None when no tick before the onset had a metric
    dipped: bool
    ticks: int | None  # ticks from onset to recovery; 0 without a dip; None = not recovered

    def to_dict(self) -> dict:
        return {"onset": self.onset, "baseline": self.baseline, "dipped": self.dipped, "ticks": self.ticks}


@dataclass(frozen=True)
class PolicyMetrics:
    policy: str
    auc: float | None
    recoveries: tuple[Recovery, ...]
    retrains: int
    compute_seconds: float
    gate_blocks: int
    rollbacks: int
    ticks: int
    lower_is_better: bool = False
    own_seconds: float = 0.0

    def recovery_score(self) -> float:
        """Mean recovery ticks, an unrecovered onset counting as the ticks left after it; 0 without onsets."""
        if not self.recoveries:
            return 0.0
        cost = [r.ticks if r.ticks is not None else self.ticks - r.onset for r in self.recoveries]
        return sum(cost) / len(cost)

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "auc": self.auc,
            "recoveries": [r.to_dict() for r in self.recoveries],
            "retrains": self.retrains,
            "compute_seconds": self.compute_seconds,
            "own_seconds": self.own_seconds,
            "gate_blocks": self.gate_blocks,
            "rollbacks": self.rollbacks,
            "ticks": self.ticks,
            "lower_is_better": self.lower_is_better,
        }

    def auc_cost(self) -> float:
        """The auc as a cost (smaller is better, whatever the metric's direction); no auc is worst."""
        if self.auc is None:
            return math.inf
        return self.auc if self.lower_is_better else -self.auc


def served_curve(timeline: Timeline) -> Curve:
    """(tick, served metric) for every tick that has one."""
    return [
        (t.tick, t.served_metric)
        for t in timeline.ticks
        if t.served_metric is not None and math.isfinite(t.served_metric)
    ]


def mean_metric(curve: Curve) -> float | None:
    return sum(value for _, value in curve) / len(curve) if curve else None


def drift_onsets(timeline: Timeline) -> list[int]:
    """Ticks where a scripted change of the data begins (covariate drift, concept drift, label shift)."""
    ticks = {
        e.tick
        for e in timeline.events
        if isinstance(e, DriftOnset) or isinstance(e, ScriptedEvent) and e.event in _ONSET_EVENTS
    }
    return sorted(ticks)


def recovery_after(
    curve: Curve,
    onset: int,
    end: int | None = None,
    tolerance: float = DEFAULT_TOLERANCE,
    baseline_ticks: int = BASELINE_TICKS,
    lower_is_better: bool = False,
) -> Recovery:
    """How long the metric took to come back after ``onset`` (see the module docstring); ``end`` is exclusive."""
    before = [value for tick, value in curve if tick < onset][-baseline_ticks:]
    if not before:
        return Recovery(onset, None, False, None)
    baseline = sum(before) / len(before)
    sign = -1.0 if lower_is_better else 1.0  # compare "goodness": the metric itself, or its negative
    floor = sign * baseline - tolerance
    after = [(tick, sign * value) for tick, value in curve if tick >= onset and (end is None or tick < end)]
    dip = next((i for i, (_, value) in enumerate(after) if value < floor), None)
    if dip is None:
        return Recovery(onset, round(baseline, 6), False, 0)
    for i in range(dip + 1, len(after)):
        tick, value = after[i]
        following = after[i + 1][1] if i + 1 < len(after) else None
        if value >= floor and (following is None or following >= floor):
            return Recovery(onset, round(baseline, 6), True, tick - onset)
    return Recovery(onset, round(baseline, 6), True, None)


def measure(policy: str, timeline: Timeline, tolerance: float = DEFAULT_TOLERANCE) -> PolicyMetrics:
    curve = served_curve(timeline)
    onsets = drift_onsets(timeline)
    ends = onsets[1:] + [None]
    spec = METRICS.get(timeline.metric)
    lower = spec is not None and not spec.higher_is_better
    recoveries = tuple(
        recovery_after(curve, onset, end, tolerance, lower_is_better=lower) for onset, end in zip(onsets, ends)
    )
    runs = timeline.of(PipelineRun)
    auc = mean_metric(curve)
    return PolicyMetrics(
        policy=policy,
        auc=None if auc is None else round(auc, 6),
        recoveries=recoveries,
        retrains=sum(1 for e in runs if e.trigger != "bootstrap"),
        compute_seconds=round(sum(float(r.get("seconds") or 0) for r in timeline.runs), 3),
        own_seconds=round(sum(float(s or 0) for r in timeline.runs for s in (r.get("step_seconds") or {}).values()), 3),
        gate_blocks=len(timeline.of(GateBlocked)),
        rollbacks=len(timeline.of(*CANARY_WITHDRAWN)),
        ticks=len(timeline.ticks),
        lower_is_better=lower,
    )


def choose_winner(results: list[PolicyMetrics], objective: Objective = "auc") -> str | None:
    """The best policy on ``objective``; ties go to the better auc, then to fewer compute seconds."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; expected one of {', '.join(OBJECTIVES)}")
    if not results:
        return None
    primary = {
        "auc": PolicyMetrics.auc_cost,
        "recovery": PolicyMetrics.recovery_score,
        "retrains": lambda m: m.retrains,
        "compute": lambda m: m.compute_seconds,
    }[objective]

    def key(m: PolicyMetrics) -> tuple:
        return (primary(m), m.auc_cost(), m.compute_seconds, m.policy)

    return min(results, key=key).policy


RESAMPLES = 2000


@dataclass(frozen=True)
class Interval:
    """A policy's served-metric difference against the best policy, in goodness, with its 95% interval."""

    policy: str
    best: str
    ticks: int  # ticks where both had a served metric
    difference: float  # mean of (policy - best) goodness; <= 0
    low: float
    high: float

    @property
    def spans_zero(self) -> bool:
        """The interval cannot tell the two apart: zero strictly inside it, or both ends zero (identical
        curves). One that only ends at zero (some resamples tie) still lies on one side."""
        return self.low < 0.0 < self.high or self.low == self.high == 0.0

    def to_dict(self) -> dict:
        return {
            "policy": self.policy,
            "against": self.best,
            "ticks": self.ticks,
            "difference": self.difference,
            "low": self.low,
            "high": self.high,
            "spans_zero": self.spans_zero,
        }


def difference_interval(
    policy: Curve, best: Curve, seed: int, lower_is_better: bool = False, resamples: int = RESAMPLES
) -> tuple[int, float, float, float] | None:
    """(ticks, mean, low, high) of the paired moving-block bootstrap of ``policy - best`` (see the docstring)."""
    mine, theirs = dict(policy), dict(best)
    shared = sorted(set(mine) & set(theirs))
    if not shared:
        return None
    sign = -1.0 if lower_is_better else 1.0
    diffs = np.array([sign * (mine[t] - theirs[t]) for t in shared])
    n = len(diffs)
    block = max(1, round(n ** (1 / 3)))
    rng = np.random.default_rng([seed, 19])
    starts = rng.integers(0, n - block + 1, size=(resamples, math.ceil(n / block)))
    picks = (starts[:, :, None] + np.arange(block)).reshape(resamples, -1)[:, :n]
    means = diffs[picks].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return n, round(float(diffs.mean()), 6), round(float(low), 6), round(float(high), 6)


def intervals(curves: dict[str, Curve], best: str, seed: int, lower_is_better: bool = False) -> tuple[Interval, ...]:
    """Each other policy's interval against ``best`` (policies without a shared tick are left out)."""
    found = []
    for name, curve in curves.items():
        if name == best:
            continue
        measured = difference_interval(curve, curves[best], seed, lower_is_better)
        if measured is not None:
            found.append(Interval(name, best, *measured))
    return tuple(found)
