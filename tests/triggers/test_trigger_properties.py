"""Property tests for the triggers: thresholds, cron instants, cooldown."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from croniter import croniter
from hypothesis import given, settings
from hypothesis import strategies as st

from ctsim.reasons import TriggerDecision
from ctsim.settings import (
    DriftTriggerSettings,
    PerformanceTriggerSettings,
    ScheduleTriggerSettings,
    VolumeTriggerSettings,
)
from ctsim.triggers import (
    LiveScore,
    TriggerState,
    arbitrate,
    drift_decision,
    performance_decision,
    schedule_decision,
    volume_decision,
)

pytestmark = pytest.mark.property

TRIGGERS = ("schedule", "volume", "performance", "drift")
CRONS = ["0 0 * * 1", "0 0 * * *", "0 * * * *", "*/15 * * * *", "30 2 * * 1-5", "0 9 1 * *", "0 0 29 2 *"]


@given(min_new_rows=st.integers(1, 10**7), rows=st.integers(0, 2 * 10**7))
def test_volume_fires_exactly_when_the_threshold_is_crossed(min_new_rows, rows):
    decision = volume_decision(VolumeTriggerSettings(min_new_rows=min_new_rows), rows)
    assert decision.fired == (rows >= min_new_rows)
    assert decision.fired == (not decision.reasons[0].ok)


@st.composite
def tick_sequences(draw):
    """Increasing simulated times: a start and irregular steps from 1 minute to 3 weeks."""
    start = draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
    steps = draw(st.lists(st.integers(1, 21 * 24 * 60), min_size=1, max_size=40))
    ticks = [start]
    for minutes in steps:
        ticks.append(ticks[-1] + timedelta(minutes=minutes))
    return ticks


@settings(deadline=None)
@given(cron=st.sampled_from(CRONS), ticks=tick_sequences())
def test_schedule_fires_exactly_at_the_cron_instants_of_simulated_time(cron, ticks):
    instants = []
    iterator = croniter(cron, ticks[0])
    while (instant := iterator.get_next(datetime)) <= ticks[-1]:
        instants.append(instant)
    settings_ = ScheduleTriggerSettings(cron=cron)
    for previous, now in zip(ticks, ticks[1:]):
        inside = [instant for instant in instants if previous < instant <= now]
        decision = schedule_decision(settings_, previous, now)
        assert decision.fired == bool(inside)
        if inside:
            assert decision.reasons[0].observed == inside[0].isoformat()


@given(
    live=st.lists(st.builds(LiveScore, st.integers(0, 500), st.floats(0, 1)), max_size=10),
    reference=st.none() | st.floats(0, 1),
    window=st.integers(1, 5),
    min_samples=st.integers(1, 1000),
    max_drop=st.floats(0.001, 1),
)
def test_performance_fires_only_with_a_reference_enough_samples_and_a_big_enough_drop(
    live, reference, window, min_samples, max_drop
):
    settings_ = PerformanceTriggerSettings(max_drop=max_drop, window_ticks=window, min_samples=min_samples)
    decision = performance_decision(settings_, live, reference)
    recent = live[-window:]
    samples = sum(n for n, _, _ in recent)
    assert decision.fired == (not decision.reasons[0].ok)
    if reference is None or samples < min_samples:
        assert not decision.fired
    else:
        mean = sum(n * value for n, value, _ in recent) / samples
        if abs((reference - mean) - max_drop) > 1e-6:  # away from the float-rounding boundary
            assert decision.fired == (reference - mean >= max_drop)


_SCORES = st.lists(st.tuples(st.integers(1, 500), st.floats(0, 5)), max_size=8)


@given(
    old=_SCORES,
    new=_SCORES,
    reference=st.floats(0, 5),
    window=st.integers(1, 5),
    min_samples=st.integers(1, 600),
    max_drop=st.floats(0.001, 1),
    metric=st.sampled_from(["accuracy", "rmse"]),
)
def test_after_a_rollout_the_performance_trigger_judges_only_the_new_champions_traffic(
    old, new, reference, window, min_samples, max_drop, metric
):
    """Whatever the old champion's traffic looked like, the decision for the new champion is the decision
    on its own traffic alone: its window restarts at the rollout, and with no traffic yet it never fires."""
    settings_ = PerformanceTriggerSettings(max_drop=max_drop, window_ticks=window, min_samples=min_samples)
    history = [LiveScore(n, v, "v1") for n, v in old] + [LiveScore(n, v, "v2") for n, v in new]
    judged = performance_decision(settings_, history, reference, metric=metric, champion="v2")
    alone = performance_decision(
        settings_, [LiveScore(n, v, "v2") for n, v in new], reference, metric=metric, champion="v2"
    )
    assert judged == alone
    if not new:
        assert not judged.fired


@given(live=_SCORES.filter(bool), reference=st.floats(0, 5), worse=st.floats(0, 3), max_drop=st.floats(0.001, 1))
def test_for_a_lower_is_better_metric_a_rise_fires_and_the_trigger_is_monotone(live, reference, worse, max_drop):
    """rmse: the trigger fires on a rise of at least max_drop, and making every tick worse (higher) never
    quiets a trigger that fired; making it better (lower) never fires one that was quiet."""
    settings_ = PerformanceTriggerSettings(max_drop=max_drop, window_ticks=10, min_samples=1)
    scores = [LiveScore(n, v) for n, v in live]
    decision = performance_decision(settings_, scores, reference, metric="rmse")
    mean = sum(n * v for n, v in live) / sum(n for n, _ in live)
    if abs((mean - reference) - max_drop) > 1e-6:
        assert decision.fired == (mean - reference >= max_drop)
    higher = performance_decision(settings_, [LiveScore(n, v + worse) for n, v in live], reference, metric="rmse")
    lower = performance_decision(
        settings_, [LiveScore(n, max(0.0, v - worse)) for n, v in live], reference, metric="rmse"
    )
    assert higher.fired or not decision.fired
    assert decision.fired or not lower.fired


@given(
    history=st.lists(
        st.tuples(st.lists(st.sampled_from(TRIGGERS), unique=True, max_size=4), st.booleans()), max_size=80
    ),
    cooldown=st.integers(0, 10),
    first_tick=st.integers(-5, 5),
)
def test_arbitration_never_fires_twice_within_the_cooldown(history, cooldown, first_tick):
    state = TriggerState()
    runs = []
    for offset, (fired, busy) in enumerate(history):
        tick = first_tick + offset
        decisions = [TriggerDecision(name, name in fired) for name in TRIGGERS]
        result = arbitrate(decisions, tick, state, cooldown, busy)
        cooled = state.last_run_tick is None or tick - state.last_run_tick > cooldown
        # Fires exactly when something fired, nothing is running and the cooldown has passed.
        assert result.fire == (bool(fired) and not busy and cooled)
        assert result.reason.ok == (not result.suppressed)
        if result.fire:
            assert result.trigger == next(name for name in TRIGGERS if name in fired)
            runs.append(tick)
            state = state.after_run(tick)
        else:
            assert set(result.suppressed) == set(fired)
    assert all(later - earlier > cooldown for earlier, later in zip(runs, runs[1:]))


REPETITIONS = 200
DRIFT_KINDS = {f"x{i}": "numeric" for i in range(4)} | {f"c{i}": "categorical" for i in range(4)}


def _same_distribution(rng: np.random.Generator, rows: int) -> pd.DataFrame:
    numeric = {f"x{i}": rng.normal(i, 1 + i, rows) for i in range(4)}
    categorical = {f"c{i}": rng.choice(list("abcd"), rows, p=[0.4, 0.3, 0.2, 0.1]) for i in range(4)}
    return pd.DataFrame(numeric | categorical)


@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_drift_trigger_on_one_distribution_fires_no_more_often_than_the_significance_allows(seed):
    # 200 repetitions, 8 features (KS and chi-square at these sizes), drift_share 0.5: firing
    # needs 4 of 8 tests at p < 0.05 at once (~0.04% if independent); we allow 5% of repetitions.
    rng = np.random.default_rng(seed)
    settings_ = DriftTriggerSettings(drift_share=0.5)
    fired = 0
    for _ in range(REPETITIONS):
        reference = _same_distribution(rng, 200)
        current = _same_distribution(rng, int(rng.integers(100, 201)))
        decision = drift_decision(settings_, reference, current, DRIFT_KINDS)
        assert decision.fired == (not decision.reasons[0].ok) and len(decision.reasons) == 1 + len(DRIFT_KINDS)
        fired += decision.fired
    assert fired / REPETITIONS <= 0.05
