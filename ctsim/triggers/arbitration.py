"""Cooldown and arbitration: from this tick's trigger decisions to at most one pipeline run.

Cooldown, chosen: a run started at tick t blocks ticks t .. t + cooldown_ticks,
so the next run can start at t + cooldown_ticks + 1 at the earliest. With
``cooldown_ticks=0`` runs may start on consecutive ticks, never twice in one.
Nothing fires while busy (a pipeline run or canary is in progress). Triggers
that fired but were held back are listed in ``suppressed``, never silently lost.

The caller records a started run with ``state.after_run(tick)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ctsim.reasons import Reason, TriggerDecision

__all__ = ["Arbitration", "TriggerState", "arbitrate"]


@dataclass(frozen=True)
class TriggerState:
    """What arbitration remembers between ticks: only when the last run started."""

    last_run_tick: int | None = None

    def after_run(self, tick: int) -> TriggerState:
        return TriggerState(last_run_tick=tick)


@dataclass(frozen=True)
class Arbitration:
    """Whether to start a run this tick, for which trigger, and why.

    ``reason.ok`` is False exactly when fired triggers were held back.
    """

    fire: bool
    trigger: str | None
    reason: Reason
    suppressed: tuple[str, ...] = ()


def arbitrate(
    decisions: Sequence[TriggerDecision],
    tick: int,
    state: TriggerState,
    cooldown_ticks: int,
    busy: bool,
) -> Arbitration:
    """Start a run for the first fired trigger (in the given order) unless a hold applies."""
    fired = tuple(decision.trigger for decision in decisions if decision.fired)
    if not fired:
        return Arbitration(False, None, Reason("no trigger fired, nothing to run", 0, 1, True))
    for hold in _HOLDS:
        reason = hold(tick, state, cooldown_ticks, busy)
        if reason is not None:
            return Arbitration(False, None, reason, suppressed=fired)
    since = None if state.last_run_tick is None else tick - state.last_run_tick
    history = "no run yet" if since is None else f"last run at tick {state.last_run_tick}"
    reason = Reason(
        f"{fired[0]} trigger fired; ticks since the last run above cooldown_ticks ({history})",
        since,
        cooldown_ticks,
        True,
    )
    return Arbitration(True, fired[0], reason)


def _busy_hold(tick: int, state: TriggerState, cooldown_ticks: int, busy: bool) -> Reason | None:
    if not busy:
        return None
    return Reason("no pipeline run or canary in progress", "busy", "idle", False)


def _cooldown_hold(tick: int, state: TriggerState, cooldown_ticks: int, busy: bool) -> Reason | None:
    if state.last_run_tick is None or tick - state.last_run_tick > cooldown_ticks:
        return None
    since = tick - state.last_run_tick
    return Reason(
        f"ticks since the last run (tick {state.last_run_tick}) above cooldown_ticks", since, cooldown_ticks, False
    )


# Holds in the order they are checked; the first that applies names the reason.
_HOLDS: tuple[Callable[[int, TriggerState, int, bool], Reason | None], ...] = (_busy_hold, _cooldown_hold)
