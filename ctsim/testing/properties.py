"""The property suite ``ctsim verify-gates`` runs against one scenario's gate, trigger and canary settings.

Each ``Property`` builds a ``Check`` for a ``GateSubject`` (the scenario's
settings, data contract and tolerance): hypothesis strategies for its inputs
and a body that raises ``PropertyFailed`` with a plain-words account of what
the gate did with a counterexample. A property that cannot apply (no volume
trigger configured, say) returns the reason instead of a check.

"Worse" has one meaning here: a metric below the champion's by *more than*
the tolerance (above it, for a lower-is-better metric such as rmse). The
tolerance is the one the user states (``--tolerance``),
else the scenario's ``no_worse_promotion`` expectation, else 0.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from croniter import croniter
from hypothesis import strategies as st

from ctsim.contract import DataContract
from ctsim.gates import CanaryState, Observation, Phase, advance, check_data, check_model, classify, start
from ctsim.reasons import GateDecision
from ctsim.scenario.model import Clock, NoWorsePromotion, Scenario
from ctsim.settings import CanarySettings, DataGateSettings, ModelGateSettings, TriggerSettings
from ctsim.steps.metrics import metric_spec
from ctsim.testing import strategies as S
from ctsim.triggers import TriggerState, arbitrate, drift_decision, schedule_decision, volume_decision

__all__ = ["PROPERTIES", "Check", "GateSubject", "Property", "PropertyFailed", "property_names"]

# The statistical drift check repeats this many same-distribution windows per example.
DRIFT_WINDOWS = 40
# Nominal false-alarm budget of a drift method without a p-value (distances have no significance level).
NOMINAL_ALPHA = 0.05
MAX_CRON_INSTANTS = 5000
# Methods whose threshold is a significance level (drift when p < threshold); the others are distances.
P_VALUE_METHODS = ("ks", "chisquare", "chisquare_gof", "z")


class PropertyFailed(AssertionError):
    """A counterexample: the message says what the gate, trigger or canary did with it."""


@dataclass(frozen=True)
class GateSubject:
    """What the properties read from a scenario: settings, data contract and the tolerance for "worse"."""

    scenario: str
    data_gate: DataGateSettings
    model_gate: ModelGateSettings
    canary: CanarySettings
    triggers: TriggerSettings
    clock: Clock
    contract: DataContract
    tolerance: float
    tolerance_source: str

    @classmethod
    def of(cls, scenario: Scenario, contract: DataContract, tolerance: float | None = None) -> GateSubject:
        stated = [e.tolerance for e in scenario.expectations if isinstance(e, NoWorsePromotion)]
        if tolerance is not None:
            chosen, source = tolerance, "--tolerance"
        elif stated:
            chosen, source = min(stated), "the scenario's no_worse_promotion expectation"
        else:
            chosen, source = 0.0, "the default: no no_worse_promotion expectation, no --tolerance"
        return cls(
            scenario.name,
            scenario.gates.data,
            scenario.gates.model,
            scenario.canary,
            scenario.triggers,
            scenario.clock,
            contract,
            chosen,
            source,
        )


@dataclass(frozen=True)
class Check:
    """Strategies for the body's keyword arguments, the body, and an optional cap on examples (costly checks)."""

    strategies: dict[str, st.SearchStrategy[Any]]
    body: Callable[..., None]
    max_examples: int | None = None


@dataclass(frozen=True)
class Property:
    """A named claim about a subject's settings. Advisory properties warn but do not fail the run."""

    name: str
    claim: Callable[[GateSubject], str]
    build: Callable[[GateSubject], Check | str]
    advisory: bool = False
    notes: tuple[str, ...] = field(default=())


# --- model gate -------------------------------------------------------------------------------------


# The model-gate properties draw "goodness" in [0, 1] (higher is better) and hand the gate
# ``S.as_metric(metric, goodness)``, so one property covers higher- and lower-is-better metrics.


