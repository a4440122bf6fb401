"""Policy search at real-data scale, each as the one command a user runs, wall clock:

* ``ctsim compare`` of the five built-in policies over a replay of ``plan.compare_ticks`` ticks;
* ``ctsim tune`` of ``plan.tune_trials`` trials (plus the five built-ins it replays to compare
  against) over the first ``plan.tune_ticks`` ticks of the same replay.

The replay is ``noaa-weather`` (50 years of daily weather, one month per tick), cut to the plan's
ticks; both commands run on ``-j 2`` workers with warm task processes (the default).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.plan import Plan, cut_scenario

SCENARIO = "long/noaa-weather"
SPACE = Path(__file__).resolve().parents[1] / "examples" / "tune-space-monthly.yaml"
POLICIES = ("none", "schedule", "volume", "drift", "performance")
COMMAND_TIMEOUT_S = 3 * 3600.0  # a hang guard only: the targets are 30 minutes each
CTSIM = [sys.executable, "-m", "ctsim.cli"]


def run_policies(plan: Plan, keep: bool = False) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="ctsim-bench-policies-"))
    try:
        return {
            "compare": _compare(_cut(plan.compare_ticks, scratch), scratch / "compare"),
            "tune": _tune(_cut(plan.tune_ticks, scratch), scratch / "tune", plan.tune_trials),
            "kept": str(scratch) if keep else None,
        }
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _cut(ticks: int, scratch: Path) -> Path:
    import yaml

    from ctsim.scenario import loader

    shipped = loader.resolve(SCENARIO)
    document = cut_scenario(yaml.safe_load(shipped.read_text(encoding="utf-8")), ticks, shipped.parent)
    path = scratch / f"{document['name']}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _timed(arguments: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([*CTSIM, *arguments], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S)
    return time.perf_counter() - started, done


def _record(runs_dir: Path, name: str) -> dict[str, Any]:
    [path] = runs_dir.glob(f"*/{name}")
    return json.loads(path.read_text(encoding="utf-8"))


def _compare(scenario: Path, runs_dir: Path) -> dict[str, Any]:
    policies = [argument for name in POLICIES for argument in ("--policy", name)]
    seconds, done = _timed(["compare", str(scenario), *policies, "-j", "2", "--runs-dir", str(runs_dir)])
    if done.returncode != 0:
        return {"seconds": seconds, "exit_code": done.returncode, "error": done.stderr[-2000:]}
    record = _record(runs_dir, "compare.json")
    return {
        "seconds": seconds,
        "exit_code": 0,
        "ticks": record["policies"][0]["metrics"]["ticks"],
        "policies": {entry["policy"]: _brief(entry["metrics"]) for entry in record["policies"]},
        "pipeline_runs": sum(entry["metrics"]["retrains"] for entry in record["policies"]),
    }


def _tune(scenario: Path, runs_dir: Path, trials: int) -> dict[str, Any]:
    arguments = ["tune", str(scenario), "--space", str(SPACE), "--trials", str(trials), "-j", "2"]
    seconds, done = _timed([*arguments, "--runs-dir", str(runs_dir)])
    if done.returncode != 0:
        return {"seconds": seconds, "exit_code": done.returncode, "error": done.stderr[-2000:]}
    record = _record(runs_dir, "tune.json")
    [directory] = runs_dir.iterdir()
    # The same study judged for a retrain budget: resuming a finished study replays nothing.
    baselines = {b["name"]: b["metrics"] for b in record["baselines"] if b["metrics"]}
    budget = max(1, min((m["retrains"] for m in baselines.values() if m["retrains"] > 0), default=2) - 1)
    _, again = _timed([*arguments, "--resume", str(directory), "--goal", "budget", "--max-retrains", str(budget)])
    budget_record = json.loads((directory / "tune.json").read_text(encoding="utf-8")) if again.returncode == 0 else {}
    return {
        "seconds": seconds,
        "exit_code": 0,
        "trials": len(record["trials"]),
        "stopped": record["stopped"],
        "baselines": {name: _brief(metrics) for name, metrics in baselines.items()},
        "front": record["front"],
        "near_best": record["recommendation"],
        "budget": {"max_retrains": budget, **budget_record.get("recommendation", {"error": again.stderr[-2000:]})},
        "pipeline_runs": sum(t["metrics"]["retrains"] for t in record["trials"] + record["baselines"] if t["metrics"]),
    }


def _brief(metrics: dict[str, Any]) -> dict[str, Any]:
    keys = ("auc", "retrains", "compute_seconds")
    return {key: metrics[key] for key in keys if key in metrics}
