"""Expectations checked against the timeline: each one PASS or FAIL, with the numbers behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from ctsim.scenario.model import (
    FinalChampionMetric,
    GateBlocks,
    NoWorsePromotion,
    Promotions,
    Rollback,
    Scenario,
    TriggerFires,
    TriggerNever,
)
from ctsim.steps.metrics import worsening
from ctsim.timeline import (
    CANARY_WITHDRAWN,
    GateBlocked,
    PipelineRun,
    PromotionFailed,
    Registered,
    RolledOut,
    Timeline,
    TriggerFired,
    TriggerHeld,
)

__all__ = ["DECIDED", "ExpectationResult", "Verdict", "check", "contract_results"]


@dataclass(frozen=True)
class ExpectationResult:
    name: str
    passed: bool
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Verdict:
    results: tuple[ExpectationResult, ...]

    @property
    def passed(self) -> bool:
        return all(result.passed for result in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1

    def to_dict(self) -> dict[str, Any]:
        return {"passed": self.passed, "results": [r.to_dict() for r in self.results]}


def check(scenario: Scenario, timeline: Timeline) -> Verdict:
    """The scenario's own expectations (a run's verdict adds ``contract_results`` and the audit)."""
    return Verdict(tuple(_CHECKS[type(expectation)](expectation, timeline) for expectation in scenario.expectations))


# Decisions a finished run may report (see ctsim.sim.launch.RunReport.decision); anything else is silence.
DECIDED = ("registered", "data-gate-blocked", "model-gate-blocked")


def contract_results(timeline: Timeline) -> tuple[ExpectationResult, ...]:
    """What every pipeline must do whatever the scenario expects: report each finished run's decision
    through ctsim's components, and get a model registered and serving."""
    runs = timeline.of(PipelineRun)
    finished = [e for e in runs if e.succeeded]
    silent = [f"{e.run_id} at tick {e.tick}: {e.decision}" for e in finished if e.decision not in DECIDED]
    reported = ExpectationResult(
        "every finished pipeline run reported its decision",
        not silent,
        "; ".join(silent) + " (a finished run must record a data gate, a model gate or a registration)"
        if silent
        else f"{len(finished)} finished runs, each with a gate decision or a registration",
    )
    registered = timeline.of(Registered)
    served = any(t.champion for t in timeline.ticks)
    serving = ExpectationResult(
        "a model was registered and served",
        bool(registered) and served,
        f"{len(registered)} versions registered; "
        + ("a champion served traffic" if served else f"no champion ever served ({len(runs)} pipeline runs)"),
    )
    return (reported, serving) if runs or timeline.ticks else ()


def _within(ticks: list[int], window: tuple[int, int] | None) -> list[int]:
    return [t for t in ticks if window is None or window[0] <= t <= window[1]]


def _trigger_fires(exp: TriggerFires, timeline: Timeline) -> ExpectationResult:
    fired = [e.tick for e in timeline.of(TriggerFired) if e.trigger == exp.trigger]
    hits = _within(fired, exp.within)
    name = f"{exp.trigger} trigger fires within ticks {list(exp.within)}"
    return ExpectationResult(name, bool(hits), f"fired at ticks {fired or 'never'}")


def _trigger_never(exp: TriggerNever, timeline: Timeline) -> ExpectationResult:
    fired = [e.tick for e in timeline.events if isinstance(e, (TriggerFired, TriggerHeld)) and e.trigger == exp.trigger]
    return ExpectationResult(
        f"{exp.trigger} trigger never fires", not fired, f"fired at ticks {sorted(fired) or 'never'}"
    )


def _gate_blocks(exp: GateBlocks, timeline: Timeline) -> ExpectationResult:
    blocked = [e.tick for e in timeline.of(GateBlocked) if e.gate == exp.gate]
    hits = _within(blocked, exp.within)
    return ExpectationResult(
        f"{exp.gate} gate blocks within ticks {list(exp.within)}", bool(hits), f"blocked at ticks {blocked or 'never'}"
    )


def _rollback(exp: Rollback, timeline: Timeline) -> ExpectationResult:
    """A failed promotion withdraws the canary too: it counts, and the detail says which it was."""
    withdrawn = [e for e in timeline.events if isinstance(e, CANARY_WITHDRAWN)]
    rollbacks = _within([e.tick for e in withdrawn], exp.within)
    failed = _within([e.tick for e in withdrawn if isinstance(e, PromotionFailed)], exp.within)
    where = f" within ticks {list(exp.within)}" if exp.within else ""
    name = f"a rollback happens{where}" if exp.happens else f"no rollback happens{where}"
    detail = f"rollbacks at ticks {rollbacks or 'none'}" + (f" (failed promotions at {failed})" if failed else "")
    return ExpectationResult(name, bool(rollbacks) == exp.happens, detail)


def _promotions(exp: Promotions, timeline: Timeline) -> ExpectationResult:
    rollouts = timeline.of(RolledOut)
    count = len(rollouts)
    ok = count >= exp.at_least and (exp.at_most is None or count <= exp.at_most)
    bound = f"at least {exp.at_least}" + (f" and at most {exp.at_most}" if exp.at_most is not None else "")
    return ExpectationResult(
        f"{bound} canary promotions", ok, f"{count} promotions at ticks {[e.tick for e in rollouts]}"
    )


def _no_worse_promotion(exp: NoWorsePromotion, timeline: Timeline) -> ExpectationResult:
    """Each rollout's canary against the champion it replaced, on the same live requests."""
    name = f"no promoted model worse than the champion it replaced by more than {exp.tolerance}"
    gaps = [
        (worsening(timeline.metric, e.live_champion, e.live_canary), e.version, e.tick)
        for e in timeline.of(RolledOut)
        if e.live_canary is not None and e.live_champion is not None
    ]
    if not gaps:
        return ExpectationResult(name, True, "no promotions with live evidence to compare")
    worst = max(gaps)
    return ExpectationResult(
        name,
        worst[0] <= exp.tolerance,
        f"largest live shortfall {worst[0]:.4f} ({worst[1]} at tick {worst[2]}) over {len(gaps)} promotions",
    )


def _final_champion_metric(exp: FinalChampionMetric, timeline: Timeline) -> ExpectationResult:
    recent = [
        (t.labelled, t.champion_metric) for t in timeline.ticks[-exp.window_ticks :] if t.champion_metric is not None
    ]
    samples = sum(n for n, _ in recent)
    value = sum(n * m for n, m in recent) / samples if samples else float("nan")
    # The expectation's model requires exactly one of at_least / at_most.
    comparison, bound = (">=", exp.at_least) if exp.at_least is not None else ("<=", exp.at_most or 0.0)
    met = value >= bound if comparison == ">=" else value <= bound
    return ExpectationResult(
        f"final champion {timeline.metric} {comparison} {bound} (last {exp.window_ticks} ticks)",
        samples > 0 and met,
        f"measured {value:.4f} on {samples} labelled rows",
    )


_CHECKS: dict[type, Callable[[Any, Timeline], ExpectationResult]] = {
    TriggerFires: _trigger_fires,
    TriggerNever: _trigger_never,
    GateBlocks: _gate_blocks,
    Rollback: _rollback,
    Promotions: _promotions,
    NoWorsePromotion: _no_worse_promotion,
    FinalChampionMetric: _final_champion_metric,
}
