"""The team's model: its feature engineering and a gradient-boosting estimator in one scikit-learn Pipeline.

The registered model is this whole pipeline, so serving (ctsim's simulated deployment, or the team's
real one) calls ``predict`` on the raw feature columns, exactly as the lake holds them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer


def add_summary_features(frame: pd.DataFrame) -> pd.DataFrame:
    """Every numeric column, plus their row mean and spread (poll average and disagreement, say)."""
    numeric = frame.select_dtypes("number").astype(float)
    out = numeric.copy()
    out["row_mean"] = numeric.mean(axis=1)
    out["row_spread"] = numeric.max(axis=1) - numeric.min(axis=1)
    return out.replace([np.inf, -np.inf], np.nan)


def build_model(task: str, learning_rate: float, max_iter: int, seed: int) -> Pipeline:
    """A regressor for ``regression``, a classifier for ``binary`` and ``multiclass``."""
    if task not in ("regression", "binary", "multiclass"):
        raise ValueError(f"task must be regression, binary or multiclass. Got {task!r} instead.")
    estimator_class = HistGradientBoostingRegressor if task == "regression" else HistGradientBoostingClassifier
    estimator = estimator_class(learning_rate=learning_rate, max_iter=max_iter, random_state=seed)
    features = FunctionTransformer(add_summary_features, validate=False)
    return Pipeline([("features", features), ("model", estimator)])


def sabotaged(target: pd.Series, seed: int) -> pd.Series:
    """The team's honour of a scripted bad_model event: train on shuffled targets (a broken join, say)."""
    return pd.Series(np.random.default_rng(seed).permutation(target.to_numpy()), index=target.index)
