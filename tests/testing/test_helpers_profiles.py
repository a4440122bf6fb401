"""Profiles, scenario files written from Scenario objects, and the run-wide timeline invariants."""

from __future__ import annotations

import pytest
import timeline_events as ev
from hypothesis import settings

from ctsim.errors import SettingError
from ctsim.scenario import loader
from ctsim.testing import profiles
from ctsim.testing.helpers import scenario_yaml, timeline_violations
from ctsim.timeline import TickRecord, Timeline

# --- profiles ---------------------------------------------------------------------------------------


def test_the_three_profiles_are_registered_and_ci_is_derandomized() -> None:
    profiles.register()
    assert settings.get_profile("ctsim-ci").derandomize is True
    assert settings.get_profile("ctsim-dev").derandomize is False
    assert settings.get_profile("ctsim-nightly").max_examples > settings.get_profile("ctsim-ci").max_examples


def test_the_session_runs_the_profile_the_variable_names(monkeypatch) -> None:
    expected = profiles.selected()
    assert settings.default.max_examples == settings.get_profile(profiles.registered_name(expected)).max_examples
    assert settings.default.derandomize == settings.get_profile(profiles.registered_name(expected)).derandomize


def test_selection_order_is_argument_then_variable_then_default(monkeypatch) -> None:
    monkeypatch.setenv(profiles.ENV_VAR, "nightly")
    assert profiles.selected() == "nightly"
    assert profiles.selected("ci") == "ci"
    monkeypatch.delenv(profiles.ENV_VAR)
    assert profiles.selected() == "dev"
    assert profiles.selected(default="ci") == "ci"


def test_unknown_profile_is_a_setting_error(monkeypatch) -> None:
    monkeypatch.setenv(profiles.ENV_VAR, "hourly")
    with pytest.raises(SettingError, match="must be one of ci, dev, nightly. Got 'hourly' instead"):
        profiles.selected()


# --- scenario files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", loader.shipped_names())
def test_shipped_scenarios_survive_the_yaml_round_trip(name: str) -> None:
    path = loader.resolve(name)
    scenario = loader.load(str(path))
    assert loader.parse(scenario_yaml(scenario), str(path)) == scenario  # same place: relative paths still resolve


# --- timeline invariants ----------------------------------------------------------------------------


def tick(n: int, champion: str | None, canary: str | None = None) -> TickRecord:
    return TickRecord(
        n,
        f"2026-03-{n + 2:02d}",
        100,
        champion,
        canary,
        50 if canary else 0,
        "progressing" if canary else "idle",
        100,
        0.9,
        0.9,
    )


def story(*, model_gate_of_v2: bool = True, canary_promotes: bool = True) -> Timeline:
    """v1 bootstraps; v2 is trained, gated, canaried and rolled out."""
    timeline = Timeline("t", 0, "accuracy")
    for run, version, at, model_ok in (("run-001", "v0001", 1, True), ("run-002", "v0002", 3, model_gate_of_v2)):
        timeline.add(ev.pipeline_run(at, run))
        timeline.add(ev.gate(at, "data", run))
        timeline.add(ev.gate(at, "model", run, passed=model_ok))
        timeline.add(ev.registered(at, version))
    timeline.add(ev.first_champion(1, "v0001"))
    timeline.add(ev.canary_start(3, "v0002"))
    if canary_promotes:
        timeline.add(ev.canary_step(4, "v0002", action="promote"))
    timeline.add(ev.rolled_out(5, "v0002"))
    timeline.ticks = [tick(1, "v0001"), tick(3, "v0001", "v0002"), tick(5, "v0002")]
    return timeline


def test_a_clean_story_has_no_violations() -> None:
    assert timeline_violations(story()) == []


def test_serving_a_model_the_gate_blocked_is_a_violation() -> None:
    problems = timeline_violations(story(model_gate_of_v2=False))
    assert any("tick 3: canary v0002 is served" in problem for problem in problems)
    assert any("tick 5: v0002 rolled out" in problem for problem in problems)


def test_a_rollout_without_a_completed_canary_is_a_violation() -> None:
    assert timeline_violations(story(canary_promotes=False)) == [
        "tick 5: v0002 rolled out without a completed canary (no 'promote' before)"
    ]


def test_serving_an_unregistered_model_is_a_violation() -> None:
    timeline = story()
    timeline.ticks.append(tick(6, "v0009"))
    assert timeline_violations(timeline) == [
        "tick 6: champion v0009 is served but it was never registered by a pipeline run"
    ]
