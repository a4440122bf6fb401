"""Training and evaluation: models in, models and numbers out."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression, SGDClassifier
from sklearn.metrics import accuracy_score, f1_score, roc_auc_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ctsim.contract import DataContract
from ctsim.settings import TrainingSettings
from ctsim.steps.features import FeatureRecipe
from ctsim.steps.model import ServableModel


def new_estimator(settings: TrainingSettings, seed: int) -> Pipeline:
    if settings.model == "sgd":
        classifier = SGDClassifier(loss="log_loss", alpha=1e-4, random_state=seed)
    else:
        classifier = LogisticRegression(max_iter=500)
    return make_pipeline(StandardScaler(), classifier)


def train(matrix: pd.DataFrame, contract: DataContract, settings: TrainingSettings, *, seed: int,
          through_tick: int, warm_start: ServableModel | None = None, sabotage: bool = False) -> ServableModel:
    """Fit a model on an engineered feature matrix (columns of the contract's recipe plus the label).

    The incremental strategy continues ``warm_start`` with ``partial_fit``. ``sabotage`` trains on
    inverted labels: the scenario's way to script a broken training job that is reliably bad (shuffled
    labels would leave a random direction that sometimes scores well).
    """
    recipe = FeatureRecipe.from_contract(contract)
    features = matrix.reindex(columns=list(recipe.output_columns)).to_numpy(dtype=float)
    labels = matrix[contract.label].to_numpy(dtype=int)
    if sabotage:
        labels = 1 - labels
    if settings.strategy != "incremental":
        return ServableModel(recipe, new_estimator(settings, seed).fit(features, labels), through_tick)
    estimator = copy.deepcopy(warm_start.estimator) if warm_start is not None else new_estimator(settings, seed)
    scaler, classifier = estimator.steps[0][1], estimator.steps[-1][1]
    scaler.partial_fit(features)
    classifier.partial_fit(scaler.transform(features), labels, classes=np.array(contract.labels))
    return ServableModel(recipe, estimator, through_tick)


def score(model: ServableModel, rows: pd.DataFrame, label: str, metric: str) -> float:
    """The model's ``metric`` on labelled rows; NaN when there is nothing to score."""
    if len(rows) == 0:
        return float("nan")
    return metric_value(metric, rows[label].to_numpy(dtype=int), model.predict_proba(rows))


def metric_value(metric: str, truth: np.ndarray, proba: np.ndarray) -> float:
    """The metric from labels and predicted probabilities of the positive class."""
    if metric == "roc_auc":
        return float(roc_auc_score(truth, proba)) if len(np.unique(truth)) == 2 else float("nan")
    predicted = (proba >= 0.5).astype(int)
    if metric == "f1":
        return float(f1_score(truth, predicted, zero_division=0))
    return float(accuracy_score(truth, predicted))
