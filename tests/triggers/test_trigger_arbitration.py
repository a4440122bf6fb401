"""Example tests for cooldown and arbitration."""

import pytest

from ctsim.reasons import TriggerDecision
from ctsim.triggers import TriggerState, arbitrate


def _decisions(*fired: str) -> list[TriggerDecision]:
    names = ("schedule", "volume", "performance", "drift")
    return [TriggerDecision(name, name in fired) for name in names]


def test_nothing_fired_means_no_run_and_nothing_suppressed():
    result = arbitrate(_decisions(), tick=5, state=TriggerState(), cooldown_ticks=2, busy=False)
    assert not result.fire and result.trigger is None and result.suppressed == ()
    assert result.reason.ok


def test_the_first_fired_trigger_in_the_given_order_wins():
    result = arbitrate(_decisions("drift", "volume"), tick=0, state=TriggerState(), cooldown_ticks=2, busy=False)
    assert result.fire and result.trigger == "volume" and result.suppressed == ()
    assert result.reason.ok and result.reason.observed is None and "no run yet" in result.reason.rule


@pytest.mark.parametrize(("tick", "fire"), [(5, False), (6, False), (7, False), (8, True), (9, True)])
def test_a_run_at_tick_t_blocks_ticks_t_to_t_plus_cooldown(tick, fire):
    state = TriggerState().after_run(5)
    result = arbitrate(_decisions("volume"), tick=tick, state=state, cooldown_ticks=2, busy=False)
    assert result.fire is fire
    assert result.reason.observed == tick - 5 and result.reason.threshold == 2
    assert result.suppressed == (() if fire else ("volume",))


def test_zero_cooldown_allows_consecutive_ticks_but_not_the_same_tick():
    state = TriggerState(last_run_tick=3)
    assert arbitrate(_decisions("drift"), 4, state, cooldown_ticks=0, busy=False).fire
    assert not arbitrate(_decisions("drift"), 3, state, cooldown_ticks=0, busy=False).fire


def test_busy_holds_every_fired_trigger_and_says_why():
    result = arbitrate(_decisions("schedule", "drift"), tick=50, state=TriggerState(), cooldown_ticks=0, busy=True)
    assert not result.fire and result.suppressed == ("schedule", "drift")
    assert not result.reason.ok and result.reason.observed == "busy"


def test_after_run_returns_a_new_state():
    state = TriggerState()
    assert state.after_run(4) == TriggerState(last_run_tick=4) and state.last_run_tick is None
