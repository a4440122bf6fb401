"""The facts a report shows, computed from the timeline alone: pure functions, no printing, no I/O.

Everything here feeds all outputs alike (terminal, JSON, JUnit, plot), so they cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from statistics import fmean
from typing import Any

from ctsim.steps.metrics import METRICS
from ctsim.timeline import (
    Alert,
    CanaryStarted,
    DriftOnset,
    Event,
    FirstChampion,
    GateBlocked,
    GateEvent,
    OutageBegan,
    PipelineRun,
    PromotionFailed,
    Registered,
    RolledBack,
    RolledOut,
    ScriptedEvent,
    Timeline,
    TriggerFired,
    TriggerHeld,
)

# Marker kinds in the order they happen within a tick: (symbol, label). The chart, the plot and JSON share them.
MARKERS: dict[str, tuple[str, str]] = {
    "drift": ("D", "drift onset"),
    "trigger": ("T", "trigger"),
    "retrain": ("R", "retrain"),
    "run-failed": ("F", "run failed"),
    "block": ("B", "gate block"),
    "canary": ("C", "canary start"),
    "rollout": ("P", "rollout"),
    "rollback": ("X", "rollback"),
    "promotion-failed": ("!", "promotion failed"),
}
INCIDENTS = (DriftOnset, ScriptedEvent, OutageBegan)
REACTIONS = (TriggerFired, GateBlocked, RolledBack, Alert)
# Fate of a registered version: the event that ended its canary (or made it the first champion), by name.
FATES: dict[type[Event], str] = {
    RolledBack: "rollback",
    PromotionFailed: "promotion-failed",
    RolledOut: "rollout",
    FirstChampion: "initial",
}
_FATEFUL = (RolledBack, PromotionFailed, RolledOut, FirstChampion)
RECOVERY_TOLERANCE = 0.03  # recovered = live metric back within this of its mean before the incident
FINAL_TICKS = 3


@dataclass(frozen=True)
class StepTiming:
    step: str
    wall: float | None  # the task's wall time in kfp.local, all attempts (process start, imports, I/O, own work)
    own: float | None  # the step's own work as the step recorded it
    status: str  # the last attempt's
    cache_hit: bool
    attempts: int = 1  # kfp.local executions of the task: 1 + its retries (set_retry)

    @property
    def overhead(self) -> float | None:
        if self.wall is None:
            return None
        return round(max(0.0, self.wall - (self.own or 0.0)), 4)


@dataclass(frozen=True)
class RunSteps:
    run_id: str
    tick: int
    trigger: str
    status: str
    seconds: float
    steps: tuple[StepTiming, ...]
    task_retries: int
    error: str = ""

    @property
    def cache_hits(self) -> int:
        return sum(s.cache_hit for s in self.steps)

    @property
    def own(self) -> float:
        return round(sum(s.own or 0.0 for s in self.steps), 4)

    @property
    def overhead(self) -> float:
        return round(sum(s.overhead or 0.0 for s in self.steps), 4)


@dataclass(frozen=True)
class Labels:
    """How the live metric's labels relate to serving, so a report can say what a number is scored against."""

    delay_ticks: int = 0  # a tick's metric scores the rows served this many ticks earlier
    poisoned_served: frozenset[int] = frozenset()  # ticks whose served rows got poisoned labels (label_flip/noise)

    @property
    def poisoned_scored(self) -> frozenset[int]:
        """Ticks whose live metric is scored against poisoned labels (they land ``delay_ticks`` after serving)."""
        return frozenset(t + self.delay_ticks for t in self.poisoned_served)

    def window_poisoned(self, first: int, last: int) -> bool:
        """Whether training data of ticks ``first..last`` (and so its holdout) holds poisoned labels."""
        return any(first <= t <= last for t in self.poisoned_served)


def labels_of(scenario: Any, last_tick_: int) -> Labels:
    """Label delay and poisoned ticks from the scenario the run replayed (None: nothing known, nothing claimed)."""
    if scenario is None:
        return Labels()
    poisoned: set[int] = set()
    for event in scenario.events:
        if getattr(event, "kind", "") == "bad_model" and getattr(event, "mode", "") in ("label_flip", "label_noise"):
            end = last_tick_ if event.ticks is None else min(last_tick_, event.at + event.ticks - 1)
            poisoned.update(range(event.at, end + 1))
    return Labels(int(scenario.data.label_delay_ticks), frozenset(poisoned))


