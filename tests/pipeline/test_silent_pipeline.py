"""A pipeline that finishes without reporting a decision fails the verdict: never PASSED by silence."""

import json
from pathlib import Path

import pytest
import yaml

HERE = Path(__file__).parent


@pytest.mark.e2e
def test_a_pipeline_that_never_reaches_its_registration_fails_the_verdict(tmp_path, monkeypatch):
    from ctsim.sim import run_scenario

    monkeypatch.delenv("CTSIM_S3_ENDPOINT", raising=False)
    monkeypatch.chdir(HERE)  # the team's working directory: byo_pipelines imports from here
    scenario = tmp_path / "silent.yaml"
    scenario.write_text(
        yaml.safe_dump(
            {
                "name": "silent",
                "clock": {"ticks": 3},
                "bootstrap_tick": 1,
                "pipeline": "byo_pipelines:registers_in_a_branch_never_taken",
                "data": {"generator": {"rows_per_tick": 300}},
                "expectations": [{"expect": "rollback", "happens": False}],  # holds: nothing happens at all
            }
        )
    )
    result = run_scenario(str(scenario), runs_dir=tmp_path / "runs")
    by_name = {r.name: r for r in result.verdict.results}
    assert by_name["no rollback happens"].passed  # the scenario's own expectation holds ...
    assert not result.verdict.passed and result.verdict.exit_code == 1  # ... and the verdict still fails
    silent = by_name["every finished pipeline run reported its decision"]
    assert not silent.passed and "run-001 at tick 1: no-decision" in silent.detail
    assert not by_name["a model was registered and served"].passed
    run = json.loads((result.run_dir / "run.json").read_text())
    assert run["store"] == "embedded" and run["store_endpoint"] == result.store_endpoint  # not the run's own relay
    from ctsim.timeline import PipelineRun

    runs = result.timeline.of(PipelineRun)
    assert runs and all(e.status == "succeeded" and e.decision == "no-decision" for e in runs)
