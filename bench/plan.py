"""What each mode measures, and the scenarios the benchmark generates. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["FULL", "QUICK", "Plan", "cut_scenario", "scaling_scenario", "scenario_yaml"]


@dataclass(frozen=True)
class Plan:
    mode: str
    lake_rows: tuple[int, ...]  # drift check: reference sizes
    new_rows: int  # drift check: rows of the current batch
    features: int  # drift check: numeric features
    drift_repeats: int  # drift check: timed repetitions of the sketch check
    exact_repeats: int  # drift check: repetitions of scipy's recomputation (it is slow)
    flagship: str  # the shipped scenario timed end to end
    flagship_runs: int  # sequential runs of it (median wall); also the suite's 1-worker leg
    ticks_series: tuple[int, ...]  # wall vs ticks, at ``series_rows`` rows per tick
    series_rows: int
    rows_series: tuple[int, ...]  # wall vs rows per tick, at ``series_ticks`` ticks
    series_ticks: int
    memory_ticks: int  # the large scenario: ticks x rows per tick rows in the lake
    memory_rows: int
    both_ways: str = "sudden-drift"  # the shipped scenario replayed warm and --cold side by side
    both_ways_runs: int = 1  # sequential runs of it each way
    shipped_suite: bool = False  # the whole shipped suite on 2 workers, warm and --cold (many minutes)
    compare_ticks: int = 24  # `ctsim compare` of the five built-ins over this many ticks of noaa-weather
    tune_ticks: int = 24  # `ctsim tune` over this many ticks of it
    tune_trials: int = 4


QUICK = Plan(
    mode="quick",
    lake_rows=(100_000, 1_000_000),
    new_rows=20_000,
    features=8,
    drift_repeats=5,
    exact_repeats=1,
    flagship="",
    flagship_runs=2,
    ticks_series=(4, 8),
    series_rows=500,
    rows_series=(500, 5_000),
    series_ticks=4,
    memory_ticks=4,
    memory_rows=5_000,
    both_ways="sudden-drift",
    both_ways_runs=1,
    shipped_suite=False,
)

FULL = Plan(
    mode="full",
    lake_rows=(100_000, 1_000_000, 10_000_000),
    new_rows=100_000,
    features=8,
    drift_repeats=7,
    exact_repeats=1,
    flagship="sudden-drift",
    flagship_runs=2,
    ticks_series=(10, 20, 40),
    series_rows=2_000,
    rows_series=(1_000, 10_000, 50_000),
    series_ticks=10,
    memory_ticks=100,
    memory_rows=100_000,
    both_ways="sudden-drift",
    both_ways_runs=2,
    shipped_suite=True,
    compare_ticks=600,
    tune_ticks=150,
    tune_trials=30,
)


def scaling_scenario(name: str, ticks: int, rows_per_tick: int, seed: int = 5) -> dict[str, Any]:
    """A scenario with one pipeline run (bootstrap at tick 1) and a drift trigger that stays quiet.

    Everything after tick 1 is the simulator's own per-tick work: generate, write the lake,
    serve, join labels, check drift. So its wall time against ticks and rows shows how the
    loop scales, without pipeline runs (about 10 s each) drowning it.
    """
    return {
        "name": name,
        "description": f"bench: {ticks} ticks of {rows_per_tick} rows, one pipeline run",
        "seed": seed,
        "clock": {"start": "2026-03-02T00:00:00", "tick": "1d", "ticks": ticks},
        "data": {
            "generator": {
                "numeric_features": 8,
                "informative_features": 3,
                "rows_per_tick": rows_per_tick,
                "label_delay_ticks": 1,
            }
        },
        "bootstrap_tick": 1,
        "triggers": {"drift": {"method": "auto", "drift_share": 0.5}, "cooldown_ticks": 2},
        "gates": {"data": {"min_rows": min(100, rows_per_tick)}, "model": {"min_value": 0.5}},
        "training": {"strategy": "window", "window_ticks": 2},
        "expectations": [{"expect": "trigger_never", "trigger": "drift"}],
    }


def scenario_yaml(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def cut_scenario(document: dict[str, Any], ticks: int, directory: Path) -> dict[str, Any]:
    """A replay scenario's first ``ticks`` ticks, its replay path made absolute (``directory``: the
    scenario file's), expectations dropped (they are written for the whole replay)."""
    replay = dict(document["data"]["replay"])
    replay["path"] = str((directory / replay["path"]).resolve())
    return {
        **document,
        "name": f"{document['name']}-{ticks}",
        "clock": {**document["clock"], "ticks": ticks},
        "data": {**document["data"], "replay": replay},
        "expectations": [],
    }
