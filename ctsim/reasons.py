"""Decisions that carry their reasons.

Every gate, trigger and canary decision records the rule it applied, the value
it observed and the threshold it compared against, so reports never say just
"failed".
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

Number = float | int | str | None


@dataclass(frozen=True)
class Reason:
    """One rule applied to one observation."""

    rule: str
    observed: Number
    threshold: Number
    ok: bool

    def __str__(self) -> str:
        return reading(self.rule, self.observed, self.threshold)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class GateDecision:
    """Outcome of a gate: passed only when every reason is ok."""

    gate: str
    reasons: tuple[Reason, ...]

    @property
    def passed(self) -> bool:
        return all(reason.ok for reason in self.reasons)

    @property
    def violations(self) -> tuple[Reason, ...]:
        return tuple(reason for reason in self.reasons if not reason.ok)

    def summary(self) -> str:
        shown = self.violations or self.reasons
        verdict = "passed" if self.passed else "blocked"
        return f"{self.gate} {verdict}: " + "; ".join(str(reason) for reason in shown)

    def to_dict(self) -> dict[str, Any]:
        return {"gate": self.gate, "passed": self.passed, "reasons": [r.to_dict() for r in self.reasons]}


@dataclass(frozen=True)
class TriggerDecision:
    """Outcome of one trigger at one tick."""

    trigger: str
    fired: bool
    reasons: tuple[Reason, ...] = field(default_factory=tuple)

    def summary(self) -> str:
        verdict = "fired" if self.fired else "quiet"
        return f"{self.trigger} trigger {verdict}: " + "; ".join(str(reason) for reason in self.reasons)

    def to_dict(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "fired": self.fired, "reasons": [r.to_dict() for r in self.reasons]}


# The condition part of a rule ("... >= min_rows", "... below drift_share"): what is left names the quantity.
_CONDITION = re.compile(r"\s*(?:>=|<=|==|!=|>|<|\bbelow\b|\babove\b|\bat (?:least|most)\b)(?:\s+(?P<limit>.*))?$")


def reading(rule: str, observed: Any, threshold: Any) -> str:
    """A reason read forwards, as what was seen: "share of drifted features (4 of 7) 0.571 > 0.5".

    Rules are written as the condition that keeps things ok ("... below drift_share"); a reader wants the
    observation and how it actually compares, whether the rule held or not, then the limit's name. Numbers
    get the sign of their real relation; anything else reads "rule: observed".
    """
    if _is_number(observed) and _is_number(threshold):
        match = _CONDITION.search(rule)
        subject = rule[: match.start()].strip() if match and match.start() else rule
        named = match.group("limit") if match else None
        limit = f" ({named})" if named and named != "threshold" else ""
        relation = "<" if observed < threshold else ">" if observed > threshold else "="
        left, right = _pair(float(observed), float(threshold))
        return f"{subject} {left} {relation} {right}{limit}"
    return f"{rule}: {_fmt(observed)}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value


def _pair(a: float, b: float) -> tuple[str, str]:
    """Both numbers with as few significant digits as keep them as different as they are (3 at least)."""
    for digits in range(3, 8):
        left, right = f"{a:.{digits}g}", f"{b:.{digits}g}"
        if (left == right) == (a == b):
            return left, right
    return repr(a), repr(b)


def _fmt(value: Number) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
