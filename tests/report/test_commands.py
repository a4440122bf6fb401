"""`ctsim report RUN_DIR` and `ctsim runs`: re-render and list past runs from their directories."""

import io
import json
import os
import shutil

from conftest import CANARY_REGRESSION, SUDDEN_DRIFT
from rich.console import Console

from ctsim.cli import main
from ctsim.report import LiveView, load_run, render_record
from ctsim.report.live import LiveState


def test_report_re_renders_a_past_run_and_exits_with_its_verdict(capsys):
    assert main(["report", str(SUDDEN_DRIFT)]) == 0
    out = capsys.readouterr().out
    assert "Drift began at tick 12" in out and "verdict PASSED" in out and "Audit" not in out


def test_report_of_a_failed_run_exits_1(run_copy, capsys):
    run_dir = run_copy()
    verdict = json.loads((run_dir / "verdict.json").read_text())
    verdict["results"][1]["passed"] = False
    verdict["passed"] = False
    (run_dir / "verdict.json").write_text(json.dumps(verdict))
    assert main(["report", str(run_dir)]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_audit_is_rendered_when_present_with_its_failing_checks(run_copy):
    run_dir = run_copy()
    (run_dir / "audit.json").write_text(
        json.dumps(
            {
                "ok": False,
                "checks": [
                    {"name": "pipeline sha256 matches", "ok": True, "detail": "same bytes"},
                    {"name": "every lake batch landed once", "ok": False, "detail": "tick 7 production missing"},
                ],
            }
        )
    )
    console = Console(record=True, width=120, file=io.StringIO())
    render_record(console, load_run(run_dir))
    text = console.export_text()
    assert "Audit FAILED: 1/2 checks hold" in text and "every lake batch landed once" in text
    assert "pipeline sha256 matches" not in text, "passing checks are counted, not listed"


def test_missing_or_broken_run_files_are_named_with_exit_2(run_copy, tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    run_dir = run_copy()
    (run_dir / "verdict.json").unlink()
    assert main(["report", str(run_dir)]) == 2
    (run_dir / "verdict.json").write_text("{not json")
    assert main(["report", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert "no such run directory" in err and f"{run_dir / 'verdict.json'}: missing" in err
    assert f"{run_dir / 'verdict.json'}: cannot be read" in err and "Traceback" not in err


def test_a_timeline_of_another_schema_or_kind_is_one_line_with_exit_2(run_copy, capsys):
    """An old run directory (timeline schema 1) or a kind this ctsim does not know: named, not a traceback."""
    import json

    run_dir = run_copy()
    path = run_dir / "timeline.json"
    document = json.loads(path.read_text())
    path.write_text(json.dumps({**document, "schema_version": 1}))
    assert main(["report", str(run_dir)]) == 2
    document["events"][3]["kind"] = "rollout-ish"
    path.write_text(json.dumps(document))
    assert main(["report", str(run_dir)]) == 2
    err = capsys.readouterr().err
    assert f"{path} has schema_version 1; this ctsim reads version 2" in err
    assert f"{path}: event 3 has the unknown kind 'rollout-ish'" in err
    assert "TimelineError" in err and "Traceback" not in err and "KeyError" not in err


def test_runs_lists_newest_first_with_verdict_sha_and_duration(tmp_path, capsys):
    runs = tmp_path / "runs"
    older = runs / "canary-regression-20260101T000000000000Z"
    newer = runs / "sudden-drift-20260102T000000000000Z"
    crashed = runs / "bad-model-20260103T000000000000Z"
    shutil.copytree(CANARY_REGRESSION, older)
    shutil.copytree(SUDDEN_DRIFT, newer)
    crashed.mkdir()
    (crashed / "run.json").write_text(json.dumps({"status": "crashed", "scenario": "bad-model"}))
    started = 1767225600  # 2026-01-01T00:00:00Z: run.json written 42 s after the directory's start time
    os.utime(older / "run.json", (started + 42, started + 42))
    assert main(["runs", "--runs-dir", str(runs)]) == 0
    lines = capsys.readouterr().out.splitlines()
    body = [line for line in lines[1:] if "runs/" in line and not line.startswith("re-render")]
    assert [line.split()[2] for line in body] == ["bad-model", "sudden-drift", "canary-regression"]
    assert "CRASHED" in body[0] and "PASSED" in body[1]
    sha = json.loads((SUDDEN_DRIFT / "run.json").read_text())["pipeline_sha256"][:12]
    assert sha in body[1] and "42 s" in body[2]


def test_runs_knows_suites_and_comparisons_and_their_verdicts(tmp_path, capsys):
    runs = tmp_path / "runs"
    green, red, compared, running = (
        runs / "suite-20260101T000000Z",
        runs / "suite-20260102T000000Z",
        runs / "compare-sudden-drift-20260103T000000Z",
        runs / "suite-20260104T000000Z",
    )
    for folder in (green, red, compared, running):
        folder.mkdir(parents=True)
    sha = "c" * 64
    scenarios = [
        {"name": "baseline", "status": "passed", "run_dir": "x", "pipeline_sha256": sha, "seconds": 1.0},
        {"name": "sudden-drift", "status": "passed", "run_dir": "y", "pipeline_sha256": sha, "seconds": 1.0},
    ]
    suite = {
        "schema_version": 1,
        "pipeline_sha256": sha,
        "passed": True,
        "started": "2026-01-01T00:00:00+00:00",
        "finished": "2026-01-01T00:01:30+00:00",
        "scenarios": scenarios,
    }
    (green / "suite.json").write_text(json.dumps(suite))
    (red / "suite.json").write_text(
        json.dumps({**suite, "passed": False, "scenarios": [scenarios[0], {**scenarios[1], "status": "failed"}]})
    )
    (compared / "compare.json").write_text(
        json.dumps(
            {
                "schema_version": 1,
                "scenario": "sudden-drift",
                "winner": "drift-only",
                "policies": [{"policy": "drift-only", "status": "ran"}, {"policy": "schedule-only", "status": "ran"}],
            }
        )
    )
    assert main(["runs", "--runs-dir", str(runs)]) == 0
    out = capsys.readouterr().out
    assert "?" not in out, "every suite and comparison is named and judged, none is '? UNFINISHED'"
    by_dir = {next(w for w in line.split() if "runs/" in w): line for line in out.splitlines() if "runs/" in line}
    assert "PASSED" in by_dir[str(green)] and "suite of 2" in by_dir[str(green)] and sha[:12] in by_dir[str(green)]
    assert "90 s" in by_dir[str(green)]
    assert "FAILED" in by_dir[str(red)] and "not passed: sudden-drift" in by_dir[str(red)]
    assert "COMPARED" in by_dir[str(compared)] and "compare sudden-drift" in by_dir[str(compared)]
    assert "2 policies, winner drift-only" in by_dir[str(compared)]
    assert "UNFINISHED" in by_dir[str(running)]


def test_runs_on_a_missing_directory_is_exit_2(tmp_path):
    assert main(["runs", "--runs-dir", str(tmp_path / "absent")]) == 2


def test_live_state_counts_triggers_blocks_and_rollbacks_and_shows_the_step_in_flight():
    state = LiveState()
    state.apply("tick", {"tick": 3, "ticks": 10, "champion": "v0001", "canary_weight": 0})
    assert "triggers" not in state.describe(), "no counts shown before the simulator reports any"
    for kind in ("trigger", "trigger", "gate-block", "rollback", "registered"):
        state.apply("event", {"tick": 3, "kind": kind, "message": kind})
    state.apply("step", {"step": "train-model"})
    assert state.counts == {"triggers": 2, "blocks": 1, "rollbacks": 1, "failed promotions": 0}
    line = state.describe()
    assert "triggers 2 blocks 1 rollbacks 1" in line and "▶ train-model" in line and "champion v0001" in line
    assert "failed promotions" not in line, "a count most runs never have is shown only once there is one"
    state.apply("event", {"tick": 3, "kind": "promotion-failed", "message": "promotion failed"})
    assert "rollbacks 1 failed promotions 1" in state.describe()
    state.apply("tick", {"tick": 4, "ticks": 10, "champion": "v0001", "canary_weight": 50, "triggers": 5})
    assert state.counts["triggers"] == 5 and "canary 50%" in state.describe() and "▶" not in state.describe()


def test_live_view_prints_plain_lines_when_not_a_terminal():
    console = Console(file=io.StringIO(), width=100)
    with LiveView(console) as view:
        assert not view.interactive
        view.update("tick", {"tick": 0, "ticks": 2, "champion": None, "canary_weight": 0})
        view.update("step", {"step": "pipeline run-001 (bootstrap)"})
        view.update("event", {"tick": 0, "kind": "gate-block", "message": "model gate blocked"})
    lines = console.file.getvalue().splitlines()
    assert lines == ["  … tick 0: pipeline run-001 (bootstrap)", "  … tick 0: gate-block: model gate blocked"]
    assert "\x1b[" not in console.file.getvalue()
