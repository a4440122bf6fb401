"""`ctsim tune` end to end on a cut-down real-data scenario: real replays through kfp.local, two trials."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ctsim.cli import main

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_tune_replays_trials_through_the_pipeline_and_prints_a_pasteable_block(tmp_path, capsys):
    pytest.importorskip("optuna", reason="ctsim tune needs the 'tune' extra (optuna)")
    document = yaml.safe_load((ROOT / "scenarios" / "nannyml-employment.yaml").read_text())
    document["clock"]["ticks"] = 7  # bootstrap at 3, a schedule could fire once (tick 7 is past the end)
    document["data"]["replay"]["path"] = str(ROOT / "fixtures" / "employment_ma.csv")
    document["expectations"] = []
    scenario = tmp_path / "tiny-employment.yaml"
    scenario.write_text(yaml.safe_dump(document), encoding="utf-8")
    space = tmp_path / "space.yaml"
    space.write_text(
        "triggers:\n  performance: {max_drop: {low: 0.01, high: 0.2}, enabled: true}\n  cooldown_ticks: [0, 1]\n",
        encoding="utf-8",
    )

    code = main(
        [
            "tune",
            str(scenario),
            "--space",
            str(space),
            "--trials",
            "2",
            "-j",
            "2",
            "--baselines",
            "none",
            "--runs-dir",
            str(tmp_path / "runs"),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    (record,) = (tmp_path / "runs").glob("tune-*/tune.json")
    tuning = json.loads(record.read_text())
    assert len(tuning["trials"]) == 2 and all(t["status"] == "ran" for t in tuning["trials"])
    assert all(t["metrics"]["auc"] is not None and t["metrics"]["compute_seconds"] > 0 for t in tuning["trials"])
    block = tuning["recommendation"]["triggers"]
    assert block in out  # the printed block is the recorded one
    # The block pastes back into a scenario: a valid triggers section (a tuned trial's or the 'none' baseline's).
    from ctsim.settings import TriggerSettings

    pasted = TriggerSettings.model_validate(yaml.safe_load(block)["triggers"])
    assert pasted.performance is not None or pasted == TriggerSettings(cooldown_ticks=pasted.cooldown_ticks)
