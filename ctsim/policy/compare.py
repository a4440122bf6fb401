"""Replay one scenario and seed under several retraining policies, in parallel, and measure each.

Everything goes under ``runs/compare-<scenario>-<UTC timestamp>/``: one folder per policy
holding the rewritten scenario (``scenario.yaml``) and its run directory, and
``compare.json`` with every policy's metrics, the objective and the winner. Expectations are
not judged: a policy may well break them, that is what is being compared.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ctsim.errors import ScenarioError
from ctsim.policy.metrics import (
    DEFAULT_TOLERANCE,
    OBJECTIVES,
    Interval,
    Objective,
    PolicyMetrics,
    choose_winner,
    drift_onsets,
    intervals,
    measure,
    served_curve,
)
from ctsim.policy.policies import Policy, builtin_policy, load_policies, rewrite_scenario
from ctsim.scenario import loader
from ctsim.scenario.data import open_source
from ctsim.scenario.model import Scenario
from ctsim.scenario.traffic import Traffic, traffic_problems
from ctsim.sim.suite import Worker, fresh_directory, replay_in_worker, run_parallel, write_json
from ctsim.timeline import Timeline, read_timeline

__all__ = ["Comparison", "PolicyRun", "Plan", "plan", "run_compare"]


@dataclass(frozen=True)
class Plan:
    """A validated comparison, before anything is written."""

    path: Path
    scenario: Scenario
    policies: tuple[Policy, ...]
    warnings: tuple[str, ...] = ()  # settings of a policy that cannot act at the scenario's traffic


@dataclass(frozen=True)
class PolicyRun:
    policy: str
    status: str  # ran | crashed
    run_dir: str
    error: str = ""
    metrics: PolicyMetrics | None = None
    timeline: Timeline | None = None


@dataclass(frozen=True)
class Comparison:
    scenario: str
    seed: int
    metric: str
    objective: str
    tolerance: float
    directory: Path
    runs: tuple[PolicyRun, ...]
    winner: str | None
    onsets: tuple[int, ...]
    intervals: tuple[Interval, ...] = ()  # each policy's served-metric difference against the best on auc
    distinguishable: bool = True  # False: some interval reaches zero, so there is no winner on auc

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "scenario": self.scenario,
            "status": "finished",
            "seed": self.seed,
            "metric": self.metric,
            "objective": self.objective,
            "objective_means": OBJECTIVES[self.objective],
            "tolerance": self.tolerance,
            "onsets": list(self.onsets),
            "winner": self.winner,
            "distinguishable": self.distinguishable,
            "intervals": [i.to_dict() for i in self.intervals],
            "policies": [
                {
                    "policy": r.policy,
                    "status": r.status,
                    "run_dir": r.run_dir,
                    "error": r.error,
                    "metrics": r.metrics.to_dict() if r.metrics else None,
                }
                for r in self.runs
            ],
        }


def plan(scenario_arg: str, policy_names: Sequence[str], policies_file: Path | None = None) -> Plan:
    """Resolve the scenario and the policies; every bad input fails here, before any write."""
    path = loader.resolve(scenario_arg)
    scenario = loader.load(str(path))
    defined = load_policies(policies_file) if policies_file is not None else []
    rows = _rows_per_tick(scenario, path)
    chosen = [builtin_policy(name, scenario, rows) for name in policy_names] + defined
    names = [p.name for p in chosen]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ScenarioError(
            f"policy {', '.join(map(repr, repeated))} given more than once "
            "(a --policies file may not reuse a --policy name)"
        )
    if len(chosen) < 2:
        raise ScenarioError(
            f"a comparison needs at least two policies; got {len(chosen)} "
            "(--policy none|schedule|volume|drift|performance, or --policies FILE)"
        )
    return Plan(path, scenario, tuple(chosen), policy_warnings(scenario, path, chosen))


def policy_warnings(scenario: Scenario, path: Path, policies: Sequence[Policy]) -> tuple[str, ...]:
    """Each policy's trigger settings that cannot act at the scenario's traffic, one line each."""
    traffic = Traffic.of(scenario, open_source(scenario, path.parent))
    lines = []
    for policy in policies:
        applied = scenario.model_copy(update={"triggers": policy.applied_to(scenario), "expectations": ()})
        lines += [
            f"policy {policy.name}: {'.'.join(p.loc)}: {p.message}"
            for p in traffic_problems(applied, traffic)
            if p.loc[0] == "triggers"
        ]
    return tuple(lines)


def _rows_per_tick(scenario: Scenario, path: Path) -> float:
    """Labelled rows a tick brings, for the volume policy's default (one batch at the bootstrap tick)."""
    source = open_source(scenario, path.parent)
    generator = scenario.data.generator
    share = generator.feedback_share if generator is not None else 1.0
    batch = source.batch(scenario.bootstrap_tick)
    rows = len(batch.truth) * share + len(batch.external)
    # an empty bootstrap tick (a time-sliced replay) says nothing of the traffic: the clock's mean does
    return rows or Traffic.of(scenario, source).labelled_per_tick


