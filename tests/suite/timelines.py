"""Hand-built timelines for the policy-metric tests (no pipeline, no store)."""

from __future__ import annotations

from timeline_events import pipeline_run

from ctsim.timeline import Event, TickRecord, Timeline


def timeline(curve: list[float | None], events: list[Event] = (), runs: list[dict] = ()) -> Timeline:
    ticks = [
        TickRecord(
            tick=i,
            time=f"2026-03-{i + 1:02d}T00:00:00",
            rows=300,
            champion="v0001",
            canary=None,
            canary_weight=0,
            canary_phase="idle",
            labelled=0 if value is None else 300,
            served_metric=value,
            champion_metric=value,
        )
        for i, value in enumerate(curve)
    ]
    return Timeline("hand-built", 1, "accuracy", list(events), ticks, list(runs))


def run(tick: int, trigger: str, seconds: float = 10.0) -> tuple[Event, dict]:
    event = pipeline_run(tick, f"run-{tick:03d}", trigger=trigger)
    return event, {
        "run_id": f"run-{tick:03d}",
        "tick": tick,
        "trigger": trigger,
        "status": "succeeded",
        "seconds": seconds,
    }
