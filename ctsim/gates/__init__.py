"""Gates: pure functions that turn data, metrics and traffic into decisions with reasons.

* ``check_data`` — is a batch fit to train on (data gate)?
* ``check_model`` — may a candidate replace the champion (model gate)?
* ``start`` / ``advance`` / ``promotion_result`` — the canary analysis, a table-driven state machine.

No I/O, no clock, no randomness: the simulator and the pipeline steps call these.
"""

from ctsim.gates.canary import (
    TRANSITIONS,
    CanaryDecision,
    CanaryState,
    Observation,
    Phase,
    Transition,
    advance,
    classify,
    promotion_result,
    start,
)
from ctsim.gates.data_gate import check_data
from ctsim.gates.model_gate import check_model

__all__ = [
    "TRANSITIONS",
    "CanaryDecision",
    "CanaryState",
    "Observation",
    "Phase",
    "Transition",
    "advance",
    "check_data",
    "check_model",
    "classify",
    "promotion_result",
    "start",
]
