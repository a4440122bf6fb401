"""The model gate: floor and regression rules, NaN, monotonicity."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctsim.gates.model_gate import check_model
from ctsim.settings import ModelGateSettings

GATE_SETTINGS = ModelGateSettings(metric="f1", min_value=0.6, max_regression=0.05)

metrics = st.floats(min_value=0, max_value=1)
model_settings = st.builds(
    ModelGateSettings, metric=st.sampled_from(["accuracy", "f1", "roc_auc"]), min_value=metrics, max_regression=metrics
)


def test_first_model_only_needs_the_floor() -> None:
    decision = check_model(0.61, None, GATE_SETTINGS)
    assert decision.passed
    assert decision.gate == "model gate"
    assert [r.rule for r in decision.reasons] == ["f1 >= min_value"]


def test_floor_blocks_just_below_and_passes_at_it() -> None:
    assert check_model(0.6, None, GATE_SETTINGS).passed
    blocked = check_model(0.5999, None, GATE_SETTINGS)
    assert not blocked.passed
    (reason,) = blocked.violations
    assert (reason.rule, reason.observed, reason.threshold) == ("f1 >= min_value", 0.5999, 0.6)


def test_regression_rule_reports_candidate_and_champion_minus_allowance() -> None:
    decision = check_model(0.80, 0.90, GATE_SETTINGS)
    assert not decision.passed
    (reason,) = decision.violations
    assert reason.rule == "f1 >= champion - max_regression"
    assert reason.observed == 0.80
    assert reason.threshold == pytest.approx(0.85)


@pytest.mark.parametrize(("candidate", "passed"), [(0.86, True), (0.85, True), (0.8499, False)])
def test_regression_boundary_is_inclusive(candidate: float, passed: bool) -> None:
    settings_ = ModelGateSettings(min_value=0.5, max_regression=0.05)
    assert check_model(candidate, 0.90, settings_).passed is passed


def test_better_candidate_than_champion_passes_both_rules() -> None:
    decision = check_model(0.95, 0.90, GATE_SETTINGS)
    assert decision.passed
    assert len(decision.reasons) == 2


def test_nan_candidate_never_passes() -> None:
    assert not check_model(math.nan, None, GATE_SETTINGS).passed
    assert not check_model(math.nan, 0.1, GATE_SETTINGS).passed


def test_nan_champion_blocks_rather_than_waves_through() -> None:
    assert not check_model(0.99, math.nan, GATE_SETTINGS).passed


@pytest.mark.property
@given(candidate=metrics, champion=metrics, gate=model_settings)
def test_candidate_worse_than_champion_by_more_than_allowance_never_passes(
    candidate: float, champion: float, gate: ModelGateSettings
) -> None:
    """ "Worse by more than max_regression" is read as the reason reports it: below champion - max_regression."""
    if candidate < champion - gate.max_regression:
        assert not check_model(candidate, champion, gate).passed


@pytest.mark.property
@given(low=metrics, high=metrics, champion=st.none() | metrics, gate=model_settings)
def test_raising_candidate_never_turns_pass_into_fail(
    low: float, high: float, champion: float | None, gate: ModelGateSettings
) -> None:
    low, high = min(low, high), max(low, high)
    if check_model(low, champion, gate).passed:
        assert check_model(high, champion, gate).passed


@pytest.mark.property
@given(candidate=st.floats(allow_nan=True), gate=model_settings)
def test_without_champion_only_the_floor_applies(candidate: float, gate: ModelGateSettings) -> None:
    decision = check_model(candidate, None, gate)
    assert len(decision.reasons) == 1
    assert decision.passed is (candidate >= gate.min_value)


@pytest.mark.property
@settings(max_examples=50)
@given(candidate=metrics, champion=metrics, gate=model_settings)
def test_every_reason_reads_observed_at_least_threshold(
    candidate: float, champion: float, gate: ModelGateSettings
) -> None:
    for reason in check_model(candidate, champion, gate).reasons:
        assert isinstance(reason.observed, float)
        assert isinstance(reason.threshold, float)
        assert reason.ok is (reason.observed >= reason.threshold)
