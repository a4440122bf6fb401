"""Scenario tasks: multiclass and regression data from the generator and from replayed files, and the
load-time checks of the task, its metric and the team's training code (file:line: key: message)."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import numpy as np
import pandas as pd
import pytest

from ctsim.errors import ScenarioError
from ctsim.gates.data_gate import check_data
from ctsim.scenario.data import SyntheticSource, open_source
from ctsim.scenario.loader import parse
from ctsim.scenario.model import Scenario
from ctsim.settings import DataGateSettings


def synthetic(task: str, events: list | None = None, **generator) -> SyntheticSource:
    spec = Scenario.model_validate(
        {
            "name": "t",
            "seed": 4,
            "task": task,
            "clock": {"ticks": 12},
            "data": {"generator": {"rows_per_tick": 3000, **generator}},
            "events": events or [],
        }
    )
    return SyntheticSource(spec, spec.data.generator)


def labelled(source: SyntheticSource, tick: int) -> pd.DataFrame:
    batch = source.batch(tick)
    return batch.production.merge(batch.truth, on="row_id")


# the generator -------------------------------------------------------------------------------------


def test_multiclass_generator_draws_every_class_at_uniform_priors_and_the_data_gate_accepts_it():
    source = synthetic("multiclass", n_classes=5)
    rows = labelled(source, 2)
    shares = rows["label"].value_counts(normalize=True).sort_index()

    assert source.contract.task == "multiclass" and source.contract.labels == (0, 1, 2, 3, 4)
    assert list(shares.index) == [0, 1, 2, 3, 4] and shares.between(0.15, 0.25).all()
    assert check_data(rows, source.contract, DataGateSettings()).passed


def test_multiclass_label_shift_gives_the_last_class_the_share_and_concept_drift_moves_the_classes():
    shifted = synthetic("multiclass", [{"kind": "label_shift", "at": 3, "positive_share": 0.7}], n_classes=3)
    assert labelled(shifted, 2)["label"].eq(2).mean() == pytest.approx(1 / 3, abs=0.04)
    assert labelled(shifted, 3)["label"].eq(2).mean() == pytest.approx(0.7, abs=0.04)

    drifting = synthetic("multiclass", [{"kind": "concept_drift", "at": 3}], n_classes=3, categorical=False)
    before, after = labelled(drifting, 2), labelled(drifting, 3)
    mean_of = lambda rows, k: rows.loc[rows["label"] == k, ["x0", "x1", "x2"]].mean().to_numpy()  # noqa: E731
    # after the drift, class k's rows sit where class k+1's sat before
    for k in range(3):
        assert np.allclose(mean_of(after, k), mean_of(before, (k + 1) % 3), atol=0.15)


def test_regression_generator_draws_a_numeric_target_that_the_features_explain():
    source = synthetic("regression")
    rows = labelled(source, 1)

    assert source.contract.task == "regression" and source.contract.labels == ()
    assert rows["label"].dtype.kind == "f" and rows["label"].nunique() == len(rows)
    signal = rows[["x0", "x1", "x2"]].sum(axis=1)
    assert np.corrcoef(signal, rows["label"])[0, 1] > 0.6
    assert check_data(rows, source.contract, DataGateSettings()).passed
    flipped = labelled(synthetic("regression", [{"kind": "concept_drift", "at": 1}]), 1)
    assert np.corrcoef(flipped[["x0", "x1", "x2"]].sum(axis=1), flipped["label"])[0, 1] < -0.6


def test_label_flip_on_regression_feedback_mirrors_the_target_and_on_multiclass_moves_the_class():
    event = [{"kind": "bad_model", "at": 1, "ticks": 1, "mode": "label_flip", "share": 1.0}]
    regression = synthetic("regression", event)
    truth, fed = regression.batch(1).truth["label"], regression.feedback(2)["label"]
    assert np.allclose(fed, 2 * truth.mean() - truth)
    multiclass = synthetic("multiclass", event, n_classes=4)
    assert ((multiclass.batch(1).truth["label"] + 1) % 4).tolist() == multiclass.feedback(2)["label"].tolist()


# replayed files ------------------------------------------------------------------------------------


def replay(tmp_path: Path, target: list, task: str) -> Scenario:
    rows = [f"{i},{i * 1.5},{value}" for i, value in enumerate(target)]
    (tmp_path / "rows.csv").write_text("ts,amount,y\n" + "\n".join(rows) + "\n")
    text = (
        f"name: replay\ntask: {task}\nclock:\n  ticks: 2\nbootstrap_tick: 0\ndata:\n  replay:\n"
        f"    path: rows.csv\n    time_column: ts\n    target_column: y\n    slicing: rows\n"
    )
    if task == "regression":
        text += "gates:\n  model:\n    metric: rmse\n"
    return parse(text, str(tmp_path / "replay.yaml"))


def test_replay_maps_text_classes_to_codes_and_keeps_their_names(tmp_path: Path):
    data = open_source(replay(tmp_path, ["cat", "dog", "bird", "dog", "cat", "bird"], "multiclass"), tmp_path)

    assert data.contract.labels == (0, 1, 2) and data.contract.class_names == ("bird", "cat", "dog")
    assert data.batch(0).truth["label"].tolist() == [1, 2, 0]


def test_replay_sorts_integer_classes_as_numbers(tmp_path: Path):
    data = open_source(replay(tmp_path, [10, 2, 3, 10, 2, 3], "multiclass"), tmp_path)

    assert data.contract.class_names == ("2", "3", "10")
    assert data.batch(0).truth["label"].tolist() == [2, 0, 1]


def test_replay_keeps_a_numeric_target_for_regression(tmp_path: Path):
    data = open_source(replay(tmp_path, [1.5, 2.25, -3.0, 4.0], "regression"), tmp_path)

    assert data.contract.task == "regression" and data.contract.labels == ()
    assert data.batch(0).truth["label"].tolist() == [1.5, 2.25]


@pytest.mark.parametrize(
    ("target", "task", "fragment"),
    [
        (["a", "b", "a", "c"], "binary", "must hold exactly two values and no blanks for task binary. Got 3"),
        ([0.5, 1.25, 2.0, 3.5], "multiclass", "with fractions (a numeric target: use task regression)"),
        (["a", "a", "a", "a"], "multiclass", "between 2 and 50 classes"),
        (
            ["1.5", "high", "2", "3"],
            "regression",
            "must hold finite numbers for task regression; data row 2 holds 'high'",
        ),
    ],
)
def test_a_target_that_does_not_fit_the_task_is_a_clear_error(tmp_path: Path, target, task, fragment):
    with pytest.raises(ScenarioError) as caught:
        open_source(replay(tmp_path, target, task), tmp_path)
    assert "rows.csv: target column 'y'" in str(caught.value) and fragment in str(caught.value)


# load-time checks ----------------------------------------------------------------------------------


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse(dedent(text).lstrip(), "s.yaml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\ntask: regression\ngates:\n  model:\n    metric: accuracy\n",
            "s.yaml:5: gates.model.metric: The 'metric' setting of the model gate must be one of rmse, mae, r2 "
            "for task regression. Got 'accuracy' instead.",
        ),
        (
            "name: x\ntask: multiclass\ngates:\n  model:\n    metric: roc_auc\n",
            "s.yaml:5: gates.model.metric: The 'metric' setting of the model gate must be one of accuracy, "
            "balanced_accuracy, f1_macro, roc_auc_ovr, log_loss for task multiclass. Got 'roc_auc' instead.",
        ),
        (
            "name: x\ngates:\n  model:\n    metric: rmse\n    max_value: 3\n",
            "s.yaml:4: gates.model.metric: The 'metric' setting of the model gate must be one of accuracy, "
            "balanced_accuracy, f1, f1_macro, roc_auc, roc_auc_ovr, log_loss for task binary. Got 'rmse' instead.",
        ),
        (
            "name: x\ngates:\n  model:\n    metric: log_loss\n    min_value: 0.5\n",
            "s.yaml:5: gates.model.min_value: The 'min_value' setting of the model gate does not apply to log_loss",
        ),
        (
            "name: x\ntask: regression\ngates:\n  model:\n    metric: rmse\ntraining:\n  model: logistic\n",
            "s.yaml:7: training.model: The 'model' setting of training must be ridge or sgd for task regression. "
            "Got 'logistic' instead.",
        ),
        (
            "name: x\ntask: regression\ngates:\n  model:\n    metric: mae\nevents:\n  - kind: label_shift\n    at: 3\n",
            "s.yaml:7: events[0].kind: a label_shift event moves class priors",
        ),
        (
            "name: x\ntraining:\n  estimator: no_such_team_module:make\n",
            "s.yaml:3: training.estimator: The 'estimator' setting of training names module 'no_such_team_module', "
            "which cannot be imported",
        ),
        (
            "name: x\ntraining:\n  features: team_code:nothing_here\n",
            "s.yaml:3: training.features: The 'features' setting of training names 'nothing_here', which module "
            "'team_code' does not have",
        ),
        (
            "name: x\ntraining:\n  estimator: not a reference\n",
            "s.yaml:3: training.estimator: The 'estimator' setting of training must be 'pkg.module:name'",
        ),
        ("name: x\ntask: ordinal\n", "s.yaml:2: task: The 'task' setting of the scenario must be one of"),
    ],
)
def test_a_task_metric_or_training_reference_that_does_not_fit_is_refused_with_its_line(text, expected):
    assert error_of(text).startswith(expected), error_of(text)


def test_a_regression_scenario_without_a_model_gets_ridge_and_team_references_load():
    scenario = parse("name: x\ntask: regression\ngates:\n  model:\n    metric: rmse\n    max_value: 4\n", "s.yaml")
    assert scenario.training.model == "ridge" and scenario.gates.model.bound == 4
    team = parse(
        "name: x\ntraining:\n  estimator: team_code:boosted_classifier\n  features: team_code:squares\n", "s.yaml"
    )
    assert team.training.estimator == "team_code:boosted_classifier"
