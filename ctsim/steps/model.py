"""The servable model: the feature recipe and the fitted estimator in one object.

Serving and evaluation call ``predict`` on raw rows, so the features a model
was trained on are always computed the same way when it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctsim.steps.features import FeatureRecipe, engineer


@dataclass
class ServableModel:
    recipe: FeatureRecipe
    estimator: object
    trained_through_tick: int

    def predict(self, rows: pd.DataFrame) -> np.ndarray:
        if len(rows) == 0:
            return np.empty(0, dtype=int)
        return self.estimator.predict(engineer(rows, self.recipe))

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        return self.estimator.predict_proba(engineer(rows, self.recipe))[:, 1]