def _goodness_floor(gate: ModelGateSettings) -> float:
    """The gate's bound as goodness: min_value, 1 - max_value (clipped to [0, 1]), or 0 without a bound."""
    if metric_spec(gate.metric).higher_is_better:
        return float(gate.bound or 0.0)
    return 0.0 if gate.max_value is None else min(1.0, max(0.0, 1 - gate.max_value))


def _gate(gate: ModelGateSettings, candidate: float, champion: float | None) -> GateDecision:
    as_metric = functools.partial(S.as_metric, gate.metric)
    return check_model(as_metric(candidate), None if champion is None else as_metric(champion), gate)


def _shown(gate: ModelGateSettings, goodness: float | None) -> str:
    return "none" if goodness is None else f"{gate.metric} {S.as_metric(gate.metric, goodness):.4f}"


def _no_worse_model(subject: GateSubject) -> Check | str:
    gate, tolerance = subject.model_gate, subject.tolerance
    floor = _goodness_floor(gate)
    if tolerance + floor >= 1:
        return f"no candidate within the gate's bound ({_bound_text(gate)}) can be worse by more than {tolerance}"

    def body(pair: S.Regression) -> None:
        decision = _gate(gate, pair.candidate, pair.champion)
        if decision.passed:
            raise PropertyFailed(
                f"champion {_shown(gate, pair.champion)}, candidate {_shown(gate, pair.candidate)} is "
                f"{pair.shortfall:.4f} worse (tolerance {tolerance}), yet the model gate passed it: max_regression "
                f"{gate.max_regression} > tolerance {tolerance} ({subject.tolerance_source})"
            )

    return Check({"pair": S.regressions(tolerance, floor=floor)}, body)


def _monotone(subject: GateSubject) -> Check:
    gate = subject.model_gate

    def body(pair: tuple[float, float], champion: float | None) -> None:
        low, high = pair
        if _gate(gate, low, champion).passed and not _gate(gate, high, champion).passed:
            raise PropertyFailed(
                f"champion {_shown(gate, champion)}: candidate {_shown(gate, low)} passes but the "
                f"better {_shown(gate, high)} is blocked: {_gate(gate, high, champion).summary()}"
            )

    # The better candidate is drawn above the worse one, so pairs that straddle any value are common.
    pairs = S.metric_values().flatmap(lambda low: st.tuples(st.just(low), S.metric_values(low, 1.0)))
    return Check({"pair": pairs, "champion": st.none() | S.metric_values()}, body)


def _floor(subject: GateSubject) -> Check:
    gate = subject.model_gate
    floor = _goodness_floor(gate)

    def body(candidate: float, champion: float | None) -> None:
        decision = _gate(gate, candidate, champion)
        if candidate < floor and decision.passed:
            raise PropertyFailed(
                f"candidate {_shown(gate, candidate)} beyond {_bound_text(gate)} passed: {decision.summary()}"
            )
        if champion is None and (len(decision.reasons) != 1 or decision.passed != (candidate >= floor)):
            raise PropertyFailed(
                f"no champion, candidate {_shown(gate, candidate)}: expected only the bound rule "
                f"({_bound_text(gate)}), got {decision.summary()}"
            )

    return Check({"candidate": S.metric_values(), "champion": st.none() | S.metric_values()}, body)


def _bound_text(gate: ModelGateSettings) -> str:
    if metric_spec(gate.metric).higher_is_better:
        return f"min_value {gate.bound}"
    return "no max_value" if gate.max_value is None else f"max_value {gate.max_value}"


# --- data gate --------------------------------------------------------------------------------------


def _blocks_faults(subject: GateSubject) -> Check | str:
    gate, contract = subject.data_gate, subject.contract
    if not S.feasible_faults(contract, gate):
        return "these data-gate settings allow every fault (all shares 1, constant columns allowed, min_rows 1)"

    def body(batch: S.FaultyBatch) -> None:
        decision = check_data(batch.frame, contract, gate)
        broken = [reason for reason in decision.violations if reason.rule.startswith(batch.fault.rule)]
        if not broken:
            verdict = "passed it" if decision.passed else f"blocked it for other reasons only: {decision.summary()}"
            raise PropertyFailed(f"{batch!r}: the data gate {verdict}")

    return Check({"batch": S.faulty_batches(contract, gate)}, body)


