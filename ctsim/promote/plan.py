"""The promotion plan: what ``ctsim promote`` will create on the cluster, as plain data. Pure.

``build_plan`` turns a scenario's triggers into KFP objects:

* the schedule trigger → a recurring run of the training pipeline with KFP's
  six-field cron (``to_kfp_cron``);
* the volume, performance and drift triggers → one recurring run of the small
  trigger-check pipeline, every scenario tick, which launches the training
  pipeline when one of them fires.

Names are derived from the pipeline's sha256, so promoting the same pipeline
twice plans the same objects (and ``deploy`` reuses them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ctsim.promote.cron import to_kfp_cron
from ctsim.scenario.model import Scenario

EXPERIMENT_PREFIX = "ctsim-"
IN_CLUSTER_HOST = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"
# Recurring runs have fixed arguments: a scheduled training run trains on every lake tick so far
# (the highest tick the lake's 5-digit keys can name), and KFP substitutes [[RunUUID]] per run.
LATEST_TICK = 99_999
SCHEDULED_RUN_ID = "sched-[[RunUUID]]"


@dataclass(frozen=True)
class PipelinePlan:
    name: str
    package: str
    sha256: str

    @property
    def version(self) -> str:
        return version_name(self.sha256)


@dataclass(frozen=True)
class RecurringRunPlan:
    name: str
    pipeline: str  # "training" or "trigger-check"
    why: str
    cron: str | None = None  # KFP six-field
    interval_second: int | None = None
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PromotionPlan:
    host: str
    target: str
    gate: str
    scenario: str
    namespace: str
    experiment: str
    training: PipelinePlan
    trigger_check: PipelinePlan | None
    recurring_runs: tuple[RecurringRunPlan, ...]
    training_arguments: dict[str, Any] = field(default_factory=dict)  # fixed; window and run id are per run


def run_prefixes(scenario_name: str) -> tuple[str, ...]:
    """Name prefixes of the recurring runs promote creates for a scenario: older ones are superseded."""
    return (f"{scenario_name}-schedule-", f"{scenario_name}-trigger-check-")


def version_name(sha256: str) -> str:
    """The pipeline version's name: the spec hash, so a version on the cluster names the exact IR it runs."""
    return f"sha256-{sha256[:16]}"


def training_arguments(scenario: Scenario, contract_json: str, namespace: str, pipeline_sha256: str) -> dict[str, Any]:
    """The training pipeline's fixed arguments for cluster runs; window and run id are per run."""
    return {
        "namespace": namespace, "contract_json": contract_json,
        "data_gate_json": scenario.gates.data.model_dump_json(),
        "model_gate_json": scenario.gates.model.model_dump_json(),
        "training_json": scenario.training.model_dump_json(),
        "metric": scenario.gates.model.metric, "seed": scenario.seed, "sabotage": False,
        "pipeline_sha256": pipeline_sha256,
    }


def build_plan(scenario: Scenario, contract_json: str, *, host: str, target: str, gate: str, namespace: str,
               training: PipelinePlan, trigger_check: PipelinePlan) -> PromotionPlan:
    fixed = training_arguments(scenario, contract_json, namespace, training.sha256)
    runs = []
    triggers = scenario.triggers
    short = training.sha256[:8]
    if triggers.schedule is not None:
        scheduled = {**fixed, "run_id": SCHEDULED_RUN_ID, "first_tick": 0, "last_tick": LATEST_TICK,
                     "as_of_tick": LATEST_TICK}
        runs.append(RecurringRunPlan(f"{scenario.name}-schedule-{short}", "training",
                                     f"schedule trigger, cron '{triggers.schedule.cron}'",
                                     cron=to_kfp_cron(triggers.schedule.cron), parameters=scheduled))
    watched = [kind for kind in ("volume", "performance", "drift") if getattr(triggers, kind) is not None]
    if watched:
        check = {
            "namespace": namespace, "triggers_json": triggers.model_dump_json(), "contract_json": contract_json,
            "training_arguments_json": json.dumps(fixed, sort_keys=True), "pipeline_name": training.name,
            "version_name": training.version, "experiment_name": f"{EXPERIMENT_PREFIX}{scenario.name}",
            "kfp_host": IN_CLUSTER_HOST,
        }
        runs.append(RecurringRunPlan(f"{scenario.name}-trigger-check-{short}-{trigger_check.sha256[:8]}", "trigger-check",
                                     f"{', '.join(watched)} trigger(s), checked every tick ({scenario.clock.tick})",
                                     interval_second=int(scenario.clock.tick.total_seconds()), parameters=check))
    return PromotionPlan(host, target, gate, scenario.name, namespace, f"{EXPERIMENT_PREFIX}{scenario.name}",
                         training, trigger_check if watched else None, tuple(runs), fixed)


def plan_lines(plan: PromotionPlan) -> list[str]:
    """The plan as text lines, for the CLI to print (parameters are summarised, not dumped)."""
    lines = [f"KFP host      {plan.host}", f"target        {plan.target}", f"gate          {plan.gate}",
             f"scenario      {plan.scenario} (lake namespace {plan.namespace})",
             f"pipeline      {plan.training.name}  version {plan.training.version}  ({plan.training.package})"]
    if plan.trigger_check is not None:
        lines.append(f"pipeline      {plan.trigger_check.name}  version {plan.trigger_check.version}  "
                     f"({plan.trigger_check.package})")
    lines.append(f"experiment    {plan.experiment}")
    for run in plan.recurring_runs:
        when = f"cron '{run.cron}'" if run.cron else f"every {run.interval_second}s"
        lines.append(f"recurring run {run.name}: {run.pipeline} pipeline, {when}  <- {run.why}")
    if not plan.recurring_runs:
        lines.append("recurring run none: the scenario has no triggers")
    return lines
