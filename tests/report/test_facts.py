"""Facts behind every report: health counts, staleness, drift windows, per-step timings, log parsing."""

import json
from pathlib import Path

import timeline_events as ev
from conftest import SUDDEN_DRIFT

from ctsim.report.facts import drift_windows, health, markers, recovery, run_outcome, run_steps
from ctsim.report.record import LogFacts, parse_log
from ctsim.runners import parse_task_timings
from ctsim.timeline import TickRecord, Timeline, read_timeline

# A real kfp 2.17.3 log: task 'flaky' (set_retry, 2 retries) fails once, succeeds on attempt 2; 'after' runs once.
REAL_RETRY_LOG = Path(__file__).parent / "fixtures" / "kfp-2.17" / "set-retry-first-attempt-fails.log"


def make(values, events=(), runs=()):
    timeline = Timeline("t", 1, "accuracy")
    for tick, value in enumerate(values):
        timeline.ticks.append(
            TickRecord(tick, f"2026-01-{1 + tick:02d}T00:00:00", 10, "v1", None, 0, "idle", 10, value, value)
        )
    for event in events:
        timeline.add(event)
    timeline.runs.extend(runs)
    return timeline


def run(run_id, tick, trigger, status, tasks=(("train-model", 2.0, "SUCCESS"),), own=None):
    return {
        "run_id": run_id,
        "tick": tick,
        "trigger": trigger,
        "status": status,
        "seconds": 3.0,
        "error": "",
        "tasks": [{"task": t, "seconds": s, "status": st} for t, s, st in tasks],
        "step_seconds": own or {},
        "log": "",
    }


def test_health_counts_failures_retries_blocks_rollbacks_and_alerts():
    events = [
        ev.pipeline_run(2, "run-001"),
        ev.first_champion(2, "v1"),
        ev.pipeline_run(5, "run-002", "failed", steps=()),
        ev.alert(5, "pipeline-failed"),
        ev.pipeline_run(6, "run-003"),
        ev.gate(6, "model", "run-003", passed=False),
        ev.alert(6, "model-gate-blocked", "run-003"),
        ev.rolled_back(8, "v2"),
        ev.alert(8, "canary-rolled-back"),
        ev.promotion_failed(9, "v3"),
        ev.alert(9, "canary-promotion-failed"),
        ev.trigger(9, "drift"),
        ev.held(9, "drift"),
    ]
    runs = [
        run("run-001", 2, "bootstrap", "succeeded"),
        run("run-002", 5, "schedule", "failed", (("collect-data", 1.0, "FAILURE"),)),
        run("run-003", 6, "retry", "succeeded"),
    ]
    runs[2]["tasks"] = [
        {"task": "collect-data", "seconds": 1.0, "status": "FAILURE"},
        {"task": "collect-data", "seconds": 1.0, "status": "FAILURE"},
        {"task": "collect-data", "seconds": 1.0, "status": "SUCCESS"},
        {"task": "train-model", "seconds": 2.0, "status": "SUCCESS"},
    ]
    h = health(make([0.9] * 12, events, runs), {"run-003": LogFacts(("train-model",), True)})
    assert (h["runs_started"], h["runs_succeeded"], h["runs_failed"], h["runs_retried"]) == (3, 2, 1, 1)
    assert h["task_retries"] == 2 and h["cache_hits"] == 1 and h["logs_read"] == 1
    assert h["gate_blocks"] == 1 and h["rollbacks"] == 1 and h["triggers_fired"] == 1 and h["triggers_held"] == 1
    assert h["promotions_failed"] == 1, "a failed promotion is counted as such, not as a rollback"
    assert h["alerts"] == 4 and h["alerts_by_kind"]["pipeline-failed"] == 1
    # staleness: the last successful training is run-003 at tick 6, the last promotion tick 2, now tick 11
    assert (h["last_training_tick"], h["ticks_since_training"]) == (6, 5)
    assert (h["last_promotion_tick"], h["ticks_since_promotion"]) == (2, 9)


def test_no_training_and_no_promotion_is_none_not_zero():
    h = health(make([None] * 4))
    assert h["ticks_since_training"] is None and h["ticks_since_promotion"] is None and h["cache_hits"] == 0


