"""The model gate: may this candidate replace the champion?

Two rules, each a ``Reason`` with numbers: the candidate must meet an
absolute bound (``min_value`` for a higher-is-better metric; ``max_value``,
if set, for a lower-is-better one such as rmse), and, when there is a
champion, must not be worse than it by more than ``max_regression``, "worse"
read in the metric's direction. A NaN candidate never passes: an unmeasured
model is not a good model.
"""

from __future__ import annotations

from ctsim.reasons import GateDecision, Reason
from ctsim.settings import ModelGateSettings
from ctsim.steps.metrics import metric_spec

__all__ = ["GATE", "check_model"]

GATE = "model gate"


def check_model(candidate: float, champion: float | None, settings: ModelGateSettings) -> GateDecision:
    """Judge the candidate's metric against the floor and, if there is one, the champion.

    ``champion=None`` means there is no champion yet (first model): only the
    floor applies. A NaN champion is kept as a comparison that cannot hold,
    so a broken measurement blocks rather than waves a candidate through.
    """
    reasons = [_bound_reason(candidate, settings)]
    if champion is not None:
        reasons.append(_regression_reason(candidate, champion, settings))
    return GateDecision(gate=GATE, reasons=tuple(reasons))


def _bound_reason(candidate: float, settings: ModelGateSettings) -> Reason:
    """The absolute bound; a lower-is-better metric without ``max_value`` has none, and then only asks that
    the candidate was measured (a NaN candidate is still refused: silence never passes a model)."""
    spec, bound = metric_spec(settings.metric), settings.bound
    if bound is None:
        return Reason(f"{settings.metric} is known", candidate, "a number", candidate == candidate)
    name = "min_value" if spec.higher_is_better else "max_value"
    # Both comparisons are False for NaN, so a NaN candidate fails here.
    return Reason(
        f"{settings.metric} {spec.comparison} {name}", candidate, bound, spec.at_least_as_good(candidate, bound)
    )


def _regression_reason(candidate: float, champion: float, settings: ModelGateSettings) -> Reason:
    """Compare against the threshold the reason reports, so ``ok`` always reads ``observed >= threshold``
    (``<=`` for a lower-is-better metric, whose threshold is ``champion + max_regression``).

    (Comparing the shortfall ``champion - candidate`` instead rounds
    differently and would print "observed 0.87, threshold 0.87 (violated)".)
    It is monotone in the candidate, and NaN fails it.
    """
    spec = metric_spec(settings.metric)
    threshold = spec.allowing(champion, settings.max_regression)
    sign = "-" if spec.higher_is_better else "+"
    return Reason(
        f"{settings.metric} {spec.comparison} champion {sign} max_regression",
        candidate,
        threshold,
        spec.at_least_as_good(candidate, threshold),
    )
