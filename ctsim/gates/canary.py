"""Canary analysis as an explicit state machine (Flagger's shape, written as a table).

    idle / succeeded / rolled-back ──start──▶ progressing
    progressing ──pass (weight < max)──▶ progressing, weight + step   "step"
    progressing ──pass (weight = max)──▶ promoting                     "promote"
    progressing ──no-data──▶ progressing                               "hold"
    progressing ──fail──▶ progressing, failed_checks + 1               "fail-check"
    progressing ──fail (failed_checks reach threshold)──▶ rolled-back  "rollback"
    progressing ──any (progress deadline reached)──▶ rolled-back       "rollback"
    promoting ──promotion succeeded──▶ succeeded, weight 100          "rollout"
    promoting ──promotion failed──▶ rolled-back, weight 0             "promotion-failed"

The state holds only phase, weight, failed checks and iterations, so a run
can resume from any saved state. Every function here is pure: the clock lives
outside and calls ``advance`` once per tick, which makes at most one move.
Each move is one row of ``TRANSITIONS``, found by (phase, event) and the
first guard that holds; no row means no move (action "none"). Every decision
carries the ``Reason`` behind it.

Failed checks accumulate over the whole analysis (as in Flagger) rather than
counting only consecutive failures, and "no data yet" is never a failure.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Literal

from ctsim.reasons import Reason
from ctsim.settings import CanarySettings
from ctsim.steps.metrics import metric_spec

__all__ = [
    "Action",
    "CanaryDecision",
    "CanaryState",
    "Event",
    "Observation",
    "Phase",
    "TRANSITIONS",
    "Transition",
    "Verdict",
    "advance",
    "classify",
    "promotion_result",
    "start",
]

Verdict = Literal["no-data", "pass", "fail"]
Event = Literal["start", "no-data", "pass", "fail", "promotion-succeeded", "promotion-failed"]
Action = Literal["start", "hold", "step", "fail-check", "promote", "rollout", "rollback", "promotion-failed", "none"]


class Phase(str, Enum):
    """The closed set of phases a canary can be in."""

    IDLE = "idle"
    PROGRESSING = "progressing"
    PROMOTING = "promoting"
    SUCCEEDED = "succeeded"
    ROLLED_BACK = "rolled-back"


@dataclass(frozen=True)
class CanaryState:
    """Everything the analysis remembers between ticks, and nothing more."""

    phase: Phase = Phase.IDLE
    weight: int = 0
    failed_checks: int = 0
    iterations: int = 0


@dataclass(frozen=True)
class Observation:
    """Labelled live traffic seen during this tick for canary and champion.

    ``metric`` names the metric (CanarySettings does not carry it): its direction says which way is worse.
    """

    samples: int
    canary_metric: float | None
    champion_metric: float | None
    metric: str = "accuracy"


@dataclass(frozen=True)
class CanaryDecision:
    """What the analysis asks the deployment to do this tick, and why."""

    action: Action
    reason: Reason


Guard = Callable[[CanaryState, CanarySettings], bool]
Update = Callable[[CanaryState, CanarySettings], CanaryState]
Explain = Callable[[CanaryState, CanarySettings, Reason], Reason]


@dataclass(frozen=True)
class Transition:
    """One row of the table: in ``source`` on ``event``, if ``guard`` holds, go to ``target``.

    ``update`` computes the new weight and counters (the phase is set from
    ``target``); ``explain`` turns the evidence of this tick into the
    decision's reason.
    """

    source: Phase
    event: Event
    guard: Guard
    target: Phase
    action: Action
    update: Update
    explain: Explain


# --- classification -----------------------------------------------------------------------------


def classify(observation: Observation, settings: CanarySettings) -> tuple[Verdict, Reason]:
    """Turn one tick's traffic into a verdict and the reason for it.

    Too few samples or an unknown (None or NaN) metric is "no-data", never a
    failure. Otherwise the canary passes when it is no worse than
    ``champion - max_regression`` (``champion + max_regression`` for a
    lower-is-better metric), the threshold its reason reports.
    """
    if observation.samples < settings.min_samples:
        return "no-data", Reason("samples >= min_samples", observation.samples, settings.min_samples, False)
    for side, value in (("canary", observation.canary_metric), ("champion", observation.champion_metric)):
        if value is None or math.isnan(value):
            return "no-data", Reason(f"{side} {observation.metric} is known", None, "a number", False)
    canary, champion = float(observation.canary_metric), float(observation.champion_metric)  # type: ignore[arg-type]
    spec = metric_spec(observation.metric)
    threshold = spec.allowing(champion, settings.max_regression)
    ok = spec.at_least_as_good(canary, threshold)
    sign = "-" if spec.higher_is_better else "+"
    reason = Reason(
        f"canary {observation.metric} {spec.comparison} champion {sign} max_regression", canary, threshold, ok
    )
    return ("pass" if ok else "fail"), reason


# --- guards, updates and reasons used by the table ----------------------------------------------


def _always(state: CanaryState, settings: CanarySettings) -> bool:
    return True


def _failures_exhausted(state: CanaryState, settings: CanarySettings) -> bool:
    return state.failed_checks + 1 >= settings.failure_threshold


def _deadline_reached(state: CanaryState, settings: CanarySettings) -> bool:
    return state.iterations + 1 >= settings.progress_deadline_ticks


def _at_max_weight(state: CanaryState, settings: CanarySettings) -> bool:
    return state.weight >= settings.max_weight


def _begin(state: CanaryState, settings: CanarySettings) -> CanaryState:
    return CanaryState(weight=settings.step_weight, failed_checks=0, iterations=0)


def _tick(state: CanaryState, settings: CanarySettings) -> CanaryState:
    return replace(state, iterations=state.iterations + 1)


def _step_up(state: CanaryState, settings: CanarySettings) -> CanaryState:
    """Weights go step, 2*step, ... and stop at max_weight."""
    return replace(
        state, weight=min(state.weight + settings.step_weight, settings.max_weight), iterations=state.iterations + 1
    )


def _count_failure(state: CanaryState, settings: CanarySettings) -> CanaryState:
    return replace(state, failed_checks=state.failed_checks + 1, iterations=state.iterations + 1)


def _abort(state: CanaryState, settings: CanarySettings) -> CanaryState:
    """Rolled back by the analysis: traffic leaves the canary; counters stay for the report."""
    return replace(state, weight=0, iterations=state.iterations + 1)


def _abort_failing(state: CanaryState, settings: CanarySettings) -> CanaryState:
    return replace(_abort(state, settings), failed_checks=state.failed_checks + 1)


def _full(state: CanaryState, settings: CanarySettings) -> CanaryState:
    return replace(state, weight=100)


def _withdraw(state: CanaryState, settings: CanarySettings) -> CanaryState:
    """A failed promotion sends all traffic back to the champion."""
    return replace(state, weight=0)


def _evidence(state: CanaryState, settings: CanarySettings, evidence: Reason) -> Reason:
    return evidence


def _started(state: CanaryState, settings: CanarySettings, evidence: Reason) -> Reason:
    return Reason("canary weight starts at step_weight", settings.step_weight, settings.step_weight, True)


def _failures_reason(state: CanaryState, settings: CanarySettings, evidence: Reason) -> Reason:
    return Reason("failed_checks < failure_threshold", state.failed_checks + 1, settings.failure_threshold, False)


def _deadline_reason(state: CanaryState, settings: CanarySettings, evidence: Reason) -> Reason:
    return Reason(
        "progress deadline: iterations < progress_deadline_ticks",
        state.iterations + 1,
        settings.progress_deadline_ticks,
        False,
    )


def _promote_reason(state: CanaryState, settings: CanarySettings, evidence: Reason) -> Reason:
    return Reason("canary weight >= max_weight", state.weight, settings.max_weight, True)


def _row(
    source: Phase,
    event: Event,
    guard: Guard,
    target: Phase,
    action: Action,
    update: Update,
    explain: Explain = _evidence,
) -> Transition:
    return Transition(source, event, guard, target, action, update, explain)


_P, _RB = Phase.PROGRESSING, Phase.ROLLED_BACK

# Rows are tried in order; within one (phase, event) the first guard that holds wins.
TRANSITIONS: tuple[Transition, ...] = (
    _row(Phase.IDLE, "start", _always, _P, "start", _begin, _started),
    _row(Phase.SUCCEEDED, "start", _always, _P, "start", _begin, _started),
    _row(_RB, "start", _always, _P, "start", _begin, _started),
    _row(_P, "fail", _failures_exhausted, _RB, "rollback", _abort_failing, _failures_reason),
    _row(_P, "fail", _deadline_reached, _RB, "rollback", _abort_failing, _deadline_reason),
    _row(_P, "fail", _always, _P, "fail-check", _count_failure),
    _row(_P, "pass", _at_max_weight, Phase.PROMOTING, "promote", _tick, _promote_reason),
    _row(_P, "pass", _deadline_reached, _RB, "rollback", _abort, _deadline_reason),
    _row(_P, "pass", _always, _P, "step", _step_up),
    _row(_P, "no-data", _deadline_reached, _RB, "rollback", _abort, _deadline_reason),
    _row(_P, "no-data", _always, _P, "hold", _tick),
    _row(Phase.PROMOTING, "promotion-succeeded", _always, Phase.SUCCEEDED, "rollout", _full),
    _row(Phase.PROMOTING, "promotion-failed", _always, _RB, "promotion-failed", _withdraw),
)


# --- the three moves ----------------------------------------------------------------------------


def start(state: CanaryState, settings: CanarySettings) -> tuple[CanaryState, CanaryDecision]:
    """Begin an analysis at ``step_weight``; only from idle or a finished run."""
    evidence = Reason("start a canary analysis", state.phase.value, "idle, succeeded or rolled-back", True)
    return _move(state, "start", settings, evidence)


def advance(
    state: CanaryState, observation: Observation, settings: CanarySettings
) -> tuple[CanaryState, CanaryDecision]:
    """One analysis tick: classify the traffic, then make at most one move from the table."""
    verdict, evidence = classify(observation, settings)
    return _move(state, verdict, settings, evidence)


def promotion_result(state: CanaryState, succeeded: bool, detail: str) -> tuple[CanaryState, CanaryDecision]:
    """Record how the full rollout asked for by "promote" went; a failed promotion has its own path."""
    event: Event = "promotion-succeeded" if succeeded else "promotion-failed"
    evidence = Reason("full rollout completed", detail, "completed", succeeded)
    return _move(state, event, _PROMOTION_SETTINGS, evidence)


# The promotion rows read no settings; the table's uniform signature still wants an object.
_PROMOTION_SETTINGS = CanarySettings()


def _move(
    state: CanaryState, event: Event, settings: CanarySettings, evidence: Reason
) -> tuple[CanaryState, CanaryDecision]:
    """Apply the first matching row, or stay put with action "none" and say why."""
    for row in TRANSITIONS:
        if row.source == state.phase and row.event == event and row.guard(state, settings):
            moved = replace(row.update(state, settings), phase=row.target)
            return moved, CanaryDecision(row.action, row.explain(state, settings, evidence))
    return state, CanaryDecision("none", _no_move_reason(state, event))


def _no_move_reason(state: CanaryState, event: Event) -> Reason:
    sources = sorted({row.source.value for row in TRANSITIONS if row.event == event})
    return Reason(
        f"'{event}' moves a canary only in phase {' or '.join(sources)}", state.phase.value, ", ".join(sources), False
    )
