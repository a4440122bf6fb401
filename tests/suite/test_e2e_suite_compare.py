"""End to end (real pipeline on kfp.local, embedded S3 per worker): one comparison, one small suite."""

import json
import textwrap

import pytest

from ctsim.cli import main
from ctsim.policy.compare import plan, run_compare
from ctsim.timeline import TriggerFired

pytestmark = pytest.mark.e2e


def test_on_concept_drift_the_drift_policy_misses_what_the_performance_policy_catches(tmp_path):
    comparison = run_compare(plan("concept-drift", ["drift", "performance"]), tmp_path, jobs=2)
    runs = {run.policy: run for run in comparison.runs}
    assert {p: r.status for p, r in runs.items()} == {"drift": "ran", "performance": "ran"}
    drift, performance = runs["drift"].metrics, runs["performance"].metrics
    assert comparison.onsets == (8,)
    assert drift.retrains == 0 and not runs["drift"].timeline.of(TriggerFired)
    assert drift.recoveries[0].dipped and drift.recoveries[0].ticks is None, "drift-only never recovers"
    assert performance.retrains >= 1 and performance.recoveries[0].ticks is not None
    assert performance.auc > drift.auc + 0.1 and comparison.winner == "performance"
    saved = json.loads((comparison.directory / "compare.json").read_text())
    assert saved["winner"] == "performance" and [p["policy"] for p in saved["policies"]] == ["drift", "performance"]


def test_suite_runs_in_parallel_reports_crashes_and_writes_suite_json(tmp_path, capsys):
    folder = tmp_path / "scenarios"
    folder.mkdir()
    (folder / "tiny.yaml").write_text(
        textwrap.dedent("""\
        name: tiny
        seed: 3
        clock: {start: 2026-03-02T00:00:00, tick: 1d, ticks: 5}
        data: {generator: {rows_per_tick: 300}}
        bootstrap_tick: 1
        gates: {data: {min_rows: 100}}
        expectations:
          - {expect: rollback, happens: false}
        """)
    )
    (tmp_path / "three.csv").write_text(  # three target values: fails at run time
        "t,x,y\n2026-01-05,0.5,a\n2026-01-06,0.1,b\n2026-01-07,0.3,c\n"
    )
    (folder / "broken-replay.yaml").write_text(
        "name: broken-replay\nclock: {ticks: 3}\nbootstrap_tick: 1\n"
        f"data: {{replay: {{path: {tmp_path / 'three.csv'}, time_column: t, target_column: y}}}}\n"
    )
    (folder / "typo.yaml").write_text("name: typo\nclok: {ticks: 3}\n")
    code = main(["run", "suite", str(folder), "-j", "2", "--runs-dir", str(tmp_path / "runs")])
    assert code == 1
    (suite_dir,) = (tmp_path / "runs").glob("suite-*")
    document = json.loads((suite_dir / "suite.json").read_text())
    status = {entry["name"]: entry["status"] for entry in document["scenarios"]}
    assert status == {"broken-replay": "crashed", "tiny": "passed", "typo": "crashed"}
    assert document["passed"] is False
    tiny = next(e for e in document["scenarios"] if e["name"] == "tiny")
    assert tiny["pipeline_sha256"] == document["pipeline_sha256"]
    assert (
        json.loads(
            (tmp_path / "runs" / suite_dir.name / "tiny" / tiny["run_dir"].split("/")[-1] / "verdict.json").read_text()
        )["passed"]
        is True
    )
    out = capsys.readouterr().out
    assert "ScenarioError" in out and "must hold exactly two values" in out and "unknown key 'clok'" in out
