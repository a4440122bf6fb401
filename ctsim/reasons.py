"""Decisions that carry their reasons.

Every gate, trigger and canary decision records the rule it applied, the value
it observed and the threshold it compared against, so reports never say just
"failed".
"""

from __future__ import annotations

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
        verdict = "ok" if self.ok else "violated"
        return f"{self.rule}: observed {_fmt(self.observed)}, threshold {_fmt(self.threshold)} ({verdict})"

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


def _fmt(value: Number) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
