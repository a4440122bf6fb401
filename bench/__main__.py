"""``python -m bench [--quick] [--out PATH]``: run every measurement, print one table, write JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console

from bench.plan import FULL, QUICK, Plan
from bench.stats import median, summarize, task_overheads
from bench.table import render

DEFAULT_OUT = Path("bench/results/latest.json")
SECTIONS = ("drift", "startup", "scenarios", "policies")
# kfp.local 2.17 can cache task outputs (local.init(enable_caching=True)); it is left off on purpose.
CACHING = {
    "available": True,
    "used": False,
    "why": "every task takes the run's namespace and run_id and writes its step record (and the registry) "
    "to the store, so no task of a replay has unchanged inputs; a hit would also skip those writes",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: about two minutes")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"JSON results (default: {DEFAULT_OUT})")
    parser.add_argument("--only", choices=SECTIONS, action="append", help="run only this section (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the scenario runs' directories (the path is printed)")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    # Not a terminal (make bench | tee, CI logs): rich would wrap the table at 80 columns.
    console = Console() if sys.stdout.isatty() else Console(width=160)
    results = run(plan, set(args.only or SECTIONS), args.keep, console)
    console.print(render(results))
    write_results(args.out, results)
    console.print(f"results written to {args.out}")
    return 0


def run(plan: Plan, sections: set[str], keep: bool, console: Console) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {"mode": plan.mode, "machine": machine(), "caching": CACHING}
    if "startup" in sections:
        from bench.startup import run_startup

        console.print("fresh-interpreter import costs ...")
        results["startup"] = run_startup(repeats=5 if plan.mode == "full" else 3)
    if "scenarios" in sections:
        from bench.scenarios import run_scenarios

        console.print("scenario runs (suite legs, ticks and rows series, memory, warm vs --cold) ...")
        scenarios = run_scenarios(plan, keep)
        results.update(
            {
                key: scenarios[key]
                for key in (
                    "flagship",
                    "suite",
                    "ticks_series",
                    "rows_series",
                    "memory",
                    "crashed",
                    "both_ways",
                    "shipped_suite",
                )
            }
        )
        if scenarios["kept"]:
            console.print(f"scenario run directories kept in {scenarios['kept']}")
        results["task_overhead"] = overhead_summary(scenarios["task_runs"])  # warm tasks (the default)
        results["task_overhead_cold"] = overhead_summary(scenarios["task_runs_cold"])
    if "policies" in sections:
        from bench.policies import run_policies

        console.print(
            f"policy search: compare of 5 built-ins over {plan.compare_ticks} ticks, "
            f"tune of {plan.tune_trials} trials over {plan.tune_ticks} ticks ..."
        )
        results["policies"] = run_policies(plan, keep)
    if "drift" in sections:  # last: its 1e7-row frames stay in this process's heap afterwards
        from bench.drift import run_drift

        console.print(f"drift check at lake sizes {', '.join(f'{n:,}' for n in plan.lake_rows)} ...")
        results["drift"] = run_drift(plan)
    results["machine"]["load_end"] = _load()
    results["seconds"] = time.perf_counter() - started
    return results


def overhead_summary(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    rows = task_overheads(runs)
    if not rows:
        return None
    by_task: dict[str, list[float]] = {}
    for row in rows:
        by_task.setdefault(row["task"], []).append(row["overhead"])
    return {
        **summarize([row["overhead"] for row in rows]),
        "by_task": {task: median(values) for task, values in by_task.items()},
        "median_wall": median(row["wall"] for row in rows),
        "median_work": median(row["work"] for row in rows),
    }


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    return {
        "cpus": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "kfp": version("kfp"),
        "load_start": _load(),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def write_results(path: Path, results: dict[str, Any]) -> None:
    """Atomically: a half-written file never replaces the last results."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(results, indent=1, default=str, allow_nan=True), encoding="utf-8")
    partial.replace(path)


if __name__ == "__main__":
    sys.exit(main())
