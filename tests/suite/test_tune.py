"""`ctsim tune` with a stand-in replay (no pipeline): the space file, the study, the front, resume, Ctrl-C."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tune_workers
import yaml

from ctsim.cli import main
from ctsim.errors import ScenarioError
from ctsim.policy import tune
from ctsim.policy.tune import TuneInterrupted, load_space, pareto_front, run_tune
from ctsim.settings import TriggerSettings

pytest.importorskip("optuna", reason="ctsim tune needs the 'tune' extra (optuna)")

SPACE = """\
triggers:
  schedule: {cron: ["0 0 * * 1", "0 0 1 * *"]}
  performance:
    max_drop: {low: 0.01, high: 0.2, log: true}
    window_ticks: {low: 1, high: 3}
  drift: {method: [auto, psi], drift_share: {low: 0.2, high: 1.0}}
  cooldown_ticks: {low: 0, high: 4}
"""


@pytest.fixture
def space(tmp_path: Path) -> Path:
    path = tmp_path / "space.yaml"
    path.write_text(SPACE, encoding="utf-8")
    return path


def _run(space: Path, runs: Path, trials: int, **kwargs):
    return run_tune(
        "concept-drift", space, trials, runs_dir=runs, jobs=2, worker=tune_workers.timeline_by_triggers, **kwargs
    )


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("triggers:\n  performance:\n    max_drop: {low: 0.01, high: 3}\n", 3, "at most 1"),
        ("triggers:\n  schedule:\n    cron: ['0 0 * * 1', 'every monday']\n", 3, "five-field cron"),
        ("triggers:\n  performance:\n    max_dorp: {low: 0.01, high: 0.1}\n", 3, "Did you mean 'max_drop'"),
        ("triggers:\n  drift:\n    drift_share: {low: 0.5, high: 0.2}\n", 3, "low < high"),
        ("triggers:\n  drift:\n    method: [auto, median]\n", 3, "must be one of"),
        ("triggers:\n  volume:\n    min_new_rows: {low: 10, hi: 20}\n", 3, "a range must be"),
        ("triggers:\n  cooldown_ticks: {low: 0, high: 4}\n  schedul: {cron: '0 0 * * 1'}\n", 3, "unknown key"),
        ("trigers:\n  drift: {}\n", 1, "one key, 'triggers'"),
    ],
)
def test_a_bad_space_file_is_one_error_naming_file_line_and_key(tmp_path, text, line, words):
    path = tmp_path / "space.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_space(path)
    assert str(caught.value).startswith(f"{path}:{line}: ") and words in str(caught.value)


def test_the_study_finds_a_front_and_a_policy_that_beats_every_builtin(tmp_path, space):
    tuning = _run(space, tmp_path, 12)
    directory = tuning.directory
    assert directory.name.startswith("tune-concept-drift-") and (directory / tune.JOURNAL).stat().st_size > 0
    assert len(tuning.trials) == 12 and all(t.status == "ran" for t in tuning.trials)
    scored = [t.objectives for t in tuning.trials]
    for point in tuning.front:  # nobody dominates a front point
        a = point.objectives
        assert not any(b[0] >= a[0] and b[1] <= a[1] and b[2] <= a[2] and b != a for b in scored)
    choice = tuning.recommendation.choice
    assert choice is not None and choice in tuning.front
    assert set(tuning.recommendation.beats) == {"none", "schedule", "volume", "drift", "performance"}
    # the block to paste is the policy that was replayed
    pasted = yaml.safe_load(tune.triggers_block(choice.triggers))["triggers"]
    replayed = yaml.safe_load((directory / choice.name / "scenario.yaml").read_text())["triggers"]
    assert TriggerSettings.model_validate(pasted) == TriggerSettings.model_validate(replayed) == choice.triggers
    record = json.loads((directory / "tune.json").read_text())
    assert record["recommendation"]["choice"] == choice.name and len(record["trials"]) == 12
    assert {b["name"] for b in record["baselines"]} == {"none", "schedule", "volume", "drift", "performance"}


def test_a_budget_goal_picks_the_best_served_metric_within_the_retrain_budget(tmp_path, space):
    tuning = _run(space, tmp_path, 8, goal="budget", max_retrains=1, baselines=("none", "drift"))
    choice = tuning.recommendation.choice
    assert choice.objectives[1] <= 1
    assert choice.objectives[0] == max(t.objectives[0] for t in tuning.trials if t.objectives[1] <= 1)
    assert "drift" in tuning.recommendation.beats  # over budget


def test_the_same_seed_proposes_the_same_trials(tmp_path, space):
    first = _run(space, tmp_path / "a", 4, baselines=())
    second = _run(space, tmp_path / "b", 4, baselines=())
    assert [t.triggers for t in first.trials] == [t.triggers for t in second.trials]


def test_ctrl_c_saves_the_finished_trials_and_resume_reruns_the_interrupted_ones(tmp_path, space, monkeypatch):
    real = tune.run_parallel
    calls = []

    def interrupted_second_batch(tasks, jobs, worker, on_done=None):
        calls.append(tasks)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(tasks, jobs, worker, on_done)

    monkeypatch.setattr(tune, "run_parallel", interrupted_second_batch)
    with pytest.raises(TuneInterrupted) as caught:
        _run(space, tmp_path, 6, baselines=())
    assert caught.value.exit_code == 130
    directory = caught.value.directory
    cut_short = [yaml.safe_load(Path(task[0]).read_text())["triggers"] for task in calls[1]]

    monkeypatch.setattr(tune, "run_parallel", real)
    resumed = _run(space, tmp_path, 6, baselines=(), resume=directory)
    assert resumed.directory == directory and len(resumed.trials) == 6
    replayed = [t.triggers.model_dump(mode="json", exclude_none=True) for t in resumed.trials]
    assert all(triggers in replayed for triggers in cut_short)  # the interrupted trials ran again, unchanged


def test_the_cli_prints_the_front_the_recommendation_and_the_block(tmp_path, space, capsys, monkeypatch):
    monkeypatch.setattr(tune, "replay_in_worker", tune_workers.timeline_by_triggers)
    plot = tmp_path / "front.png"
    code = main(
        [
            "tune",
            "concept-drift",
            "--space",
            str(space),
            "--trials",
            "6",
            "-j",
            "2",
            "--runs-dir",
            str(tmp_path),
            "--plot",
            str(plot),
            "--baselines",
            "drift,performance",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Pareto front on concept-drift" in out and "recommended: trial-" in out and "triggers:\n" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_cli_rejects_a_bad_space_with_exit_2_and_one_line(tmp_path, capsys):
    path = tmp_path / "space.yaml"
    path.write_text("triggers:\n  drift:\n    drift_share: {low: 0, high: 2}\n", encoding="utf-8")
    code = main(["tune", "concept-drift", "--space", str(path), "--runs-dir", str(tmp_path / "runs")])
    err = capsys.readouterr().err
    assert code == 2 and f"{path}:3:" in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()  # nothing half-written


def test_pareto_front_keeps_one_of_identical_points():
    def result(name, auc, retrains, seconds):
        from ctsim.policy.metrics import PolicyMetrics

        return tune.TrialResult(
            name, TriggerSettings(), PolicyMetrics(name, auc, (), retrains, seconds, 0, 0, 0), "ran", ""
        )

    results = (
        result("a", 0.9, 2, 5.0),
        result("b", 0.9, 2, 5.0),
        result("c", 0.8, 0, 0.0),
        result("d", 0.85, 3, 1.0),
        result("e", 0.7, 0, 1.0),
    )
    assert [r.name for r in pareto_front(results)] == ["a", "d", "c"]


def test_resume_refuses_another_space_or_a_folder_without_a_study(tmp_path, space):
    tuning = _run(space, tmp_path, 2, baselines=())
    other = tmp_path / "other.yaml"
    other.write_text(SPACE.replace("high: 4", "high: 5"), encoding="utf-8")
    with pytest.raises(ScenarioError, match="another space file"):
        _run(other, tmp_path, 4, baselines=(), resume=tuning.directory)
    with pytest.raises(ScenarioError, match="not a tuning run directory"):
        _run(space, tmp_path, 4, baselines=(), resume=tmp_path / "nowhere")


def test_a_real_ctrl_c_exits_130_and_the_study_resumes(tmp_path, space):
    """SIGINT to the whole process group (as a terminal sends it) while a batch of trials is running."""
    import os
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "tune_with_stand_in.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(tune_workers.__file__).parent)!r})\n"
        "import tune_workers\n"
        "from pathlib import Path\n"
        "from ctsim.policy.tune import TuneInterrupted, run_tune\n"
        "if __name__ == '__main__':\n"
        "    try:\n"
        f"        run_tune('concept-drift', Path({str(space)!r}), 6, runs_dir=Path({str(tmp_path)!r}), jobs=2,\n"
        "                 baselines=(), worker=tune_workers.timeline_by_triggers)\n"
        "    except TuneInterrupted as exc:\n"
        "        print(exc.directory)\n"
        "        sys.exit(exc.exit_code)\n",
        encoding="utf-8",
    )
    env = {**os.environ, "TUNE_WORKER_SLEEP": "3"}
    process = subprocess.Popen(
        [sys.executable, str(script)], env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("tune-*/trial-0002")) and time.monotonic() < deadline:
        time.sleep(0.2)  # the second batch has started once its first folder exists
    time.sleep(1.0)
    os.killpg(process.pid, signal.SIGINT)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 130
    directory = Path(out.strip().splitlines()[-1])
    resumed = _run(space, tmp_path, 6, baselines=(), resume=directory)
    assert len(resumed.trials) == 6 and all(t.status == "ran" for t in resumed.trials)


def test_when_no_trial_beats_a_builtin_the_builtin_is_recommended_and_said_so():
    from ctsim.policy.metrics import PolicyMetrics

    def result(name, auc, retrains):
        return tune.TrialResult(
            name, TriggerSettings(), PolicyMetrics(name, auc, (), retrains, 1.0, 0, 0, 0), "ran", ""
        )

    trials = (result("trial-0000", 0.70, 1), result("trial-0001", 0.72, 3))
    baselines = (result("drift", 0.77, 4), result("none", 0.62, 0))
    rec = tune.recommend(trials, baselines)
    assert rec.choice.name == "drift" and rec.beats == ("none",) and rec.loses_to == ()
    tied = tune.recommend((result("trial-0002", 0.77, 4),), baselines)
    assert tied.choice.name == "trial-0002" and tied.loses_to == ("drift",)  # a tie goes to the tuned policy
