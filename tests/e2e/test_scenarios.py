"""End to end: shipped scenarios through the real KFP pipeline on kfp.local and the embedded S3 server."""

import hashlib
import json

import pytest
from warm_cold import assert_same_story

from ctsim.cli import main
from ctsim.runners import TaskProcesses
from ctsim.sim import run_scenario
from ctsim.timeline import (
    Alert,
    GateBlocked,
    GatePassed,
    PipelineRun,
    RolledBack,
    RolledOut,
    TriggerFired,
    read_timeline,
)

pytestmark = pytest.mark.e2e

PIPELINE_STEPS = {
    "collect-data",
    "validate-data",
    "preprocess",
    "engineer-features",
    "train-model",
    "evaluate-model",
    "register-model",
    "start-canary",
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Each shipped scenario runs once per test session; tests read the results."""
    cache = {}
    root = tmp_path_factory.mktemp("runs")

    def get(name):
        if name not in cache:
            cache[name] = run_scenario(name, runs_dir=root)
        return cache[name]

    return get


def test_sudden_drift_retrains_rolls_out_and_recovers(runs):
    result = runs("sudden-drift")
    timeline = result.timeline
    assert result.verdict.passed, result.verdict.to_dict()
    drift_fired = [e.tick for e in timeline.of(TriggerFired) if e.trigger == "drift"]
    assert drift_fired and drift_fired[0] >= 12, "the drift trigger must not fire before the drift begins"
    drift_runs = [e for e in timeline.of(PipelineRun) if e.trigger == "drift" and e.succeeded]
    assert drift_runs and set(drift_runs[0].steps) == PIPELINE_STEPS | {"finish-run"}  # and the exit handler
    assert timeline.of(RolledOut)
    dip = min(t.served_metric for t in timeline.ticks[12:16] if t.served_metric is not None)
    final = timeline.ticks[-1].champion_metric
    assert final is not None and final > dip + 0.2, f"accuracy must recover: dip {dip}, final {final}"


def test_sudden_drift_run_directory_holds_the_pipeline_that_ran(runs):
    result = runs("sudden-drift")
    pipeline_yaml = result.run_dir / "pipeline.yaml"
    assert hashlib.sha256(pipeline_yaml.read_bytes()).hexdigest() == result.pipeline_sha256
    assert (result.run_dir / "pipeline.sha256").read_text().strip() == result.pipeline_sha256
    saved = read_timeline(result.run_dir / "timeline.json")
    assert saved == result.timeline, "the file reads back to the very events the run recorded"
    assert saved.deterministic_view() == result.timeline.deterministic_view()
    kfp_outputs = {path.name for path in (result.run_dir / "kfp").glob("*/*") if path.is_dir()}
    assert PIPELINE_STEPS <= kfp_outputs, f"every component's outputs are kept, got {sorted(kfp_outputs)}"
    assert json.loads((result.run_dir / "verdict.json").read_text())["passed"] is True


def test_bad_model_is_blocked_and_the_champion_kept(runs):
    result = runs("bad-model")
    timeline = result.timeline
    assert result.verdict.passed, result.verdict.to_dict()
    blocks = [e for e in timeline.of(GateBlocked) if e.gate == "model"]
    assert [e.tick for e in blocks] == [7]
    assert blocks[0].candidate is not None and blocks[0].candidate < 0.7
    assert blocks[0].violations and all(r.threshold is not None for r in blocks[0].violations)
    assert any(e.alert == "model-gate-blocked" for e in timeline.of(Alert))
    assert {t.champion for t in timeline.ticks[3:]} == {"v0001"}


def test_bad_model_replayed_cold_tells_the_warm_replay_s_story(runs, tmp_path):
    cold = run_scenario("bad-model", runs_dir=tmp_path, tasks=TaskProcesses(warm=False))
    assert_same_story(runs("bad-model"), cold)


def test_canary_regression_is_rolled_back_and_champion_untouched(runs):
    result = runs("canary-regression")
    timeline = result.timeline
    assert result.verdict.passed, result.verdict.to_dict()
    passed_gate = [e for e in timeline.of(GatePassed) if e.gate == "model"]
    assert len(passed_gate) >= 2, "the poisoned model must pass the offline gate"
    (rollback,) = timeline.of(RolledBack)
    assert rollback.live_canary is not None and rollback.live_champion is not None
    assert rollback.live_canary < rollback.live_champion and not rollback.reason.ok
    assert {t.champion for t in timeline.ticks[3:]} == {"v0001"}


def test_same_seed_gives_the_same_timeline(runs, tmp_path):
    first = runs("bad-model")
    second = run_scenario("bad-model", runs_dir=tmp_path)
    assert first.timeline.deterministic_view() == second.timeline.deterministic_view()


def test_cli_exits_1_when_an_expectation_fails(tmp_path, capsys):
    scenario = tmp_path / "expects-a-rollback.yaml"
    scenario.write_text(
        "name: expects-a-rollback\nclock: {ticks: 3}\nbootstrap_tick: 1\n"
        "data: {generator: {rows_per_tick: 300}}\n"
        "expectations:\n  - expect: rollback\n    happens: true\n"
    )
    code = main(["run", "scenario", str(scenario), "--runs-dir", str(tmp_path / "runs")])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in out and "a rollback happens" in out


def test_cli_rejects_a_wrong_key_with_exit_2_and_writes_nothing(tmp_path, capsys):
    scenario = tmp_path / "typo.yaml"
    scenario.write_text("name: typo\nclock:\n  ticks: 5\ncanary:\n  step_wieght: 10\n")
    runs_dir = tmp_path / "runs"
    code = main(["run", "scenario", str(scenario), "--runs-dir", str(runs_dir)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{scenario}:5" in err and "canary.step_wieght" in err and "step_weight" in err
    assert "Traceback" not in err
    assert not runs_dir.exists()


def test_store_outage_fails_alerts_retries_and_loses_no_batch(tmp_path):
    from ctsim.store import EmbeddedS3, Layout, ObjectStore, tick_of_key

    with EmbeddedS3() as server:
        result = run_scenario("store-outage", runs_dir=tmp_path, store=server.config)
        store = ObjectStore(server.config)
        layout = Layout(json.loads((result.run_dir / "run.json").read_text())["namespace"])
        production = [tick_of_key(k) for k in store.list(layout.lake_source("production"))]
        feedback = [tick_of_key(k) for k in store.list(layout.lake_source("feedback"))]
    timeline = result.timeline
    ticks = result.scenario.clock.ticks
    assert production == list(range(ticks)), "every production batch lands exactly once, outage or not"
    assert feedback == list(range(1, ticks))
    runs_by_status = [(e.trigger, e.status) for e in timeline.of(PipelineRun)]
    assert ("schedule", "failed") in runs_by_status and ("retry", "succeeded") in runs_by_status
    assert any(e.alert == "pipeline-failed" for e in timeline.of(Alert))
    assert result.verdict.passed
