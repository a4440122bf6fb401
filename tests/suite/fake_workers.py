"""Stand-in workers for the suite's process pool (imported by spawned children: keep it light).

They replace only the scenario replay; the pool, the spawning, the crash handling and the
suite record are the real ones.
"""

from __future__ import annotations

import os
from pathlib import Path


def scripted(path: str, runs_dir: str, runner: str) -> dict:
    """Behave as the scenario file's first line says: 'pass', 'fail', 'raise' or 'die'."""
    verb = Path(path).read_text(encoding="utf-8").split()[1]
    if verb == "raise":
        raise RuntimeError("the worker blew up\nsecond line of detail")
    if verb == "die":
        os._exit(7)  # the process vanishes, as under the OOM killer
    run_dir = Path(runs_dir) / f"{Path(path).stem}-run"
    run_dir.mkdir(parents=True)
    return {
        "name": Path(path).stem,
        "status": "passed" if verb == "pass" else "failed",
        "run_dir": str(run_dir),
        "pipeline_sha256": os.environ.get("FAKE_SHA", ""),
        "seconds": 0.5,
        "ticks": 4,
        "pipeline_runs": 1,
        "error": "" if verb == "pass" else "an expectation failed",
        "pid": os.getpid(),
    }


def policy_timeline(path: str, runs_dir: str, runner: str) -> dict:
    """Write the timeline a policy would produce on a concept drift at tick 8, without the pipeline:
    'performance' retrains at 9 and recovers, others stay down; a 'schedule' policy crashes."""
    import yaml

    from ctsim.timeline import PipelineRun, ScriptedEvent, Timeline

    triggers = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["triggers"]
    if "schedule" in triggers:
        raise ValueError("scheduled crash")
    catches = "performance" in triggers
    curve = [None, None] + [0.9] * 6 + ([0.1, 0.5, 0.9, 0.9, 0.9, 0.9] if catches else [0.1] * 6)
    events = [ScriptedEvent(8, "concept_drift begins (scripted)", "concept_drift")]
    runs = []
    if catches:
        events.append(
            PipelineRun(
                9,
                "run-002 (performance) succeeded",
                "run-002",
                "performance",
                "succeeded",
                (2, 8),
                ("train-model",),
                "registered",
            )
        )
        runs.append({"run_id": "run-002", "tick": 9, "trigger": "performance", "status": "succeeded", "seconds": 12.0})
    return written_run(runs_dir, Timeline("concept-drift", 41, "accuracy", events, curve_ticks(curve), runs))


def noisy_timeline(path: str, runs_dir: str, runner: str) -> dict:
    """Two policies on noisy traffic: 'volume' is better than 'drift' by the scenario's description
    (``gap 0.002``), far below or far above the tick-to-tick noise (sd 0.03, each policy its own draws)."""
    import random

    import yaml

    from ctsim.timeline import TickRecord, Timeline

    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    gap = float(document["description"].split()[1])
    better = "volume" in document["triggers"]
    rng = random.Random(5 if better else 6)
    noise = [rng.gauss(0, 0.03) for _ in range(40)]
    lift = gap if better else 0.0
    ticks = [TickRecord(i, "", 300, "v0001", None, 0, "idle", 300, 0.8 + n + lift, 0.8) for i, n in enumerate(noise)]
    return written_run(runs_dir, Timeline("noisy", 3, "accuracy", [], ticks, []))


def curve_ticks(curve: list) -> list:
    """Tick records serving ``curve`` (None: nothing served that tick), champion v0001 throughout."""
    from ctsim.timeline import TickRecord

    return [
        TickRecord(i, "", 300, "v0001", None, 0, "idle", 0 if v is None else 300, v, v) for i, v in enumerate(curve)
    ]


def written_run(runs_dir: str, timeline) -> dict:
    """``timeline`` written as the run directory's timeline.json; the outcome a passed replay reports."""
    from ctsim.timeline import write_timeline

    run_dir = Path(runs_dir) / "run"
    run_dir.mkdir(parents=True)
    write_timeline(timeline, run_dir / "timeline.json")
    return {
        "name": timeline.scenario,
        "status": "passed",
        "run_dir": str(run_dir),
        "pipeline_sha256": "",
        "seconds": 1.0,
        "ticks": len(timeline.ticks),
        "pipeline_runs": len(timeline.runs),
        "error": "",
    }
