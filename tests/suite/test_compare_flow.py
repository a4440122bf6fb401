"""The comparison's flow with a stand-in worker (no pipeline): folders, rewritten scenarios, crashes, record, plot."""

import json

import fake_workers
from rich.console import Console

from ctsim.commands.compare import format_comparison
from ctsim.policy.compare import plan, run_compare
from ctsim.policy.plot import write_plot
from ctsim.scenario import loader


def test_compare_writes_one_folder_per_policy_a_record_and_marks_the_winner(tmp_path):
    planned = plan("concept-drift", ["drift", "performance", "schedule"])
    comparison = run_compare(planned, tmp_path, jobs=2, worker=fake_workers.policy_timeline)
    (directory,) = tmp_path.iterdir()
    assert directory.name.startswith("compare-concept-drift-") and directory == comparison.directory
    for name in ("drift", "performance", "schedule"):
        rewritten = loader.load(str(directory / name / "scenario.yaml"))
        assert getattr(rewritten.triggers, name) is not None and rewritten.expectations == ()
    status = {run.policy: run.status for run in comparison.runs}
    assert status == {"drift": "ran", "performance": "ran", "schedule": "crashed"}
    assert comparison.winner == "performance" and comparison.onsets == (8,)
    record = json.loads((directory / "compare.json").read_text())
    assert record["winner"] == "performance" and record["objective"] == "auc"
    metrics = {p["policy"]: p["metrics"] for p in record["policies"]}
    assert metrics["drift"]["recoveries"][0]["ticks"] is None and metrics["performance"]["recoveries"][0]["ticks"] == 2
    assert metrics["schedule"] is None and "scheduled crash" in record["policies"][2]["error"]

    console = Console(record=True, width=200)
    console.print(format_comparison(comparison))
    text = console.export_text()
    assert "★" in text.split("performance")[0].splitlines()[-1] + text.split("performance")[1].splitlines()[0]
    assert "crashed" in text and "—" in text

    plot = write_plot(comparison, tmp_path / "out" / "compare.png")
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 5000


def test_objective_changes_the_winner(tmp_path):
    planned = plan("concept-drift", ["drift", "performance"])
    comparison = run_compare(planned, tmp_path, jobs=2, objective="retrains", worker=fake_workers.policy_timeline)
    assert comparison.winner == "drift"


def _noisy(tmp_path, gap: float):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / f"noisy-{gap}.yaml"
    path.write_text(
        f"name: noisy\ndescription: gap {gap}\nseed: 3\nclock: {{ticks: 40}}\n"
        "data: {generator: {rows_per_tick: 300}}\nbootstrap_tick: 1\n"
    )
    planned = plan(str(path), ["volume", "drift"])
    return run_compare(planned, tmp_path / "runs", jobs=2, worker=fake_workers.noisy_timeline)


def test_a_difference_inside_the_noise_has_no_winner_and_the_interval_is_recorded(tmp_path):
    comparison = _noisy(tmp_path, 0.002)

    assert comparison.winner is None and not comparison.distinguishable
    record = json.loads((comparison.directory / "compare.json").read_text())
    (band,) = record["intervals"]
    assert record["winner"] is None and record["distinguishable"] is False
    assert band["low"] < 0 < band["high"] and band["spans_zero"] and band["ticks"] == 40
    console = Console(record=True, width=250)
    console.print(format_comparison(comparison))
    text = console.export_text()
    assert "★" not in text and "no policy is distinguishable" in " ".join(text.split())


def test_a_clear_difference_has_a_winner_whose_interval_excludes_zero(tmp_path):
    comparison = _noisy(tmp_path, 0.08)

    assert comparison.winner == "volume" and comparison.distinguishable
    (band,) = comparison.intervals
    assert band.policy == "drift" and band.best == "volume" and band.high < 0
    assert band.low < band.difference < band.high
    again = _noisy(tmp_path / "again", 0.08)
    assert again.intervals == comparison.intervals  # seeded: the same interval every time
