"""Fit-for-traffic checks: a trigger, gate or canary setting that cannot act at the scenario's traffic is a
warning with the numbers, an error when an expectation depends on it; built-in policies scale to the traffic."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import ScenarioError
from ctsim.policy.policies import builtin_policy
from ctsim.scenario.data import open_source
from ctsim.scenario.model import Scenario
from ctsim.scenario.traffic import Traffic, enforce, traffic_problems


def scenario(**sections) -> Scenario:
    return Scenario.model_validate({"name": "t", "clock": {"ticks": 20}, "bootstrap_tick": 2, **sections})


def problems(s: Scenario, rows: float, share: float = 1.0, delay: int = 1) -> dict[tuple, tuple[str, str]]:
    return {p.loc: (p.severity, p.message) for p in traffic_problems(s, Traffic(rows, share, delay))}


def test_a_performance_trigger_that_can_never_fire_is_a_warning_with_the_numbers():
    s = scenario(triggers={"performance": {"window_ticks": 2, "min_samples": 100}})
    found = problems(s, rows=40, share=0.5)
    severity, message = found[("triggers", "performance", "min_samples")]
    assert severity == "warning"
    assert "40 rows a tick × 0.5 labelled × window_ticks 2 = 40 labelled rows, below min_samples 100" in message
    assert ("triggers", "performance", "min_samples") not in problems(s, rows=100, share=0.5)


def test_it_is_an_error_when_an_expectation_needs_the_trigger_to_fire():
    s = scenario(
        triggers={"performance": {"min_samples": 100}},
        expectations=[{"expect": "trigger_fires", "trigger": "performance", "within": [3, 19]}],
    )
    assert problems(s, rows=10)[("triggers", "performance", "min_samples")][0] == "error"


def test_a_canary_that_never_sees_enough_requests_rolls_every_candidate_back():
    s = scenario(
        canary={"step_weight": 10, "max_weight": 50, "min_samples": 50},
        expectations=[{"expect": "promotions", "at_least": 1}],
    )
    severity, message = problems(s, rows=300)[("canary", "min_samples")]
    assert severity == "error" and "step_weight 10% = 30 labelled requests a tick, below min_samples 50" in message
    assert ("canary", "min_samples") not in problems(s, rows=500)


def test_a_cooldown_at_least_the_schedule_period_silences_it():
    s = scenario(triggers={"schedule": {"cron": "0 0 * * 1"}, "cooldown_ticks": 7})
    assert "period (7 ticks" in problems(s, rows=1000)[("triggers", "cooldown_ticks")][1]
    assert ("triggers", "cooldown_ticks") not in problems(
        scenario(triggers={"schedule": {"cron": "0 0 * * 1"}, "cooldown_ticks": 6}), rows=1000
    )


def test_volume_and_data_gate_at_low_traffic():
    s = scenario(
        triggers={"volume": {"min_new_rows": 5000}},
        gates={"data": {"min_rows": 100}},
        training={"strategy": "window", "window_ticks": 3},
    )
    found = problems(s, rows=20)
    assert "20 labelled rows a tick over the 16 ticks" in found[("triggers", "volume", "min_new_rows")][1]
    assert "at most 60 labelled rows in a training window" in found[("gates", "data", "min_rows")][1]


@pytest.mark.property
@given(rows=st.floats(0.5, 5000))
def test_the_builtin_performance_policy_can_always_fire_at_the_scenario_traffic(rows: float):
    s = scenario()
    performance = builtin_policy("performance", s, rows).triggers.performance
    assert performance is not None
    assert rows * performance.window_ticks >= performance.min_samples or performance.window_ticks == 1000
    assert performance.window_ticks == max(2, math.ceil(performance.min_samples / rows))
    assert not problems(
        s.model_copy(update={"triggers": builtin_policy("performance", s, rows).triggers}), rows=rows
    ).get(("triggers", "performance", "min_samples"))


def test_run_refuses_an_expectation_the_traffic_cannot_meet_in_one_line(tmp_path: Path):
    path = tmp_path / "slow.yaml"
    path.write_text(
        "name: slow\nclock: {ticks: 8}\ndata: {generator: {rows_per_tick: 300}}\nbootstrap_tick: 1\n"
        "triggers: {performance: {min_samples: 5000}}\n"
        "expectations:\n  - {expect: trigger_fires, trigger: performance, within: [2, 7]}\n"
    )
    s = Scenario.model_validate(
        {
            "name": "slow",
            "clock": {"ticks": 8},
            "data": {"generator": {"rows_per_tick": 300}},
            "bootstrap_tick": 1,
            "triggers": {"performance": {"min_samples": 5000}},
        }
    )
    assert len(enforce(s, open_source(s, tmp_path), path)) == 1  # without the expectation: a warning
    result = subprocess.run(
        [sys.executable, "-m", "ctsim.cli", "run", "scenario", str(path), "--runs-dir", str(tmp_path / "runs")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "triggers.performance.min_samples: the performance trigger can never fire" in result.stderr
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    with pytest.raises(ScenarioError):
        enforce(
            Scenario.model_validate(
                {
                    **s.model_dump(),
                    "expectations": [{"expect": "trigger_fires", "trigger": "performance", "within": [2, 7]}],
                }
            ),
            open_source(s, tmp_path),
            path,
        )


def test_compare_warns_about_a_policy_that_cannot_act(tmp_path: Path):
    from ctsim.policy.compare import plan

    path = tmp_path / "thin.yaml"
    path.write_text("name: thin\nclock: {ticks: 10}\ndata: {generator: {rows_per_tick: 300}}\nbootstrap_tick: 1\n")
    (tmp_path / "policies.yaml").write_text("deaf:\n  performance: {min_samples: 5000, window_ticks: 2}\n")
    planned = plan(str(path), ["performance"], tmp_path / "policies.yaml")

    assert [w for w in planned.warnings if w.startswith("policy deaf: triggers.performance.min_samples")]
    assert not [w for w in planned.warnings if w.startswith("policy performance:")]  # the built-in scales
