"""Gates and canary analysis on lower-is-better metrics (log_loss, rmse, mae): "worse" means higher."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.gates.canary import Observation, classify
from ctsim.gates.model_gate import check_model
from ctsim.settings import CanarySettings, ModelGateSettings

LOWER = ["log_loss", "rmse", "mae"]
values = st.floats(0, 50)
gates = st.builds(
    ModelGateSettings, metric=st.sampled_from(LOWER), max_value=st.none() | values, max_regression=st.floats(0, 5)
)


def test_a_lower_is_better_gate_blocks_a_worse_model_and_passes_a_better_one():
    gate = ModelGateSettings(metric="rmse", max_value=2.0, max_regression=0.1)

    worse = check_model(1.5, 1.0, gate)
    better = check_model(0.9, 1.0, gate)

    assert not worse.passed and better.passed
    bound, regression = worse.reasons
    assert (bound.rule, bound.threshold, bound.ok) == ("rmse <= max_value", 2.0, True)
    assert (regression.rule, regression.observed, regression.threshold, regression.ok) == (
        "rmse <= champion + max_regression",
        1.5,
        1.1,
        False,
    )
    assert not check_model(2.5, None, gate).passed  # above the ceiling, even as the first model


def test_the_bound_is_named_for_the_direction():
    assert ModelGateSettings().bound == 0.6 and ModelGateSettings(metric="r2").bound == 0.0
    assert ModelGateSettings(metric="log_loss").bound is None
    with pytest.raises(
        ValueError, match="'min_value' setting of the model gate does not apply to rmse.*use 'max_value'"
    ):
        ModelGateSettings(metric="rmse", min_value=0.5)
    with pytest.raises(ValueError, match="'max_value' setting of the model gate does not apply to accuracy"):
        ModelGateSettings(metric="accuracy", max_value=0.5)
    with pytest.raises(ValueError, match="between 0 and inf for mae"):
        ModelGateSettings(metric="mae", max_value=-1)
    with pytest.raises(ValueError, match="'max_regression' setting of the model gate must be at most 1"):
        ModelGateSettings(metric="accuracy", max_regression=3)
    assert ModelGateSettings(metric="rmse", max_regression=3).max_regression == 3  # rmse is in the target's units


def test_without_a_ceiling_an_unmeasured_candidate_is_still_blocked():
    decision = check_model(float("nan"), None, ModelGateSettings(metric="log_loss"))
    assert not decision.passed and decision.reasons[0].rule == "log_loss is known"


@pytest.mark.property
@given(low=values, high=values, champion=st.none() | values, gate=gates)
def test_the_gate_is_monotone_downwards(low, high, champion, gate):
    """A candidate with a lower (better) value passes whenever a higher one does."""
    low, high = min(low, high), max(low, high)
    if check_model(high, champion, gate).passed:
        assert check_model(low, champion, gate).passed


@pytest.mark.property
@given(candidate=values, champion=values, gate=gates)
def test_a_candidate_worse_than_the_champion_by_more_than_max_regression_never_passes(candidate, champion, gate):
    decision = check_model(candidate, champion, gate)
    if candidate - champion > gate.max_regression + 1e-9:
        assert not decision.passed
    if gate.max_value is not None and candidate > gate.max_value:
        assert not decision.passed
    if candidate <= champion and (gate.max_value is None or candidate <= gate.max_value):
        assert decision.passed
    for reason in decision.reasons:
        if isinstance(reason.threshold, float):
            assert reason.ok is (reason.observed <= reason.threshold)


@pytest.mark.property
@given(low=values, high=values, champion=values, metric=st.sampled_from(LOWER), slack=st.floats(0, 1))
def test_canary_analysis_is_monotone_downwards_and_fails_a_worse_canary(low, high, champion, metric, slack):
    settings = CanarySettings(max_regression=slack, min_samples=1)
    low, high = min(low, high), max(low, high)
    verdict_high, _ = classify(Observation(100, high, champion, metric), settings)
    verdict_low, reason = classify(Observation(100, low, champion, metric), settings)
    if verdict_high == "pass":
        assert verdict_low == "pass"
    if high - champion > slack + 1e-9:
        assert verdict_high == "fail"
    assert reason.rule == f"canary {metric} <= champion + max_regression"
    assert math.isclose(reason.threshold, champion + slack)
