"""The proof that warm task processes change nothing but time: shipped scenarios replayed warm and ``--cold``
give the same timeline events and the same per-tick metrics, including the fault gauntlet, whose register task
dies with ``os._exit(137)`` and must still look killed to kfp.local and to the retry logic."""

import json
from pathlib import Path

import pytest

from ctsim.runners import TaskProcesses
from ctsim.sim import run_scenario

pytestmark = pytest.mark.e2e

GAUNTLET = str(Path(__file__).parents[2] / "scenarios" / "faults" / "fault-gauntlet.yaml")


@pytest.mark.parametrize("scenario", [GAUNTLET, "bad-model", "schema-break"])
def test_warm_and_cold_replays_tell_the_same_story(scenario, tmp_path, embedded_s3):
    results = {mode: run_scenario(scenario, runs_dir=tmp_path / mode, store=embedded_s3.config,
                                  tasks=TaskProcesses(warm=mode == "warm"))
               for mode in ("warm", "cold")}
    warm, cold = results["warm"].timeline, results["cold"].timeline

    assert warm.to_dict()["events"] == cold.to_dict()["events"]
    assert warm.to_dict()["ticks"] == cold.to_dict()["ticks"]
    assert results["warm"].verdict.to_dict() == results["cold"].verdict.to_dict()
    assert any(e.kind == "pipeline-run" for e in warm.events), "a replay without a pipeline run proves nothing"
    for mode, result in results.items():
        assert json.loads((result.run_dir / "run.json").read_text())["task_processes"] == mode
    if scenario == GAUNTLET:
        killed = [e for e in warm.events if e.kind == "pipeline-run" and e.data.get("status") == "failed"]
        assert killed, "the run whose register task died must fail, warm as cold"
        warm_tasks = [r["tasks"] for r in warm.runs]
        assert any(t["task"] == "register-model" and t["status"] == "FAILURE" for run in warm_tasks for t in run)
