"""Fit-for-traffic checks: trigger, gate and canary settings that cannot act at the scenario's traffic.

Pure: the traffic (labelled rows a tick, label delay, feedback share) is measured from the data source by
``Traffic.of`` and passed in. A setting that cannot act is a warning with the numbers; it is an error when an
expectation of the scenario depends on it acting (a trigger expected to fire, a promotion expected).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from croniter import croniter

from ctsim.errors import ScenarioError
from ctsim.scenario.model import Promotions, Rollback, Scenario, TriggerFires

__all__ = ["Traffic", "TrafficProblem", "enforce", "traffic_problems"]

Severity = Literal["warning", "error"]


@dataclass(frozen=True)
class Traffic:
    rows_per_tick: float  # production rows a tick, mean over the clock
    feedback_share: float  # share of production rows whose label comes back
    label_delay: int  # ticks until it does
    external_per_tick: float = 0.0

    @property
    def labelled_per_tick(self) -> float:
        return self.rows_per_tick * self.feedback_share + self.external_per_tick

    @classmethod
    def of(cls, scenario: Scenario, source: object) -> Traffic:
        """Measured without drawing a batch: replay slices are counted, the generator's volume is computed."""
        ticks = range(scenario.clock.ticks)
        generator = scenario.data.generator
        if scenario.data.replay is not None:
            slices: Any = getattr(source, "slices")  # noqa: B009 (a replay source; typed loosely to keep this pure)
            rows = sum(len(slices[t]) for t in ticks) / len(ticks)
            return cls(rows, 1.0, scenario.data.replay.label_delay_ticks)
        assert generator is not None
        rows = sum(source.rows_at(t) for t in ticks) / len(ticks)  # type: ignore[attr-defined]
        return cls(rows, generator.feedback_share, generator.label_delay_ticks, generator.external_rows_per_tick)


@dataclass(frozen=True)
class TrafficProblem:
    loc: tuple[str, ...]
    message: str
    severity: Severity


def traffic_problems(scenario: Scenario, traffic: Traffic) -> list[TrafficProblem]:
    return [
        *_performance(scenario, traffic),
        *_volume(scenario, traffic),
        *_canary(scenario, traffic),
        *_data_gate(scenario, traffic),
        *_cooldown(scenario),
    ]


def _severity(scenario: Scenario, trigger: str | None = None, promotions: bool = False) -> Severity:
    for expectation in scenario.expectations:
        if trigger and isinstance(expectation, TriggerFires) and expectation.trigger == trigger:
            return "error"
        if promotions and isinstance(expectation, Promotions) and expectation.at_least > 0:
            return "error"
        if promotions and isinstance(expectation, Rollback) and not expectation.happens:
            return "error"
    return "warning"


def _performance(scenario: Scenario, traffic: Traffic) -> list[TrafficProblem]:
    performance = scenario.triggers.performance
    if performance is None:
        return []
    live = traffic.rows_per_tick * traffic.feedback_share * performance.window_ticks
    if live >= performance.min_samples:
        return []
    return [
        TrafficProblem(
            ("triggers", "performance", "min_samples"),
            f"the performance trigger can never fire: {traffic.rows_per_tick:g} rows a tick × "
            f"{traffic.feedback_share:g} labelled × window_ticks {performance.window_ticks} = {live:g} "
            f"labelled rows, below min_samples {performance.min_samples}",
            _severity(scenario, trigger="performance"),
        )
    ]


def _volume(scenario: Scenario, traffic: Traffic) -> list[TrafficProblem]:
    volume = scenario.triggers.volume
    if volume is None:
        return []
    ticks = scenario.clock.ticks - scenario.bootstrap_tick - 1 - traffic.label_delay
    arriving = traffic.labelled_per_tick * max(ticks, 0)
    if arriving >= volume.min_new_rows:
        return []
    return [
        TrafficProblem(
            ("triggers", "volume", "min_new_rows"),
            f"the volume trigger can never fire: {traffic.labelled_per_tick:g} labelled rows a tick "
            f"over the {max(ticks, 0)} ticks after the bootstrap and the label delay = {arriving:g}, "
            f"below min_new_rows {volume.min_new_rows}",
            _severity(scenario, trigger="volume"),
        )
    ]


def _canary(scenario: Scenario, traffic: Traffic) -> list[TrafficProblem]:
    canary = scenario.canary
    # the canary judges one tick's labelled requests at a time; below min_samples a tick is "no data", and a
    # canary that never leaves its first step is rolled back at its progress deadline
    seen = traffic.rows_per_tick * traffic.feedback_share * canary.step_weight / 100
    if seen >= canary.min_samples:
        return []
    return [
        TrafficProblem(
            ("canary", "min_samples"),
            f"every canary rolls back: {traffic.rows_per_tick:g} rows a tick × "
            f"{traffic.feedback_share:g} labelled × step_weight {canary.step_weight}% = {seen:g} "
            "labelled requests a tick, below "
            f"min_samples {canary.min_samples}",
            _severity(scenario, promotions=True),
        )
    ]


def _data_gate(scenario: Scenario, traffic: Traffic) -> list[TrafficProblem]:
    gate = scenario.gates.data
    window = scenario.training.window_ticks if scenario.training.strategy == "window" else scenario.clock.ticks
    rows = traffic.labelled_per_tick * window
    if rows >= gate.min_rows:
        return []
    return [
        TrafficProblem(
            ("gates", "data", "min_rows"),
            f"the data gate blocks every run: at most {rows:g} labelled rows in a training window "
            f"({traffic.labelled_per_tick:g} a tick × {window} ticks), below min_rows {gate.min_rows}",
            _severity(scenario, promotions=True),
        )
    ]


def _cooldown(scenario: Scenario) -> list[TrafficProblem]:
    schedule, cooldown = scenario.triggers.schedule, scenario.triggers.cooldown_ticks
    if schedule is None or cooldown == 0:
        return []
    clock = scenario.clock
    instants = croniter(schedule.cron, clock.start)
    first, second = instants.get_next(type(clock.start)), instants.get_next(type(clock.start))
    period = math.ceil((second - first) / clock.length_of(0))
    if cooldown < period:
        return []
    return [
        TrafficProblem(
            ("triggers", "cooldown_ticks"),
            f"cooldown_ticks {cooldown} is at least the schedule's period ({period} ticks of "
            f"{clock.tick_label}, cron '{schedule.cron}'): the cooldown silences scheduled runs",
            _severity(scenario, trigger="schedule"),
        )
    ]


def enforce(scenario: Scenario, source: object, path: object) -> list[str]:
    """Raise the first error (``file: key: message``); return the warnings, one line each, for the caller."""
    problems = traffic_problems(scenario, Traffic.of(scenario, source))
    lines = [(p.severity, f"{path}: {'.'.join(p.loc)}: {p.message}") for p in problems]
    errors = [line for severity, line in lines if severity == "error"]
    if errors:
        raise ScenarioError(errors[0] + " (an expectation of the scenario depends on it)")
    return [line for _, line in lines]
