"""Exact drift statistics on raw reference and current values, with Evidently's defaults.

Method "auto" is Evidently 0.7's choice, per column (checked against Evidently itself
in tests/drift/test_drift_evidently_parity.py):

    numeric      reference <= 1000 rows  KS two-sample test         drift when p < 0.05
                 reference  > 1000 rows  normed Wasserstein          drift when >= 0.1
    categorical  reference <= 1000 rows  Z-test (<= 2 values)        drift when p < 0.05
                                         chi-square goodness of fit  drift when p < 0.05
                 reference  > 1000 rows  Jensen-Shannon distance     drift when >= 0.1

A numeric column counts as categorical when it is bool, an integer dtype with at most 10
distinct current values, or has at most 5 distinct values over reference and current (see
``_measures.effective_kind``). "auto_two_sample" makes the same choice but runs ctsim's
two-sample chi-square ("chisquare") instead of Evidently's goodness-of-fit test
("chisquare_gof"), which over-alarms on small references.

Explicit methods: "ks", "wasserstein", "psi" (drift >= 0.1; >= 0.25 is a major
shift), "jensenshannon", "chisquare", "chisquare_gof", "z". An explicit threshold
overrides the default. Rows are counted after missing and infinite values are dropped,
since those are what the test sees (as Evidently). An empty side is "no data", never
drift and never an error.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ctsim.contract import ColumnKind
from ctsim.drift import _measures as m
from ctsim.reasons import Reason
from ctsim.settings import DriftTriggerSettings

__all__ = ["DatasetDrift", "FeatureDrift", "dataset_drift", "feature_drift"]

_LABELS = {
    "ks": "KS test p-value",
    "chisquare": "chi-square test p-value",
    "chisquare_gof": "chi-square goodness-of-fit p-value",
    "z": "Z-test p-value",
    "wasserstein": "normed Wasserstein distance",
    "psi": "PSI",
    "jensenshannon": "Jensen-Shannon distance",
}


@dataclass(frozen=True)
class FeatureDrift:
    """One column's drift check: the resolved method, its statistic and the verdict."""

    column: str
    method: str
    statistic: float
    threshold: float
    drifted: bool
    reference_rows: int = 0
    current_rows: int = 0

    @property
    def has_data(self) -> bool:
        return self.reference_rows > 0 and self.current_rows > 0

    @property
    def reason(self) -> Reason:
        label = _LABELS[self.method]
        if not self.has_data:
            rule = (
                f"{label} of '{self.column}': no data "
                f"(reference {self.reference_rows} rows, current {self.current_rows} rows)"
            )
            return Reason(rule=rule, observed=None, threshold=self.threshold, ok=True)
        comparison = "at least" if self.method in m.P_VALUE_METHODS else "below"
        rule = f"{label} of '{self.column}' {comparison} threshold"
        return Reason(rule=rule, observed=self.statistic, threshold=self.threshold, ok=not self.drifted)


@dataclass(frozen=True)
class DatasetDrift:
    """Per-feature checks and the share of drifted features against drift_share."""

    features: tuple[FeatureDrift, ...]
    share: float
    drift_share: float
    drifted: bool

    @property
    def drifted_columns(self) -> tuple[str, ...]:
        return tuple(feature.column for feature in self.features if feature.drifted)


def feature_drift(
    reference: np.ndarray | pd.Series,
    current: np.ndarray | pd.Series,
    kind: ColumnKind,
    method: str = "auto",
    threshold: float | None = None,
    *,
    column: str | None = None,
) -> FeatureDrift:
    """Compare one column's current values against its reference values."""
    m.check_method(kind, method)
    name = column if column is not None else _name_of(reference)
    if kind == "numeric":
        ref, cur = pd.Series(m.finite_values(reference)), pd.Series(m.finite_values(current))
    else:
        ref, cur = _categorical(reference), _categorical(current)
    distinct = pd.concat([ref, cur]).nunique()
    judged_as = m.effective_kind(kind, method, getattr(current, "dtype", cur.dtype), cur.nunique(), distinct)
    resolved = m.resolve_method(judged_as, method, len(ref), distinct)
    limit = m.DEFAULT_THRESHOLDS[resolved] if threshold is None else float(threshold)
    if len(ref) == 0 or len(cur) == 0:
        return FeatureDrift(name, resolved, math.nan, limit, False, len(ref), len(cur))
    statistic = _STATISTICS[judged_as](ref, cur, resolved)
    drifted = m.is_drift(resolved, statistic, limit)
    return FeatureDrift(name, resolved, statistic, limit, drifted, len(ref), len(cur))


def dataset_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    kinds: Mapping[str, ColumnKind],
    settings: DriftTriggerSettings,
) -> DatasetDrift:
    """Check every column in ``kinds`` (in its order) with the settings' method and threshold."""
    for frame, side in ((reference, "reference"), (current, "current")):
        missing = [column for column in kinds if column not in frame.columns]
        if missing:
            raise KeyError(f"The {side} data has no column(s) {', '.join(map(repr, missing))} to check for drift.")
    features = tuple(
        feature_drift(reference[column], current[column], kind, settings.method, settings.threshold, column=column)
        for column, kind in kinds.items()
    )
    return summarize(features, settings.drift_share)


def summarize(features: tuple[FeatureDrift, ...], drift_share: float) -> DatasetDrift:
    """Dataset verdict: drifted when the share of drifted features reaches drift_share."""
    share = sum(feature.drifted for feature in features) / len(features) if features else 0.0
    return DatasetDrift(features=features, share=share, drift_share=drift_share, drifted=share >= drift_share)


def _numeric_statistic(ref: pd.Series, cur: pd.Series, method: str) -> float:
    ref, cur = ref.to_numpy(), cur.to_numpy()
    if method == "ks":
        return m.ks_pvalue(ref, cur)
    if method == "wasserstein":
        return m.normed_wasserstein(stats.wasserstein_distance(ref, cur), float(np.std(ref)))
    edges = m.quantile_edges(ref, m.NUMERIC_BINS[method])
    return m.COUNT_MEASURES[method](m.bin_counts(ref, edges), m.bin_counts(cur, edges))


def _categorical_statistic(ref: pd.Series, cur: pd.Series, method: str) -> float:
    ref_counts = ref.value_counts()
    cur_counts = cur.value_counts()
    categories = ref_counts.index.union(cur_counts.index, sort=False)
    ref_vector = ref_counts.reindex(categories, fill_value=0).to_numpy()
    cur_vector = cur_counts.reindex(categories, fill_value=0).to_numpy()
    return m.COUNT_MEASURES[method](ref_vector, cur_vector)


_STATISTICS = {"numeric": _numeric_statistic, "categorical": _categorical_statistic}


def _categorical(values: np.ndarray | pd.Series) -> pd.Series:
    return pd.Series(values, copy=False).dropna()


def _name_of(values: np.ndarray | pd.Series) -> str:
    name = getattr(values, "name", None)
    return str(name) if name is not None else "feature"
