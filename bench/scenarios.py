"""Scenario runs for the benchmark, each in its own spawned worker process.

A fresh process per scenario keeps the measurements apart: its peak RSS (VmHWM,
see ``bench.memory``) is the orchestrating process alone, the simulator and its
engine; the largest child (a pipeline task, or the embedded S3 server) is sampled
from /proc while the scenario runs. Workers go through
``ctsim.sim.suite.run_parallel``, the same pool ``ctsim run suite -j N`` uses,
so the 1-worker vs 2-worker figure is the suite's own scaling. Every run starts its pipeline tasks warm (the
default) except the ``--cold`` legs, which replay the same scenarios with fresh interpreters in the same bench
run, so warm and cold are compared on the same machine under the same load.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.memory import ChildSampler, peak_rss_mb
from bench.plan import Plan, scaling_scenario, scenario_yaml
from bench.stats import growth_exponent, linear_fit, median, ratio, summarize, task_overheads

__all__ = ["measure_worker", "run_scenarios"]


def measure_worker(path: str, runs_dir: str, runner: str, tasks: Any = None) -> dict[str, Any]:
    """Run one scenario in this (worker) process; returns timings, memory and the runs' task timings."""
    from ctsim.sim import run_scenario

    ticks: list[float] = []

    def on_progress(kind: str, data: dict) -> None:
        if kind == "tick":
            ticks.append(time.perf_counter())

    started = time.perf_counter()
    try:
        with ChildSampler() as children:
            result = run_scenario(
                path,
                runs_dir=Path(runs_dir),
                runner=runner,  # type: ignore[arg-type]
                progress=on_progress,
                tasks=tasks,
            )
    except Exception as exc:  # a benchmark reports a crash as a figure, it does not stop
        return {
            "path": path,
            "status": "crashed",
            "error": f"{type(exc).__name__}: {exc}"[:300],
            "seconds": time.perf_counter() - started,
        }
    seconds = time.perf_counter() - started
    finished = time.perf_counter()
    tick_seconds = [later - earlier for earlier, later in zip(ticks, ticks[1:] + [finished])]
    return {
        "path": path,
        "name": result.scenario.name,
        "status": "passed" if result.verdict.passed else "failed",
        "failed": [r.name for r in result.verdict.results if not r.passed],
        "seconds": seconds,
        "ticks": len(result.timeline.ticks),
        "rows": sum(tick.rows for tick in result.timeline.ticks),
        "pipeline_runs": len(result.timeline.runs),
        "runs": result.timeline.runs,
        "tick_seconds": tick_seconds,
        "self_max_rss_mb": peak_rss_mb(),
        "children_max_rss_mb": children.peak_mb,
        "warm": tasks is None or tasks.warm,
    }


def _pool(paths: list[Path], jobs: int, scratch: Path, warm: bool = True) -> tuple[float, list[dict[str, Any]]]:
    """Run ``paths`` ``jobs`` at a time, tasks warm or cold; returns the wall time of the batch and each result."""
    from ctsim.runners import TaskProcesses
    from ctsim.sim.suite import run_parallel

    leg = scratch / f"{'warm' if warm else 'cold'}-{jobs}-{time.monotonic_ns()}"
    tasks = [
        (str(path), str(leg / str(index)), "subprocess", TaskProcesses(warm=warm)) for index, path in enumerate(paths)
    ]
    started = time.perf_counter()
    results = run_parallel(tasks, jobs, worker=measure_worker)
    return time.perf_counter() - started, results


def _write(scratch: Path, document: dict[str, Any]) -> Path:
    path = scratch / f"{document['name']}.yaml"
    path.write_text(scenario_yaml(document), encoding="utf-8")
    return path


def run_scenarios(plan: Plan, keep: bool = False) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="ctsim-bench-"))
    try:
        return {**_run_all(plan, scratch), "kept": str(scratch) if keep else None}
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _run_all(plan: Plan, scratch: Path) -> dict[str, Any]:
    from ctsim.scenario import loader

    def path_of(ticks: int, rows: int) -> Path:
        return _write(scratch, scaling_scenario(f"bench-t{ticks}-r{rows}", ticks, rows))

    ticks_keys = [(t, plan.series_rows) for t in plan.ticks_series]
    rows_keys = [(plan.series_ticks, r) for r in plan.rows_series]
    memory_key = (plan.memory_ticks, plan.memory_rows)
    # The suite's legs: the same scenarios one at a time, then two at a time. Without a flagship
    # (quick mode) the legs are the ticks series, so those runs count twice.
    suite_keys = [] if plan.flagship else ticks_keys
    if plan.flagship:
        suite_paths = [loader.resolve(plan.flagship)] * plan.flagship_runs
    else:
        suite_paths = [path_of(*key) for key in ticks_keys]
    one_wall, one = _pool(suite_paths, 1, scratch)
    two_wall, two = _pool(suite_paths, 2, scratch)
    by_key = dict(zip(suite_keys, one))
    wanted = list(dict.fromkeys(k for k in ticks_keys + rows_keys + [memory_key] if k not in by_key))
    _, extra = _pool([path_of(*k) for k in wanted], 1, scratch)
    by_key.update(zip(wanted, extra))
    memory_run = by_key[memory_key]
    flagship_runs = one if plan.flagship else []
    both_ways = _both_ways(plan, scratch, flagship_runs)
    shipped = _shipped_suite(scratch) if plan.shipped_suite else None
    all_runs = one + two + extra + both_ways["warm_results"] + both_ways["cold_results"]
    return {
        "both_ways": {key: value for key, value in both_ways.items() if not key.endswith("_results")},
        "shipped_suite": shipped,
        "flagship": {
            "name": plan.flagship or None,
            "runs": [_brief(r) for r in flagship_runs],
            "median_seconds": median(r["seconds"] for r in flagship_runs if r["status"] != "crashed"),
        },
        "suite": {
            "scenarios": [Path(p).stem for p in suite_paths],
            "one_worker_seconds": one_wall,
            "two_worker_seconds": two_wall,
            "speedup": ratio(one_wall, two_wall),
            "runs": [_brief(r) for r in one + two],
        },
        "ticks_series": _series([by_key[k] for k in ticks_keys], "ticks"),
        "rows_series": _series([by_key[k] for k in rows_keys], "rows_per_tick", plan.series_ticks),
        "memory": {
            **_brief(memory_run),
            "lake_rows": memory_run.get("rows", 0),
            "max_self_rss_any_run_mb": max((r.get("self_max_rss_mb") or 0) for r in all_runs),
        },
        "task_runs": [run for result in all_runs if result.get("warm", True) for run in result.get("runs", [])],
        "task_runs_cold": [
            run for result in all_runs if not result.get("warm", True) for run in result.get("runs", [])
        ],
        "crashed": [r.get("error") for r in all_runs if r["status"] == "crashed"],
    }


