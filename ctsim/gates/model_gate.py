"""The model gate: may this candidate replace the champion?

Two rules, each a ``Reason`` with numbers: the candidate must reach an
absolute floor, and, when there is a champion, must not fall behind it by
more than ``max_regression``. A NaN candidate never passes: an unmeasured
model is not a good model.
"""

from __future__ import annotations

from ctsim.reasons import GateDecision, Reason
from ctsim.settings import ModelGateSettings

__all__ = ["GATE", "check_model"]

GATE = "model gate"


def check_model(candidate: float, champion: float | None, settings: ModelGateSettings) -> GateDecision:
    """Judge the candidate's metric against the floor and, if there is one, the champion.

    ``champion=None`` means there is no champion yet (first model): only the
    floor applies. A NaN champion is kept as a comparison that cannot hold,
    so a broken measurement blocks rather than waves a candidate through.
    """
    reasons = [_floor_reason(candidate, settings)]
    if champion is not None:
        reasons.append(_regression_reason(candidate, champion, settings))
    return GateDecision(gate=GATE, reasons=tuple(reasons))


def _floor_reason(candidate: float, settings: ModelGateSettings) -> Reason:
    # ``>=`` is False for NaN, so a NaN candidate fails here.
    return Reason(f"{settings.metric} >= min_value", candidate, settings.min_value, candidate >= settings.min_value)


def _regression_reason(candidate: float, champion: float, settings: ModelGateSettings) -> Reason:
    """Compare against the threshold the reason reports, so ``ok`` always reads ``observed >= threshold``.

    (Comparing the shortfall ``champion - candidate`` instead rounds
    differently and would print "observed 0.87, threshold 0.87 (violated)".)
    It is monotone in the candidate, and NaN fails it.
    """
    threshold = champion - settings.max_regression
    return Reason(f"{settings.metric} >= champion - max_regression", candidate, threshold, candidate >= threshold)