def _passes_clean(subject: GateSubject) -> Check:
    gate, contract = subject.data_gate, subject.contract

    def body(frame) -> None:
        decision = check_data(frame, contract, gate)
        if not decision.passed:
            raise PropertyFailed(
                f"a clean batch of {len(frame)} distinct, complete, in-range rows was blocked: {decision.summary()}"
            )

    return Check({"frame": S.clean_batches(contract, gate)}, body)


def _shuffle(subject: GateSubject) -> Check:
    gate, contract = subject.data_gate, subject.contract
    frames = S.clean_batches(contract, gate)
    if S.feasible_faults(contract, gate):
        frames |= S.faulty_batches(contract, gate).map(lambda batch: batch.frame)

    def body(frame, seed: int) -> None:
        shuffled = frame.iloc[np.random.default_rng(seed).permutation(len(frame))]
        before, after = check_data(frame, contract, gate), check_data(shuffled, contract, gate)
        if before != after:
            raise PropertyFailed(f"{len(frame)} rows: in order {before.summary()}; shuffled {after.summary()}")

    return Check({"frame": frames, "seed": st.integers(0, 2**32 - 1)}, body)


# --- triggers ---------------------------------------------------------------------------------------


def _volume(subject: GateSubject) -> Check | str:
    volume, cooldown = subject.triggers.volume, subject.triggers.cooldown_ticks
    if volume is None:
        return "the scenario has no volume trigger"

    def body(arrivals: list[int]) -> None:
        state, since = TriggerState(), 0
        for tick, rows in enumerate(arrivals):
            since += rows
            decision = volume_decision(volume, since)
            if decision.fired != (since >= volume.min_new_rows):
                raise PropertyFailed(
                    f"tick {tick}: {since} new rows, min_new_rows {volume.min_new_rows}, fired={decision.fired}"
                )
            result = arbitrate([decision], tick, state, cooldown, busy=False)
            cooled = state.last_run_tick is None or tick - state.last_run_tick > cooldown
            if result.fire != (decision.fired and cooled):
                raise PropertyFailed(
                    f"tick {tick}: last run at {state.last_run_tick}, cooldown {cooldown}, "
                    f"volume fired={decision.fired}, run started={result.fire}"
                )
            if result.fire:
                state, since = state.after_run(tick), 0

    # Arrivals of exactly the threshold, or one row short of it, make the boundary likely to be hit.
    boundary = st.sampled_from(sorted({volume.min_new_rows, volume.min_new_rows - 1, 1}))
    arrivals = st.lists(st.integers(0, 2 * volume.min_new_rows) | boundary, min_size=1, max_size=40)
    return Check({"arrivals": arrivals}, body)


def _schedule(subject: GateSubject) -> Check | str:
    schedule, clock = subject.triggers.schedule, subject.clock
    if schedule is None:
        return "the scenario has no schedule trigger"

    def body(offset_minutes: int, ticks: int) -> None:
        times = [clock.start + timedelta(minutes=offset_minutes) + i * clock.tick for i in range(ticks + 1)]
        instants, complete_until = _cron_instants(schedule.cron, times[0], times[-1])
        for previous, now in zip(times, times[1:]):
            if now > complete_until:
                break
            inside = [instant for instant in instants if previous < instant <= now]
            decision = schedule_decision(schedule, previous, now)
            if decision.fired != bool(inside):
                raise PropertyFailed(
                    f"tick {previous:%Y-%m-%d %H:%M} -> {now:%Y-%m-%d %H:%M}: cron instants "
                    f"{[i.isoformat() for i in inside[:3]]}, fired={decision.fired}"
                )

    return Check({"offset_minutes": st.integers(0, 14 * 24 * 60), "ticks": st.integers(1, clock.ticks)}, body)


