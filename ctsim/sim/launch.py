"""Launching one pipeline run and reading back what it decided from its run records."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ctsim.contract import PIPELINE_STEPS
from ctsim.errors import CtsimError
from ctsim.runners import LocalRunner, RunOutcome
from ctsim.scenario.model import Scenario
from ctsim.store import Layout, ObjectStore

STEPS = PIPELINE_STEPS


@dataclass(frozen=True)
class TrainingWindow:
    first_tick: int
    last_tick: int
    as_of_tick: int


@dataclass(frozen=True)
class RunReport:
    run_id: str
    outcome: RunOutcome
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    alerts: tuple[dict[str, Any], ...] = ()

    def step(self, name: str) -> dict[str, Any] | None:
        return self.steps.get(name)


def training_window(scenario: Scenario, tick: int, champion_trained_through: int | None) -> TrainingWindow:
    settings = scenario.training
    if settings.strategy == "window":
        first = max(0, tick - settings.window_ticks + 1)
    elif settings.strategy == "incremental" and champion_trained_through is not None:
        first = max(0, min(tick, champion_trained_through + 1 - scenario.data.label_delay_ticks))
    else:
        first = 0
    return TrainingWindow(first, tick, tick)


def pipeline_arguments(scenario: Scenario, contract_json: str, namespace: str, run_id: str, window: TrainingWindow,
                       sabotage: bool, pipeline_sha256: str) -> dict[str, Any]:
    return {
        "namespace": namespace, "run_id": run_id,
        "first_tick": window.first_tick, "last_tick": window.last_tick, "as_of_tick": window.as_of_tick,
        "contract_json": contract_json,
        "data_gate_json": scenario.gates.data.model_dump_json(),
        "model_gate_json": scenario.gates.model.model_dump_json(),
        "training_json": scenario.training.model_dump_json(),
        "metric": scenario.gates.model.metric, "seed": scenario.seed, "sabotage": sabotage,
        "pipeline_sha256": pipeline_sha256,
    }


def launch(runner: LocalRunner, store: ObjectStore, layout: Layout, run_id: str, arguments: dict[str, Any]) -> RunReport:
    outcome = runner.run(run_id, arguments)
    try:
        steps = _read_json_objects(store, layout.run(run_id) + "steps/")
        alerts = tuple(_read_json_objects(store, layout.run(run_id) + "alerts/").values())
    except CtsimError:
        steps, alerts = {}, ()  # the store is what failed; the outcome says so
    return RunReport(run_id, outcome, {record["step"]: record for record in steps.values()}, alerts)


def _read_json_objects(store: ObjectStore, prefix: str) -> dict[str, dict[str, Any]]:
    return {key: json.loads(store.get(key).data) for key in store.list(prefix)}
