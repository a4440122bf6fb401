"""The promotion plan is pure data derived from the scenario, the pipeline's shape and the hashes."""

import json
from pathlib import Path

import pytest
import yaml

from ctsim.pipeline.compile import CompiledPipeline
from ctsim.pipeline.contract import Parameter, PipelineShape
from ctsim.pipeline.runsettings import RunSettings
from ctsim.pipeline.source import PreparedPipeline
from ctsim.promote.plan import PipelinePlan, build_plan, version_name
from ctsim.scenario.model import Scenario

TRAINING = PipelinePlan("ctsim-continuous-training", "pipeline.yaml", "c" * 64)
CHECK = PipelinePlan("ctsim-trigger-check", "trigger-check.yaml", "d" * 64)
CONTRACT = {"features": [{"name": "x0", "kind": "numeric"}], "label": "label", "labels": [0, 1]}


def shaped(*names: str, types: dict | None = None) -> PreparedPipeline:
    types = types or {}
    parameters = tuple(
        Parameter(n, types.get(n, "NUMBER_INTEGER" if n.endswith("tick") else "STRING"), False) for n in names
    )
    return PreparedPipeline(
        "test",
        CompiledPipeline(Path("pipeline.yaml"), "c" * 64),
        PipelineShape("p", parameters, (), ("comp-register-model",)),
    )


REFERENCE = shaped("namespace", "run_id", "first_tick", "last_tick")


def plan_of(triggers: dict, tick="1d", pipeline=REFERENCE, parameters=None):
    scenario = Scenario.model_validate(
        {"name": "demo", "clock": {"tick": tick}, "triggers": triggers, "parameters": parameters or {}}
    )
    return build_plan(
        scenario,
        CONTRACT,
        host="h",
        target="t",
        gate="g",
        namespace="prod",
        pipeline=pipeline,
        training=TRAINING,
        trigger_check=CHECK,
    )


def declared_inputs(package) -> set[str]:
    pipeline_spec = next(yaml.safe_load_all(package.read_bytes()))  # a platform spec document may follow
    return set(pipeline_spec["root"]["inputDefinitions"]["parameters"])


def test_the_schedule_becomes_a_six_field_cron_run_of_a_forced_trigger_check():
    plan = plan_of({"schedule": {"cron": "30 2 * * 3"}})
    (run,) = plan.recurring_runs
    assert (run.pipeline, run.cron, run.interval_second) == ("trigger-check", "0 30 2 * * 3", None)
    assert run.parameters["force"] is True and run.parameters["namespace"] == "prod"


def test_volume_performance_and_drift_become_one_unforced_trigger_check_run_per_tick():
    plan = plan_of({"volume": {"min_new_rows": 10}, "performance": {}, "drift": {}}, tick="6h")
    (run,) = plan.recurring_runs
    assert (run.pipeline, run.interval_second, run.cron, run.parameters["force"]) == (
        "trigger-check",
        6 * 3600,
        None,
        False,
    )
    assert "volume, performance, drift" in run.why
    assert run.parameters["version_name"] == version_name(TRAINING.sha256)
    assert '"min_new_rows":10' in run.parameters["triggers_json"]


def test_names_follow_the_pipeline_hash():
    plan = plan_of({"schedule": {}, "drift": {}})
    assert [r.name for r in plan.recurring_runs] == ["demo-schedule-cccccccc", "demo-trigger-check-cccccccc-dddddddd"]
    assert plan.training.version == "sha256-cccccccccccccccc" and plan.experiment == "ctsim-demo"


def test_no_triggers_no_recurring_runs():
    assert plan_of({}).recurring_runs == ()


def test_the_launch_document_passes_only_what_the_pipeline_declares_and_keeps_the_contract_off_the_command_line():
    team = shaped(
        "namespace",
        "run_id",
        "first_tick",
        "last_tick",
        "as_of_tick",
        "seed",
        "learning_rate",
        types={"learning_rate": "NUMBER_DOUBLE", "seed": "NUMBER_INTEGER"},
    )
    launch = plan_of({"drift": {}}, pipeline=team, parameters={"learning_rate": 0.1}).launch
    assert launch["parameters"] == {"namespace": "prod", "seed": 0, "learning_rate": 0.1}
    assert launch["declared"] == ["as_of_tick", "first_tick", "last_tick"]
    reference = plan_of({"drift": {}}).launch
    assert reference["parameters"] == {"namespace": "prod"} and reference["declared"] == ["first_tick", "last_tick"]
    # The settings template becomes a valid RunSettings once the trigger check adds the window.
    settings = RunSettings.model_validate({**reference["settings"], "first_tick": 0, "last_tick": 3, "as_of_tick": 3})
    assert settings.contract == CONTRACT and "contract" not in json.dumps(reference["parameters"])


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from ctsim.pipeline.source import prepare
    from ctsim.pipeline.trigger_check import compile_trigger_check

    out = tmp_path_factory.mktemp("compiled")
    return prepare(None, out, out / "p.yaml"), compile_trigger_check(out / "t.yaml").path


def test_every_planned_parameter_is_an_input_the_compiled_pipelines_declare(compiled):
    training, check = compiled
    plan = plan_of({"schedule": {}, "volume": {}, "drift": {}}, pipeline=training)
    for run in plan.recurring_runs:
        assert set(run.parameters) == declared_inputs(check), run.name
    launched = set(plan.launch["parameters"]) | {"run_id"} | set(plan.launch["declared"])
    assert launched == declared_inputs(training.path)
