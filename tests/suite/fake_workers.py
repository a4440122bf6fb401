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
        os._exit(7)   # the process vanishes, as under the OOM killer
    run_dir = Path(runs_dir) / f"{Path(path).stem}-run"
    run_dir.mkdir(parents=True)
    return {"name": Path(path).stem, "status": "passed" if verb == "pass" else "failed", "run_dir": str(run_dir),
            "pipeline_sha256": os.environ.get("FAKE_SHA", ""), "seconds": 0.5, "ticks": 4, "pipeline_runs": 1,
            "error": "" if verb == "pass" else "an expectation failed", "pid": os.getpid()}


def policy_timeline(path: str, runs_dir: str, runner: str) -> dict:
    """Write the timeline a policy would produce on a concept drift at tick 8, without the pipeline:
    'performance' retrains at 9 and recovers, others stay down; a 'schedule' policy crashes."""
    import json

    import yaml

    triggers = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["triggers"]
    if "schedule" in triggers:
        raise ValueError("scheduled crash")
    catches = "performance" in triggers
    curve = [None, None] + [0.9] * 6 + ([0.1, 0.5, 0.9, 0.9, 0.9, 0.9] if catches else [0.1] * 6)
    events = [{"tick": 8, "kind": "scripted", "message": "concept_drift begins", "data": {"event": "concept_drift"}}]
    runs = []
    if catches:
        events.append({"tick": 9, "kind": "pipeline-run", "message": "run-002", "data": {"trigger": "performance"}})
        runs.append({"run_id": "run-002", "tick": 9, "trigger": "performance", "status": "succeeded", "seconds": 12.0})
    ticks = [{"tick": i, "time": "", "rows": 300, "champion": "v0001", "canary": None, "canary_weight": 0,
              "canary_phase": "idle", "labelled": 0 if v is None else 300, "served_metric": v, "champion_metric": v}
             for i, v in enumerate(curve)]
    run_dir = Path(runs_dir) / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "timeline.json").write_text(json.dumps({"scenario": "concept-drift", "seed": 41, "metric": "accuracy",
                                                       "events": events, "ticks": ticks, "runs": runs}))
    return {"name": "concept-drift", "status": "passed", "run_dir": str(run_dir), "pipeline_sha256": "",
            "seconds": 1.0, "ticks": len(ticks), "pipeline_runs": len(runs), "error": ""}


def noisy_timeline(path: str, runs_dir: str, runner: str) -> dict:
    """Two policies on noisy traffic: 'volume' is better than 'drift' by the scenario's description
    (``gap 0.002``), far below or far above the tick-to-tick noise (sd 0.03, each policy its own draws)."""
    import json
    import random

    import yaml

    document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    gap = float(document["description"].split()[1])
    better = "volume" in document["triggers"]
    rng = random.Random(5 if better else 6)
    noise = [rng.gauss(0, 0.03) for _ in range(40)]
    lift = gap if better else 0.0
    ticks = [{"tick": i, "time": "", "rows": 300, "champion": "v0001", "canary": None, "canary_weight": 0,
              "canary_phase": "idle", "labelled": 300, "served_metric": 0.8 + n + lift, "champion_metric": 0.8}
             for i, n in enumerate(noise)]
    run_dir = Path(runs_dir) / "run"
    run_dir.mkdir(parents=True)
    (run_dir / "timeline.json").write_text(json.dumps({"scenario": "noisy", "seed": 3, "metric": "accuracy",
                                                       "events": [], "ticks": ticks, "runs": []}))
    return {"name": "noisy", "status": "passed", "run_dir": str(run_dir), "pipeline_sha256": "",
            "seconds": 1.0, "ticks": len(ticks), "pipeline_runs": 0, "error": ""}
