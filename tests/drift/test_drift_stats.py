"""Exact drift statistics: method choice, thresholds, edge cases, reasons."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.spatial import distance

import ctsim.drift
import ctsim.drift.sketch
import ctsim.drift.stats
from ctsim.drift import DatasetDrift, dataset_drift, feature_drift
from ctsim.errors import SettingError
from ctsim.settings import DriftTriggerSettings


def _normal(seed: int, n: int, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc, scale, n)


def _categories(seed: int, n: int, p=(0.5, 0.3, 0.2)) -> np.ndarray:
    return np.random.default_rng(seed).choice(["a", "b", "c"], size=n, p=p)


@pytest.mark.parametrize(
    ("kind", "rows", "expected"),
    [
        ("numeric", 1000, "ks"),
        ("numeric", 1001, "wasserstein"),
        ("categorical", 1000, "chisquare_gof"),
        ("categorical", 1001, "jensenshannon"),
    ],
)
def test_auto_switches_from_test_to_distance_above_1000_reference_rows(kind, rows, expected):
    make = _normal if kind == "numeric" else _categories
    result = feature_drift(make(1, rows), make(2, 500), kind)
    assert result.method == expected
    assert result.threshold == (0.05 if expected in ("ks", "chisquare_gof") else 0.1)


def test_auto_counts_reference_rows_after_dropping_missing_values():
    reference = np.concatenate([_normal(1, 1000), np.full(50, np.nan)])
    assert feature_drift(reference, _normal(2, 300), "numeric").method == "ks"


def test_ks_statistic_is_scipys_p_value_and_flags_a_shift():
    reference, current = _normal(1, 400), _normal(2, 400, loc=0.5)
    result = feature_drift(reference, current, "numeric")
    assert result.statistic == pytest.approx(stats.ks_2samp(reference, current).pvalue)
    assert result.drifted and result.statistic < 0.05
    assert not feature_drift(reference, _normal(3, 400), "numeric").drifted


def test_wasserstein_is_normed_by_reference_std():
    reference, current = _normal(1, 5000, scale=3.0), _normal(2, 5000, loc=0.6, scale=3.0)
    result = feature_drift(reference, current, "numeric")
    exact = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert result.method == "wasserstein"
    assert result.statistic == pytest.approx(exact)
    assert result.drifted  # 0.6 / 3 = 0.2 stds >= 0.1


def test_wasserstein_drifts_at_exactly_the_threshold():
    # std of [0, 2] is 1 and the shift 0.125 is exact in binary: distance == threshold.
    reference, current = np.array([0.0, 2.0]), np.array([0.125, 2.125])
    assert feature_drift(reference, current, "numeric", "wasserstein", 0.125).drifted
    assert not feature_drift(reference, current, "numeric", "wasserstein", 0.126).drifted


def test_wasserstein_on_a_constant_reference_does_not_divide_by_zero():
    constant = np.full(2000, 4.0)
    assert feature_drift(constant, np.full(10, 4.0), "numeric").statistic == 0.0
    moved = feature_drift(constant, np.full(10, 4.5), "numeric")
    assert moved.drifted and math.isfinite(moved.statistic)


def test_explicit_threshold_overrides_the_default():
    reference, current = _normal(1, 300), _normal(2, 300, loc=0.2)
    default = feature_drift(reference, current, "numeric")
    loose = feature_drift(reference, current, "numeric", threshold=1e-9)
    assert loose.threshold == 1e-9 and not loose.drifted
    assert default.statistic == loose.statistic


def test_psi_on_categories_matches_the_formula():
    reference = ["a"] * 50 + ["b"] * 50
    current = ["a"] * 80 + ["b"] * 20
    expected = (0.5 - 0.8) * math.log(0.5 / 0.8) + (0.5 - 0.2) * math.log(0.5 / 0.2)
    result = feature_drift(reference, current, "categorical", "psi")
    assert result.statistic == pytest.approx(expected)
    assert result.drifted and result.threshold == 0.1


def test_psi_fills_empty_shares_so_a_new_category_is_finite_drift():
    result = feature_drift(["a"] * 100, ["a"] * 50 + ["b"] * 50, "categorical", "psi")
    assert math.isfinite(result.statistic) and result.drifted


def test_numeric_psi_uses_reference_quantile_bins():
    reference = _normal(1, 20_000)
    same = feature_drift(reference, _normal(2, 20_000), "numeric", "psi")
    shifted = feature_drift(reference, _normal(3, 20_000, loc=1.0), "numeric", "psi")
    assert same.statistic < 0.01 and not same.drifted
    assert shifted.statistic > 0.25 and shifted.drifted  # a 1-std shift is a major PSI shift


def test_jensenshannon_uses_the_union_of_categories():
    reference, current = ["a", "a", "b"], ["b", "c"]
    result = feature_drift(reference, current, "categorical", "jensenshannon")
    assert result.statistic == pytest.approx(distance.jensenshannon([2 / 3, 1 / 3, 0], [0, 0.5, 0.5]))


def test_chisquare_is_a_two_sample_test_that_accepts_new_categories():
    reference = ["a"] * 60 + ["b"] * 40
    current = ["a"] * 30 + ["b"] * 30 + ["c"] * 10
    result = feature_drift(reference, current, "categorical", "auto_two_sample")
    table = [[60, 40, 0], [30, 30, 10]]
    assert result.method == "chisquare"
    assert result.statistic == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue)
    assert result.drifted


@pytest.mark.parametrize("method", ["chisquare", "chisquare_gof", "z", "auto"])
def test_a_single_category_on_both_sides_is_no_drift(method):
    result = feature_drift(["a"] * 10, ["a"] * 5, "categorical", method)
    assert result.statistic == 1.0 and not result.drifted


def test_evidentlys_chisquare_is_goodness_of_fit_against_the_reference_shares():
    reference = ["a"] * 60 + ["b"] * 30 + ["c"] * 10
    current = ["a"] * 30 + ["b"] * 30 + ["c"] * 10
    result = feature_drift(reference, current, "categorical")
    assert result.method == "chisquare_gof"
    expected = stats.chisquare([30, 30, 10], [60 * 0.7, 30 * 0.7, 10 * 0.7]).pvalue
    assert result.statistic == pytest.approx(expected)
    # a category the reference never saw has expected count 0: p = 0, drift (as Evidently)
    assert feature_drift(reference, current + ["d"], "categorical").statistic == 0.0


def test_a_binary_column_gets_evidentlys_pooled_two_proportion_z_test():
    reference = np.array([0] * 150 + [1] * 50, dtype=float)
    current = np.array([0] * 60 + [1] * 40, dtype=float)
    result = feature_drift(reference, current, "numeric")
    p1, p2 = 0.25, 0.4
    pooled = (50 + 40) / 300
    z = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 100))
    assert result.method == "z"
    assert result.statistic == pytest.approx(2 * (1 - stats.norm.cdf(abs(z))))
    assert result.drifted


@pytest.mark.parametrize(
    ("values", "rows", "expected"),
    [
        (np.array([0.0, 1.0, np.nan]), 400, "z"),  # NaN makes a flag float: still two values
        (np.array([1.5, 2.5, 3.5]), 400, "chisquare_gof"),
        (np.array([1.5, 2.5, 3.5, np.inf]), 4000, "jensenshannon"),
        (np.arange(8), 400, "chisquare_gof"),  # integer dtype with <= 10 values: categorical
        (np.arange(8) + 0.5, 400, "ks"),  # the same spread as float: numeric
        (np.arange(8) + 0.5, 4000, "wasserstein"),
        (np.arange(30), 400, "ks"),  # integer with more than 10 values: numeric
    ],
)
def test_auto_judges_low_cardinality_numeric_columns_as_evidently_does(values, rows, expected):
    rng = np.random.default_rng(3)
    reference, current = rng.choice(values, rows), rng.choice(values, 300)
    assert feature_drift(reference, current, "numeric").method == expected
    assert feature_drift(reference, current, "numeric", "ks").method == "ks"  # explicit methods are kept


@pytest.mark.parametrize(
    ("kind", "method"),
    [("categorical", "ks"), ("categorical", "wasserstein"), ("numeric", "chisquare"), ("numeric", "median")],
)
def test_a_method_that_does_not_fit_the_kind_is_a_setting_error(kind, method):
    with pytest.raises(SettingError, match=f"Got '{method}' instead"):
        feature_drift([1, 2, 3], [1, 2, 3], kind, method)


def test_an_unknown_kind_is_a_value_error():
    with pytest.raises(ValueError, match="'numeric' or 'categorical'"):
        feature_drift([1.0], [1.0], "text")


@pytest.mark.parametrize("kind", ["numeric", "categorical"])
@pytest.mark.parametrize("empty_side", ["reference", "current"])
def test_an_empty_side_is_no_data_not_drift(kind, empty_side):
    full = [1.0, 2.0, 3.0] if kind == "numeric" else ["a", "b", "a"]
    empty = [np.nan, None]
    reference, current = (empty, full) if empty_side == "reference" else (full, empty)
    result = feature_drift(pd.Series(reference, name="x"), pd.Series(current, name="x"), kind)
    assert not result.drifted and math.isnan(result.statistic)
    assert "no data" in result.reason.rule
    assert result.reason.ok and result.reason.observed is None


def test_missing_and_infinite_values_are_dropped_before_testing():
    reference = np.array([1.0, 2.0, 3.0, np.nan, np.inf])
    with_gaps = feature_drift(reference, np.array([1.0, -np.inf, 2.0, 3.0]), "numeric")
    assert (with_gaps.reference_rows, with_gaps.current_rows) == (3, 3)
    assert with_gaps.statistic == 1.0


def test_reason_carries_column_statistic_and_threshold():
    reference = pd.Series(_normal(1, 300), name="age")
    result = feature_drift(reference, _normal(2, 300, loc=1.0), "numeric")
    reason = result.reason
    assert result.column == "age" and "'age'" in reason.rule and "KS" in reason.rule
    assert (reason.observed, reason.threshold, reason.ok) == (result.statistic, 0.05, False)
    distance_reason = feature_drift(_normal(1, 2000), _normal(2, 2000), "numeric", column="x").reason
    assert "below threshold" in distance_reason.rule and distance_reason.ok


def _frames(shifts: dict[str, float], rows: int = 2000) -> tuple[pd.DataFrame, pd.DataFrame]:
    reference = pd.DataFrame({column: _normal(i, rows) for i, column in enumerate(shifts)})
    current = pd.DataFrame(
        {column: _normal(100 + i, rows, loc=shift) for i, (column, shift) in enumerate(shifts.items())}
    )
    return reference, current


def test_dataset_drift_at_exactly_drift_share():
    reference, current = _frames({"a": 1.0, "b": 1.0, "c": 0.0, "d": 0.0})
    kinds = dict.fromkeys(["d", "c", "b", "a"], "numeric")
    result = dataset_drift(reference, current, kinds, DriftTriggerSettings(drift_share=0.5))
    assert isinstance(result, DatasetDrift)
    assert [feature.column for feature in result.features] == ["d", "c", "b", "a"]
    assert result.drifted_columns == ("b", "a")
    assert result.share == 0.5 and result.drifted
    assert not dataset_drift(reference, current, kinds, DriftTriggerSettings(drift_share=0.75)).drifted


def test_dataset_drift_applies_the_settings_method_and_threshold():
    reference, current = _frames({"a": 0.05})
    settings = DriftTriggerSettings(method="psi", threshold=0.001)
    (feature,) = dataset_drift(reference, current, {"a": "numeric"}, settings).features
    assert feature.method == "psi" and feature.threshold == 0.001


def test_dataset_drift_names_a_missing_column():
    reference, current = _frames({"a": 0.0})
    with pytest.raises(KeyError, match="'b'"):
        dataset_drift(reference, current, {"a": "numeric", "b": "numeric"}, DriftTriggerSettings())


@pytest.mark.parametrize("module", [ctsim.drift, ctsim.drift.stats, ctsim.drift.sketch])
def test_public_api_lists_only_existing_names(module):
    assert module.__all__ and all(hasattr(module, name) for name in module.__all__)
    assert set(ctsim.drift.stats.__all__) | set(ctsim.drift.sketch.__all__) == set(ctsim.drift.__all__)