def test_overhead_is_task_wall_minus_own_work_and_cache_hits_come_from_the_log():
    timeline = make(
        [0.9],
        runs=[
            run(
                "run-001",
                0,
                "bootstrap",
                "succeeded",
                (("collect-data", 1.5, "SUCCESS"), ("finish-run", 0.5, "SUCCESS")),
                {"collect-data": 0.25},
            )
        ],
    )
    (steps,) = run_steps(timeline, {"run-001": LogFacts(("collect-data",), True)})
    by_name = {s.step: s for s in steps.steps}
    assert by_name["collect-data"].overhead == 1.25 and by_name["collect-data"].cache_hit
    assert by_name["finish-run"].overhead == 0.5 and not by_name["finish-run"].cache_hit
    assert steps.overhead == 1.75 and steps.own == 0.25 and steps.cache_hits == 1


def test_recorded_run_health_matches_its_timeline():
    raw = json.loads((SUDDEN_DRIFT / "timeline.json").read_text())
    timeline = read_timeline(SUDDEN_DRIFT / "timeline.json")
    h = health(timeline)
    assert h["runs_started"] == len(raw["runs"])
    assert h["tasks_run"] == sum(len(r["tasks"]) for r in raw["runs"])
    assert h["cache_hits"] == 0, "no kfp.local log says 'cache hit': zero, not a guess"
    trained = max(
        e["tick"] for e in raw["events"] if e["kind"] == "pipeline-run" and e["data"]["status"] == "succeeded"
    )
    assert h["ticks_since_training"] == raw["ticks"][-1]["tick"] - trained


def test_drift_window_ends_at_the_rollout_that_brought_the_metric_back():
    values = [0.9, 0.9, 0.9, 0.5, 0.5, 0.55, 0.6, 0.89, 0.9, 0.9]
    events = [ev.drift_onset(2), ev.rolled_out(4, "v2"), ev.rolled_out(6, "v3")]
    (window,) = drift_windows(make(values, events))
    assert (window.start, window.rollout_tick, window.end, window.recovered_tick) == (2, 6, 6, 7)


def test_drift_window_runs_to_the_end_when_nothing_recovers():
    values = [0.9, 0.9, 0.9, 0.5, 0.5, 0.5, 0.5]
    (window,) = drift_windows(make(values, [ev.drift_onset(2), ev.rolled_out(4, "v2")]))
    assert window.end == 6 and window.recovered_tick is None and window.rollout_tick is None
    assert recovery(make(values, [ev.drift_onset(2)])).recovered_tick is None


def test_markers_and_run_outcome_follow_a_blocked_run():
    events = [
        ev.scripted(3, "bad_model"),
        ev.trigger(3, "schedule"),
        ev.pipeline_run(
            3, "run-002", steps=("collect-data", "train-model", "evaluate-model"), decision="model-gate-blocked"
        ),
        ev.gate(3, "model", "run-002", passed=False, candidate=0.3, champion=0.9),
    ]
    timeline = make([0.9] * 5, events)
    assert markers(timeline) == [(3, "trigger"), (3, "retrain"), (3, "block")]
    outcome = run_outcome(timeline, "run-002")
    assert outcome["model_gate"] == {"passed": False, "candidate": 0.3, "champion": 0.9} and "version" not in outcome


def test_log_parsing_finds_cache_hits_through_ansi_colour():
    log = (
        "12:00:00.000 - INFO - Task \x1b[96m'collect-data'\x1b[0m cache hit (key=abc123); skipping execution.\n"
        "12:00:01.000 - INFO - Task train-model cache hit (key=def456); skipping execution.\n"
    )
    assert parse_log(log).cache_hits == ("collect-data", "train-model")
    assert parse_log("12:00:00.000 - INFO - Executing task 'collect-data'\n").cache_hits == ()


