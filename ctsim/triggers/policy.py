"""The one trigger policy the simulator and the cluster's trigger check both apply. Pure.

Three rules live here and nowhere else:

* **Cooldown** (``arbitrate``, see ``ctsim.triggers.arbitration``): a run started at tick t blocks
  ticks t .. t + cooldown_ticks, so the next run starts at t + cooldown_ticks + 1 at the earliest.
  Chosen over "t + cooldown_ticks" (what the cluster used to do) because ``cooldown_ticks`` then
  counts the ticks during which nothing may start, and ``cooldown_ticks=0`` still means "never twice
  in one tick"; every shipped scenario's expectations were written against this rule.
* **Hold while busy**: nothing starts while a pipeline run or a canary is in progress.
* **The training window by strategy** (``training_window``): ``full`` trains on ticks 0..t, ``window``
  on the last ``window_ticks`` ticks, ``incremental`` on what arrived since the serving champion's
  data ended, reaching back ``label_delay_ticks`` because the labels of the champion's last ticks
  arrived after it was trained. The start is measured from the champion's data, not from the last
  run: a run whose model was not promoted taught the champion nothing.

What a caller keeps between ticks is a ``TriggerState``; ``to_dict``/``from_dict`` are how the
cluster's trigger check saves it in the object store between its runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ctsim.settings import TrainingSettings
from ctsim.triggers.arbitration import Arbitration, TriggerState, arbitrate

__all__ = [
    "Arbitration",
    "TrainingWindow",
    "TriggerState",
    "arbitrate",
    "state_from_dict",
    "state_to_dict",
    "training_window",
]


@dataclass(frozen=True)
class TrainingWindow:
    """The ticks one run trains on (first..last) and the tick its data is as of."""

    first_tick: int
    last_tick: int
    as_of_tick: int


def training_window(
    training: TrainingSettings, tick: int, trained_through: int | None, label_delay_ticks: int
) -> TrainingWindow:
    """The window of a run started at ``tick``; ``trained_through`` is the champion's ``as_of_tick`` (None: none)."""
    if training.strategy == "window":
        first = max(0, tick - training.window_ticks + 1)
    elif training.strategy == "incremental" and trained_through is not None:
        first = max(0, min(tick, trained_through + 1 - label_delay_ticks))
    else:
        first = 0
    return TrainingWindow(first, tick, tick)


def state_to_dict(state: TriggerState) -> dict[str, Any]:
    return {"last_run_tick": state.last_run_tick}


def state_from_dict(data: dict[str, Any]) -> TriggerState:
    """Read a saved state; ``last_trained_tick`` (-1 for none) is how earlier trigger checks saved it."""
    if "last_run_tick" in data:
        return TriggerState(last_run_tick=data["last_run_tick"])
    legacy = data.get("last_trained_tick", -1)
    return TriggerState(last_run_tick=None if legacy is None or legacy < 0 else int(legacy))
