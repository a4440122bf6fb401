"""The promotion plan is pure data derived from the scenario and the pipeline hashes."""

import pytest
import yaml

from ctsim.promote.plan import LATEST_TICK, PipelinePlan, build_plan, version_name
from ctsim.scenario.model import Scenario

TRAINING = PipelinePlan("ctsim-continuous-training", "pipeline.yaml", "c" * 64)
CHECK = PipelinePlan("ctsim-trigger-check", "trigger-check.yaml", "d" * 64)


def plan_of(triggers: dict, tick="1d"):
    scenario = Scenario.model_validate({"name": "demo", "clock": {"tick": tick}, "triggers": triggers})
    return build_plan(scenario, '{"features": []}', host="h", target="t", gate="g", namespace="prod",
                      training=TRAINING, trigger_check=CHECK)


def declared_inputs(package) -> set[str]:
    pipeline_spec = next(yaml.safe_load_all(package.read_bytes()))  # a platform spec document may follow
    return set(pipeline_spec["root"]["inputDefinitions"]["parameters"])


def test_the_schedule_becomes_a_six_field_cron_run_of_the_training_pipeline():
    plan = plan_of({"schedule": {"cron": "30 2 * * 3"}})
    (run,) = plan.recurring_runs
    assert (run.pipeline, run.cron, run.interval_second) == ("training", "0 30 2 * * 3", None)
    assert run.parameters["first_tick"] == 0 and run.parameters["as_of_tick"] == LATEST_TICK
    assert "[[RunUUID]]" in run.parameters["run_id"] and run.parameters["namespace"] == "prod"
    assert plan.trigger_check is None


def test_volume_performance_and_drift_become_one_trigger_check_run_per_tick():
    plan = plan_of({"volume": {"min_new_rows": 10}, "performance": {}, "drift": {}}, tick="6h")
    (run,) = plan.recurring_runs
    assert (run.pipeline, run.interval_second, run.cron) == ("trigger-check", 6 * 3600, None)
    assert "volume, performance, drift" in run.why
    assert run.parameters["version_name"] == version_name(TRAINING.sha256)
    assert '"min_new_rows":10' in run.parameters["triggers_json"]


def test_names_follow_the_pipeline_hash():
    plan = plan_of({"schedule": {}, "drift": {}})
    assert [r.name for r in plan.recurring_runs] == ["demo-schedule-cccccccc",
                                                     "demo-trigger-check-cccccccc-dddddddd"]
    assert plan.training.version == "sha256-cccccccccccccccc" and plan.experiment == "ctsim-demo"


def test_no_triggers_no_recurring_runs():
    assert plan_of({}).recurring_runs == ()


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    from ctsim.pipeline.compile import compile_pipeline
    from ctsim.pipeline.trigger_check import compile_trigger_check

    out = tmp_path_factory.mktemp("compiled")
    return compile_pipeline(out / "p.yaml").path, compile_trigger_check(out / "t.yaml").path


def test_every_planned_parameter_is_an_input_the_compiled_pipelines_declare(compiled):
    training, check = compiled
    plan = plan_of({"schedule": {}, "volume": {}, "drift": {}})
    by_pipeline = {"training": declared_inputs(training), "trigger-check": declared_inputs(check)}
    for run in plan.recurring_runs:
        assert set(run.parameters) == by_pipeline[run.pipeline], run.name
    assert set(plan.training_arguments) | {"run_id", "first_tick", "last_tick", "as_of_tick"} == by_pipeline["training"]