def _cron_instants(cron: str, first: datetime, last: datetime) -> tuple[list[datetime], datetime]:
    """The instants of ``cron`` in (first, last], each confirmed by croniter.match, and up to when the list is complete.

    Enumeration stops after MAX_CRON_INSTANTS, so '* * * * *' over weekly ticks stays cheap.
    """
    found: list[datetime] = []
    iterator = croniter(cron, first)
    while (instant := iterator.get_next(datetime)) <= last:
        if not croniter.match(cron, instant):
            raise PropertyFailed(f"{instant} is not an instant of '{cron}'")
        found.append(instant)
        if len(found) >= MAX_CRON_INSTANTS:
            return found, instant
    return found, last


def _alpha(subject: GateSubject) -> float:
    drift = subject.triggers.drift
    if drift is not None and drift.method in P_VALUE_METHODS and drift.threshold is not None:
        return drift.threshold
    return NOMINAL_ALPHA


def _allowed_rate(alpha: float) -> float:
    """The significance plus four binomial standard errors over DRIFT_WINDOWS windows."""
    return alpha + 4 * math.sqrt(alpha * (1 - alpha) / DRIFT_WINDOWS)


def _drift(subject: GateSubject) -> Check | str:
    drift = subject.triggers.drift
    if drift is None:
        return "the scenario has no drift trigger"
    kinds, allowed = subject.contract.kinds, _allowed_rate(_alpha(subject))

    def body(seed: int) -> None:
        rng = np.random.default_rng(seed)
        alarms = 0
        for _ in range(DRIFT_WINDOWS):
            reference, current = S.same_distribution_pair(rng, kinds)
            alarms += drift_decision(drift, reference, current, kinds).fired
        if alarms / DRIFT_WINDOWS > allowed:
            raise PropertyFailed(
                f"fired on {alarms} of {DRIFT_WINDOWS} windows drawn from one distribution "
                f"({alarms / DRIFT_WINDOWS:.0%} > allowed {allowed:.0%}); "
                f"method {drift.method}, drift_share {drift.drift_share}"
            )

    return Check({"seed": st.integers(0, 2**32 - 1)}, body, max_examples=5)


# --- canary -----------------------------------------------------------------------------------------


def _walk(canary: CanarySettings, stream: Sequence[Observation]):
    state, _ = start(CanaryState(), canary)
    for tick, observation in enumerate(stream):
        after, decision = advance(state, observation, canary)
        yield tick, state, observation, after, decision
        state = after


def _streams(canary: CanarySettings, metric: str) -> st.SearchStrategy[S.ObservationStream]:
    return S.observation_streams(canary, max_ticks=min(canary.progress_deadline_ticks + 5, 60), metric=metric)


def _rollback_at_threshold(subject: GateSubject) -> Check:
    canary = subject.canary

    def body(stream: list[Observation]) -> None:
        for tick, before, _, after, decision in _walk(canary, stream):
            if before.phase is not Phase.PROGRESSING:
                continue
            reached = after.failed_checks >= canary.failure_threshold
            by_failures = decision.action == "rollback" and decision.reason.rule == "failed_checks < failure_threshold"
            if by_failures != reached or after.failed_checks > canary.failure_threshold:
                raise PropertyFailed(
                    f"tick {tick}: failed checks {after.failed_checks} of threshold "
                    f"{canary.failure_threshold}, action {decision.action} ({decision.reason})"
                )

    return Check({"stream": _streams(canary, subject.model_gate.metric)}, body)


