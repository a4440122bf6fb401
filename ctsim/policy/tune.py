"""Search the trigger settings a team can set, for the trade-off of served metric against cost.

``ctsim tune SCENARIO --space FILE`` replays the scenario once per trial (the same rewrite and
worker pool as ``ctsim compare``), with the ``triggers`` section an Optuna sampler proposes from
the space, and keeps three objectives per trial: mean served metric (maximised), retrains and
pipeline seconds (minimised). The answer is the Pareto front, the policy it recommends for a
stated objective, and the ``triggers:`` block to paste.

The space file mirrors a scenario's ``triggers`` section; each setting is fixed (a scalar), a
choice (a list) or a range (``{low, high}``, with ``log: true`` for a log scale); every trigger
present may also be switched off by the search unless it says ``enabled: true``::

    triggers:
      schedule: {cron: ["0 0 * * 1", "0 0 1 * *"]}
      performance: {max_drop: {low: 0.01, high: 0.1}, window_ticks: {low: 1, high: 4}}
      drift: {method: [auto, psi], drift_share: {low: 0.2, high: 1.0}}
      cooldown_ticks: {low: 0, high: 6}

Every value a trial can take (each choice, each range's ends) is validated with the same
settings models as a scenario, errors reported as ``file:line: key: message`` before any write.

Everything goes under ``runs/tune-<scenario>-<UTC timestamp>/``: the study's Optuna journal
(``study.journal``, appended per trial, so a run can be resumed with ``--resume DIR`` after a
timeout, a crash or Ctrl-C), one folder per trial and ``tune.json`` with every trial, the front
and the recommendation. Trials run in batches of ``jobs`` workers; ``timeout`` stops new batches.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeGuard

import yaml
from pydantic import ValidationError

from ctsim.errors import CtsimError, ScenarioError, TimelineError
from ctsim.policy.compare import _rows_per_tick, policy_warnings
from ctsim.policy.metrics import PolicyMetrics, measure
from ctsim.policy.policies import BUILTIN, Policy, builtin_policy, rewrite_scenario
from ctsim.scenario import loader
from ctsim.scenario.model import Scenario
from ctsim.settings import TriggerSettings
from ctsim.sim.suite import Worker, fresh_directory, replay_in_worker, run_parallel, write_json
from ctsim.timeline import read_timeline

__all__ = [
    "Recommendation",
    "Space",
    "TrialResult",
    "Tuning",
    "TuneInterrupted",
    "describe_triggers",
    "load_space",
    "pareto_front",
    "recommend",
    "run_tune",
    "triggers_block",
    "write_front_plot",
]

Goal = Literal["near-best", "budget"]
Objectives = tuple[float, int, float]  # mean served metric (maximised), retrains, pipeline seconds (minimised)
GOALS: dict[str, str] = {
    "near-best": "fewest retrains (then pipeline seconds) among policies within WITHIN of the best served metric",
    "budget": "highest served metric among policies with at most MAX_RETRAINS retrains",
}
TRIGGERS = ("schedule", "volume", "performance", "drift")
JOURNAL = "study.journal"
_RANGE_KEYS = {"low", "high", "log"}


class TuneInterrupted(CtsimError):
    """Ctrl-C during a tuning run: finished trials are in the journal; ``directory`` resumes it."""

    exit_code = 130

    def __init__(self, directory: Path):
        super().__init__(f"interrupted; finished trials are saved in {directory} (resume with --resume {directory})")
        self.directory = directory


@dataclass(frozen=True)
class Dimension:
    """One tunable setting: its parameter name (``kind.key``), and a choice list or a numeric range."""

    name: str
    choices: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    integer: bool = False

    def suggest(self, trial: Any) -> Any:
        if self.choices:
            return trial.suggest_categorical(self.name, list(self.choices))
        if self.integer:
            return trial.suggest_int(self.name, int(self.low), int(self.high), log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


@dataclass(frozen=True)
class Space:
    """The validated search space: fixed settings per trigger, tunable dimensions, switchable triggers."""

    source: str
    fixed: dict[str, Any]  # "kind.key" -> value (kind "" for cooldown_ticks)
    dimensions: tuple[Dimension, ...]
    triggers: tuple[str, ...]  # trigger kinds in the space
    switchable: tuple[str, ...]  # kinds the search may switch off

    @property
    def sets_cooldown(self) -> bool:
        """Without cooldown_ticks in the space, every trial keeps the scenario's own."""
        return "cooldown_ticks" in self.fixed or any(d.name == "cooldown_ticks" for d in self.dimensions)

    def sample(self, trial: Any) -> TriggerSettings:
        """The triggers section of one trial (parameter names are stable, so a study can resume)."""
        values = dict(self.fixed)
        for dimension in self.dimensions:
            values[dimension.name] = _pasteable(dimension.suggest(trial))
        enabled = {
            kind: kind not in self.switchable or trial.suggest_categorical(f"{kind}.enabled", [True, False])
            for kind in self.triggers
        }
        return TriggerSettings.model_validate(_section(values, {k for k, on in enabled.items() if on}))