def final_champion(timeline: Timeline, ticks: int = FINAL_TICKS) -> tuple[float | None, int]:
    """The champion's metric over the last ``ticks`` ticks, pooled over labelled rows, and how many rows.

    The one "final" number: the same pooling as the ``final_champion_metric`` expectation.
    """
    recent = [(t.labelled, t.champion_metric) for t in timeline.ticks[-ticks:] if t.champion_metric is not None]
    rows = sum(n for n, _ in recent)
    return (round(sum(n * m for n, m in recent) / rows, 4) if rows else None), rows


@dataclass(frozen=True)
class DriftWindow:
    start: int
    end: int  # the recovering rollout's tick, or the last tick when nothing recovered
    recovered_tick: int | None
    rollout_tick: int | None


@dataclass(frozen=True)
class Recovery:
    before: float | None  # mean live metric before the first incident
    low: float | None
    low_tick: int | None
    final: float | None  # mean over the last FINAL_TICKS ticks with a value
    recovered_tick: int | None


def marker_kind(event: Event) -> str | None:
    """Which chart marker an event is, if any."""
    if isinstance(event, PipelineRun):
        if not event.succeeded:
            return "run-failed"
        return "retrain" if "train-model" in event.steps else None
    return _MARKER_OF.get(type(event))


_MARKER_OF: dict[type[Event], str] = {
    DriftOnset: "drift",
    TriggerFired: "trigger",
    GateBlocked: "block",
    CanaryStarted: "canary",
    FirstChampion: "rollout",
    RolledOut: "rollout",
    RolledBack: "rollback",
    PromotionFailed: "promotion-failed",
}


def incident_text(event: Event) -> str:
    """What an incident was, in a few words, from its fields: "sudden drift of 2.0 std", "fault X armed"."""
    if isinstance(event, DriftOnset):
        return f"{event.shape} drift of {event.shift} std"
    if isinstance(event, ScriptedEvent):
        return f"fault {event.fault} armed" if event.fault else event.event
    if isinstance(event, OutageBegan):
        return "object store unavailable"
    return event.kind


def markers(timeline: Timeline) -> list[tuple[int, str]]:
    """(tick, marker kind), once per kind and tick, in MARKERS order within a tick."""
    order = list(MARKERS)
    found = {(e.tick, kind) for e in timeline.events if (kind := marker_kind(e))}
    return sorted(found, key=lambda item: (item[0], order.index(item[1])))


def last_tick(timeline: Timeline) -> int:
    ticks = [t.tick for t in timeline.ticks] + [e.tick for e in timeline.events]
    return max(ticks, default=0)


def series(timeline: Timeline) -> list[tuple[int, float | None]]:
    return [(t.tick, t.served_metric) for t in timeline.ticks]


def recovery(timeline: Timeline, since: int | None = None) -> Recovery:
    """The live metric before ``since`` (first incident by default), its low after, and where it ends."""
    points = [(tick, v) for tick, v in series(timeline) if v is not None]
    if since is None:
        onsets = [e.tick for e in timeline.events if isinstance(e, INCIDENTS)]
        since = min(onsets) if onsets else None
    before_values = [v for tick, v in points if since is not None and tick <= since]
    after = [(tick, v) for tick, v in points if since is None or tick > since]
    before = round(fmean(before_values), 4) if before_values else None
    # "low" is the worst point: the lowest value, or the highest for a lower-is-better metric (rmse, log_loss).
    sign = 1.0 if higher_is_better(timeline.metric) else -1.0
    worst = min(after, key=lambda p: (sign * p[1], p[0])) if after else None
    final_values = [v for _, v in points[-FINAL_TICKS:]]
    final = round(fmean(final_values), 4) if final_values else None
    recovered = None
    if before is not None and worst is not None and worse_than(timeline.metric, worst[1], before):
        recovered = next(
            (tick for tick, v in after if tick > worst[0] and not worse_than(timeline.metric, v, before)), None
        )
    low_tick, low = worst if worst is not None else (None, None)
    return Recovery(before, low, low_tick, final, recovered)


