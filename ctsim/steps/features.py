"""Preprocessing and feature engineering: pure functions of frames and the contract."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ctsim.contract import ROW_ID, TICK, DataContract


@dataclass(frozen=True)
class FeatureRecipe:
    """How raw columns become the model's input matrix: numeric as is, categorical one-hot."""

    numeric: tuple[str, ...]
    categorical: tuple[tuple[str, tuple[str, ...]], ...]
    fills: tuple[float, ...] = ()  # per numeric column, what a missing value becomes (empty: 0)

    @classmethod
    def from_contract(cls, contract: DataContract) -> FeatureRecipe:
        numeric = tuple(c.name for c in contract.features if c.kind == "numeric")
        categorical = tuple((c.name, c.categories) for c in contract.features if c.kind == "categorical")
        return cls(numeric, categorical)

    def learnt_from(self, rows: pd.DataFrame, impute: str = "none") -> FeatureRecipe:
        """The recipe with each categorical column's vocabulary cut to the values the training rows hold.

        The contract lists every value of the replayed file, future rows included; a model must not get
        columns for values it could only know from the future. Unseen values encode as all zeros.
        """
        seen = {name: set(rows[name].dropna().astype(str)) if name in rows else set() for name, _ in self.categorical}
        return FeatureRecipe(
            self.numeric,
            tuple((name, tuple(v for v in values if v in seen[name])) for name, values in self.categorical),
            medians(rows, self.numeric) if impute == "median" else (),
        )

    def restricted_to(self, columns: pd.Index | list[str]) -> FeatureRecipe:
        """The recipe whose one-hot columns are those of a matrix it made (``learnt_from`` in another step)."""
        present = set(columns)
        return FeatureRecipe(
            self.numeric,
            tuple((name, tuple(v for v in values if f"{name}={v}" in present)) for name, values in self.categorical),
            self.fills,
        )

    def with_fills(self, fills: tuple[float, ...]) -> FeatureRecipe:
        return FeatureRecipe(self.numeric, self.categorical, fills)

    @property
    def output_columns(self) -> tuple[str, ...]:
        one_hot = tuple(f"{name}={value}" for name, values in self.categorical for value in values)
        return self.numeric + one_hot

    def frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        """The estimator's input as a named frame (what ``train`` fits on and ``predict`` feeds)."""
        return pd.DataFrame(engineer(rows, self), columns=list(self.output_columns), index=rows.index)


def medians(rows: pd.DataFrame, columns: tuple[str, ...]) -> tuple[float, ...]:
    """Each column's median over its finite values (0 when it has none): the imputation's fill."""
    values = rows.reindex(columns=list(columns)).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    with warnings.catch_warnings():  # an all-missing column is a 0 fill, not a RuntimeWarning
        warnings.simplefilter("ignore", RuntimeWarning)
        middle = np.nanmedian(finite, axis=0) if len(values) else np.full(len(columns), np.nan)
    return tuple(float(m) if np.isfinite(m) else 0.0 for m in np.atleast_1d(middle))


@dataclass(frozen=True)
class CustomFeatures:
    """The team's feature function (training.features: "pkg.module:function"), DataFrame -> DataFrame.

    It receives the contract's feature columns only (no label, no row id or tick) and returns the
    estimator's input with one row per input row. The model keeps the reference, not the function, and
    resolves it where it runs.
    """

    reference: str
    columns: tuple[str, ...]

    def frame(self, rows: pd.DataFrame) -> pd.DataFrame:
        from ctsim.errors import SettingError
        from ctsim.steps.references import load_reference

        made = load_reference(self.reference, "features")(rows.reindex(columns=list(self.columns)))
        if not isinstance(made, pd.DataFrame) or len(made) != len(rows):
            raise SettingError(
                f"The 'features' function {self.reference} must return a DataFrame with one row "
                f"per input row ({len(rows)}). Got {type(made).__name__}"
                f"{f' of {len(made)} rows' if hasattr(made, '__len__') else ''} instead."
            )
        return made.set_axis(rows.index)


Features = FeatureRecipe | CustomFeatures


def features_for(contract: DataContract, reference: str | None) -> Features:
    """ctsim's recipe (numeric as is, categorical one-hot), or the team's function when the scenario names one."""
    if reference is None:
        return FeatureRecipe.from_contract(contract)
    return CustomFeatures(reference, contract.feature_names)


def feature_frame(rows: pd.DataFrame, contract: DataContract, reference: str | None = None) -> pd.DataFrame:
    """The training matrix: the model's input columns plus the label (what the features step writes).

    ctsim's recipe learns its categorical vocabulary from these rows only (see ``FeatureRecipe.learnt_from``).
    """
    features = features_for(contract, reference)
    if isinstance(features, FeatureRecipe):
        features = features.learnt_from(rows, contract.impute)
    matrix = features.frame(rows).reset_index(drop=True)
    matrix[contract.label] = rows[contract.label].to_numpy()
    return matrix


def engineer(rows: pd.DataFrame, recipe: FeatureRecipe) -> np.ndarray:
    """The model input matrix. Missing or non-finite numbers become 0 so serving never crashes on a bad row."""
    numeric = rows.reindex(columns=list(recipe.numeric)).apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    fills = np.asarray(recipe.fills, dtype=float) if recipe.fills else np.zeros(len(recipe.numeric))
    numeric = np.where(np.isfinite(numeric), numeric, fills)
    blocks = [numeric]
    for name, values in recipe.categorical:
        column = rows[name].astype(str).to_numpy() if name in rows else np.full(len(rows), "")
        blocks.append(
            np.stack([(column == value).astype(float) for value in values], axis=1)
            if values
            else np.empty((len(rows), 0))
        )
    return np.hstack(blocks)


def clean(frame: pd.DataFrame, contract: DataContract) -> pd.DataFrame:
    """Rows fit to train on: known labels, finite features, no duplicates, stable order."""
    columns = [*contract.feature_names, contract.label]
    imputing = contract.impute != "none"  # missing features are filled later: only the label must be there
    kept = frame.dropna(subset=[contract.label] if imputing else columns)
    numeric = [] if imputing else [c.name for c in contract.features if c.kind == "numeric"]
    finite = np.isfinite(kept[numeric].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)).all(axis=1)
    kept = kept[finite & known_labels(kept[contract.label], contract)]
    kept = kept.drop_duplicates(subset=columns)
    order = [c for c in (TICK, ROW_ID) if c in kept.columns]
    return kept.sort_values(order, kind="stable").reset_index(drop=True) if order else kept.reset_index(drop=True)


def known_labels(labels: pd.Series, contract: DataContract) -> np.ndarray:
    """Labels a model can learn from: one of the contract's classes, or a finite number for regression."""
    if contract.task == "regression":
        return np.isfinite(pd.to_numeric(labels, errors="coerce").to_numpy(dtype=float))
    return labels.isin(contract.labels).to_numpy()


def split_by_recency(frame: pd.DataFrame, holdout_share: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train on the older rows and hold out the freshest ones: the holdout looks most like tomorrow."""
    cut = int(round(len(frame) * (1 - holdout_share)))
    return frame.iloc[:cut].reset_index(drop=True), frame.iloc[cut:].reset_index(drop=True)
