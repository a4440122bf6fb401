"""Expectations on a lower-is-better metric: "worse" and "final" read in the metric's direction."""

from __future__ import annotations

from dataclasses import replace

import pytest
from timeline_events import drift_onset, rolled_out
from timelines import timeline

from ctsim.scenario.loader import parse
from ctsim.scenario.model import Scenario
from ctsim.timeline import Event
from ctsim.verdict import check


def rmse_scenario(expectations: str) -> Scenario:
    return parse(
        "name: r\ntask: regression\ngates:\n  model:\n    metric: rmse\nexpectations:\n" + expectations, "r.yaml"
    )


def rollout(canary: float, champion: float) -> Event:
    return rolled_out(5, "v0002", live_canary=canary, live_champion=champion)


@pytest.mark.parametrize(("canary", "passed"), [(1.2, False), (1.04, True), (0.8, True)])
def test_no_worse_promotion_reads_a_higher_rmse_as_worse(canary: float, passed: bool):
    scenario = rmse_scenario("  - {expect: no_worse_promotion, tolerance: 0.05}\n")
    run = replace(timeline([1.0] * 8, [rollout(canary, 1.0)]), metric="rmse")
    (result,) = check(scenario, run).results
    assert result.passed is passed


@pytest.mark.parametrize(("final", "passed"), [(1.4, True), (1.6, False)])
def test_final_champion_metric_at_most_for_rmse(final: float, passed: bool):
    scenario = rmse_scenario("  - {expect: final_champion_metric, at_most: 1.5}\n")
    (result,) = check(scenario, replace(timeline([2.0] * 5 + [final] * 3), metric="rmse")).results
    assert result.passed is passed and "rmse <= 1.5" in result.name


def test_a_bound_against_the_metrics_direction_is_refused_at_load():
    with pytest.raises(ValueError, match=r"r.yaml:7: expectations\[0\].at_least: rmse is better lower"):
        rmse_scenario("  - {expect: final_champion_metric, at_least: 0.5}\n")
    with pytest.raises(ValueError, match="needs exactly one of 'at_least'"):
        rmse_scenario("  - {expect: final_champion_metric}\n")


def test_the_reports_recovery_reads_a_rise_of_rmse_as_the_incident():
    from ctsim.report import facts

    curve = [1.0, 1.0, 1.0, 1.0, 1.9, 2.2, 1.4, 1.01, 1.0]
    run = replace(timeline(curve, [drift_onset(3)]), metric="rmse")
    recovery = facts.recovery(run)
    assert (recovery.before, recovery.low, recovery.low_tick, recovery.recovered_tick) == (1.0, 2.2, 5, 7)
    falling = replace(timeline([1.0] * 4 + [0.5] * 5, [drift_onset(3)]), metric="rmse")
    assert facts.recovery(falling).recovered_tick is None and not facts.worse_than("rmse", 0.5, 1.0)