@dataclass(frozen=True)
class TrialResult:
    name: str  # trial-0007, or a built-in policy's name
    triggers: TriggerSettings
    metrics: PolicyMetrics | None
    status: str  # ran | crashed | interrupted
    run_dir: str
    error: str = ""

    @property
    def objectives(self) -> Objectives | None:
        if self.metrics is None or self.metrics.auc is None:
            return None
        return self.metrics.auc, self.metrics.retrains, self.metrics.compute_seconds

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "run_dir": self.run_dir,
            "error": self.error,
            "triggers": self.triggers.model_dump(mode="json", exclude_none=True),
            "metrics": self.metrics.to_dict() if self.metrics else None,
        }


@dataclass(frozen=True)
class Recommendation:
    goal: str
    statement: str
    choice: TrialResult | None
    beats: tuple[str, ...]  # built-in policies the choice beats on the goal
    loses_to: tuple[str, ...]  # built-in policies at least as good on the goal


@dataclass(frozen=True)
class Tuning:
    scenario: str
    seed: int
    metric: str
    directory: Path
    trials: tuple[TrialResult, ...]
    front: tuple[TrialResult, ...]
    baselines: tuple[TrialResult, ...]
    recommendation: Recommendation
    stopped: str  # trials | timeout

    def to_dict(self) -> dict[str, Any]:
        rec = self.recommendation
        return {
            "schema_version": 1,
            "scenario": self.scenario,
            "seed": self.seed,
            "metric": self.metric,
            "stopped": self.stopped,
            "trials": [t.to_dict() for t in self.trials],
            "front": [t.name for t in self.front],
            "baselines": [b.to_dict() for b in self.baselines],
            "recommendation": {
                "goal": rec.goal,
                "statement": rec.statement,
                "choice": rec.choice.name if rec.choice else None,
                "triggers": triggers_block(rec.choice.triggers) if rec.choice else None,
                "beats": list(rec.beats),
                "loses_to": list(rec.loses_to),
            },
        }


