"""Training and evaluation: models in, models and numbers out.

What a pipeline's tasks call (the reference pipeline, and a team that keeps it):

* ``feature_frame(rows, contract, settings.features)`` (ctsim.steps.features): the training matrix;
* ``train(matrix, contract, settings, seed=..., through_tick=..., warm_start=..., sabotage=...)``;
* ``score(model, rows, contract.label, metric, task=contract.task, classes=contract.labels)``:
  any model object with ``predict(DataFrame)`` (and ``predict_proba`` for probability metrics).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd

from ctsim.contract import META_COLUMNS, DataContract
from ctsim.errors import SettingError
from ctsim.settings import TrainingSettings
from ctsim.steps.features import FeatureRecipe, features_for, medians
from ctsim.steps.metrics import metric_spec, metric_value
from ctsim.steps.model import ServableModel
from ctsim.steps.references import call_factory, load_reference

__all__ = ["metric_value", "model_output", "new_estimator", "score", "train", "truth_of"]


def new_estimator(settings: TrainingSettings, seed: int, task: str = "binary") -> Any:
    """The scenario's estimator: the team's factory when it names one, else a scaled linear model for the task."""
    if settings.estimator is not None:
        return call_factory(load_reference(settings.estimator), seed)
    from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier, SGDRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if task == "regression":
        model: Any = SGDRegressor(random_state=seed) if settings.model == "sgd" else Ridge(alpha=1.0)
    elif settings.model == "sgd":
        model = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=seed)
    else:
        model = LogisticRegression(max_iter=500)
    return make_pipeline(StandardScaler(), model)


def train(
    matrix: pd.DataFrame,
    contract: DataContract,
    settings: TrainingSettings,
    *,
    seed: int,
    through_tick: int,
    warm_start: ServableModel | None = None,
    sabotage: bool = False,
) -> ServableModel:
    """Fit a model on a feature matrix (the model's input columns plus the label; see ``feature_frame``).

    The incremental strategy continues ``warm_start`` with ``partial_fit``. ``sabotage`` trains on
    wrong labels: the scenario's way to script a broken training job that is reliably bad (shuffled
    labels would leave a random direction that sometimes scores well).
    """
    recipe = features_for(contract, settings.features)
    inputs = matrix.drop(columns=[contract.label])
    if isinstance(recipe, FeatureRecipe):  # the vocabulary the features step learnt from the training rows
        recipe = recipe.restricted_to(inputs.columns)
        if contract.impute == "median":  # the matrix's medians are the training rows' (fills add medians only)
            recipe = recipe.with_fills(medians(inputs, recipe.numeric))
        kept = warm_start.recipe if warm_start is not None and settings.strategy == "incremental" else None
        if isinstance(kept, FeatureRecipe):
            # a continued model keeps its columns: values new since are unknown to it, gone ones are zeros
            recipe = kept
            inputs = inputs.reindex(columns=list(recipe.output_columns), fill_value=0.0)
    labels = truth_of(matrix[contract.label], contract.task)
    if sabotage:
        labels = _sabotaged(labels, contract)
    if settings.strategy != "incremental":
        return ServableModel(recipe, new_estimator(settings, seed, contract.task).fit(inputs, labels), through_tick)
    estimator = (
        copy.deepcopy(warm_start.estimator) if warm_start is not None else new_estimator(settings, seed, contract.task)
    )
    _partial_fit(estimator, inputs, labels, contract)
    return ServableModel(recipe, estimator, through_tick)


def _partial_fit(estimator: Any, inputs: pd.DataFrame, labels: np.ndarray, contract: DataContract) -> None:
    classes = {} if contract.task == "regression" else {"classes": np.array(contract.labels)}
    steps = getattr(estimator, "steps", None)
    if steps is None:  # the team's own estimator
        if not hasattr(estimator, "partial_fit"):
            raise SettingError(
                "The 'strategy' setting of training is 'incremental', which needs an estimator with "
                f"partial_fit. Got {type(estimator).__name__} instead."
            )
        estimator.partial_fit(inputs, labels, **classes)
        return
    scaler, model = steps[0][1], steps[-1][1]
    scaler.partial_fit(inputs)
    model.partial_fit(scaler.transform(inputs), labels, **classes)


def _sabotaged(labels: np.ndarray, contract: DataContract) -> np.ndarray:
    """Every class moved to the next one (for binary: 1 - label); a regression target mirrored."""
    if contract.task == "regression":
        return 2 * labels.mean() - labels
    return (labels + 1) % len(contract.labels)


def truth_of(labels: pd.Series, task: str) -> np.ndarray:
    """Labels as the metrics want them: class codes (int) or numbers (float)."""
    return labels.to_numpy(dtype=float if task == "regression" else int)


def model_output(model: Any, rows: pd.DataFrame, metric: str, task: str = "binary") -> np.ndarray:
    """What ``metric`` scores: ``predict(rows)``, or ``predict_proba(rows)`` when it needs probabilities
    (for binary tasks the positive class's column). The model sees the raw feature columns only, as the pipeline
    contract promises: the lake's bookkeeping columns (row id, tick, event time) are dropped first."""
    rows = rows.drop(columns=[c for c in META_COLUMNS if c in rows.columns])
    if not metric_spec(metric).needs_proba:
        return np.asarray(model.predict(rows))
    if not hasattr(model, "predict_proba"):
        raise SettingError(
            f"The metric {metric} needs probabilities, and the model ({type(model).__name__}) "
            "has no predict_proba. Choose a metric on predictions (e.g. accuracy) or another model."
        )
    proba = np.asarray(model.predict_proba(rows))
    return proba[:, 1] if task == "binary" and proba.ndim == 2 else proba


def score(model: Any, rows: pd.DataFrame, label: str, metric: str, task: str = "binary", classes: tuple = ()) -> float:
    """The model's ``metric`` on labelled rows; NaN when there is nothing to score."""
    if len(rows) == 0:
        return float("nan")
    output = model_output(model, rows.drop(columns=[label]), metric, task)
    return metric_value(metric, truth_of(rows[label], task), output, classes)
