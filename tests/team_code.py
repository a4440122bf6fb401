"""A team's own training code, as a scenario names it ("team_code:..."): used by the tests of
training.estimator / training.features and of serving any model object."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor


def boosted_classifier(seed: int):
    """A non-linear estimator; declares ``seed``, so ctsim passes the scenario's seed."""
    return HistGradientBoostingClassifier(max_iter=60, random_state=seed)


def boosted_regressor():
    """Declares no ``seed``: ctsim calls it bare."""
    return HistGradientBoostingRegressor(max_iter=60, random_state=0)


def squares(rows: pd.DataFrame) -> pd.DataFrame:
    """The team's features: the numeric columns and their squares (segment dropped)."""
    numeric = rows.select_dtypes("number")
    return pd.concat([numeric, (numeric**2).add_suffix("_sq")], axis=1)


def wrong_length(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.iloc[:1]


NOT_CALLABLE = 3


class MajorityClass:
    """A team's own model class: predict only, no scikit-learn, no predict_proba."""

    def __init__(self, label: int):
        self.label = label

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.full(len(rows), self.label)


class ConstantProba:
    """A team's model with probabilities: the same class distribution for every row."""

    def __init__(self, proba: list[float]):
        self.proba = np.asarray(proba, dtype=float)

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return np.full(len(rows), int(self.proba.argmax()))

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        return np.tile(self.proba, (len(rows), 1))


class Oracle:
    """Predicts a column that holds the answer (tests put the truth there), with sharp probabilities."""

    def __init__(self, column: str, classes: int = 0):
        self.column, self.classes = column, classes

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        return rows[self.column].to_numpy()

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        proba = np.full((len(rows), self.classes), 0.01)
        proba[np.arange(len(rows)), rows[self.column].to_numpy(dtype=int)] = 1.0
        return proba / proba.sum(axis=1, keepdims=True)