def higher_is_better(metric: str) -> bool:
    spec = METRICS.get(metric)
    return spec is None or spec.higher_is_better


def worse_than(metric: str, value: float, before: float) -> bool:
    """More than RECOVERY_TOLERANCE worse than ``before``, in the metric's direction."""
    if higher_is_better(metric):
        return value < before - RECOVERY_TOLERANCE
    return value > before + RECOVERY_TOLERANCE


def drift_windows(timeline: Timeline) -> list[DriftWindow]:
    """From each drift onset to the rollout that brought the metric back (or to the end when none did)."""
    onsets = sorted({e.tick for e in timeline.of(DriftOnset)})
    rollouts = [e.tick for e in timeline.of(RolledOut)]
    end = last_tick(timeline)
    windows = []
    for i, start in enumerate(onsets):
        limit = onsets[i + 1] if i + 1 < len(onsets) else end
        recovered = recovery(timeline, start).recovered_tick
        if recovered is not None and recovered > limit:
            recovered = None
        rollout = max((t for t in rollouts if start <= t <= (recovered if recovered is not None else -1)), default=None)
        windows.append(DriftWindow(start, rollout if rollout is not None else limit, recovered, rollout))
    return windows


def run_steps(timeline: Timeline, logs: Mapping[str, Any] | None = None) -> list[RunSteps]:
    """Each pipeline run's tasks: wall time and attempts from the run's own task records, own work from the step
    records, cache hits from logs.

    The run record lists every execution kfp.local made, in order: a task retried by ``set_retry`` appears once
    per attempt (FAILURE ... then SUCCESS or FAILURE). So its attempts are counted, not guessed from log text.
    """
    logs = logs or {}
    result = []
    for run in timeline.runs:
        facts = logs.get(run["run_id"])
        hits = set(getattr(facts, "cache_hits", ()) or ())
        own = run.get("step_seconds") or {}
        steps = [
            StepTiming(name, wall, own.get(name), status, name in hits, attempts)
            for name, wall, status, attempts in _attempts(run.get("tasks", []))
        ]
        seen = {s.step for s in steps}
        # A step that recorded its work but whose task timing is missing from the log still shows its own work.
        steps += [
            StepTiming(name, None, seconds, "?", name in hits) for name, seconds in own.items() if name not in seen
        ]
        result.append(
            RunSteps(
                run["run_id"],
                run["tick"],
                run["trigger"],
                run["status"],
                run.get("seconds", 0.0),
                tuple(steps),
                sum(s.attempts - 1 for s in steps),
                run.get("error") or "",
            )
        )
    return result


def _attempts(tasks: list[dict[str, Any]]) -> list[tuple[str, float | None, str, int]]:
    """(task, wall of all attempts, last status, attempts) per task, in the order the tasks first ran."""
    grouped: dict[str, tuple[float | None, str, int]] = {}
    for task in tasks:
        wall, _, attempts = grouped.get(task["task"], (0.0, "?", 0))
        seconds = task.get("seconds")
        total = None if wall is None or seconds is None else round(wall + seconds, 3)
        grouped[task["task"]] = (total, task.get("status", "?"), attempts + 1)
    return [(name, wall, status, attempts) for name, (wall, status, attempts) in grouped.items()]


def step_trends(runs: list[RunSteps]) -> dict[str, dict[str, Any]]:
    """Per step across runs: wall and own seconds in run order, and the change from the first run to the last."""
    trends: dict[str, dict[str, Any]] = {}
    for run in runs:
        for step in run.steps:
            entry = trends.setdefault(step.step, {"wall": [], "own": [], "runs": []})
            entry["wall"].append(step.wall)
            entry["own"].append(step.own)
            entry["runs"].append(run.run_id)
    for entry in trends.values():
        walls = [w for w in entry["wall"] if w is not None]
        entry["mean_wall"] = round(fmean(walls), 4) if walls else None
        entry["change"] = round(walls[-1] - walls[0], 4) if len(walls) >= 2 else None
    return trends


