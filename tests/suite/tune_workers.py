"""A stand-in replay for `ctsim tune` (imported by spawned children: keep it light).

It writes the timeline a policy would produce on a concept drift at tick 8, without the pipeline,
with a served metric and retrains that depend on the triggers, so the search has a real trade-off:
a performance trigger with a small max_drop recovers fast for one retrain, a loose one late; a drift
trigger recovers fast but retrains every other tick; a schedule retrains weekly; cooldown delays.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml
from fake_workers import curve_ticks, written_run

from ctsim.timeline import PipelineRun, ScriptedEvent, Timeline

TICKS = 16
ONSET = 8


def _story(triggers: dict) -> tuple[int, int | None]:
    """(retrains, tick the metric recovers at, or None)."""
    cooldown = triggers.get("cooldown_ticks", 2)
    options: list[tuple[int, int | None]] = [(0, None)]
    if "performance" in triggers:
        late = 1 if triggers["performance"]["max_drop"] < 0.05 else 5
        options.append((1, ONSET + late + cooldown // 3))
    if "drift" in triggers:
        options.append((TICKS // 2, ONSET + 1))
    if "schedule" in triggers:
        options.append((2, ONSET + 3))
    retrains = sum(r for r, _ in options)
    recovered = min((t for _, t in options if t is not None), default=None)
    return retrains, recovered


def timeline_by_triggers(path: str, runs_dir: str, runner: str) -> dict:
    if os.environ.get("TUNE_WORKER_SLEEP"):
        import time

        time.sleep(float(os.environ["TUNE_WORKER_SLEEP"]))
    triggers = yaml.safe_load(Path(path).read_text(encoding="utf-8"))["triggers"]
    retrains, recovered = _story(triggers)
    curve = (
        [None]
        + [0.9] * (ONSET - 1)
        + [0.9 if recovered is not None and tick >= recovered else 0.5 for tick in range(ONSET, TICKS)]
    )
    events = [ScriptedEvent(ONSET, "concept_drift begins (scripted)", "concept_drift")]
    runs = []
    for i in range(retrains):
        events.append(
            PipelineRun(ONSET, f"run-{i}", f"run-{i}", "x", "succeeded", (0, ONSET), ("train-model",), "registered")
        )
        runs.append({"run_id": f"run-{i}", "tick": ONSET, "trigger": "x", "status": "succeeded", "seconds": 10.0})
    return written_run(runs_dir, Timeline("concept-drift", 41, "accuracy", events, curve_ticks(curve), runs))
