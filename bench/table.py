"""The benchmark's one table: measure, value, target, and whether the target is met."""

from __future__ import annotations

import math
from typing import Any

from rich.table import Table

from bench.stats import LINEAR_EXPONENT, ratio

__all__ = ["TARGETS", "build_rows", "render"]

TARGETS = {
    "task_overhead_seconds": 0.1,  # median, warm tasks, kfp.local, 2 cores
    "task_overhead_ratio": 6.0,  # cold median / warm median, same bench run
    "flagship_seconds": 12.0,  # sudden-drift end to end, warm, quiet machine
    "flagship_ratio": 2.5,  # sudden-drift cold / warm, same bench run
    "shipped_suite_seconds": 180.0,  # the whole shipped suite, 2 workers, warm
    "drift_check_seconds": 0.1,  # one check, 1e7-row lake, 1e5 new rows
    "orchestrator_rss_mb": 500.0,  # peak RSS of the simulator on a 1e7-row scenario
    "suite_speedup": 1.8,  # 2 workers vs 1 on 2 cores
    "compare_seconds": 1800.0,  # compare of five built-ins over 600 ticks of noaa-weather, 2 workers
    "tune_seconds": 1800.0,  # tune of 30 trials (+ five built-ins) over 150 ticks of it, 2 workers
}


def _s(seconds: float | None) -> str:
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "n/a"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _verdict(ok: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "-"}[ok]


def _at_most(value: float | None, limit: float) -> bool | None:
    return None if value is None or math.isnan(value) else value <= limit


def _rows_label(rows: int) -> str:
    return f"1e{round(math.log10(rows))}" if rows > 0 and 10 ** round(math.log10(rows)) == rows else f"{rows:,}"


