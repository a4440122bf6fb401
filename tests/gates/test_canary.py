"""The canary state machine, driven tick by tick as the simulator's clock would."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.gates.canary import (
    TRANSITIONS,
    CanaryState,
    Observation,
    Phase,
    advance,
    classify,
    promotion_result,
    start,
)
from ctsim.settings import CanarySettings

CANARY = CanarySettings(
    step_weight=20, max_weight=60, failure_threshold=2, max_regression=0.03, min_samples=50, progress_deadline_ticks=10
)
GOOD = Observation(samples=100, canary_metric=0.90, champion_metric=0.90)
BAD = Observation(samples=100, canary_metric=0.80, champion_metric=0.90)
EMPTY = Observation(samples=10, canary_metric=0.10, champion_metric=0.90)
ANALYSIS_ACTIONS = {"hold", "step", "fail-check", "promote", "rollback", "none"}


def run(observations, canary: CanarySettings = CANARY, state: CanaryState | None = None):
    """Start a canary and feed it one observation per tick; return the (phase, weight, action) of each tick."""
    state, decision = start(state or CanaryState(), canary)
    trace = [(state.phase, state.weight, decision.action)]
    for observation in observations:
        state, decision = advance(state, observation, canary)
        trace.append((state.phase, state.weight, decision.action))
    return state, trace


# --- examples -----------------------------------------------------------------------------------


def test_healthy_canary_steps_up_to_max_weight_then_asks_for_promotion() -> None:
    state, trace = run([GOOD, GOOD, GOOD])
    assert trace == [
        (Phase.PROGRESSING, 20, "start"),
        (Phase.PROGRESSING, 40, "step"),
        (Phase.PROGRESSING, 60, "step"),
        (Phase.PROMOTING, 60, "promote"),
    ]
    state, decision = promotion_result(state, True, "champion alias moved to v2")
    assert (state.phase, state.weight, decision.action) == (Phase.SUCCEEDED, 100, "rollout")
    assert decision.reason.observed == "champion alias moved to v2"


def test_weight_is_capped_at_max_weight() -> None:
    canary = CANARY.model_copy(update={"step_weight": 25})
    _, trace = run([GOOD, GOOD, GOOD], canary)
    assert [weight for _, weight, _ in trace] == [25, 50, 60, 60]
    assert trace[-1][0] is Phase.PROMOTING


def test_rollback_on_the_threshold_th_failed_check() -> None:
    state, trace = run([BAD, GOOD, BAD])
    assert [action for _, _, action in trace] == ["start", "fail-check", "step", "rollback"]
    assert (state.phase, state.weight, state.failed_checks) == (Phase.ROLLED_BACK, 0, 2)


def test_failed_check_reason_carries_metric_numbers() -> None:
    state, _ = start(CanaryState(), CANARY)
    _, decision = advance(state, BAD, CANARY)
    reason = decision.reason
    assert reason.rule == "canary accuracy >= champion - max_regression"
    assert reason.observed == 0.80
    assert reason.threshold == pytest.approx(0.87)
    assert not reason.ok


def test_rollback_reason_names_failure_threshold() -> None:
    state, _ = run([BAD])
    _, decision = advance(state, BAD, CANARY)
    assert decision.action == "rollback"
    assert (decision.reason.rule, decision.reason.observed, decision.reason.threshold) == (
        "failed_checks < failure_threshold",
        2,
        2,
    )


@pytest.mark.parametrize(
    "observation",
    [EMPTY, Observation(100, None, 0.9), Observation(100, 0.9, None), Observation(100, math.nan, 0.9)],
)
def test_no_data_holds_without_counting_a_failure(observation: Observation) -> None:
    state, trace = run([observation] * 5)
    assert state.failed_checks == 0
    assert [action for _, _, action in trace[1:]] == ["hold"] * 5
    assert state.weight == 20


def test_no_data_reason_is_samples_against_min_samples() -> None:
    verdict, reason = classify(EMPTY, CANARY)
    assert verdict == "no-data"
    assert (reason.rule, reason.observed, reason.threshold) == ("samples >= min_samples", 10, 50)


@pytest.mark.parametrize(("canary", "verdict"), [(0.87, "pass"), (0.8699, "fail"), (0.99, "pass")])
def test_pass_boundary_is_champion_minus_max_regression(canary: float, verdict: str) -> None:
    assert classify(Observation(50, canary, 0.90), CANARY)[0] == verdict


def test_progress_deadline_rolls_back_a_canary_that_never_gets_data() -> None:
    state, trace = run([EMPTY] * 10)
    assert [action for _, _, action in trace[1:]] == ["hold"] * 9 + ["rollback"]
    assert (state.phase, state.weight, state.iterations) == (Phase.ROLLED_BACK, 0, 10)
    _, decision = advance(run([EMPTY] * 9)[0], EMPTY, CANARY)
    assert decision.reason.rule.startswith("progress deadline")
    assert (decision.reason.observed, decision.reason.threshold) == (10, 10)


def test_promotion_wins_over_the_deadline_on_the_same_tick() -> None:
    canary = CANARY.model_copy(update={"progress_deadline_ticks": 3})
    state, _ = run([GOOD, GOOD, GOOD], canary)
    assert state.phase is Phase.PROMOTING


def test_failed_promotion_has_its_own_path() -> None:
    state, _ = run([GOOD, GOOD, GOOD])
    state, decision = promotion_result(state, False, "registry write conflicted")
    assert (state.phase, state.weight, decision.action) == (Phase.ROLLED_BACK, 0, "promotion-failed")
    assert not decision.reason.ok
    assert decision.reason.observed == "registry write conflicted"


@pytest.mark.parametrize("phase", [Phase.IDLE, Phase.PROMOTING, Phase.SUCCEEDED, Phase.ROLLED_BACK])
def test_advance_outside_progressing_does_nothing(phase: Phase) -> None:
    state = CanaryState(phase=phase, weight=60, failed_checks=1, iterations=4)
    for observation in (GOOD, BAD, EMPTY):
        moved, decision = advance(state, observation, CANARY)
        assert moved == state
        assert decision.action == "none"
        assert decision.reason.observed == phase.value


@pytest.mark.parametrize("phase", [Phase.PROGRESSING, Phase.PROMOTING])
def test_start_refuses_a_running_canary(phase: Phase) -> None:
    state = CanaryState(phase=phase, weight=40)
    assert start(state, CANARY) == (state, start(state, CANARY)[1])
    assert start(state, CANARY)[1].action == "none"


@pytest.mark.parametrize("phase", [Phase.IDLE, Phase.PROGRESSING, Phase.SUCCEEDED, Phase.ROLLED_BACK])
def test_promotion_result_only_applies_while_promoting(phase: Phase) -> None:
    state = CanaryState(phase=phase, weight=40)
    moved, decision = promotion_result(state, True, "done")
    assert (moved, decision.action) == (state, "none")


def test_restart_after_rollback_resets_counters() -> None:
    rolled_back, _ = run([BAD, BAD])
    state, decision = start(rolled_back, CANARY)
    assert state == CanaryState(Phase.PROGRESSING, 20, 0, 0)
    assert decision.action == "start"


def test_resuming_from_a_saved_state_continues_the_same_run() -> None:
    ticks = [GOOD, BAD, EMPTY, GOOD, GOOD]
    whole, _ = run(ticks)
    halfway, _ = run(ticks[:2])
    saved = CanaryState(**{f: getattr(halfway, f) for f in ("phase", "weight", "failed_checks", "iterations")})
    for observation in ticks[2:]:
        saved, _ = advance(saved, observation, CANARY)
    assert saved == whole


def test_table_has_one_unguarded_fallback_per_phase_and_event() -> None:
    """A guarded row must never shadow the unguarded fallback behind it."""
    keys = [(row.source, row.event) for row in TRANSITIONS]
    for key in set(keys):
        rows = [row for row in TRANSITIONS if (row.source, row.event) == key]
        assert rows[-1].guard.__name__ == "_always"
        assert all(row.guard.__name__ != "_always" for row in rows[:-1])


# --- properties ---------------------------------------------------------------------------------

metric = st.one_of(st.none(), st.just(math.nan), st.floats(0, 1))
observations = st.builds(Observation, samples=st.integers(0, 120), canary_metric=metric, champion_metric=metric)


@st.composite
def canary_settings(draw) -> CanarySettings:
    max_weight = draw(st.integers(1, 100))
    return CanarySettings(
        step_weight=draw(st.integers(1, max_weight)),
        max_weight=max_weight,
        failure_threshold=draw(st.integers(1, 5)),
        max_regression=draw(st.floats(0, 0.2)),
        min_samples=draw(st.integers(1, 100)),
        progress_deadline_ticks=draw(st.integers(1, 40)),
    )


# Every (before, after) phase pair one advance may produce: one table step or none.
ONE_STEP = {
    (Phase.PROGRESSING, Phase.PROGRESSING),
    (Phase.PROGRESSING, Phase.PROMOTING),
    (Phase.PROGRESSING, Phase.ROLLED_BACK),
    *((phase, phase) for phase in Phase),
}


def walk(canary: CanarySettings, ticks: list[Observation]):
    """Yield (before, observation, after, decision) for each tick of a started canary."""
    state, _ = start(CanaryState(), canary)
    for observation in ticks:
        after, decision = advance(state, observation, canary)
        yield state, observation, after, decision
        state = after


@pytest.mark.property
@given(canary=canary_settings(), ticks=st.lists(observations, max_size=40))
def test_rollback_by_failures_exactly_when_failed_checks_reach_threshold(canary, ticks) -> None:
    for before, _, after, decision in walk(canary, ticks):
        if before.phase is not Phase.PROGRESSING:
            continue
        reached = after.failed_checks >= canary.failure_threshold
        by_failures = decision.action == "rollback" and decision.reason.rule == "failed_checks < failure_threshold"
        assert by_failures is reached
        assert after.failed_checks <= canary.failure_threshold


@pytest.mark.property
@given(canary=canary_settings(), ticks=st.lists(observations, max_size=40))
def test_weight_never_exceeds_max_and_never_drops_while_progressing(canary, ticks) -> None:
    for before, _, after, _ in walk(canary, ticks):
        assert 0 <= after.weight <= canary.max_weight
        if after.phase is Phase.PROGRESSING:
            assert after.weight >= before.weight


@pytest.mark.property
@given(canary=canary_settings(), ticks=st.lists(observations, max_size=40))
def test_at_most_one_move_per_tick(canary, ticks) -> None:
    for before, _, after, decision in walk(canary, ticks):
        assert (before.phase, after.phase) in ONE_STEP
        assert decision.action in ANALYSIS_ACTIONS
        assert after.iterations - before.iterations in (0, 1)
        assert after.failed_checks - before.failed_checks in (0, 1)


@pytest.mark.property
@given(canary=canary_settings(), ticks=st.lists(observations, max_size=40))
def test_no_data_never_counts_as_a_failure(canary, ticks) -> None:
    for before, observation, after, decision in walk(canary, ticks):
        if classify(observation, canary)[0] == "no-data":
            assert after.failed_checks == before.failed_checks
            assert decision.action in {"hold", "rollback", "none"}
            if decision.action == "rollback":
                assert decision.reason.rule.startswith("progress deadline")


@pytest.mark.property
@given(canary=canary_settings(), ticks=st.lists(observations, max_size=60), promoted=st.booleans())
def test_any_sequence_ends_in_a_valid_phase(canary, ticks, promoted) -> None:
    state, _ = start(CanaryState(), canary)
    for observation in ticks:
        state, decision = advance(state, observation, canary)
        assert decision.reason.rule
    state, _ = promotion_result(state, promoted, "done")
    assert state.phase in set(Phase)
    assert state.phase is not Phase.IDLE
    assert state.iterations <= canary.progress_deadline_ticks
    if len(ticks) >= canary.progress_deadline_ticks:
        assert state.phase is not Phase.PROGRESSING
    if state.phase is Phase.SUCCEEDED:
        assert state.weight == 100
    if state.phase is Phase.ROLLED_BACK:
        assert state.weight == 0