def run_compare(
    planned: Plan,
    runs_dir: Path = Path("runs"),
    jobs: int | None = None,
    runner: str = "subprocess",
    objective: Objective = "auc",
    tolerance: float = DEFAULT_TOLERANCE,
    worker: Worker = replay_in_worker,
    on_done: Callable[[str, dict[str, Any]], None] | None = None,
) -> Comparison:
    if objective not in OBJECTIVES:
        raise ScenarioError(f"--objective must be one of {', '.join(OBJECTIVES)}. Got {objective!r} instead.")
    stamp = datetime.now(UTC)
    directory = fresh_directory(runs_dir, f"compare-{planned.scenario.name}-{stamp:%Y%m%dT%H%M%SZ}")
    tasks = []
    for policy in planned.policies:
        folder = directory / policy.name
        folder.mkdir()
        rewritten = folder / "scenario.yaml"
        rewritten.write_text(rewrite_scenario(planned.path, policy, planned.scenario), encoding="utf-8")
        tasks.append((str(rewritten), str(folder / "runs"), runner))
    done = (lambda index, raw: on_done(planned.policies[index].name, raw)) if on_done else None
    try:
        raw = run_parallel(tasks, jobs or os.cpu_count() or 1, worker, done)
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: the workers are gone (run_parallel stopped them); the record says so.
        write_json(
            directory / "compare.json",
            {
                "schema_version": 1,
                "scenario": planned.scenario.name,
                "status": "interrupted",
                "winner": None,
                "policies": [{"policy": p.name, "status": "interrupted"} for p in planned.policies],
            },
        )
        raise
    runs = tuple(_collect(policy.name, outcome, tolerance) for policy, outcome in zip(planned.policies, raw))
    measured = [r.metrics for r in runs if r.metrics is not None]
    onsets = next((tuple(drift_onsets(r.timeline)) for r in runs if r.timeline is not None), ())
    winner = choose_winner(measured, objective)
    bands = _intervals(runs, measured, planned.scenario.seed)
    distinguishable = not any(band.spans_zero for band in bands)
    if objective == "auc" and not distinguishable:
        winner = None  # the best mean is inside the noise of another policy's
    comparison = Comparison(
        planned.scenario.name,
        planned.scenario.seed,
        planned.scenario.gates.model.metric,
        objective,
        tolerance,
        directory,
        runs,
        winner,
        onsets,
        bands,
        distinguishable,
    )
    write_json(directory / "compare.json", comparison.to_dict())
    return comparison


def _intervals(runs: Sequence[PolicyRun], measured: list[PolicyMetrics], seed: int) -> tuple[Interval, ...]:
    best = choose_winner(measured, "auc")
    curves = {r.policy: served_curve(r.timeline) for r in runs if r.timeline is not None}
    if best is None or best not in curves:
        return ()
    return intervals(curves, best, seed, lower_is_better=any(m.lower_is_better for m in measured))


def _collect(policy: str, outcome: dict[str, Any], tolerance: float) -> PolicyRun:
    """Read the run's timeline back; failed expectations are not a failure here, crashes are."""
    if outcome["status"] == "crashed":
        return PolicyRun(policy, "crashed", outcome["run_dir"], outcome["error"])
    timeline = read_timeline(Path(outcome["run_dir"]) / "timeline.json")
    return PolicyRun(policy, "ran", outcome["run_dir"], metrics=measure(policy, timeline, tolerance), timeline=timeline)