# the space file ------------------------------------------------------------------------------------------
def load_space(path: Path) -> Space:
    """Read and validate a space file; every problem is a ScenarioError naming ``file:line: key``."""
    source = str(path)
    root, document = loader.read_yaml(loader.read_text(path, "space"), source)
    if not isinstance(document, dict) or set(document) != {"triggers"} or not isinstance(document["triggers"], dict):
        raise ScenarioError(
            f"{source}:1: a space file must be a mapping with one key, 'triggers', holding a "
            "triggers section whose settings may be lists (choices) or {low, high} ranges"
        )
    section = document["triggers"]
    fixed: dict[str, Any] = {}
    dimensions: list[Dimension] = []
    kinds: list[str] = []
    switchable: list[str] = []
    for kind, body in section.items():
        if kind == "cooldown_ticks":
            _leaf(source, root, "", kind, body, fixed, dimensions)
            continue
        if kind not in TRIGGERS or not isinstance(body, dict):
            # let the settings model word it (unknown key, or a trigger that is not a mapping)
            _validate(source, root, {kind: body})
            raise ScenarioError(
                f"{loader.where(source, root, ('triggers', kind))}: triggers.{kind}: must be a mapping of settings"
            )
        body = dict(body)
        enabled = body.pop("enabled", [True, False])
        if enabled not in (True, [True, False], [False, True]):
            raise ScenarioError(
                f"{loader.where(source, root, ('triggers', kind, 'enabled'))}: triggers.{kind}."
                f"enabled: must be true (always on) or [true, false] (the search decides). "
                f"Got {enabled!r} instead."
            )
        kinds.append(kind)
        if enabled is not True:
            switchable.append(kind)
        for key, value in body.items():
            _leaf(source, root, kind, key, value, fixed, dimensions)
    space = Space(source, fixed, tuple(dimensions), tuple(kinds), tuple(switchable))
    for corner in _corners(space):
        _validate(source, root, corner)
    return space


