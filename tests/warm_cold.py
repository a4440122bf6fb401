"""The proof that warm task processes change nothing but time (issue 14): a scenario replayed warm and
``--cold`` (``TaskProcesses(warm=False)``) tells the same story. Used where a warm replay already exists,
so each proof costs one cold replay: the fault gauntlet (tests/e2e/test_fault_scenarios.py), bad-model
(tests/e2e/test_scenarios.py) and schema-break (tests/runners/test_warm_equals_cold.py)."""

from __future__ import annotations

import json

from ctsim.timeline import PipelineRun


def assert_same_story(warm, cold) -> None:
    """Same events, same per-tick metrics, same verdict; each run says how its tasks were started."""
    assert warm.timeline.to_dict()["events"] == cold.timeline.to_dict()["events"]
    assert warm.timeline.to_dict()["ticks"] == cold.timeline.to_dict()["ticks"]
    assert warm.verdict.to_dict() == cold.verdict.to_dict()
    assert warm.timeline.of(PipelineRun), "a replay without a pipeline run proves nothing"
    for mode, result in (("warm", warm), ("cold", cold)):
        assert json.loads((result.run_dir / "run.json").read_text())["task_processes"] == mode
