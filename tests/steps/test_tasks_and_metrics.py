"""Tasks beyond binary and the team's own code: the metric registry, scoring any model, training with
the scenario's estimator and features, on synthetic multiclass and regression data."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import team_code
from sklearn.metrics import f1_score, log_loss, mean_absolute_error, r2_score, roc_auc_score

from ctsim.errors import SettingError
from ctsim.scenario.data import SyntheticSource
from ctsim.scenario.model import Scenario
from ctsim.settings import TrainingSettings
from ctsim.steps import CustomFeatures, feature_frame, model_output, score, train
from ctsim.steps.features import clean
from ctsim.steps.metrics import METRICS, metric_label, metric_names, metric_spec, metric_value
from ctsim.steps.references import call_factory, load_reference


def labelled(task: str, ticks: range, seed: int = 3, **generator) -> tuple[pd.DataFrame, object]:
    spec = Scenario.model_validate(
        {
            "name": "t",
            "seed": seed,
            "task": task,
            "clock": {"ticks": 20},
            "data": {"generator": {"rows_per_tick": 500, **generator}},
        }
    )
    source = SyntheticSource(spec, spec.data.generator)
    frames = [source.batch(t).production.merge(source.batch(t).truth, on="row_id") for t in ticks]
    return clean(pd.concat(frames, ignore_index=True), source.contract), source.contract


# the registry ----------------------------------------------------------------------------------------


def test_the_registry_knows_each_metrics_direction_and_tasks():
    lower = {name for name, spec in METRICS.items() if not spec.higher_is_better}
    assert lower == {"log_loss", "rmse", "mae"}
    assert metric_names("regression") == ("rmse", "mae", "r2")
    assert set(metric_names("multiclass")) == {"accuracy", "balanced_accuracy", "f1_macro", "roc_auc_ovr", "log_loss"}
    assert {"f1", "roc_auc"} <= set(metric_names("binary"))
    assert {name for name, spec in METRICS.items() if spec.needs_proba} == {"roc_auc", "roc_auc_ovr", "log_loss"}
    assert metric_label("rmse") == "rmse (lower is better)" and metric_label("accuracy") == "accuracy"
    with pytest.raises(ValueError, match="unknown metric 'auc'"):
        metric_spec("auc")


@pytest.mark.parametrize("name", sorted(METRICS))
def test_worsening_and_thresholds_agree_with_the_direction(name: str):
    spec = metric_spec(name)
    better, worse = (0.8, 0.6) if spec.higher_is_better else (0.6, 0.8)
    assert spec.worsening(better, worse) == pytest.approx(0.2)
    assert spec.worsening(worse, better) == pytest.approx(-0.2)
    assert spec.at_least_as_good(better, worse) and not spec.at_least_as_good(worse, better)
    assert spec.allowing(better, 0.2) == pytest.approx(worse)
    assert not spec.at_least_as_good(float("nan"), worse)


def test_multiclass_and_regression_metrics_match_scikit_learn():
    truth = np.array([0, 1, 2, 2, 1, 0])
    predicted = np.array([0, 2, 2, 2, 1, 1])
    proba = np.array(
        [[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.2, 0.6, 0.2], [0.4, 0.5, 0.1]]
    )
    classes = (0, 1, 2)
    assert metric_value("accuracy", truth, predicted) == pytest.approx(4 / 6)
    assert metric_value("f1_macro", truth, predicted, classes) == pytest.approx(
        f1_score(truth, predicted, average="macro")
    )
    assert metric_value("log_loss", truth, proba, classes) == pytest.approx(log_loss(truth, proba))
    assert metric_value("roc_auc_ovr", truth, proba, classes) == pytest.approx(
        roc_auc_score(truth, proba, multi_class="ovr")
    )
    assert np.isnan(metric_value("roc_auc_ovr", np.array([0, 1]), proba[:2], classes))  # a class is missing
    y, y_hat = np.array([1.0, 2.0, 4.0]), np.array([1.5, 2.0, 3.0])
    assert metric_value("rmse", y, y_hat) == pytest.approx(np.sqrt((0.25 + 1) / 3))
    assert metric_value("mae", y, y_hat) == pytest.approx(mean_absolute_error(y, y_hat))
    assert metric_value("r2", y, y_hat) == pytest.approx(r2_score(y, y_hat))
    assert np.isnan(metric_value("rmse", np.array([]), np.array([])))


# any model -----------------------------------------------------------------------------------------


def test_any_object_with_predict_is_scored_and_probability_metrics_need_predict_proba():
    rows = pd.DataFrame({"x": range(10), "label": [1] * 7 + [0] * 3})
    assert score(team_code.MajorityClass(1), rows, "label", "accuracy") == pytest.approx(0.7)
    with pytest.raises(SettingError, match="log_loss needs probabilities"):
        score(team_code.MajorityClass(1), rows, "label", "log_loss")
    sharp = score(team_code.ConstantProba([0.2, 0.8]), rows, "label", "log_loss")
    blunt = score(team_code.ConstantProba([0.5, 0.5]), rows, "label", "log_loss")
    assert sharp < blunt  # the better-calibrated guess has the lower (better) loss
    assert model_output(team_code.ConstantProba([0.2, 0.8]), rows, "roc_auc", "binary").shape == (10,)
    assert model_output(team_code.ConstantProba([0.2, 0.3, 0.5]), rows, "log_loss", "multiclass").shape == (10, 3)


# training for each task ------------------------------------------------------------------------------


def test_multiclass_training_beats_chance_and_sabotage_falls_below_it():
    rows, contract = labelled("multiclass", range(0, 4), n_classes=4)
    test, _ = labelled("multiclass", range(10, 12), n_classes=4)
    assert contract.task == "multiclass" and contract.labels == (0, 1, 2, 3)
    assert set(rows["label"]) == {0, 1, 2, 3}
    model = train(feature_frame(rows, contract), contract, TrainingSettings(), seed=0, through_tick=3)
    sabotaged = train(
        feature_frame(rows, contract), contract, TrainingSettings(), seed=0, through_tick=3, sabotage=True
    )
    accuracy = score(model, test, "label", "accuracy", "multiclass", contract.labels)
    assert accuracy > 0.5  # chance is 0.25
    assert score(sabotaged, test, "label", "accuracy", "multiclass", contract.labels) < 0.25
    assert score(model, test, "label", "log_loss", "multiclass", contract.labels) < score(
        sabotaged, test, "label", "log_loss", "multiclass", contract.labels
    )


def test_regression_training_fits_a_numeric_target():
    rows, contract = labelled("regression", range(0, 4))
    test, _ = labelled("regression", range(10, 12))
    assert contract.task == "regression" and contract.labels == () and rows["label"].dtype.kind == "f"
    model = train(feature_frame(rows, contract), contract, TrainingSettings(model="ridge"), seed=0, through_tick=3)
    assert score(model, test, "label", "rmse", "regression") < 1.2  # the generator's noise is 1.0
    assert score(model, test, "label", "r2", "regression") > 0.6  # noise leaves about 0.68 to explain
    sabotaged = train(
        feature_frame(rows, contract), contract, TrainingSettings(model="ridge"), seed=0, through_tick=3, sabotage=True
    )
    assert score(sabotaged, test, "label", "r2", "regression") < 0


def test_incremental_regression_continues_with_partial_fit():
    rows, contract = labelled("regression", range(0, 4))
    settings = TrainingSettings(strategy="incremental", model="sgd")
    first = train(feature_frame(rows, contract), contract, settings, seed=0, through_tick=3)
    second = train(feature_frame(rows, contract), contract, settings, seed=0, through_tick=4, warm_start=first)
    assert second.estimator.steps[0][1].n_samples_seen_ == 2 * len(rows)


# the team's estimator and features ------------------------------------------------------------------


def test_the_teams_estimator_and_features_are_trained_served_and_pickled():
    rows, contract = labelled("binary", range(0, 3))
    test, _ = labelled("binary", range(10, 11))
    settings = TrainingSettings(estimator="team_code:boosted_classifier", features="team_code:squares")
    matrix = feature_frame(rows, contract, settings.features)
    assert [c for c in matrix.columns if c.endswith("_sq")] and "segment" not in matrix.columns
    model = train(matrix, contract, settings, seed=7, through_tick=2)
    assert type(model.estimator).__name__ == "HistGradientBoostingClassifier"
    assert model.estimator.random_state == 7  # the factory declares seed: it got the scenario's
    assert model.recipe == CustomFeatures("team_code:squares", contract.feature_names)
    restored = pickle.loads(pickle.dumps(model, protocol=5))
    assert score(restored, test, "label", "roc_auc") == score(model, test, "label", "roc_auc") > 0.85


def test_a_feature_function_must_return_one_row_per_row():
    rows, contract = labelled("binary", range(0, 1))
    with pytest.raises(SettingError, match="one row per input row"):
        feature_frame(rows, contract, "team_code:wrong_length")


def test_an_incremental_team_estimator_needs_partial_fit():
    rows, contract = labelled("regression", range(0, 1))
    settings = TrainingSettings(strategy="incremental", estimator="team_code:boosted_regressor")
    with pytest.raises(SettingError, match="needs an estimator with partial_fit"):
        train(feature_frame(rows, contract), contract, settings, seed=0, through_tick=0)


def test_references_resolve_or_say_what_is_wrong():
    assert load_reference("team_code:squares") is team_code.squares
    with pytest.raises(SettingError, match="module 'no_such_team_module', which cannot be imported"):
        load_reference("no_such_team_module:f")
    with pytest.raises(SettingError, match="'missing', which module 'team_code' does not have"):
        load_reference("team_code:missing")
    with pytest.raises(SettingError, match="must name a callable"):
        load_reference("team_code:NOT_CALLABLE")
    assert call_factory(team_code.boosted_classifier, 11).random_state == 11
    assert call_factory(team_code.boosted_regressor, 11).random_state == 0