def _pasteable(value: Any) -> Any:
    """Floats to four significant digits: the settings replayed are the ones printed to paste."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


def _leaf(
    source: str, root: Any, kind: str, key: str, value: Any, fixed: dict[str, Any], dimensions: list[Dimension]
) -> None:
    name = f"{kind}.{key}" if kind else key
    loc = ("triggers", kind, key) if kind else ("triggers", key)
    if isinstance(value, list):
        if not value or any(isinstance(v, (list, dict)) for v in value):
            raise ScenarioError(
                f"{loader.where(source, root, loc)}: triggers.{name}: a choice must be a non-empty "
                f"list of plain values. Got {value!r} instead."
            )
        dimensions.append(Dimension(name, choices=tuple(value)))
    elif isinstance(value, dict):
        dimensions.append(_range(source, root, loc, name, value))
    else:
        fixed[name] = value


def _range(source: str, root: Any, loc: tuple[str, ...], name: str, value: dict[str, Any]) -> Dimension:
    where = f"{loader.where(source, root, loc)}: triggers.{name}"
    unknown = set(value) - _RANGE_KEYS
    low, high, log = value.get("low"), value.get("high"), value.get("log", False)
    if unknown or not (_is_number(low) and _is_number(high)):
        raise ScenarioError(
            f"{where}: a range must be {{low: NUMBER, high: NUMBER}} with an optional 'log: true'. "
            f"Got {value!r} instead."
        )
    if not low < high or not isinstance(log, bool) or (log and low <= 0):
        raise ScenarioError(f"{where}: a range needs low < high (and low > 0 with log: true). Got {value!r} instead.")
    integer = isinstance(low, int) and isinstance(high, int)
    return Dimension(name, low=low, high=high, log=log, integer=integer)


def _is_number(value: object) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)  # YAML's true is an int to Python


def _corners(space: Space) -> list[dict[str, Any]]:
    """Every value each dimension can take at its extremes, the others at their first value, all triggers on."""
    first = {d.name: d.choices[0] if d.choices else d.low for d in space.dimensions}
    corners = [first]
    for dimension in space.dimensions:
        for value in dimension.choices or (dimension.low, dimension.high):
            corners.append({**first, dimension.name: value})
    return [_section({**space.fixed, **corner}, set(space.triggers)) for corner in corners]


def _section(values: dict[str, Any], enabled: set[str]) -> dict[str, Any]:
    section: dict[str, Any] = {kind: {} for kind in TRIGGERS if kind in enabled}
    for name, value in values.items():
        kind, _, key = name.rpartition(".")
        if not kind:
            section[key] = value
        elif kind in enabled:
            section[kind][key] = value
    return section


def _validate(source: str, root: Any, section: dict[str, Any]) -> None:
    try:
        TriggerSettings.model_validate(section)
    except ValidationError as exc:
        raise ScenarioError(
            loader.describe(exc, root, source, model_path=("triggers",), document_path=("triggers",))
        ) from None


# the search ----------------------------------------------------------------------------------------------
def _study(directory: Path, seed: int, create: bool) -> Any:
    import optuna
    from optuna.storages import JournalStorage
    from optuna.storages.journal import JournalFileBackend

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = JournalStorage(JournalFileBackend(str(directory / JOURNAL)))
    sampler = optuna.samplers.TPESampler(seed=seed)
    directions: list[Literal["maximize", "minimize"]] = ["maximize", "minimize", "minimize"]  # see Objectives
    if create:
        return optuna.create_study(study_name="tune", storage=storage, sampler=sampler, directions=directions)
    return optuna.load_study(study_name="tune", storage=storage, sampler=sampler)


def run_tune(
    scenario_arg: str,
    space_path: Path,
    trials: int,
    *,
    runs_dir: Path = Path("runs"),
    resume: Path | None = None,
    timeout: float | None = None,
    jobs: int | None = None,
    runner: str = "subprocess",
    seed: int | None = None,
    baselines: tuple[str, ...] = BUILTIN,
    goal: Goal = "near-best",
    within: float = 0.005,
    max_retrains: int | None = None,
    worker: Worker | None = None,
    on_done: Callable[[TrialResult], None] | None = None,
) -> Tuning:
    """Run (or resume) a study of ``trials`` trials in all; raises TuneInterrupted on Ctrl-C, state saved."""
    worker = worker or replay_in_worker
    path = loader.resolve(scenario_arg)
    scenario = loader.load(str(path))
    space = load_space(space_path)
    if goal == "budget" and max_retrains is None:
        raise ScenarioError("--goal budget needs --max-retrains N (the retrain budget)")
    rows = _rows_per_tick(scenario, path)
    chosen = tuple(builtin_policy(name, scenario, rows) for name in baselines)
    for line in policy_warnings(scenario, path, chosen):
        logging.getLogger(__name__).warning("%s", line)
    started = time.monotonic()
    if resume is None:
        stamp = datetime.now(UTC)
        directory = fresh_directory(runs_dir, f"tune-{scenario.name}-{stamp:%Y%m%dT%H%M%SZ}")
        (directory / "space.yaml").write_text(space_path.read_text(encoding="utf-8"), encoding="utf-8")
        study = _study(directory, scenario.seed if seed is None else seed, create=True)
        study.set_user_attr("scenario", str(path.resolve()))
    else:
        directory = resume
        if not (directory / JOURNAL).is_file():
            raise ScenarioError(f"--resume {directory}: no {JOURNAL} there (not a tuning run directory)")
        saved = directory / "space.yaml"
        if saved.is_file() and saved.read_text(encoding="utf-8") != space_path.read_text(encoding="utf-8"):
            raise ScenarioError(
                f"--resume {directory}: the study was started with another space file "
                f"({saved}); resume it with that one"
            )
        study = _study(directory, scenario.seed if seed is None else seed, create=False)
        if study.user_attrs.get("scenario") != str(path.resolve()):
            raise ScenarioError(
                f"--resume {directory}: that study tuned {study.user_attrs.get('scenario')}, not {path.resolve()}"
            )
        _requeue_unfinished(study)
    workers = jobs or os.cpu_count() or 1
    baseline_results = _baselines(directory, path, scenario, chosen, workers, runner, worker)
    stopped = "trials"
    while (left := trials - _finished(study)) > 0:
        if timeout is not None and time.monotonic() - started >= timeout:
            stopped = "timeout"
            break
        _batch(study, space, directory, path, scenario, min(left, workers), runner, worker, on_done)
    results = _results(study, directory)
    tuning = _summarize(scenario, directory, results, baseline_results, goal, within, max_retrains, stopped)
    write_json(directory / "tune.json", tuning.to_dict())
    return tuning


def _batch(
    study: Any,
    space: Space,
    directory: Path,
    path: Path,
    scenario: Scenario,
    size: int,
    runner: str,
    worker: Worker,
    on_done: Callable[[TrialResult], None] | None,
) -> None:
    """Ask ``size`` trials, replay them in parallel, tell the study; Ctrl-C marks the batch interrupted."""
    from optuna.trial import TrialState

    asked = [study.ask() for _ in range(size)]
    policies = [Policy(_trial_name(t.number), space.sample(t), keeps_cooldown=not space.sets_cooldown) for t in asked]
    for trial, policy in zip(asked, policies):
        trial.set_user_attr("triggers", policy.applied_to(scenario).model_dump(mode="json", exclude_none=True))
    tasks = [_write_task(directory, path, scenario, policy, runner) for policy in policies]
    try:
        raw = run_parallel(tasks, len(tasks), worker)
    except KeyboardInterrupt:
        for trial in asked:
            trial.set_user_attr("interrupted", True)
            study.tell(trial.number, state=TrialState.FAIL)
        raise TuneInterrupted(directory) from None
    for trial, policy, outcome in zip(asked, policies, raw):
        result = _result(Policy(policy.name, policy.applied_to(scenario)), outcome)
        if result.objectives is None:
            study.tell(trial.number, state=TrialState.FAIL)
        else:
            study.tell(trial.number, list(result.objectives))
        if on_done:
            on_done(result)


def _baselines(
    directory: Path,
    path: Path,
    scenario: Scenario,
    policies: tuple[Policy, ...],
    jobs: int,
    runner: str,
    worker: Worker,
) -> tuple[TrialResult, ...]:
    """The built-in policies, replayed once per tuning run (kept in baselines.json across resumes)."""
    record = directory / "baselines.json"
    if record.is_file():
        saved = json.loads(record.read_text(encoding="utf-8"))
        return tuple(
            _result(Policy(b["name"], TriggerSettings.model_validate(b["triggers"])), b["outcome"]) for b in saved
        )
    if not policies:
        return ()
    tasks = [_write_task(directory, path, scenario, policy, runner) for policy in policies]
    try:
        raw = run_parallel(tasks, jobs, worker)
    except KeyboardInterrupt:
        raise TuneInterrupted(directory) from None
    write_json(
        record,
        [
            {
                "name": p.name,
                "triggers": p.applied_to(scenario).model_dump(mode="json", exclude_none=True),
                "outcome": o,
            }
            for p, o in zip(policies, raw)
        ],
    )
    return tuple(_result(Policy(p.name, p.applied_to(scenario)), o) for p, o in zip(policies, raw))


def _write_task(directory: Path, path: Path, scenario: Scenario, policy: Policy, runner: str) -> tuple[str, str, str]:
    folder = directory / policy.name
    folder.mkdir(exist_ok=True)
    rewritten = folder / "scenario.yaml"
    rewritten.write_text(rewrite_scenario(path, policy, scenario), encoding="utf-8")
    return str(rewritten), str(folder / "runs"), runner


def _result(policy: Policy, outcome: dict[str, Any]) -> TrialResult:
    """A replay's outcome measured as ``ctsim compare`` measures it (a crash has no metrics)."""
    run_dir = outcome.get("run_dir", "")
    if outcome["status"] == "crashed":
        return TrialResult(policy.name, policy.triggers, None, "crashed", run_dir, outcome.get("error", ""))
    try:
        timeline = read_timeline(Path(run_dir) / "timeline.json")
    except TimelineError as exc:  # a run that wrote no timeline
        return TrialResult(policy.name, policy.triggers, None, "crashed", run_dir, str(exc))
    return TrialResult(policy.name, policy.triggers, measure(policy.name, timeline), "ran", run_dir)


