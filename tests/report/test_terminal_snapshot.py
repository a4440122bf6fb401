"""Snapshot tests of the final terminal report, plus the key facts checked on their own.

Regenerate the stored snapshots after an intended change of the report:

    CTSIM_UPDATE_SNAPSHOTS=1 .venv/bin/pytest -q tests/report/test_terminal_snapshot.py

then read the diff of tests/report/snapshots/ before committing it.
"""

import json
import os
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import CANARY_REGRESSION, SUDDEN_DRIFT
from rich.console import Console

from ctsim.report import Redactor, load_run, render_record
from ctsim.report.terminal import story_lines, summary_lines

SNAPSHOTS = Path(__file__).parent / "snapshots"


def rendered(run_dir: Path, width: int = 120, steps: bool = False) -> str:
    record = load_run(run_dir)
    record = replace(record, run_dir=f"runs/{run_dir.name}")  # stable across checkouts
    # A terminal of exactly this width (a pipe would be widened to 120).
    console = Console(
        record=True, width=width, no_color=True, color_system=None, force_terminal=True, file=open(os.devnull, "w")
    )
    render_record(console, record, Redactor(), steps=steps)
    return console.export_text(styles=False)


def check_snapshot(name: str, text: str) -> None:
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("CTSIM_UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
        if os.environ.get("CTSIM_UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"{path} did not exist and was written; check it and run again")
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"the report differs from {path}; if intended: CTSIM_UPDATE_SNAPSHOTS=1 pytest {__file__}"


@pytest.mark.parametrize("width", [120, 80])
@pytest.mark.parametrize("run_dir", [SUDDEN_DRIFT, CANARY_REGRESSION], ids=lambda p: p.name.split("-2026")[0])
def test_report_matches_its_snapshot(run_dir, width):
    name = run_dir.name.split("-2026")[0] + ("" if width == 120 else f"-{width}")
    check_snapshot(name, rendered(run_dir, width))


@pytest.mark.parametrize("run_dir", [SUDDEN_DRIFT, CANARY_REGRESSION], ids=lambda p: p.name.split("-2026")[0])
def test_the_report_fits_a_120x50_terminal_with_title_and_verdict_on_screen(run_dir):
    lines = rendered(run_dir).splitlines()
    assert len(lines) <= 49, f"{len(lines)} lines: with the prompt under it, the title must stay on a 50-line screen"
    assert lines[0].startswith("What happened in ") and lines[-1].startswith("verdict PASSED")
    assert max(len(line) for line in lines) <= 120


@pytest.mark.parametrize("run_dir", [SUDDEN_DRIFT, CANARY_REGRESSION], ids=lambda p: p.name.split("-2026")[0])
def test_at_80_columns_nothing_is_cut_and_no_phrase_breaks(run_dir):
    text = rendered(run_dir, 80)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "…" not in text, "at 80 columns details wrap under their column instead of being cut"
    flat = " ".join(line.strip() for line in lines)
    for phrase in ("held · blocks", "task retries 0", "pipeline sha256"):
        assert any(phrase.split(" · ")[0] in line for line in lines) and phrase.split(" · ")[0] in flat
    health = [line for line in lines if "held" in line]
    assert health and all(" held" in line and "fired, " in line for line in health), "'N held' stays with its count"


def test_reasons_read_forwards_as_what_was_observed():
    text = rendered(SUDDEN_DRIFT)
    assert "drift: share of drifted features (4 of 7) 0.571 > 0.5 (drift_share)" in text
    assert "below drift_share" not in text and "vs 0.5" not in text


def test_metrics_on_poisoned_labels_are_labelled_as_such():
    text = rendered(CANARY_REGRESSION)
    assert "ticks 7-10 (red) are scored against POISONED labels" in text  # labels of ticks 6-9 land a tick later
    assert "low 0.092 (tick 9, poisoned labels)" in text
    assert "run-002 (schedule, data t7-9, poisoned labels)" in text
    assert "POISONED" not in rendered(SUDDEN_DRIFT) and "poisoned" not in rendered(SUDDEN_DRIFT)


@pytest.mark.parametrize("run_dir", [SUDDEN_DRIFT, CANARY_REGRESSION], ids=lambda p: p.name.split("-2026")[0])
def test_there_is_one_final_number_and_it_is_the_expectations(run_dir):
    import re

    text = rendered(run_dir)
    finals = re.findall(r"final champion (\d\.\d+)", text)
    measured = re.findall(r"measured (\d\.\d+) on", text)
    assert len(finals) == 1 and len(measured) == 1
    assert float(finals[0]) == pytest.approx(float(measured[0]), abs=0.0005)
    assert "final 0." not in text, "no second, differently computed 'final'"


def test_the_step_table_is_one_flag_away():
    assert "Pipeline steps" not in rendered(SUDDEN_DRIFT)
    with_steps = rendered(SUDDEN_DRIFT, steps=True)
    assert "Pipeline steps: task wall s (own work s) on kfp.local" in with_steps and "train-model" in with_steps


def test_sudden_drift_story_says_when_drift_began_was_detected_decided_and_recovered():
    timeline = load_run(SUDDEN_DRIFT).timeline
    raw = json.loads((SUDDEN_DRIFT / "timeline.json").read_text())
    onset = next(e["tick"] for e in raw["events"] if e["kind"] == "drift-onset")
    detected = next(e["tick"] for e in raw["events"] if e["kind"] == "trigger" and e["tick"] >= onset)
    rollouts = [e["tick"] for e in raw["events"] if e["kind"] == "rollout"]  # a canary rolled out (not the first)
    story = story_lines(timeline)
    assert (onset, "drift-onset") in [(tick, label) for tick, label, _ in story]
    assert {tick for tick, label, _ in story if label == "rollout"} == set(rollouts)
    began, decided, recovered = summary_lines(timeline)
    assert f"Drift began at tick {onset}" in began and f"detected at tick {detected}" in began
    for tick in rollouts:
        assert f"promoted t{tick}" in decided
    values = [(t["tick"], t["served_metric"]) for t in raw["ticks"] if t["served_metric"] is not None]
    before = [v for tick, v in values if tick <= onset]
    baseline = sum(before) / len(before)
    low_tick = min((v, tick) for tick, v in values if tick > onset)[1]
    back = next(tick for tick, v in values if tick > low_tick and v >= baseline - 0.03)
    assert f"recovered tick {back}" in recovered
    assert f"low {min(v for tick, v in values if tick > onset):.3f}" in recovered


def test_summary_is_visible_at_the_bottom_of_the_report():
    """What the user must see without scrolling sits in the last 20 lines (a terminal shows the bottom)."""
    tail = "\n".join(rendered(SUDDEN_DRIFT).splitlines()[-20:])
    assert "Drift began at tick 12" in tail and "recovered tick" in tail and "verdict PASSED" in tail


def test_many_runs_show_the_last_columns_and_say_so():
    from ctsim.report.terminal import format_runs
    from ctsim.timeline import Timeline

    timeline = Timeline("t", 1, "accuracy")
    for i in range(1, 9):
        timeline.runs.append(
            {
                "run_id": f"run-{i:03d}",
                "tick": i,
                "trigger": "schedule",
                "status": "succeeded",
                "seconds": 1.0,
                "tasks": [{"task": "train-model", "seconds": 1.0 + i, "status": "SUCCESS"}],
                "step_seconds": {"train-model": 0.5},
            }
        )
    console = Console(record=True, width=120, file=open(os.devnull, "w"))
    console.print(format_runs(timeline))
    text = console.export_text()
    assert "last 6 of 8 runs" in text and "run-003" in text and "run-002" not in text
    assert "+7.00" in text, "the trend is first run to last over all 8 runs (2 s to 9 s), not only those shown"