def _both_ways(plan: Plan, scratch: Path, warm_done: list[dict[str, Any]]) -> dict[str, Any]:
    """The same shipped scenario warm and --cold, one after the other (warm runs reused from the suite leg)."""
    from ctsim.scenario import loader

    path = loader.resolve(plan.both_ways)
    warm = [r for r in warm_done if r.get("name") == plan.both_ways][: plan.both_ways_runs]
    if len(warm) < plan.both_ways_runs:
        warm += _pool([path] * (plan.both_ways_runs - len(warm)), 1, scratch)[1]
    cold = _pool([path] * plan.both_ways_runs, 1, scratch, warm=False)[1]
    warm_s = median(r["seconds"] for r in warm if r["status"] != "crashed")
    cold_s = median(r["seconds"] for r in cold if r["status"] != "crashed")
    overheads = {
        mode: summarize(
            [row["overhead"] for row in task_overheads(run for result in results for run in result.get("runs", []))]
        )
        for mode, results in (("warm", warm), ("cold", cold))
    }
    return {
        "name": plan.both_ways,
        "warm_seconds": warm_s,
        "cold_seconds": cold_s,
        "speedup": ratio(cold_s, warm_s),
        "task_overhead": overheads,
        "runs": [_brief(r) for r in warm + cold],
        "warm_results": warm,
        "cold_results": cold,
    }


def _shipped_suite(scratch: Path) -> dict[str, Any]:
    """Every shipped scenario on two workers, tasks warm, then cold."""
    from ctsim.scenario.loader import SHIPPED_DIR
    from ctsim.sim.suite import discover

    paths = discover(SHIPPED_DIR)
    warm_s, warm = _pool(paths, 2, scratch)
    cold_s, cold = _pool(paths, 2, scratch, warm=False)
    return {
        "scenarios": len(paths),
        "warm_seconds": warm_s,
        "cold_seconds": cold_s,
        "speedup": ratio(cold_s, warm_s),
        "statuses": sorted({r["status"] for r in warm + cold}),
    }


def _brief(result: dict[str, Any]) -> dict[str, Any]:
    return {
        key: result.get(key)
        for key in (
            "name",
            "status",
            "failed",
            "seconds",
            "ticks",
            "rows",
            "pipeline_runs",
            "self_max_rss_mb",
            "children_max_rss_mb",
            "error",
        )
        if result.get(key) is not None
    }


def _series(results: list[dict[str, Any]], axis: str, ticks: int | None = None) -> dict[str, Any]:
    """Wall time along one axis, with the simulator's own per-tick time (ticks after the pipeline run)."""
    points = []
    for result in results:
        if result["status"] == "crashed":
            continue
        loop_ticks = result["tick_seconds"][2:]  # ticks 0-1 hold the start-up and the one pipeline run
        x = result["ticks"] if axis == "ticks" else result["rows"] // max(1, ticks or result["ticks"])
        points.append(
            {
                axis: x,
                "seconds": result["seconds"],
                "loop_seconds": sum(loop_ticks),
                "seconds_per_tick": median(loop_ticks),
                "first_ticks": median(loop_ticks[:3]),
                "last_ticks": median(loop_ticks[-3:]),
            }
        )
    document: dict[str, Any] = {"axis": axis, "points": points}
    if len({p[axis] for p in points}) >= 2:
        # Linear: the loop's time grows with exponent <= ~1 in the axis (per-tick time flat along ticks).
        xs, ys = [p[axis] for p in points], [p["loop_seconds"] for p in points]
        fit = linear_fit(xs, ys)
        document["fit"] = {
            "slope": fit.slope,
            "intercept": fit.intercept,
            "r2": fit.r2,
            "worst_relative_residual": fit.worst_relative_residual,
            "exponent": growth_exponent(xs, ys),
        }
    return document