def _trial_name(number: int) -> str:
    return f"trial-{number:04d}"


def _finished(study: Any) -> int:
    from optuna.trial import TrialState

    return sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.state == TrialState.COMPLETE or t.state == TrialState.FAIL and not t.user_attrs.get("interrupted")
    )


def _requeue_unfinished(study: Any) -> None:
    """Trials cut short (Ctrl-C, or a killed process left RUNNING) are asked again with the same settings."""
    import optuna
    from optuna.trial import TrialState

    trials = study.get_trials(deepcopy=False)
    requeued = {t.user_attrs.get("requeue_of") for t in trials}
    for trial in trials:
        if trial.state == TrialState.RUNNING:
            optuna.trial.Trial(study, trial._trial_id).set_user_attr("interrupted", True)
            study.tell(trial.number, state=TrialState.FAIL)
        elif not (trial.state == TrialState.FAIL and trial.user_attrs.get("interrupted")):
            continue
        if trial.number not in requeued:
            study.enqueue_trial(trial.params, user_attrs={"requeue_of": trial.number})


def _results(study: Any, directory: Path) -> tuple[TrialResult, ...]:
    """Every finished trial, read back from the journal (so resumed runs report the whole study)."""
    from optuna.trial import TrialState

    results = []
    for trial in study.get_trials(deepcopy=False):
        if trial.state not in (TrialState.COMPLETE, TrialState.FAIL) or trial.user_attrs.get("interrupted"):
            continue
        triggers = TriggerSettings.model_validate(trial.user_attrs.get("triggers", {}))
        name = _trial_name(trial.number)
        run_dir = str(directory / name / "runs")
        if trial.state == TrialState.FAIL:
            results.append(TrialResult(name, triggers, None, "crashed", run_dir))
            continue
        auc, retrains, seconds = trial.values
        metrics = PolicyMetrics(name, auc, (), int(retrains), seconds, 0, 0, 0)
        results.append(TrialResult(name, triggers, metrics, "ran", run_dir))
    return tuple(results)


