"""``--json PATH``: the whole result of a run as one JSON document, schema ``ctsim.report`` version 1.

Top-level keys (all always present; ``audit`` may be null)::

    schema            "ctsim.report"
    schema_version    1 (bumped on any change that removes or renames a key; new keys may appear in a version)
    run               {run_dir, scenario, seed, metric, status, pipeline_sha256, runner, namespace, store}
    verdict           {passed, exit_code, expectations: [{name, passed, detail}]}
    summary           {incidents: [{tick, kind, message, detected_tick, detected_by}],
                       decisions: [{run_id, tick, trigger, status, model_gate?, data_gate?, version?, fate?}],
                       recovery: {before, low, low_tick, recovered_tick, final},
                       drift_windows: [{start, end, recovered_tick, rollout_tick}],
                       final_champion: {value, labelled_rows}   the one "final" number (as the expectation pools it)
                       in_short: [str]}   the same sentences as the terminal's "In short"
    health            {runs_started, runs_succeeded, runs_failed, runs_retried, task_retries,
                       retried_tasks: [{run_id, step, attempts, status}], cache_hits, logs_read,
                       tasks_run, pipeline_seconds, own_work_seconds, overhead_seconds, last_training_tick,
                       ticks_since_training, last_promotion_tick, ticks_since_promotion, triggers_fired,
                       triggers_held, gate_blocks, rollbacks, promotions_failed, alerts, alerts_by_kind,
                       step_trends: {step: {wall: [s], own: [s], runs: [run_id], mean_wall, change}}}
    pipeline_runs     [{run_id, tick, trigger, status, seconds, error, task_retries, cache_hits, own_seconds,
                        overhead_seconds, steps: [{step, wall_seconds, own_seconds, overhead_seconds, status,
                        cache_hit, attempts}]}]   wall and status over all attempts (set_retry)
    markers           [{tick, kind, symbol, label}]   kinds: drift trigger retrain run-failed block canary
                                                       rollout rollback promotion-failed
    timeline          the run's timeline.json as written by the simulator (its own schema_version inside)
    audit             audit.json when the run was audited ({ok, checks: [{name, ok, detail}]}), else null

Seconds are wall-clock and vary between runs; everything else follows from the seed. Every string has been
through the report's redaction, so no object-store key or webhook token can appear.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from ctsim.report import facts
from ctsim.report.record import RunRecord
from ctsim.report.terminal import summary_lines
from ctsim.timeline import PipelineRun

SCHEMA = "ctsim.report"
SCHEMA_VERSION = 1
_RUN_KEYS = ("status", "runner", "namespace", "store")


def result_document(record: RunRecord) -> dict[str, Any]:
    """The whole result as plain JSON values. ``record`` should already be redacted."""
    timeline = record.timeline
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "run": {
            "run_dir": record.run_dir,
            "scenario": timeline.scenario,
            "seed": timeline.seed,
            "metric": timeline.metric,
            "pipeline_sha256": record.pipeline_sha256,
            **{key: record.info.get(key) for key in _RUN_KEYS},
        },
        "verdict": {
            "passed": record.verdict.passed,
            "exit_code": record.verdict.exit_code,
            "expectations": [r.to_dict() for r in record.verdict.results],
        },
        "summary": _summary(record),
        "health": facts.health(timeline, record.logs),
        "pipeline_runs": [_run(run) for run in facts.run_steps(timeline, record.logs)],
        "markers": [
            {"tick": tick, "kind": kind, "symbol": facts.MARKERS[kind][0], "label": facts.MARKERS[kind][1]}
            for tick, kind in facts.markers(timeline)
        ],
        "timeline": timeline.to_dict(),
        "audit": record.audit,
    }


def dumps(record: RunRecord) -> str:
    return json.dumps(result_document(record), indent=1, sort_keys=False, allow_nan=False) + "\n"


def _summary(record: RunRecord) -> dict[str, Any]:
    timeline = record.timeline
    incidents: list[dict[str, Any]] = []
    for event in timeline.events:
        if isinstance(event, facts.INCIDENTS):
            reaction = facts.first_reaction(timeline, event.tick)
            incidents.append(
                {
                    "tick": event.tick,
                    "kind": event.kind,
                    "message": event.message,
                    "detected_tick": reaction.tick if reaction else None,
                    "detected_by": reaction.message if reaction else None,
                }
            )
    first = incidents[0]["tick"] if incidents else None
    decisions = [facts.run_outcome(timeline, e.run_id) for e in timeline.of(PipelineRun)]
    return {
        "incidents": incidents,
        "decisions": decisions,
        "recovery": asdict(facts.recovery(timeline, first)),
        "drift_windows": [asdict(w) for w in facts.drift_windows(timeline)],
        "final_champion": dict(zip(("value", "labelled_rows"), facts.final_champion(timeline))),
        "in_short": summary_lines(timeline, facts.labels_of(record.scenario, facts.last_tick(timeline))),
    }


def _run(run: facts.RunSteps) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "tick": run.tick,
        "trigger": run.trigger,
        "status": run.status,
        "seconds": run.seconds,
        "error": run.error,
        "task_retries": run.task_retries,
        "cache_hits": run.cache_hits,
        "own_seconds": run.own,
        "overhead_seconds": run.overhead,
        "steps": [
            {
                "step": s.step,
                "wall_seconds": s.wall,
                "own_seconds": s.own,
                "overhead_seconds": s.overhead,
                "status": s.status,
                "cache_hit": s.cache_hit,
                "attempts": s.attempts,
            }
            for s in run.steps
        ],
    }
