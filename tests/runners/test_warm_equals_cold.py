"""Warm task processes change nothing but time, on a scenario whose data gate blocks a run (schema-break).
The same proof runs on the fault gauntlet (tests/e2e/test_fault_scenarios.py) and on bad-model
(tests/e2e/test_scenarios.py), beside the warm replays those modules already make."""

import pytest
from warm_cold import assert_same_story

from ctsim.runners import TaskProcesses
from ctsim.sim import run_scenario

pytestmark = pytest.mark.e2e


def test_warm_and_cold_replays_of_schema_break_tell_the_same_story(tmp_path, embedded_s3):
    warm, cold = (
        run_scenario(
            "schema-break", runs_dir=tmp_path / mode, store=embedded_s3.config, tasks=TaskProcesses(warm=mode == "warm")
        )
        for mode in ("warm", "cold")
    )
    assert_same_story(warm, cold)
