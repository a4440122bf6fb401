"""Example tests for the schedule, volume, performance and drift triggers."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest

import ctsim.triggers
import ctsim.triggers.arbitration
import ctsim.triggers.decisions
import ctsim.triggers.policy
from ctsim.drift import sketch_frame
from ctsim.settings import (
    DriftTriggerSettings,
    PerformanceTriggerSettings,
    ScheduleTriggerSettings,
    VolumeTriggerSettings,
)
from ctsim.triggers import (
    LiveScore,
    drift_decision,
    drift_decision_from_sketches,
    performance_decision,
    schedule_decision,
    volume_decision,
)

WEEKLY = ScheduleTriggerSettings(cron="0 0 * * 1")  # Mondays at midnight


def _fired_ticks(settings, ticks):
    return [now for previous, now in zip(ticks, ticks[1:]) if schedule_decision(settings, previous, now).fired]


def test_weekly_cron_over_daily_ticks_fires_on_mondays_only():
    start = datetime(2026, 3, 4)  # a Wednesday
    ticks = [start + timedelta(days=i) for i in range(22)]
    assert _fired_ticks(WEEKLY, ticks) == [datetime(2026, 3, 9), datetime(2026, 3, 16), datetime(2026, 3, 23)]


def test_weekly_cron_over_noon_ticks_fires_on_the_tick_after_the_instant():
    ticks = [datetime(2026, 3, 4, 12) + timedelta(days=i) for i in range(8)]
    assert _fired_ticks(WEEKLY, ticks) == [datetime(2026, 3, 9, 12)]  # covers Monday 00:00


def test_an_instant_at_the_previous_tick_is_not_fired_twice():
    monday = datetime(2026, 3, 9)
    assert schedule_decision(WEEKLY, monday - timedelta(days=1), monday).fired
    assert not schedule_decision(WEEKLY, monday, monday + timedelta(days=1)).fired


def test_schedule_reason_names_the_instant_or_the_next_one():
    fired = schedule_decision(WEEKLY, datetime(2026, 3, 8), datetime(2026, 3, 9))
    (reason,) = fired.reasons
    assert reason.observed == "2026-03-09T00:00:00" and reason.threshold == "2026-03-09T00:00:00"
    assert not reason.ok and "0 0 * * 1" in reason.rule
    quiet = schedule_decision(WEEKLY, datetime(2026, 3, 10), datetime(2026, 3, 11))
    assert not quiet.fired and quiet.reasons[0].observed == "2026-03-16T00:00:00" and quiet.reasons[0].ok


def test_a_tick_spanning_several_instants_fires_once_naming_the_first():
    daily = ScheduleTriggerSettings(cron="0 6 * * *")
    decision = schedule_decision(daily, datetime(2026, 3, 1), datetime(2026, 3, 8))
    assert decision.fired and decision.reasons[0].observed == "2026-03-01T06:00:00"


@pytest.mark.parametrize(("rows", "fired"), [(0, False), (4999, False), (5000, True), (5001, True)])
def test_volume_fires_from_exactly_min_new_rows(rows, fired):
    decision = volume_decision(VolumeTriggerSettings(min_new_rows=5000), rows)
    assert decision.trigger == "volume" and decision.fired is fired
    (reason,) = decision.reasons
    assert (reason.observed, reason.threshold, reason.ok) == (rows, 5000, not fired)


PERFORMANCE = PerformanceTriggerSettings(max_drop=0.05, window_ticks=2, min_samples=100)


def _scores(pairs, version=None):
    return [LiveScore(n, value, version) for n, value in pairs]


def test_performance_without_a_reference_is_quiet_and_says_so():
    decision = performance_decision(PERFORMANCE, _scores([(500, 0.1)]), None)
    assert not decision.fired and "no reference" in decision.reasons[0].rule


def test_performance_with_too_few_samples_is_quiet_and_says_so():
    decision = performance_decision(PERFORMANCE, _scores([(40, 0.1), (59, 0.1)]), 0.9)
    (reason,) = decision.reasons
    assert not decision.fired and "min_samples" in reason.rule
    assert (reason.observed, reason.threshold, reason.ok) == (99, 100, True)


def test_performance_weights_ticks_by_their_samples():
    # Unweighted mean 0.7 would fire; weighted it is 0.896, a drop of 0.004.
    decision = performance_decision(PERFORMANCE, _scores([(10, 0.5), (990, 0.9)]), 0.9)
    assert not decision.fired
    assert decision.reasons[0].observed == pytest.approx(0.004)


def test_performance_looks_only_at_the_last_window_ticks():
    live = _scores([(1000, 0.2), (1000, 0.2), (60, 0.9), (60, 0.9)])
    assert not performance_decision(PERFORMANCE, live, 0.9).fired
    assert performance_decision(PerformanceTriggerSettings(window_ticks=3), live, 0.9).fired


@pytest.mark.parametrize(("live", "fired"), [(0.85, True), (0.8501, False), (0.80, True)])
def test_performance_fires_at_exactly_max_drop(live, fired):
    decision = performance_decision(PERFORMANCE, _scores([(100, live), (100, live)]), 0.9)
    assert decision.fired is fired
    drop, samples = decision.reasons
    assert drop.threshold == 0.05 and drop.ok is not fired
    assert (samples.observed, samples.threshold) == (200, 100)


def test_performance_ignores_ticks_without_samples():
    decision = performance_decision(PERFORMANCE, _scores([(200, 0.8), (0, float("nan"))]), 0.9)
    assert decision.fired and decision.reasons[0].observed == pytest.approx(0.1)


def _frames(shift: float, rows: int = 3000):
    rng = np.random.default_rng(11)
    reference = pd.DataFrame({"a": rng.normal(size=rows), "b": rng.normal(size=rows)})
    current = pd.DataFrame({"a": rng.normal(shift, size=rows), "b": rng.normal(shift, size=rows)})
    return reference, current


def test_drift_decision_fires_on_a_shift_with_a_summary_then_one_reason_per_feature():
    reference, current = _frames(shift=1.0)
    kinds = {"a": "numeric", "b": "numeric"}
    decision = drift_decision(DriftTriggerSettings(), reference, current, kinds)
    assert decision.trigger == "drift" and decision.fired
    summary, *features = decision.reasons
    assert (summary.observed, summary.threshold, summary.ok) == (1.0, 0.5, False)
    assert "2 of 2" in summary.rule
    assert ["'a'" in features[0].rule, "'b'" in features[1].rule] == [True, True]
    assert all(not reason.ok and reason.threshold == 0.1 for reason in features)


def test_drift_decision_is_quiet_on_the_same_distribution():
    reference, current = _frames(shift=0.0)
    decision = drift_decision(DriftTriggerSettings(), reference, current, {"a": "numeric", "b": "numeric"})
    assert not decision.fired and decision.reasons[0].observed == 0.0 and len(decision.reasons) == 3


def test_drift_decision_from_sketches_agrees():
    reference, current = _frames(shift=1.0)
    kinds = {"a": "numeric", "b": "numeric"}
    sketches = sketch_frame(reference, kinds)
    assert drift_decision_from_sketches(DriftTriggerSettings(), sketches, current).fired


@pytest.mark.parametrize(
    "module", [ctsim.triggers, ctsim.triggers.decisions, ctsim.triggers.arbitration, ctsim.triggers.policy]
)
def test_public_api_lists_only_existing_names(module):
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
    combined = (
        set(ctsim.triggers.decisions.__all__)
        | set(ctsim.triggers.arbitration.__all__)
        | set(ctsim.triggers.policy.__all__)
    )
    assert combined == set(ctsim.triggers.__all__)
