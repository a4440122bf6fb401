"""End to end: a team's own project (examples/team-pipeline), its own pipeline and model, replayed by ctsim.

The tests run from the team's checkout, as a team would: ``team_pipeline`` imports from the working directory.
"""

from pathlib import Path

import pytest
import yaml

from ctsim.cli import main
from ctsim.sim import run_scenario
from ctsim.timeline import PipelineRun

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "team-pipeline"


@pytest.fixture
def team_checkout(monkeypatch):
    monkeypatch.chdir(PROJECT)
    monkeypatch.syspath_prepend(str(PROJECT))


def _results(result):
    return {r.name: r for r in result.verdict.results}


def test_the_team_regressor_on_real_data_is_trained_gated_canaried_and_promoted(team_checkout, tmp_path):
    result = run_scenario("scenarios/approval-regression.yaml", runs_dir=tmp_path)
    assert result.verdict.passed, result.verdict.to_dict()
    runs = result.timeline.of(PipelineRun)
    assert all(e.decision == "registered" for e in runs) and len(runs) >= 3
    # The team's own DAG ran, not the reference one: its task names, its pipeline's sha256.
    assert "split-data" in runs[0].steps and "preprocess" not in runs[0].steps
    assert (result.run_dir / "run.json").read_text().count("team_pipeline.flow:training") == 1
    # Served and judged as regression: the metric is rmse and lower is better.
    assert result.timeline.metric == "rmse"
    served = [t.champion_metric for t in result.timeline.ticks if t.champion_metric is not None]
    assert served and all(0 < value < 5 for value in served)


def test_the_team_classifier_on_real_multiclass_data_passes(team_checkout, tmp_path):
    result = run_scenario("scenarios/segment-multiclass.yaml", runs_dir=tmp_path)
    assert result.verdict.passed, result.verdict.to_dict()
    assert result.timeline.metric == "f1_macro"


def test_a_team_gate_too_lenient_to_block_a_broken_model_is_caught_by_the_verdict(team_checkout, tmp_path, capsys):
    code = main(["run", "scenario", "scenarios/lenient-gate.yaml", "--runs-dir", str(tmp_path), "--quiet"])
    assert code == 1  # an expectation failed
    (run_dir,) = tmp_path.iterdir()
    from ctsim.report import load_run

    record = load_run(run_dir)
    failed = [r.name for r in record.verdict.results if not r.passed]
    assert failed == ["model gate blocks within ticks [8, 8]"]
    runs = [e for e in record.timeline.of(PipelineRun) if e.tick == 8]
    assert runs and runs[0].decision == "registered"  # the sabotaged model went through the gate


def test_compare_and_promote_dry_run_use_the_team_pipeline(team_checkout, tmp_path, capsys):
    code = main(["compile", "scenarios/approval-regression.yaml", "-o", str(tmp_path / "team.yaml")])
    out = capsys.readouterr().out
    assert code == 0 and "team_pipeline.flow:training" in out
    assert "team-continuous-training" in (tmp_path / "team.yaml").read_text()
    code = main(
        [
            "promote",
            "--scenario",
            "scenarios/approval-regression.yaml",
            "--dry-run",
            "--force",
            "--host",
            "http://127.0.0.1:9",
            "--runs-dir",
            str(tmp_path / "runs"),
        ]
    )
    out = capsys.readouterr().out
    assert "team-continuous-training" in out and "FORCED" in out


def test_compare_replays_the_team_pipeline_per_policy(team_checkout, tmp_path, capsys):
    import json

    # segment-multiclass cut to its first monthly retrain (tick 4): what compare adds is one replay per policy
    scenario = yaml.safe_load((PROJECT / "scenarios" / "segment-multiclass.yaml").read_text())
    scenario["clock"]["ticks"] = 6
    scenario["data"]["replay"]["path"] = str(PROJECT / "data" / "segment.csv")
    scenario["expectations"] = [{"expect": "promotions", "at_least": 1}]
    short = tmp_path / "segment-multiclass-short.yaml"
    short.write_text(yaml.safe_dump(scenario))
    code = main(
        ["compare", str(short), "--policy", "none", "--policy", "schedule", "-j", "2", "--runs-dir", str(tmp_path)]
    )
    assert code == 0, capsys.readouterr()
    (document,) = tmp_path.glob("compare-*/compare.json")
    policies = {p["policy"]: p for p in json.loads(document.read_text())["policies"]}
    assert all(p["metrics"] and not p["error"] for p in policies.values()), policies
    assert policies["none"]["metrics"]["retrains"] == 0 and policies["schedule"]["metrics"]["retrains"] >= 1