def health(timeline: Timeline, logs: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Pipeline health as monitored in production: runs, retries, cache, staleness, alerts."""
    runs = run_steps(timeline, logs)
    now = last_tick(timeline)
    trained = [r.tick for r in runs if r.status == "succeeded" and any(s.step == "train-model" for s in r.steps)]
    promoted = [e.tick for e in timeline.events if isinstance(e, (FirstChampion, RolledOut))]
    alerts = Counter(e.alert for e in timeline.of(Alert))
    return {
        "runs_started": len(runs),
        "runs_succeeded": sum(r.status == "succeeded" for r in runs),
        "runs_failed": sum(r.status != "succeeded" for r in runs),
        "runs_retried": sum(r.trigger == "retry" for r in runs),
        "task_retries": sum(r.task_retries for r in runs),
        "retried_tasks": [
            {"run_id": r.run_id, "step": s.step, "attempts": s.attempts, "status": s.status}
            for r in runs
            for s in r.steps
            if s.attempts > 1
        ],
        "cache_hits": sum(r.cache_hits for r in runs),
        "logs_read": sum(bool(getattr((logs or {}).get(r.run_id), "found", False)) for r in runs),
        "tasks_run": sum(len(r.steps) for r in runs),
        "pipeline_seconds": round(sum(r.seconds for r in runs), 3),
        "own_work_seconds": round(sum(r.own for r in runs), 4),
        "overhead_seconds": round(sum(r.overhead for r in runs), 4),
        "last_training_tick": max(trained, default=None),
        "ticks_since_training": now - max(trained) if trained else None,
        "last_promotion_tick": max(promoted, default=None),
        "ticks_since_promotion": now - max(promoted) if promoted else None,
        "triggers_fired": len(timeline.of(TriggerFired)),
        "triggers_held": len(timeline.of(TriggerHeld)),
        "gate_blocks": len(timeline.of(GateBlocked)),
        "rollbacks": len(timeline.of(RolledBack)),
        "promotions_failed": len(timeline.of(PromotionFailed)),
        "alerts": sum(alerts.values()),
        "alerts_by_kind": dict(sorted(alerts.items())),
        "step_trends": step_trends(runs),
    }


def first_reaction(timeline: Timeline, since: int) -> Event | None:
    """The first thing that noticed: a drift or performance trigger, a gate block, a rollback or an alert.
    Schedule and volume triggers fire by the calendar or the row count; they detect nothing."""
    return next(
        (
            e
            for e in timeline.events
            if e.tick >= since
            and isinstance(e, REACTIONS)
            and not (isinstance(e, TriggerFired) and e.trigger in ("schedule", "volume"))
        ),
        None,
    )


def run_outcome(timeline: Timeline, run_id: str) -> dict[str, Any]:
    """What one pipeline run led to: its gate decisions, the version it registered, canary and rollout/rollback."""
    events = timeline.events
    run = next((e for e in timeline.of(PipelineRun) if e.run_id == run_id), None)
    outcome: dict[str, Any] = {
        "run_id": run_id,
        "tick": run.tick if run else None,
        "trigger": run.trigger if run else None,
        "status": run.status if run else None,
    }
    if run is None:
        return outcome
    for e in events:
        if e.tick != run.tick:
            continue
        if isinstance(e, GateEvent) and e.run_id == run_id and e.gate == "model":
            outcome["model_gate"] = {
                "passed": not isinstance(e, GateBlocked),
                "candidate": e.candidate,
                "champion": e.champion,
            }
        elif isinstance(e, GateBlocked) and e.run_id == run_id:
            outcome["data_gate"] = {"passed": False}
        elif isinstance(e, Registered):
            outcome["version"] = e.version
    version = outcome.get("version")
    if version:
        fate = next(
            (e for e in events if e.tick >= run.tick and isinstance(e, _FATEFUL) and e.version == version), None
        )
        if fate is not None:
            outcome["fate"] = {"kind": FATES[type(fate)], "tick": fate.tick}
    return outcome
