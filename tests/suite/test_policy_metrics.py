"""The comparison's metrics, computed from hand-built timelines: no pipeline, no store."""

import math
from dataclasses import replace as dataclass_replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from timeline_events import drift_onset, gate, promotion_failed, rolled_back, scripted
from timelines import run, timeline

from ctsim.policy.metrics import (
    PolicyMetrics,
    Recovery,
    choose_winner,
    drift_onsets,
    measure,
    recovery_after,
    served_curve,
)
from ctsim.timeline import Event

pytestmark = pytest.mark.property

levels = st.floats(0.55, 0.95)


def onset(tick: int, kind: str = "drift-onset", event: str | None = None) -> Event:
    return drift_onset(tick) if kind == "drift-onset" else scripted(tick, event or "bad_data")


@given(st.lists(st.one_of(st.none(), st.floats(0, 1)), min_size=1, max_size=40))
def test_auc_is_the_mean_over_ticks_that_have_a_metric(values):
    result = measure("p", timeline(values))
    known = [v for v in values if v is not None]
    if not known:
        assert result.auc is None
    else:
        assert result.auc == pytest.approx(sum(known) / len(known), abs=1e-6)
        assert min(known) - 1e-6 <= result.auc <= max(known) + 1e-6


@given(level=levels, length=st.integers(6, 30), data=st.data())
def test_a_flat_curve_never_dips(level, length, data):
    at = data.draw(st.integers(1, length - 1))
    assert recovery_after(served_curve(timeline([level] * length)), at) == Recovery(at, round(level, 6), False, 0)


@given(
    level=levels,
    depth=st.floats(0.05, 0.5),
    delay=st.integers(0, 3),
    dip=st.integers(1, 6),
    tolerance=st.floats(0.01, 0.04),
    at=st.integers(3, 8),
    tail=st.integers(2, 8),
)
def test_recovery_time_is_label_delay_plus_dip_length(level, depth, delay, dip, tolerance, at, tail):
    curve = [level] * (at + delay) + [level - depth] * dip + [level] * tail
    result = recovery_after(served_curve(timeline(curve)), at, tolerance=tolerance)
    assert result.dipped and result.ticks == delay + dip


@given(level=levels, at=st.integers(3, 8), tail=st.integers(1, 10))
def test_a_curve_that_stays_down_never_recovers_and_costs_the_ticks_left(level, at, tail):
    curve = [level] * at + [level - 0.3] * tail
    metrics = measure("p", timeline(curve, [onset(at)]))
    assert metrics.recoveries == (Recovery(at, round(level, 6), True, None),)
    assert metrics.recovery_score() == len(curve) - at


def test_a_single_good_tick_inside_a_dip_is_not_a_recovery():
    curve = [0.9, 0.9, 0.9, 0.9, 0.5, 0.9, 0.5, 0.5, 0.9, 0.9]
    assert recovery_after(served_curve(timeline(curve)), 3).ticks == 5


def test_recovery_is_measured_per_onset_up_to_the_next_onset():
    curve = [0.9] * 4 + [0.4, 0.9, 0.9] + [0.4] * 5
    metrics = measure("p", timeline(curve, [onset(4), onset(7)]))
    assert [r.ticks for r in metrics.recoveries] == [1, None]


def test_onsets_are_drift_concept_and_label_shift_but_not_other_scripted_events():
    events = [
        onset(3),
        onset(5, "scripted", "concept_drift"),
        onset(7, "scripted", "label_shift"),
        onset(9, "scripted", "bad_data"),
        onset(3, "scripted", "label_shift"),
    ]
    assert drift_onsets(timeline([0.9] * 12, events)) == [3, 5, 7]


def test_measure_counts_retrains_without_the_bootstrap_and_sums_pipeline_seconds():
    runs = [run(2, "bootstrap", 20.0), run(9, "performance", 12.5), run(12, "retry", 7.0)]
    events = [e for e, _ in runs] + [gate(9, "model", passed=False), rolled_back(11, "v2"), promotion_failed(13, "v3")]
    metrics = measure("p", timeline([0.9] * 14, events, [r for _, r in runs]))
    # a failed promotion withdrew its canary too: both are rollbacks to a policy
    assert (metrics.retrains, metrics.compute_seconds, metrics.gate_blocks, metrics.rollbacks) == (2, 39.5, 1, 2)


def _metrics(name, auc, retrains=0, seconds=0.0, recoveries=()):
    return PolicyMetrics(name, auc, tuple(recoveries), retrains, seconds, 0, 0, 20)


@given(
    st.lists(
        st.tuples(st.floats(0, 1), st.integers(0, 9), st.floats(0, 500)),
        min_size=1,
        max_size=6,
        unique_by=lambda t: t[0],
    ),
    st.randoms(),
)
def test_the_winner_does_not_depend_on_the_order_of_policies(rows, random):
    results = [_metrics(f"p{i}", auc, retrains, seconds) for i, (auc, retrains, seconds) in enumerate(rows)]
    shuffled = results[:]
    random.shuffle(shuffled)
    for objective in ("auc", "retrains", "compute", "recovery"):
        assert choose_winner(results, objective) == choose_winner(shuffled, objective)
    best = max(results, key=lambda m: m.auc)
    assert choose_winner(results, "auc") == best.policy


