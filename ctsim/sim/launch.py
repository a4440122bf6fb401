"""Launching one pipeline run and reading back what it decided from its run records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ctsim.contract import PIPELINE_STEPS
from ctsim.errors import CtsimError
from ctsim.pipeline import contract
from ctsim.pipeline.runsettings import RunSettings, write_run_settings
from ctsim.pipeline.source import PreparedPipeline
from ctsim.runners import LocalRunner, RunOutcome
from ctsim.scenario.model import Scenario
from ctsim.store import Layout, ObjectStore
from ctsim.triggers.policy import TrainingWindow

STEPS = PIPELINE_STEPS
# What a run can report through the library's step records, in the order a run decides.
DECISION_STEPS = ("validate-data", "evaluate-model", "register-model", "start-canary")


@dataclass(frozen=True)
class RunReport:
    run_id: str
    outcome: RunOutcome
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: tuple[dict[str, Any], ...] = ()

    def step(self, name: str) -> dict[str, Any] | None:
        return self.steps.get(name)

    @property
    def decision(self) -> str:
        """What the run decided, from its own records: ``registered``, ``data-gate-blocked``,
        ``model-gate-blocked``, ``failed``, ``not-registered`` (the model gate passed, nothing was registered) or
        ``no-decision`` (it finished and reported no gate and no registration)."""
        if not self.outcome.succeeded:
            return "failed"
        if self.step("register-model"):
            return "registered"
        for step, blocked in (("validate-data", "data-gate-blocked"), ("evaluate-model", "model-gate-blocked")):
            record = self.step(step) or {}
            if (record.get("decision") or {}).get("passed") is False:
                return blocked
        model_gate = (self.step("evaluate-model") or {}).get("decision") or {}
        return "not-registered" if model_gate.get("passed") else "no-decision"

    @property
    def task_names(self) -> list[str]:
        """The tasks kfp.local ran, in the order they finished (the DAG's own names)."""
        return list(dict.fromkeys(task.task for task in self.outcome.tasks)) or [s for s in STEPS if s in self.steps]


def pipeline_arguments(
    scenario: Scenario, pipeline: PreparedPipeline, namespace: str, run_id: str, window: TrainingWindow
) -> dict[str, Any]:
    """The run's parameters: the contract's (those the pipeline declares) and the scenario's own."""
    passed = {
        "namespace": namespace,
        "run_id": run_id,
        "first_tick": window.first_tick,
        "last_tick": window.last_tick,
        "as_of_tick": window.as_of_tick,
        "pipeline_sha256": pipeline.sha256,
        "seed": scenario.seed,
    }
    return contract.arguments(pipeline.shape, passed, scenario.parameters)


def launch(
    runner: LocalRunner,
    store: ObjectStore,
    layout: Layout,
    run_id: str,
    arguments: dict[str, Any],
    settings: RunSettings,
) -> RunReport:
    """Hand the run its settings through the store, run it, and read back what it recorded."""
    try:
        write_run_settings(store, layout, run_id, settings)
    except CtsimError:
        pass  # the store is down: the run's first task fails the same way, and the outcome says so
    outcome = runner.run(run_id, arguments)
    try:
        steps = _read_json_objects(store, layout.run(run_id) + "steps/")
        alerts = tuple(_read_json_objects(store, layout.run(run_id) + "alerts/").values())
    except CtsimError:
        steps, alerts = {}, ()  # the store is what failed; the outcome says so
    return RunReport(run_id, outcome, {record["step"]: record for record in steps.values()}, alerts)


def _read_json_objects(store: ObjectStore, prefix: str) -> dict[str, dict[str, Any]]:
    return {key: json.loads(store.get(key).data) for key in store.list(prefix)}
