"""The servable model: the features and the fitted estimator in one object.

Serving and evaluation call ``predict`` (and ``predict_proba`` for metrics
that need probabilities) on raw rows, so the features a model was trained on
are always computed the same way when it is used. Serving and evaluation
accept any object with ``predict(DataFrame)``; this is ctsim's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctsim.steps.features import Features


@dataclass
class ServableModel:
    recipe: Features
    estimator: object
    trained_through_tick: int

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        if len(rows) == 0:
            return np.empty(0, dtype=int)
        return np.asarray(self.estimator.predict(self.recipe.frame(rows)))  # type: ignore[attr-defined]

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """One column per class, in the order of ``classes_`` (scikit-learn's convention)."""
        return np.asarray(self.estimator.predict_proba(self.recipe.frame(rows)))  # type: ignore[attr-defined]

    @property
    def classes_(self) -> np.ndarray | None:
        return getattr(self.estimator, "classes_", None)
