"""Retraining triggers (schedule, volume, performance, drift), cooldown and arbitration. Pure."""

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

__all__ = [
    "Arbitration",
    "LiveScore",
    "TriggerState",
    "arbitrate",
    "drift_decision",
    "drift_decision_from",
    "drift_decision_from_sketches",
    "live_reference",
    "performance_decision",
    "schedule_decision",
    "volume_decision",
]