def test_retries_and_timings_of_a_real_kfp_2_17_run_with_set_retry():
    """The runner's record of what kfp.local really did, and the report's reading: 1 retry, both attempts timed."""
    tasks = [
        {"task": t.task, "seconds": t.seconds, "status": t.status}
        for t in parse_task_timings(REAL_RETRY_LOG.read_text(encoding="utf-8"))
    ]
    assert [(t["task"], t["status"]) for t in tasks] == [
        ("flaky", "FAILURE"),
        ("flaky", "SUCCESS"),
        ("after", "SUCCESS"),
    ]
    timeline = make([0.9], runs=[{**run("run-001", 0, "bootstrap", "succeeded"), "tasks": tasks}])
    (steps,) = run_steps(timeline, {"run-001": parse_log(REAL_RETRY_LOG.read_text(encoding="utf-8"))})
    flaky, after = steps.steps
    assert (flaky.step, flaky.attempts, flaky.status) == ("flaky", 2, "SUCCESS")
    assert flaky.wall == round(tasks[0]["seconds"] + tasks[1]["seconds"], 3) and flaky.wall > 6.0  # 4.0 s + 2.5 s
    assert (after.attempts, after.status) == (1, "SUCCESS")
    assert steps.task_retries == 1 and health(timeline)["task_retries"] == 1
    assert health(timeline)["retried_tasks"] == [
        {"run_id": "run-001", "step": "flaky", "attempts": 2, "status": "SUCCESS"}
    ]
    from ctsim.report.terminal import format_health

    assert "task retries 1 (run-001 flaky ran 2×)" in format_health(health(timeline)).plain


def test_a_task_that_exhausts_its_retries_counts_every_retry_and_ends_failed():
    tasks = (("collect-data", 1.0, "FAILURE"),) * 3
    (steps,) = run_steps(make([0.9], runs=[run("run-001", 0, "schedule", "failed", tasks)]))
    (only,) = steps.steps
    assert (only.attempts, only.status, only.wall, steps.task_retries) == (3, "FAILURE", 3.0, 2)


def test_labels_say_which_ticks_are_scored_on_poisoned_labels():
    from ctsim.report.facts import labels_of
    from ctsim.scenario.loader import parse

    def scenario(events, delay=1):
        return parse(f"""
name: s
clock: {{ticks: 20}}
data: {{generator: {{label_delay_ticks: {delay}}}}}
events: {events}
""")

    flipped = labels_of(scenario("[{kind: bad_model, at: 6, ticks: 4, mode: label_flip}]"), 19)
    assert flipped.poisoned_served == frozenset(range(6, 10)) and flipped.poisoned_scored == frozenset(range(7, 11))
    assert flipped.window_poisoned(7, 9) and not flipped.window_poisoned(10, 12)
    late = labels_of(scenario("[{kind: bad_model, at: 15, mode: label_noise, ticks: 100}]", delay=3), 19)
    assert late.poisoned_served == frozenset(range(15, 20)) and min(late.poisoned_scored) == 18
    assert labels_of(scenario("[{kind: bad_model, at: 6, mode: sabotage}]"), 19).poisoned_served == frozenset()
    assert labels_of(None, 19).poisoned_scored == frozenset()


def test_a_failed_promotion_is_its_own_fate_marker_and_story_line():
    """The canary passed and its rollout could not be written: not a rollback, and the report says so."""
    from ctsim.report.terminal import _decision, story_lines

    events = [
        ev.pipeline_run(3, "run-002"),
        ev.gate(3, "model", "run-002", candidate=0.9, champion=0.8),
        ev.registered(3, "v2"),
        ev.canary_start(3, "v2"),
        ev.promotion_failed(6, "v2"),
    ]
    timeline = make([0.9] * 8, events)
    outcome = run_outcome(timeline, "run-002")
    assert outcome["fate"] == {"kind": "promotion-failed", "tick": 6}
    assert "v2 passed its canary, promotion failed t6" in _decision(outcome)
    assert (6, "promotion-failed") in markers(timeline) and (6, "rollback") not in markers(timeline)
    (line,) = [line for line in story_lines(timeline) if line[0] == 6]
    assert line[1] == "promotion-failed" and "StoreUnavailable" in line[2]
    h = health(timeline)
    assert (h["rollbacks"], h["promotions_failed"]) == (0, 1)
