"""The steps of a promotion that touch files: load the scenario, compile both pipelines, start a run.

Kept apart from ``plan`` (pure) and ``deploy`` (the KFP API) so each can be
tested on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ctsim.promote.plan import LATEST_TICK, PipelinePlan, PromotionPlan, build_plan
from ctsim.scenario.model import Scenario


@dataclass(frozen=True)
class Prepared:
    scenario: Scenario
    contract_json: str
    namespace: str
    training: PipelinePlan
    trigger_check: PipelinePlan

    def plan(self, host: str, target: str, gate: str) -> PromotionPlan:
        return build_plan(self.scenario, self.contract_json, host=host, target=target, gate=gate,
                          namespace=self.namespace, training=self.training, trigger_check=self.trigger_check)


def prepare(scenario_ref: str, out_dir: Path, namespace: str | None = None) -> Prepared:
    """Load the scenario and its data contract; compile both pipelines into ``out_dir``."""
    from ctsim.pipeline.compile import compile_pipeline
    from ctsim.pipeline.components import PIPELINE_NAME
    from ctsim.pipeline.trigger_check import TRIGGER_CHECK_NAME, compile_trigger_check
    from ctsim.scenario import loader
    from ctsim.scenario.data import open_source
    from ctsim.store import safe_name

    path = loader.resolve(scenario_ref)
    scenario = loader.load(str(path))
    contract = open_source(scenario, path.parent).contract
    training = compile_pipeline(out_dir / "pipeline.yaml")
    check = compile_trigger_check(out_dir / "trigger-check.yaml")
    return Prepared(scenario, json.dumps(contract.to_dict(), sort_keys=True),
                    safe_name(namespace or scenario.name, "namespace"),
                    PipelinePlan(PIPELINE_NAME, str(training.path), training.sha256),
                    PipelinePlan(TRIGGER_CHECK_NAME, str(check.path), check.sha256))


def run_once(client: Any, plan: PromotionPlan, timeout: int, now: datetime | None = None) -> str:
    """Start one training run of the promoted version on all lake data, wait, return its final state."""
    from ctsim.promote.deploy import find_version, translated

    stamp = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
    run_id = f"promote-{plan.training.sha256[:12]}-{stamp}"
    params = {**plan.training_arguments, "run_id": run_id, "first_tick": 0, "last_tick": LATEST_TICK,
              "as_of_tick": LATEST_TICK}
    with translated(plan.host):
        pipeline_id = client.get_pipeline_id(plan.training.name)
        version_id = find_version(client, pipeline_id, plan.training.version)
        experiments = client.list_experiments(page_size=10, filter=_name(plan.experiment)).experiments or []
        run = client.run_pipeline(experiments[0].experiment_id, run_id, pipeline_id=pipeline_id,
                                  version_id=version_id, params=params)
        finished = client.wait_for_run_completion(run.run_id, timeout=timeout)
    return str(finished.state)


def _name(name: str) -> str:
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": name}]})
