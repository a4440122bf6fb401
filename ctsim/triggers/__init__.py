"""Retraining triggers (schedule, volume, performance, drift) and the one trigger policy (cooldown, hold,
training window) the simulator and the cluster share. Pure."""

from ctsim.triggers.arbitration import Arbitration, TriggerState, arbitrate
from ctsim.triggers.decisions import (
    LiveScore,
    drift_decision,
    drift_decision_from,
    drift_decision_from_sketches,
    live_reference,
    performance_decision,
    schedule_decision,
    volume_decision,
)
from ctsim.triggers.policy import (
    TrainingWindow,
    state_from_dict,
    state_to_dict,
    training_window,
)

__all__ = [
    "Arbitration",
    "LiveScore",
    "TrainingWindow",
    "TriggerState",
    "arbitrate",
    "drift_decision",
    "drift_decision_from",
    "drift_decision_from_sketches",
    "live_reference",
    "performance_decision",
    "schedule_decision",
    "state_from_dict",
    "state_to_dict",
    "training_window",
    "volume_decision",
]