# the answer ----------------------------------------------------------------------------------------------
def pareto_front(results: tuple[TrialResult, ...]) -> tuple[TrialResult, ...]:
    """Results no other result dominates (at least as good on all three objectives, better on one)."""
    scored = _scored(results)

    def dominates(a: Objectives, b: Objectives) -> bool:
        at_least = a[0] >= b[0] and a[1] <= b[1] and a[2] <= b[2]
        return at_least and (a[0] > b[0] or a[1] < b[1] or a[2] < b[2])

    front = [(r, mine) for r, mine in scored if not any(dominates(theirs, mine) for o, theirs in scored if o is not r)]
    unique = {mine: r for r, mine in reversed(front)}  # of trials scoring alike, the first stands for all
    front = [(r, mine) for r, mine in front if unique[mine] is r]
    return tuple(r for r, _ in sorted(front, key=lambda pair: (-pair[1][0], pair[1][1], pair[1][2])))


def _scored(results: Iterable[TrialResult]) -> list[tuple[TrialResult, Objectives]]:
    """The results that have objectives (a crashed trial has none), each with its objectives."""
    return [(result, objectives) for result in results if (objectives := result.objectives) is not None]


def recommend(
    trials: tuple[TrialResult, ...],
    baselines: tuple[TrialResult, ...],
    goal: Goal = "near-best",
    within: float = 0.005,
    max_retrains: int | None = None,
) -> Recommendation:
    """The policy best on ``goal`` (tuned, or a built-in when none of the trials does better), and how it
    stands against each (other) built-in policy on that goal.

    near-best: among all policies (tuned and built-in) within ``within`` of the best served metric,
    the fewest retrains, then the fewest pipeline seconds. budget: among those with at most
    ``max_retrains`` retrains, the highest served metric, then the fewest pipeline seconds.
    """
    # Tuned trials first, so a tie with a built-in policy goes to the tuned one (sorted() is stable).
    everyone = _scored((*trials, *baselines))
    eligible: Callable[[Objectives], bool]
    key: Callable[[Objectives], tuple[float, ...]]
    if goal == "near-best":
        statement = GOALS[goal].replace("WITHIN", str(within))
        best = max((o[0] for _, o in everyone), default=math.nan)
        eligible = lambda o: o[0] >= best - within - 1e-12  # noqa: E731
        key = lambda o: (o[1], o[2], -o[0])  # noqa: E731
    else:
        statement = GOALS[goal].replace("MAX_RETRAINS", str(max_retrains))
        eligible = lambda o: o[1] <= (max_retrains or 0)  # noqa: E731
        key = lambda o: (-o[0], o[2], o[1])  # noqa: E731
    ranked = sorted(((r, o) for r, o in everyone if eligible(o)), key=lambda scored: key(scored[1]))
    if not ranked:
        return Recommendation(goal, statement, None, (), tuple(b.name for b in baselines))
    choice, chosen = ranked[0]
    beats: list[str] = []
    loses: list[str] = []
    for baseline in baselines:
        if baseline is choice:
            continue
        theirs = baseline.objectives
        wins = theirs is None or not eligible(theirs) or key(chosen) < key(theirs)
        (beats if wins else loses).append(baseline.name)
    return Recommendation(goal, statement, choice, tuple(beats), tuple(loses))


