"""Preprocessing and feature engineering: pure functions of frames and the contract."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctsim.contract import ROW_ID, TICK, DataContract


@dataclass(frozen=True)
class FeatureRecipe:
    """How raw columns become the model's input matrix: numeric as is, categorical one-hot."""

    numeric: tuple[str, ...]
    categorical: tuple[tuple[str, tuple[str, ...]], ...]

    @classmethod
    def from_contract(cls, contract: DataContract) -> "FeatureRecipe":
        numeric = tuple(c.name for c in contract.features if c.kind == "numeric")
        categorical = tuple((c.name, c.categories) for c in contract.features if c.kind == "categorical")
        return cls(numeric, categorical)

    @property
    def output_columns(self) -> tuple[str, ...]:
        one_hot = tuple(f"{name}={value}" for name, values in self.categorical for value in values)
        return self.numeric + one_hot


def engineer(rows: pd.DataFrame, recipe: FeatureRecipe) -> np.ndarray:
    """The model input matrix. Missing or non-finite numbers become 0 so serving never crashes on a bad row."""
    numeric = rows.reindex(columns=list(recipe.numeric)).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    numeric = np.where(np.isfinite(numeric), numeric, 0.0)
    blocks = [numeric]
    for name, values in recipe.categorical:
        column = rows[name].astype(str).to_numpy() if name in rows else np.full(len(rows), "")
        blocks.append(np.stack([(column == value).astype(float) for value in values], axis=1)
                      if values else np.empty((len(rows), 0)))
    return np.hstack(blocks)


def clean(frame: pd.DataFrame, contract: DataContract) -> pd.DataFrame:
    """Rows fit to train on: known labels, finite features, no duplicates, stable order."""
    columns = [*contract.feature_names, contract.label]
    kept = frame.dropna(subset=columns)
    numeric = [c.name for c in contract.features if c.kind == "numeric"]
    finite = np.isfinite(kept[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)).all(axis=1)
    kept = kept[finite & kept[contract.label].isin(contract.labels).to_numpy()]
    kept = kept.drop_duplicates(subset=columns)
    order = [c for c in (TICK, ROW_ID) if c in kept.columns]
    return kept.sort_values(order, kind="stable").reset_index(drop=True) if order else kept.reset_index(drop=True)


def split_by_recency(frame: pd.DataFrame, holdout_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the older rows and hold out the freshest ones: the holdout looks most like tomorrow."""
    cut = int(round(len(frame) * (1 - holdout_share)))
    return frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)
