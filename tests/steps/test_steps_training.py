"""Pipeline steps as pure functions: cleaning, splitting, feature engineering, training and scoring."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest

from ctsim.contract import ROW_ID, TICK, ColumnSpec, DataContract
from ctsim.settings import TrainingSettings
from ctsim.steps import FeatureRecipe, ServableModel, engineer, metric_value, score, train

CONTRACT = DataContract(
    features=(
        ColumnSpec("x0", "numeric", -50, 50),
        ColumnSpec("x1", "numeric", -50, 50),
        ColumnSpec("segment", "categorical", categories=("a", "b", "c")),
    )
)
RECIPE = FeatureRecipe.from_contract(CONTRACT)


def rows(n: int, seed: int, tick: int = 0, separation: float = 3.0, flip: bool = False) -> pd.DataFrame:
    """Labelled rows whose classes sit ``separation`` apart along x0 (and x1 carries only noise)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    role = 1 - labels if flip else labels
    return pd.DataFrame(
        {
            ROW_ID: [f"p{tick:05d}-{i:07d}" for i in range(n)],
            TICK: tick,
            "x0": rng.standard_normal(n) + np.where(role == 1, separation / 2, -separation / 2),
            "x1": rng.standard_normal(n),
            "segment": rng.choice(["a", "b", "c"], n),
            "label": labels,
        }
    )


def matrix(frame: pd.DataFrame) -> pd.DataFrame:
    """What the engineer-features step hands to training: recipe columns plus the label."""
    features = pd.DataFrame(engineer(frame, RECIPE), columns=list(RECIPE.output_columns))
    return features.assign(label=frame["label"].to_numpy())


def accuracy(model: ServableModel, frame: pd.DataFrame) -> float:
    return score(model, frame, "label", "accuracy")


TRAIN, TEST = rows(1500, seed=1), rows(2000, seed=2, tick=1)
SABOTAGE_SEEDS = 20


# training --------------------------------------------------------------------


@pytest.mark.parametrize("model_kind", ["logistic", "sgd"])
def test_training_on_separable_data_beats_chance_by_far(model_kind: str):
    model = train(matrix(TRAIN), CONTRACT, TrainingSettings(model=model_kind), seed=0, through_tick=7)

    assert accuracy(model, TEST) > 0.85
    assert score(model, TEST, "label", "roc_auc") > 0.9
    assert model.trained_through_tick == 7
    assert model.recipe == RECIPE


def test_sabotaged_training_is_worse_than_a_coin_for_every_seed():
    """A scripted broken job must be reliably bad, so no seed lets it slip through a model gate."""
    honest = train(matrix(TRAIN), CONTRACT, TrainingSettings(), seed=0, through_tick=0)
    sabotaged = [
        accuracy(train(matrix(TRAIN), CONTRACT, TrainingSettings(), seed=seed, through_tick=0, sabotage=True), TEST)
        for seed in range(SABOTAGE_SEEDS)
    ]

    assert max(sabotaged) < 0.5, np.round(sabotaged, 2)
    assert accuracy(honest, TEST) - max(sabotaged) > 0.3


def test_training_is_deterministic_for_a_seed():
    settings = TrainingSettings(model="sgd")
    a = train(matrix(TRAIN), CONTRACT, settings, seed=3, through_tick=0)
    b = train(matrix(TRAIN), CONTRACT, settings, seed=3, through_tick=0)

    np.testing.assert_array_equal(a.predict_proba(TEST), b.predict_proba(TEST))


def test_a_trained_model_survives_pickling():
    model = train(matrix(TRAIN), CONTRACT, TrainingSettings(), seed=0, through_tick=0)

    restored = pickle.loads(pickle.dumps(model, protocol=5))

    np.testing.assert_array_equal(restored.predict(TEST), model.predict(TEST))


# incremental -----------------------------------------------------------------

INCREMENTAL = TrainingSettings(strategy="incremental", model="sgd")


def classifier(model: ServableModel):
    return model.estimator.steps[-1][1]


def test_incremental_warm_start_continues_the_model_without_losing_the_old_one():
    first = train(matrix(TRAIN), CONTRACT, INCREMENTAL, seed=0, through_tick=3)
    before = classifier(first).coef_.copy()
    proba_before = first.predict_proba(TEST)
    later = rows(1500, seed=3, tick=4)

    second = train(matrix(later), CONTRACT, INCREMENTAL, seed=0, through_tick=4, warm_start=first)

    # the old model is untouched ...
    np.testing.assert_array_equal(classifier(first).coef_, before)
    np.testing.assert_array_equal(first.predict_proba(TEST), proba_before)
    assert first.trained_through_tick == 3
    # ... the new one moved on from it rather than starting over ...
    assert second.estimator is not first.estimator
    assert not np.array_equal(classifier(second).coef_, before)
    assert second.estimator.steps[0][1].n_samples_seen_ == len(TRAIN) + len(later)
    assert classifier(second).t_ > classifier(first).t_
    fresh = train(matrix(later), CONTRACT, INCREMENTAL, seed=0, through_tick=4)
    assert not np.allclose(classifier(second).coef_, classifier(fresh).coef_)
    # ... and is still a good model
    assert accuracy(second, TEST) > 0.85
    assert second.trained_through_tick == 4


def test_incremental_warm_start_adapts_to_a_flipped_concept():
    model = train(matrix(TRAIN), CONTRACT, INCREMENTAL, seed=0, through_tick=0)
    flipped_test = rows(2000, seed=5, flip=True)
    assert accuracy(model, flipped_test) < 0.2

    for tick in range(1, 6):
        model = train(
            matrix(rows(1500, seed=10 + tick, tick=tick, flip=True)),
            CONTRACT,
            INCREMENTAL,
            seed=0,
            through_tick=tick,
            warm_start=model,
        )

    assert accuracy(model, flipped_test) > 0.8


def test_incremental_settings_require_sgd():
    with pytest.raises(ValueError, match="'model' setting of training must be 'sgd'"):
        TrainingSettings(strategy="incremental", model="logistic")


# metrics ---------------------------------------------------------------------


def test_metric_values():
    """Label metrics score predictions, probability metrics the positive class's probability."""
    truth = np.array([0, 0, 1, 1])
    proba = np.array([0.1, 0.6, 0.4, 0.9])
    predicted = (proba >= 0.5).astype(int)

    assert metric_value("accuracy", truth, predicted) == pytest.approx(0.5)
    assert metric_value("f1", truth, predicted) == pytest.approx(0.5)
    assert metric_value("roc_auc", truth, proba) == pytest.approx(0.75)
    assert np.isnan(metric_value("roc_auc", np.array([1, 1]), np.array([0.2, 0.9])))


def test_score_of_nothing_is_nan():
    model = train(matrix(TRAIN), CONTRACT, TrainingSettings(), seed=0, through_tick=0)

    assert np.isnan(score(model, TEST.iloc[:0], "label", "accuracy"))
    assert model.predict(TEST.iloc[:0]).shape == (0,)
