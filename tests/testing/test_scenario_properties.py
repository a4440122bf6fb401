"""Whole scenarios: across generated small scenarios, no served model ever failed a gate, and every promotion
follows a passed gate and a completed canary. Each example is a real run (kfp.local, embedded S3), so two
examples, always the same two (derandomized), and the e2e marker."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from ctsim.testing.helpers import timeline_violations
from ctsim.testing.strategies import small_scenarios
from ctsim.timeline import FirstChampion, PipelineRun, RolledOut

pytestmark = [pytest.mark.e2e, pytest.mark.property]


@settings(
    max_examples=2,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=small_scenarios())
def test_no_served_model_failed_a_gate_and_promotions_follow_gate_and_canary(ctsim_run_scenario, scenario) -> None:
    result = ctsim_run_scenario(scenario)
    timeline = result.timeline
    assert timeline.of(PipelineRun), "the scenario must at least bootstrap a model"
    assert timeline_violations(timeline) == []
    # From the tick after the first rollout on, a champion serves every tick (ticks are recorded before training).
    first = min(event.tick for event in timeline.of(FirstChampion, RolledOut))
    assert all(record.champion is not None for record in timeline.ticks if record.tick > first)
