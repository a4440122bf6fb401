"""The promotion plan: what ``ctsim promote`` will create on the cluster, as plain data. Pure.

``build_plan`` turns a scenario's triggers into KFP objects:

* the schedule trigger → a recurring run of the small trigger-check pipeline
  with KFP's six-field cron (``to_kfp_cron``) and ``force`` set: it launches
  the training pipeline every time;
* the volume, performance and drift triggers → one recurring run of the
  trigger-check pipeline, every scenario tick, which launches the training
  pipeline when one of them fires.

Every training run is launched by the trigger check, which first writes the
run's ``settings.json`` to the store (the pipeline contract: nothing large on a
command line).

Names are derived from the pipeline's sha256, so promoting the same pipeline
twice plans the same objects (and ``deploy`` reuses them).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from ctsim.pipeline.contract import arguments
from ctsim.pipeline.runsettings import RunSettings
from ctsim.pipeline.source import PreparedPipeline
from ctsim.promote.cron import to_kfp_cron
from ctsim.scenario.model import Scenario

EXPERIMENT_PREFIX = "ctsim-"
IN_CLUSTER_HOST = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"


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
    trigger_check: PipelinePlan
    recurring_runs: tuple[RecurringRunPlan, ...]
    launch: dict[str, Any] = field(default_factory=dict)  # what the trigger check launches with (see launch_document)


def run_prefixes(scenario_name: str) -> tuple[str, ...]:
    """Name prefixes of the recurring runs promote creates for a scenario: older ones are superseded."""
    return (f"{scenario_name}-schedule-", f"{scenario_name}-trigger-check-")


def version_name(sha256: str) -> str:
    """The pipeline version's name: the spec hash, so a version on the cluster names the exact IR it runs."""
    return f"sha256-{sha256[:16]}"


def launch_document(
    scenario: Scenario, contract: dict[str, Any], namespace: str, pipeline: PreparedPipeline
) -> dict[str, Any]:
    """What the trigger check launches a training run with: the fixed parameters the pipeline declares (plus the
    scenario's own), the window parameters it declares, and the run settings without the window."""
    fixed = {"namespace": namespace, "pipeline_sha256": pipeline.sha256, "seed": scenario.seed}
    settings = RunSettings.of_scenario(scenario, contract, pipeline.sha256)
    window = {"first_tick", "last_tick", "as_of_tick"}
    return {
        "parameters": arguments(pipeline.shape, fixed, scenario.parameters),
        "label_delay_ticks": scenario.data.label_delay_ticks,  # the incremental window reaches back this far
        "declared": sorted(p.name for p in pipeline.shape.parameters if p.name in window),
        "settings": settings.model_dump(mode="json", exclude=window),
    }


def build_plan(
    scenario: Scenario,
    contract: dict[str, Any],
    *,
    host: str,
    target: str,
    gate: str,
    namespace: str,
    pipeline: PreparedPipeline,
    training: PipelinePlan,
    trigger_check: PipelinePlan,
) -> PromotionPlan:
    launch = launch_document(scenario, contract, namespace, pipeline)
    triggers = scenario.triggers
    short = training.sha256[:8]
    check = {
        "namespace": namespace,
        "triggers_json": triggers.model_dump_json(),
        "launch_json": json.dumps(launch, sort_keys=True),
        "pipeline_name": training.name,
        "version_name": training.version,
        "experiment_name": f"{EXPERIMENT_PREFIX}{scenario.name}",
        "kfp_host": IN_CLUSTER_HOST,
    }
    runs = []
    if triggers.schedule is not None:
        runs.append(
            RecurringRunPlan(
                f"{scenario.name}-schedule-{short}",
                "trigger-check",
                f"schedule trigger, cron '{triggers.schedule.cron}'",
                cron=to_kfp_cron(triggers.schedule.cron),
                parameters={**check, "force": True},
            )
        )
    watched = [kind for kind in ("volume", "performance", "drift") if getattr(triggers, kind) is not None]
    if watched:
        runs.append(
            RecurringRunPlan(
                f"{scenario.name}-trigger-check-{short}-{trigger_check.sha256[:8]}",
                "trigger-check",
                f"{', '.join(watched)} trigger(s), checked every tick ({scenario.clock.tick_label})",
                interval_second=int(scenario.clock.tick.total_seconds()),
                parameters={**check, "force": False},
            )
        )
    return PromotionPlan(
        host,
        target,
        gate,
        scenario.name,
        namespace,
        f"{EXPERIMENT_PREFIX}{scenario.name}",
        training,
        trigger_check,
        tuple(runs),
        launch,
    )


def plan_lines(plan: PromotionPlan) -> list[str]:
    """The plan as text lines, for the CLI to print (parameters are summarised, not dumped)."""
    lines = [
        f"KFP host      {plan.host}",
        f"target        {plan.target}",
        f"gate          {plan.gate}",
        f"scenario      {plan.scenario} (lake namespace {plan.namespace})",
        f"pipeline      {plan.training.name}  version {plan.training.version}  ({plan.training.package})",
    ]
    lines.append(
        f"pipeline      {plan.trigger_check.name}  version {plan.trigger_check.version}  ({plan.trigger_check.package})"
    )
    lines.append(f"experiment    {plan.experiment}")
    for run in plan.recurring_runs:
        when = f"cron '{run.cron}'" if run.cron else f"every {run.interval_second}s"
        lines.append(f"recurring run {run.name}: {run.pipeline} pipeline, {when}  <- {run.why}")
    if not plan.recurring_runs:
        lines.append("recurring run none: the scenario has no triggers")
    return lines
