"""The trigger check that runs on the cluster: pure decisions, then one tick against a real S3 and the API double."""

import json

import pytest

from ctsim import lake
from ctsim.promote import trigger_job
from ctsim.promote.deploy import apply_plan, connect
from ctsim.promote.trigger_job import Observations, decide, plan_launch
from ctsim.reasons import Reason, TriggerDecision
from ctsim.scenario import loader
from ctsim.scenario.data import open_source
from ctsim.settings import TrainingSettings, TriggerSettings
from ctsim.triggers import LiveScore, TriggerState


def fired(kind="volume"):
    return TriggerDecision(kind, True, (Reason("r", 1, 0, False),))


def quiet(kind="volume"):
    return TriggerDecision(kind, False, (Reason("r", 0, 1, True),))


@pytest.mark.parametrize(
    "decisions, state, latest, launch",
    [
        ([fired()], TriggerState(), 3, True),  # never ran: no cooldown to respect
        ([quiet(), fired("drift")], TriggerState(5), 8, True),
        ([fired()], TriggerState(5), 7, False),  # cooldown of 2 ticks: 6 and 7 are held, 8 may start
        ([fired()], TriggerState(7), 7, False),  # nothing new since the last launch
        ([quiet()], TriggerState(), 9, False),
    ],
)
def test_plan_launch_applies_the_shared_cooldown(decisions, state, latest, launch):
    arbitration, window = plan_launch(decisions, state, latest, 2, TrainingSettings(), None, 1)
    assert arbitration.fire is launch and (window is not None) is launch


def test_a_forced_check_launches_with_the_strategy_window():
    window = TrainingSettings(strategy="window", window_ticks=3)
    arbitration, planned = plan_launch([quiet()], TriggerState(8), 9, 2, window, 4, 1, force=True)
    assert arbitration.trigger == "schedule" and (planned.first_tick, planned.last_tick) == (7, 9)


def test_decide_uses_the_same_trigger_rules_as_the_simulator():
    triggers = TriggerSettings.model_validate(
        {"volume": {"min_new_rows": 100}, "performance": {"max_drop": 0.05, "min_samples": 10}}
    )
    obs = Observations(latest_tick=5, new_labelled_rows=100, live=(LiveScore(50, 0.70),), reference_metric=0.80)
    from ctsim.contract import DataContract

    decisions = {d.trigger: d.fired for d in decide(triggers, obs, DataContract(features=()))}
    assert decisions == {"volume": True, "performance": True}
    calm = Observations(latest_tick=5, new_labelled_rows=99, live=(LiveScore(50, 0.79),), reference_metric=0.80)
    assert not any(d.fired for d in decide(triggers, calm, DataContract(features=())))


def fill_lake(store, layout, source, ticks):
    for tick in ticks:
        batch = source.batch(tick)
        lake.write_batch(store, layout, "production", tick, batch.production)
        lake.write_batch(store, layout, "feedback", tick, source.feedback(tick))


@pytest.mark.store
def test_one_tick_on_the_cluster_launches_the_promoted_version_when_drift_fires(
    api, embedded_s3, object_store, store_layout, monkeypatch, tmp_path
):
    from ctsim.promote.workflow import prepare

    prepared = prepare("sudden-drift", tmp_path / "promote", store_layout.namespace)
    plan = prepared.plan(api.url, "test", "test")
    apply_plan(connect(api.url), plan)
    (check,) = [run for run in plan.recurring_runs if run.pipeline == "trigger-check"]
    params = {**check.parameters, "kfp_host": api.url}  # in the cluster: the in-cluster service URL

    from ctsim.trust import SigningKey

    signing_key = SigningKey.generate()  # on a cluster, from the deployment's secret
    for key, value in {**embedded_s3.config.to_env(), **signing_key.to_env()}.items():
        monkeypatch.setenv(key, value)
    scenario = loader.load("sudden-drift")
    fill_lake(object_store, store_layout, open_source(scenario, tmp_path), range(9, 14))  # drift starts at 12
    object_store.put(trigger_job.state_key(store_layout.namespace), json.dumps({"last_trained_tick": 10}).encode())

    summary = trigger_job.check_and_launch(**params)
    assert "launched trigger-00013-drift-" in summary
    (run,) = api.calls("POST", "/runs")
    sent = run.body["runtime_config"]["parameters"]
    assert sent["run_id"].startswith("trigger-00013-drift-")
    assert (sent["first_tick"], sent["last_tick"]) == (11, 13)  # window of 3
    assert set(sent) == {"namespace", "run_id", "first_tick", "last_tick"}  # the contract: nothing large
    # The run's settings (contract, gates, window) wait in the store for its components.
    from ctsim.pipeline.runsettings import read_run_settings

    settings = read_run_settings(object_store, store_layout, sent["run_id"])
    assert (settings.first_tick, settings.last_tick, settings.as_of_tick) == (11, 13, 13)
    assert settings.contract["label"] == "label" and settings.pipeline_sha256 == prepared.pipeline.sha256
    assert run.body["pipeline_version_reference"]["pipeline_version_id"] == next(
        v.pipeline_version_id for v in api.state.versions.values() if v.display_name == prepared.training.version
    )
    assert api.violations == []

    again = trigger_job.check_and_launch(**params)  # same tick: nothing new, no second launch
    assert "no launch" in again and len(api.calls("POST", "/runs")) == 1
