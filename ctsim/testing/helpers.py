"""Helpers for tests that run whole scenarios or use a registry: scenario files, fresh registries, invariants.

``timeline_violations`` states what must hold for every run, whatever the
scenario: no served model ever failed a gate, and every promotion comes after
a passed gate and a completed canary.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from ctsim.scenario.model import Scenario
from ctsim.timeline import (
    CanaryStepped,
    FirstChampion,
    GateEvent,
    GatePassed,
    PipelineRun,
    Registered,
    RolledOut,
    Timeline,
)

__all__ = ["new_registry", "scenario_yaml", "timeline_violations", "write_scenario"]

_UNITS = ((timedelta(weeks=1), "w"), (timedelta(days=1), "d"), (timedelta(hours=1), "h"), (timedelta(minutes=1), "m"))


def scenario_yaml(scenario: Scenario) -> str:
    """The scenario as a YAML document that ``ctsim.scenario.loader`` reads back to an equal Scenario."""
    document: dict[str, Any] = scenario.model_dump(mode="json")
    months = document["clock"].pop("tick_months", 0)
    document["clock"]["tick"] = f"{months}mo" if months else _duration(scenario.clock.tick)
    return yaml.safe_dump(document, sort_keys=False)


def _duration(tick: timedelta) -> str:
    for unit, suffix in _UNITS:
        if tick % unit == timedelta(0):
            return f"{tick // unit}{suffix}"
    raise ValueError(f"The 'tick' setting of the clock must be whole minutes. Got {tick} instead.")


def write_scenario(scenario: Scenario, directory: Path) -> Path:
    """Write ``<directory>/<name>.yaml`` and return its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{scenario.name}.yaml"
    path.write_text(scenario_yaml(scenario), encoding="utf-8")
    return path


def new_registry(store):
    """A registry in a namespace of its own on ``store``: one per hypothesis example, so examples never meet."""
    from ctsim.registry import Registry
    from ctsim.store import Layout
    from ctsim.trust import SigningKey

    return Registry(store, Layout(f"test-{uuid.uuid4().hex}"), SigningKey.generate())


def timeline_violations(timeline: Timeline) -> list[str]:
    """Every served model passed both gates; every promotion followed a passed gate and a completed canary.

    Reads only the timeline: gate events carry their run id, and a
    ``registered`` event belongs to the pipeline run just before it.
    """
    gates: dict[str, dict[str, bool]] = defaultdict(dict)
    run_of: dict[str, str | None] = {}
    promoted: set[str] = set()
    problems: list[str] = []
    last_run: str | None = None
    for event in timeline.events:
        if isinstance(event, PipelineRun):
            last_run = event.run_id
        elif isinstance(event, GateEvent):
            gates[event.run_id][event.gate] = isinstance(event, GatePassed)
        elif isinstance(event, Registered):
            run_of[event.version] = last_run
        elif isinstance(event, CanaryStepped) and event.action == "promote":
            promoted.add(event.version)
        elif isinstance(event, (FirstChampion, RolledOut)):
            problems += _promotion_problems(event, gates, run_of, promoted)
    for tick in timeline.ticks:
        for role, version in (("champion", tick.champion), ("canary", tick.canary)):
            if version is not None and not _gates_passed(version, gates, run_of):
                problems.append(
                    f"tick {tick.tick}: {role} {version} is served but {_gate_story(version, gates, run_of)}"
                )
    return list(dict.fromkeys(problems))


def _gates_passed(version: str, gates: dict[str, dict[str, bool]], run_of: dict[str, str | None]) -> bool:
    decided = gates.get(run_of.get(version) or "", {})
    return decided.get("data") is True and decided.get("model") is True


def _gate_story(version: str, gates: dict[str, dict[str, bool]], run_of: dict[str, str | None]) -> str:
    if version not in run_of:
        return "it was never registered by a pipeline run"
    decided = gates.get(run_of[version] or "", {})
    return f"its run {run_of[version]} had gates {decided or 'none recorded'}"


def _promotion_problems(
    event: FirstChampion | RolledOut,
    gates: dict[str, dict[str, bool]],
    run_of: dict[str, str | None],
    promoted: set[str],
) -> list[str]:
    version = event.version
    problems = []
    if not _gates_passed(version, gates, run_of):
        problems.append(f"tick {event.tick}: {version} rolled out but {_gate_story(version, gates, run_of)}")
    if isinstance(event, RolledOut) and version not in promoted:
        problems.append(f"tick {event.tick}: {version} rolled out without a completed canary (no 'promote' before)")
    return problems