def _promotion_needs_max_weight(subject: GateSubject) -> Check:
    canary = subject.canary

    def body(stream: list[Observation]) -> None:
        for tick, before, observation, _, decision in _walk(canary, stream):
            if before.phase is not Phase.PROGRESSING:
                continue
            verdict, _ = classify(observation, canary)
            should = verdict == "pass" and before.weight >= canary.max_weight
            if (decision.action == "promote") != should or (should and observation.samples < canary.min_samples):
                raise PropertyFailed(
                    f"tick {tick}: weight {before.weight} of max {canary.max_weight}, "
                    f"{observation.samples} samples (min {canary.min_samples}), verdict {verdict}, "
                    f"action {decision.action}"
                )

    return Check({"stream": _streams(canary, subject.model_gate.metric)}, body)


def _no_worse_canary(subject: GateSubject) -> Check | str:
    canary, tolerance = subject.canary, subject.tolerance
    if tolerance >= 1:
        return "no canary can be worse by more than a tolerance of 1"
    metric = subject.model_gate.metric
    worse_ticks = st.builds(
        lambda pair, samples: Observation(
            samples, S.as_metric(metric, pair.candidate), S.as_metric(metric, pair.champion), metric
        ),
        S.regressions(tolerance),
        st.integers(canary.min_samples, canary.min_samples + 200),
    )
    ticks = max(2, math.ceil(canary.max_weight / canary.step_weight) + 1)

    def body(stream: list[Observation]) -> None:
        for tick, _, _observation, _after, decision in _walk(canary, stream):
            if decision.action == "promote":
                raise PropertyFailed(
                    f"a canary worse than the champion by more than {tolerance} on every tick was promoted at "
                    f"tick {tick}: canary max_regression {canary.max_regression} > tolerance {tolerance} "
                    f"({subject.tolerance_source})"
                )

    return Check({"stream": st.lists(worse_ticks, min_size=ticks, max_size=ticks).map(S.ObservationStream)}, body)


PROPERTIES: tuple[Property, ...] = (
    Property(
        "model-gate.no-worse-model",
        lambda s: f"a candidate worse than the champion by more than {s.tolerance} never passes the model gate",
        _no_worse_model,
    ),
    Property(
        "model-gate.monotone",
        lambda s: (
            "making the candidate's metric better (higher, or lower for a lower-is-better metric) never "
            "turns a pass into a block"
        ),
        _monotone,
    ),
    Property(
        "model-gate.floor",
        lambda s: (
            f"beyond the bound ({_bound_text(s.model_gate)}) never passes; with no champion only the bound applies"
        ),
        _floor,
    ),
    Property(
        "data-gate.blocks-faults",
        lambda s: (
            "a batch breaking the settings (nulls, schema, range, duplicates, constant, rows) is blocked "
            "by the rule it breaks"
        ),
        _blocks_faults,
    ),
    Property("data-gate.passes-clean", lambda s: "a clean batch of at least min_rows rows passes", _passes_clean),
    Property("data-gate.shuffle", lambda s: "shuffling rows never changes the decision", _shuffle),
    Property(
        "volume-trigger.threshold",
        lambda s: "fires exactly when new rows reach min_new_rows; never twice within cooldown_ticks",
        _volume,
    ),
    Property(
        "schedule-trigger.cron", lambda s: "fires exactly on the ticks whose interval holds a cron instant", _schedule
    ),
    Property(
        "drift-trigger.false-alarms",
        lambda s: (
            f"on same-distribution data fires in at most {_allowed_rate(_alpha(s)):.0%} of "
            f"{DRIFT_WINDOWS} windows (significance {_alpha(s)} + 4 standard errors)"
        ),
        _drift,
    ),
    Property(
        "canary.rollback-at-threshold",
        lambda s: "rolls back exactly when failed checks reach failure_threshold",
        _rollback_at_threshold,
    ),
    Property(
        "canary.promotion-at-max-weight",
        lambda s: "promotes exactly on a passing check with min_samples at max_weight",
        _promotion_needs_max_weight,
    ),
    Property(
        "canary.no-worse-promotion",
        lambda s: f"a canary worse than the champion by more than {s.tolerance} on every tick is never promoted",
        _no_worse_canary,
        advisory=True,
    ),
)


def property_names() -> list[str]:
    return [prop.name for prop in PROPERTIES]
