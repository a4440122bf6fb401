"""Parity with Evidently itself: method "auto" picks Evidently's test per column and decides alike.

Runs Evidently 0.7 (a test-only dependency, the `parity` extra) on generated frames holding
every column kind ctsim meets: continuous floats, integers of many values, integer codes of
at most 10 values, 0/1 flags (int, float with NaN, bool), float codes with NaN and infinities,
and string categories of two and of several values; at reference sizes on both sides of 1,000
rows. Per column, ctsim's method must be Evidently's and its statistic equal Evidently's value
to 1e-6; the drift decision must be the same unless Evidently's value lies within
``THRESHOLD_TOLERANCE`` of its threshold (where float rounding may tip either way).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctsim.drift import HistogramSketch, feature_drift, sketch_drift

evidently = pytest.importorskip(
    "evidently", reason="Evidently is not installed (pip install -e '.[parity]'); parity needs Evidently itself"
)
from evidently import Dataset, Report  # noqa: E402
from evidently.metrics import ValueDrift  # noqa: E402

pytestmark = pytest.mark.property

THRESHOLD_TOLERANCE = 1e-6
# Evidently's display names of the tests "auto" can pick.
EVIDENTLY_METHODS = {
    "K-S p_value": "ks",
    "Z-test p_value": "z",
    "chi-square p_value": "chisquare_gof",
    "Wasserstein distance (normed)": "wasserstein",
    "Jensen-Shannon distance": "jensenshannon",
}
P_VALUES = {"ks", "z", "chisquare_gof"}
# The kind ctsim's data contract declares for each generated column.
DECLARED = {
    "continuous": "numeric",
    "wide_int": "numeric",
    "code_int": "numeric",
    "flag_int": "numeric",
    "flag_nan": "numeric",
    "flag_bool": "numeric",
    "level_nan": "numeric",
    "six_floats": "numeric",
    "binary_str": "categorical",
    "category": "categorical",
}


def _frame(rng: np.random.Generator, rows: int, shift: float) -> pd.DataFrame:
    """One frame of every column kind; ``shift`` moves each column's distribution a little."""

    def with_gaps(values: np.ndarray, share: float) -> np.ndarray:
        values = values.astype(float)
        values[rng.random(rows) < share] = np.nan
        return values

    level = with_gaps(rng.choice([1.0, 2.0, 3.0], rows, p=[0.5 - shift / 2, 0.3, 0.2 + shift / 2]), 0.1)
    level[rng.random(rows) < 0.01] = np.inf  # dropped like NaN, by both
    return pd.DataFrame(
        {
            "continuous": rng.normal(shift, 1.0, rows),
            "wide_int": rng.integers(0, 40 + int(20 * shift), rows),
            "code_int": rng.choice(np.arange(8), rows, p=_tilted(8, shift)),
            "flag_int": (rng.random(rows) < 0.3 + shift / 3).astype(int),
            "flag_nan": with_gaps(rng.random(rows) < 0.3 + shift / 3, 0.2),
            "flag_bool": rng.random(rows) < 0.5 + shift / 3,
            "level_nan": level,
            "six_floats": rng.choice(np.linspace(0.5, 3.0, 6), rows, p=_tilted(6, shift)),
            "binary_str": rng.choice(["no", "yes"], rows, p=[0.6 - shift / 3, 0.4 + shift / 3]),
            "category": rng.choice(list("abcd"), rows, p=_tilted(4, shift)),
        }
    )


def _tilted(size: int, shift: float) -> np.ndarray:
    weights = np.exp(np.linspace(0.0, shift, size))
    return weights / weights.sum()


def _evidently(reference: pd.DataFrame, current: pd.DataFrame) -> dict[str, tuple[str, float, float]]:
    """Evidently's (method, value, threshold) per column, with everything left to its defaults."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        report = Report([ValueDrift(column=column) for column in reference.columns])
        snapshot = report.run(Dataset.from_pandas(current), Dataset.from_pandas(reference))
    results = {}
    for metric in snapshot.dict()["metrics"]:
        config = metric["config"]
        results[config["column"]] = (EVIDENTLY_METHODS[config["method"]], metric["value"], config["threshold"])
    return results


def _drifted(method: str, value: float, threshold: float) -> bool:
    return value < threshold if method in P_VALUES else value >= threshold


@settings(max_examples=16, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    reference_rows=st.sampled_from([120, 600, 1000, 1001, 2500]),
    current_rows=st.integers(80, 600),
    shift=st.sampled_from([0.0, 0.05, 0.15, 0.4]),
)
def test_auto_picks_evidentlys_test_and_decides_alike_on_every_column_kind(seed, reference_rows, current_rows, shift):
    rng = np.random.default_rng(seed)
    reference, current = _frame(rng, reference_rows, 0.0), _frame(rng, current_rows, shift)
    theirs = _evidently(reference, current)
    for column, kind in DECLARED.items():
        ours = feature_drift(reference[column], current[column], kind, column=column)
        method, value, threshold = theirs[column]
        assert ours.method == method, column
        assert ours.threshold == pytest.approx(threshold)
        assert ours.statistic == pytest.approx(value, rel=1e-6, abs=1e-9), column
        if abs(value - threshold) > THRESHOLD_TOLERANCE:
            assert ours.drifted == _drifted(method, value, threshold), column


def test_the_frames_cover_every_test_evidently_picks_on_both_sides_of_1000_rows():
    # Guards the generator: a change that no longer reaches a test would pass the parity test emptily.
    rng = np.random.default_rng(0)
    seen = set()
    for rows in (600, 2500):
        seen |= {method for method, _, _ in _evidently(_frame(rng, rows, 0.0), _frame(rng, 300, 0.2)).values()}
    assert seen == set(EVIDENTLY_METHODS.values())


@pytest.mark.parametrize("column", ["flag_nan", "level_nan", "six_floats", "code_int", "continuous"])
def test_the_sketch_path_judges_numeric_columns_as_evidently_on_large_references(column):
    rng = np.random.default_rng(5)
    reference, current = _frame(rng, 3000, 0.0), _frame(rng, 400, 0.3)
    method, value, _ = _evidently(reference[[column]], current[[column]])[column]
    sketch = HistogramSketch.from_sample(reference[column])
    ours = sketch_drift(sketch, current[column], column=column)
    assert ours.method == method
    exact = method != "wasserstein"  # value counts are exact; Wasserstein is the histogram's estimate
    assert ours.statistic == pytest.approx(value, rel=1e-6 if exact else 0.05, abs=1e-9 if exact else 0.005)
