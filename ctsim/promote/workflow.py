"""The steps of a promotion that touch files: load the scenario, compile both pipelines, start a run.

Kept apart from ``plan`` (pure) and ``deploy`` (the KFP API) so each can be
tested on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ctsim.pipeline.source import PreparedPipeline
from ctsim.promote.plan import PipelinePlan, PromotionPlan, build_plan
from ctsim.scenario.model import Scenario


@dataclass(frozen=True)
class Prepared:
    scenario: Scenario
    contract: dict[str, Any]
    namespace: str
    pipeline: PreparedPipeline
    training: PipelinePlan
    trigger_check: PipelinePlan

    def plan(self, host: str, target: str, gate: str) -> PromotionPlan:
        return build_plan(
            self.scenario,
            self.contract,
            host=host,
            target=target,
            gate=gate,
            namespace=self.namespace,
            pipeline=self.pipeline,
            training=self.training,
            trigger_check=self.trigger_check,
        )


def prepare(scenario_ref: str, out_dir: Path, namespace: str | None = None) -> Prepared:
    """Load the scenario and its data contract; compile its pipeline (the one its runs used) and the trigger check."""
    from ctsim.pipeline.trigger_check import TRIGGER_CHECK_NAME, compile_trigger_check
    from ctsim.scenario import loader
    from ctsim.scenario.data import open_source
    from ctsim.sim.pipelines import prepare_pipeline
    from ctsim.store import safe_name

    path = loader.resolve(scenario_ref)
    scenario = loader.load(str(path))
    contract = open_source(scenario, path.parent).contract
    pipeline = prepare_pipeline(scenario, path, out_dir / "pipeline.yaml")
    check = compile_trigger_check(out_dir / "trigger-check.yaml")
    return Prepared(
        scenario,
        contract.to_dict(),
        safe_name(namespace or scenario.name, "namespace"),
        pipeline,
        PipelinePlan(pipeline.shape.name or scenario.name, str(pipeline.path), pipeline.sha256),
        PipelinePlan(TRIGGER_CHECK_NAME, str(check.path), check.sha256),
    )


def run_once(client: Any, plan: PromotionPlan, timeout: int, now: datetime | None = None) -> str:
    """One forced trigger check: it writes the run's settings and launches the promoted training version on all
    lake data; waits for the check, returns its final state."""
    from ctsim.promote.deploy import find_version, translated

    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    run_name = f"promote-{plan.training.sha256[:12]}-{stamp}"
    check = next((run.parameters for run in plan.recurring_runs), None) or _check_parameters(plan)
    with translated(plan.host):
        pipeline_id = client.get_pipeline_id(plan.trigger_check.name)
        version_id = find_version(client, pipeline_id, plan.trigger_check.version)
        experiments = client.list_experiments(page_size=10, filter=_name(plan.experiment)).experiments or []
        run = client.run_pipeline(
            experiments[0].experiment_id,
            run_name,
            pipeline_id=pipeline_id,
            version_id=version_id,
            params={**check, "force": True},
        )
        finished = client.wait_for_run_completion(run.run_id, timeout=timeout)
    return str(finished.state)


def _check_parameters(plan: PromotionPlan) -> dict[str, Any]:
    from ctsim.promote.plan import IN_CLUSTER_HOST

    return {
        "namespace": plan.namespace,
        "triggers_json": "{}",
        "launch_json": json.dumps(plan.launch, sort_keys=True),
        "pipeline_name": plan.training.name,
        "version_name": plan.training.version,
        "experiment_name": plan.experiment,
        "kfp_host": IN_CLUSTER_HOST,
    }


def _name(name: str) -> str:
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": name}]})