def build_rows(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(measure, value, target, met) for every figure; pure, so the table and the tests share it."""
    rows: list[tuple[str, str, str, bool | None]] = []
    overhead = results.get("task_overhead")
    if overhead:
        rows.append(
            (
                "per-task overhead on kfp.local, warm (median / p90)",
                f"{_s(overhead['median'])} / {_s(overhead['p90'])} over {overhead['n']} tasks",
                f"<= {_s(TARGETS['task_overhead_seconds'])} median",
                _at_most(overhead["median"], TARGETS["task_overhead_seconds"]),
            )
        )
        by_task = ", ".join(f"{task} {_s(value)}" for task, value in overhead["by_task"].items())
        rows.append(("  per task (median)", by_task, "", None))
    cold = results.get("task_overhead_cold")
    if overhead and cold:
        times = ratio(cold["median"], overhead["median"])
        rows.append(
            (
                "per-task overhead, warm vs --cold (median)",
                f"warm {_s(overhead['median'])} | cold {_s(cold['median'])} over {cold['n']} tasks | {times:.1f}x",
                f">= {TARGETS['task_overhead_ratio']:.0f}x",
                None if math.isnan(times) else times >= TARGETS["task_overhead_ratio"],
            )
        )
    both = results.get("both_ways")
    same = (both or {}).get("task_overhead")
    if same:  # the same scenario's tasks both ways: the fairest ratio
        times = ratio(same["cold"]["median"], same["warm"]["median"])
        rows.append(
            (
                f"  same scenario ({both['name']}) tasks, warm vs --cold (median)",
                f"warm {_s(same['warm']['median'])} | cold {_s(same['cold']['median'])} | {times:.1f}x",
                "",
                None,
            )
        )
    if both:
        rows.append(
            (
                f"{both['name']} end to end, warm vs --cold",
                f"warm {_s(both['warm_seconds'])} | cold {_s(both['cold_seconds'])} | {both['speedup']:.2f}x",
                f"<= {_s(TARGETS['flagship_seconds'])} warm, >= {TARGETS['flagship_ratio']}x",
                None
                if math.isnan(both["speedup"])
                else (
                    _at_most(both["warm_seconds"], TARGETS["flagship_seconds"])
                    and both["speedup"] >= TARGETS["flagship_ratio"]
                ),
            )
        )
    shipped = results.get("shipped_suite")
    if shipped:
        rows.append(
            (
                f"shipped suite ({shipped['scenarios']} scenarios, 2 workers), warm vs --cold",
                f"warm {_s(shipped['warm_seconds'])} | cold {_s(shipped['cold_seconds'])} | "
                f"{shipped['speedup']:.2f}x ({', '.join(shipped['statuses'])})",
                f"<= {_s(TARGETS['shipped_suite_seconds'])} warm",
                _at_most(shipped["warm_seconds"], TARGETS["shipped_suite_seconds"]),
            )
        )
    for item in results.get("startup", []):
        rows.append((f"  fresh interpreter: {item['what']}", _s(item["seconds"]), "", None))
    flagship = results.get("flagship") or {}
    if flagship.get("name"):
        runs = flagship.get("runs", [])
        statuses = ", ".join(sorted({r.get("status", "?") for r in runs}))
        rows.append(
            (
                f"{flagship['name']} end to end (median of {len(runs)})",
                f"{_s(flagship['median_seconds'])} ({statuses})",
                f"<= {_s(TARGETS['flagship_seconds'])}",
                _at_most(flagship["median_seconds"], TARGETS["flagship_seconds"]),
            )
        )
    for item in results.get("drift", []):
        largest = item["lake_rows"] >= 10_000_000
        agree = "decisions agree" if item["decisions_agree"] else "decisions DIFFER"
        rows.append(
            (
                f"drift check, {_rows_label(item['lake_rows'])}-row lake, {item['new_rows']:,} new rows",
                f"sketch {_s(item['sketch_check_seconds'])} | scipy exact {_s(item['exact_check_seconds'])} | "
                f"{item['speedup']:.0f}x | {agree}, max |diff| {item['max_statistic_difference']:.4f}",
                f"<= {_s(TARGETS['drift_check_seconds'])}" if largest else "",
                (_at_most(item["sketch_check_seconds"], TARGETS["drift_check_seconds"]) and item["decisions_agree"])
                if largest
                else None,
            )
        )
    memory = results.get("memory")
    if memory:
        rows.append(
            (
                f"peak RSS, scenario with {memory.get('lake_rows', 0):,} lake rows",
                f"simulator {memory.get('self_max_rss_mb', math.nan):.0f} MB | largest child "
                f"{memory.get('children_max_rss_mb', math.nan):.0f} MB",
                f"< {TARGETS['orchestrator_rss_mb']:.0f} MB (simulator)",
                (memory.get("self_max_rss_mb", math.inf) < TARGETS["orchestrator_rss_mb"])
                if memory.get("lake_rows", 0) >= 10_000_000
                else None,
            )
        )
    suite = results.get("suite")
    if suite:
        rows.append(
            (
                f"suite of {len(suite['scenarios'])}: 1 worker vs 2",
                f"{_s(suite['one_worker_seconds'])} vs {_s(suite['two_worker_seconds'])} = {suite['speedup']:.2f}x",
                f">= {TARGETS['suite_speedup']}x",
                None if math.isnan(suite["speedup"]) else suite["speedup"] >= TARGETS["suite_speedup"],
            )
        )
    for key, label in (("ticks_series", "ticks"), ("rows_series", "rows per tick")):
        series = results.get(key)
        if not series or not series.get("points"):
            continue
        axis = series["axis"]
        points = "; ".join(
            f"{p[axis]:,} -> {_s(p['seconds'])} ({_s(p['seconds_per_tick'])}/tick)" for p in series["points"]
        )
        fit = series.get("fit")
        linear = f" | growth exponent {fit['exponent']:.2f}, R^2 {fit['r2']:.3f}" if fit else ""
        judged = fit and results.get("mode") != "quick"  # a few short runs cannot tell linear from not
        rows.append(
            (
                f"wall vs {label}",
                points + linear,
                f"linear (exponent <= {LINEAR_EXPONENT})",
                fit["exponent"] <= LINEAR_EXPONENT if judged else None,
            )
        )
    rows.extend(_policy_rows(results))
    caching = results.get("caching")
    if caching:
        used = "used" if caching.get("used") else "available in kfp 2.17, not used"
        rows.append(("kfp.local caching", f"{used}: no task input is unchanged between runs (run_id)", "", None))
    return rows


def _policy_rows(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    policies = results.get("policies") or {}
    judged = results.get("mode") != "quick"
    rows: list[tuple[str, str, str, bool | None]] = []
    compare, tune = policies.get("compare"), policies.get("tune")
    if compare:
        failed = f" (exit {compare['exit_code']})" if compare["exit_code"] else ""
        runs = compare.get("pipeline_runs", "?")
        rows.append(
            (
                f"compare of 5 built-in policies, {compare.get('ticks', '?')} ticks of noaa-weather",
                f"{_s(compare['seconds'])}, {runs} pipeline runs{failed}",
                f"<= {_s(TARGETS['compare_seconds'])} (600 ticks)",
                (not failed and _at_most(compare["seconds"], TARGETS["compare_seconds"])) if judged else None,
            )
        )
    if tune:
        failed = f" (exit {tune['exit_code']})" if tune["exit_code"] else ""
        choice = (tune.get("near_best") or {}).get("choice")
        rows.append(
            (
                f"tune of {tune.get('trials', '?')} trials + the 5 built-ins",
                f"{_s(tune['seconds'])}, {tune.get('pipeline_runs', '?')} pipeline runs, recommends {choice}{failed}",
                f"<= {_s(TARGETS['tune_seconds'])} (30 trials, 150 ticks)",
                (not failed and _at_most(tune["seconds"], TARGETS["tune_seconds"])) if judged else None,
            )
        )
    return rows


def render(results: dict[str, Any]) -> Table:
    machine = results.get("machine", {})
    title = (
        f"ctsim bench ({results.get('mode')}) - {machine.get('cpus')} cpus, load average "
        f"{machine.get('load_start')} -> {machine.get('load_end')}"
    )
    table = Table(title=title, show_lines=False)
    for column in ("measure", "value", "target", "met"):
        table.add_column(column, overflow="fold")
    for measure, value, target, met in build_rows(results):
        table.add_row(measure, value, target, _verdict(met))
    return table