def test_objectives_pick_different_winners_when_they_disagree():
    careful = _metrics("performance", 0.88, retrains=4, seconds=120, recoveries=[Recovery(8, 0.9, True, 2)])
    lazy = _metrics("schedule", 0.80, retrains=1, seconds=30, recoveries=[Recovery(8, 0.9, True, None)])
    assert choose_winner([careful, lazy], "auc") == "performance"
    assert choose_winner([careful, lazy], "recovery") == "performance"
    assert choose_winner([careful, lazy], "retrains") == "schedule"
    assert choose_winner([careful, lazy], "compute") == "schedule"
    assert choose_winner([], "auc") is None
    with pytest.raises(ValueError):
        choose_winner([careful], "speed")


def test_concept_drift_recorded_comparison_drift_policy_never_recovers():
    """The shape a concept-drift comparison must have: drift-only stays down, performance comes back."""
    before = [None, None, 0.9, 0.91, 0.9, 0.89, 0.9, 0.9, 0.9]
    drift_only = timeline(before + [0.12] * 7, [onset(8, "scripted", "concept_drift")])
    perf_runs = [run(9, "performance")]
    performance = timeline(
        before + [0.12, 0.5, 0.88, 0.9, 0.9, 0.91, 0.9],
        [onset(8, "scripted", "concept_drift")] + [e for e, _ in perf_runs],
        [r for _, r in perf_runs],
    )
    a, b = measure("drift", drift_only), measure("performance", performance)
    assert a.recoveries[0].ticks is None and b.recoveries[0].ticks == 3
    assert a.retrains == 0 and b.retrains == 1
    assert choose_winner([a, b]) == "performance" and b.auc > a.auc and not math.isnan(b.auc)


@given(
    level=st.floats(0.5, 5), rise=st.floats(0.1, 3), dip=st.integers(1, 5), at=st.integers(3, 8), tail=st.integers(2, 6)
)
def test_for_a_lower_is_better_metric_a_rise_is_the_dip_and_the_mirror_curve_recovers_alike(level, rise, dip, at, tail):
    """rmse going up is the metric getting worse: the recovery of a curve and of its mirror image under the
    opposite direction are the same, and a fall of rmse is never a dip."""
    curve = [level] * at + [level + rise] * dip + [level] * tail
    rmse = recovery_after(list(enumerate(curve)), at, lower_is_better=True)
    mirror = recovery_after(list(enumerate([-value for value in curve])), at)
    assert (rmse.dipped, rmse.ticks) == (mirror.dipped, mirror.ticks) == (True, dip)
    assert rmse.baseline == pytest.approx(level)
    measured = measure("p", dataclass_replace(timeline(curve, [onset(at)]), metric="rmse"))
    assert measured.recoveries == (rmse,) and measured.lower_is_better
    falling = [level] * at + [level - rise] * dip + [level] * tail
    assert not recovery_after(list(enumerate(falling)), at, lower_is_better=True).dipped


def test_the_auc_objective_prefers_the_lower_mean_for_a_lower_is_better_metric():
    low = PolicyMetrics("low", 1.2, (), 0, 0.0, 0, 0, 20, lower_is_better=True)
    high = PolicyMetrics("high", 1.5, (), 0, 0.0, 0, 0, 20, lower_is_better=True)
    assert choose_winner([high, low], "auc") == "low"
    assert choose_winner([_metrics("low", 0.7), _metrics("high", 0.8)], "auc") == "high"


# uncertainty -------------------------------------------------------------------------------


@pytest.mark.property
@given(n=st.integers(3, 60), shift=st.floats(-0.5, 0.5), seed=st.integers(0, 10_000), lower=st.booleans())
def test_the_difference_interval_holds_the_mean_is_seeded_and_follows_the_direction(n, shift, seed, lower):
    import random

    from ctsim.policy.metrics import difference_interval

    rng = random.Random(seed)
    best = [(t, rng.random()) for t in range(n)]
    other = [(t, v + shift + rng.gauss(0, 0.01)) for t, v in best]
    ticks, mean, low, high = difference_interval(other, best, seed, lower_is_better=lower)
    assert ticks == n and low - 1e-9 <= mean <= high + 1e-9
    assert difference_interval(other, best, seed, lower_is_better=lower) == (ticks, mean, low, high)
    sign = -1 if lower else 1
    if abs(shift) > 0.05:  # a shift far above the noise (sd 0.01) lies on its side of zero
        assert (low > 0) == (sign * shift > 0) and (high < 0) == (sign * shift < 0)


def test_identical_curves_are_not_distinguishable():
    from ctsim.policy.metrics import intervals

    curve = [(t, 0.8) for t in range(10)]
    (band,) = intervals({"a": curve, "b": list(curve)}, "a", seed=1)
    assert band.spans_zero and band.difference == 0.0
