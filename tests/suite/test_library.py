"""The shipped scenario library and the real-data fixture: every file loads, names match, data is there."""

from pathlib import Path

import pandas as pd
import pytest

from ctsim.scenario import loader
from ctsim.scenario.data import open_source

LIBRARY = (
    "gradual-drift",
    "recurring-drift",
    "label-shift",
    "concept-drift",
    "schema-break",
    "delayed-labels",
    "volume-spike",
    "store-outage",
    "incremental-retraining",
    "full-retraining",
    "river-phishing",
    "nannyml-employment",
    "nannyml-california",
)
ROOT = Path(__file__).resolve().parents[2]  # the repository: README.md, fixtures/


@pytest.mark.parametrize("name", LIBRARY)
def test_each_library_scenario_loads_states_expectations_and_is_in_the_readme(name):
    scenario = loader.load(name)
    assert scenario.name == name and scenario.expectations
    assert f"| `{name}` |" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_incremental_and_full_retraining_differ_only_in_training():
    incremental, full = loader.load("incremental-retraining"), loader.load("full-retraining")
    assert incremental.training.strategy == "incremental" and full.training.strategy == "full"
    keep = {"name", "description", "training", "expectations"}
    assert incremental.model_dump(exclude=keep) == full.model_dump(exclude=keep)


def test_concept_drift_leaves_the_feature_distribution_alone():
    """Concept drift without covariate shift: the features' means barely move, the label relation flips."""
    scenario = loader.load("concept-drift")
    source = open_source(scenario, loader.SHIPPED_DIR)
    before = pd.concat([source.batch(t).production for t in range(4, 8)])
    after = pd.concat([source.batch(t).production for t in range(8, 12)])
    shift = (after.filter(like="x").mean() - before.filter(like="x").mean()).abs()
    assert shift.max() < 0.15
    truth = pd.concat([source.batch(t).truth for t in range(8, 12)])
    joined = after.merge(truth, on="row_id")
    assert joined.loc[joined.label == 1, "x0"].mean() < 0 < joined.loc[joined.label == 0, "x0"].mean()


def test_river_fixture_is_the_documented_dataset_and_replays():
    frame = pd.read_csv(ROOT / "fixtures" / "phishing.csv")
    assert frame.shape == (1250, 11) and set(frame["is_phishing"]) == {0, 1}
    assert frame["seen_at"].is_monotonic_increasing
    scenario = loader.load("river-phishing")
    source = open_source(scenario, loader.SHIPPED_DIR)
    assert sum(len(source.batch(t).production) for t in range(scenario.clock.ticks)) == 1250
    assert "phishing.csv" in (ROOT / "fixtures" / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "rows", "target"),
    [("employment_ma.csv", 2400, "employed"), ("california_housing.csv", 3516, "clf_target")],
)
def test_nannyml_fixtures_are_the_documented_files_and_replay_in_16_ticks(file, rows, target):
    import hashlib
    import re

    path = ROOT / "fixtures" / file
    documented = re.search(rf"{re.escape(file)}\s+`([0-9a-f]{{64}})`", (ROOT / "fixtures" / "README.md").read_text())
    assert documented and hashlib.sha256(path.read_bytes()).hexdigest() == documented.group(1)
    frame = pd.read_csv(path)
    assert len(frame) == rows and set(frame[target]) == {0, 1}
    name = "nannyml-employment" if file.startswith("employment") else "nannyml-california"
    scenario = loader.load(name)
    source = open_source(scenario, loader.SHIPPED_DIR)
    assert sum(len(source.batch(t).production) for t in range(scenario.clock.ticks)) == rows