def triggers_block(triggers: TriggerSettings) -> str:
    """The exact ``triggers:`` section to paste into a scenario."""
    return yaml.safe_dump({"triggers": triggers.model_dump(mode="json", exclude_none=True)}, sort_keys=False)


def _summarize(
    scenario: Scenario,
    directory: Path,
    results: tuple[TrialResult, ...],
    baselines: tuple[TrialResult, ...],
    goal: Goal,
    within: float,
    max_retrains: int | None,
    stopped: str,
) -> Tuning:
    return Tuning(
        scenario.name,
        scenario.seed,
        scenario.gates.model.metric,
        directory,
        results,
        pareto_front(results),
        baselines,
        recommend(results, baselines, goal, within, max_retrains),
        stopped,
    )


def describe_triggers(triggers: TriggerSettings) -> str:
    """One line: each trigger's settings, then the cooldown."""
    parts = []
    for kind, settings in triggers.model_dump(mode="json", exclude_none=True).items():
        if isinstance(settings, dict):
            parts.append(f"{kind}(" + ", ".join(f"{k}={_short(v)}" for k, v in settings.items()) + ")")
    parts.append(f"cooldown {triggers.cooldown_ticks}")
    return " ".join(parts) if len(parts) > 1 else f"no trigger, cooldown {triggers.cooldown_ticks}"


def _short(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)


def write_front_plot(tuning: Tuning, path: Path) -> Path:
    """Served metric against retrains, colour = pipeline seconds; the front joined, built-ins as crosses."""
    from ctsim.policy.plot import new_figure, save_figure

    figure, axes = new_figure(8)
    scored = [o for _, o in _scored(tuning.trials)]
    points = axes.scatter(
        [o[1] for o in scored], [o[0] for o in scored], c=[o[2] for o in scored], cmap="viridis", s=28, label="trial"
    )
    if scored:
        figure.colorbar(points, ax=axes, label="pipeline seconds")
    front = sorted((o for _, o in _scored(tuning.front)), key=lambda o: o[1])
    axes.plot(
        [o[1] for o in front],
        [o[0] for o in front],
        color="black",
        linewidth=1,
        marker="o",
        markerfacecolor="none",
        markersize=9,
        label="Pareto front",
    )
    for baseline, (metric, retrains, _) in _scored(tuning.baselines):
        axes.scatter([retrains], [metric], marker="x", color="red")
        axes.annotate(baseline.name, (retrains, metric), fontsize=8, xytext=(4, 4), textcoords="offset points")
    choice = tuning.recommendation.choice
    for chosen, (metric, retrains, _) in _scored([choice] if choice is not None else []):
        axes.scatter(
            [retrains],
            [metric],
            marker="*",
            s=220,
            color="gold",
            edgecolors="black",
            label=f"recommended ({chosen.name})",
            zorder=3,
        )
    axes.set_xlabel("retrains")
    axes.set_ylabel(f"mean served {tuning.metric}")
    axes.set_title(f"{tuning.scenario} (seed {tuning.seed}): {len(scored)} trials; red x = built-in policy")
    axes.legend(loc="lower right")
    return save_figure(figure, path)
