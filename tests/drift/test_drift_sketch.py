"""Incremental reference sketches: bookkeeping, and agreement with the exact statistics."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ctsim.drift import (
    CategoricalSketch,
    HistogramSketch,
    dataset_drift,
    dataset_sketch_drift,
    feature_drift,
    merge_sketches,
    sketch_drift,
    sketch_frame,
    update_sketches,
)
from ctsim.errors import SettingError
from ctsim.settings import DriftTriggerSettings

# Stated accuracy of the sketch's normed Wasserstein on 100k-row normal data, default bins.
WASSERSTEIN_TOLERANCE = 0.005


def _normal(seed: int, n: int, loc: float = 0.0, scale: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).normal(loc, scale, n)


def _sketch(values: np.ndarray, sample: int = 10_000, bins: int = 128) -> HistogramSketch:
    return HistogramSketch.from_sample(values[:sample], bins).update(values[sample:])


def test_from_sample_counts_the_sample_and_keeps_exact_moments():
    values = _normal(1, 5000, loc=1e6, scale=2.0)  # a large mean stresses the running variance
    sketch = HistogramSketch.from_sample(values, bins=16)
    assert len(sketch.edges) == 17 and len(sketch.counts) == 18
    assert sketch.rows == 5000
    assert sketch.mean == pytest.approx(values.mean(), rel=1e-12)
    assert sketch.std == pytest.approx(np.std(values), rel=1e-9)


def test_updates_in_chunks_equal_one_update_and_merge():
    values = _normal(1, 30_000)
    whole = HistogramSketch.from_sample(values[:1000]).update(values[1000:])
    chunked = HistogramSketch.from_sample(values[:1000])
    for chunk in np.array_split(values[1000:], 7):
        chunked = chunked.update(chunk)
    merged = HistogramSketch.from_sample(values[:1000]).merge(
        HistogramSketch.from_sample(values[:1000]).empty_like().update(values[1000:])
    )
    for sketch in (chunked, merged):
        np.testing.assert_array_equal(sketch.counts, whole.counts)
        np.testing.assert_allclose(sketch.sums, whole.sums)
        assert sketch.std == pytest.approx(np.std(values), rel=1e-9)


def test_sketches_are_immutable():
    sketch = HistogramSketch.from_sample(_normal(1, 100))
    updated = sketch.update(_normal(2, 100))
    assert sketch.rows == 100 and updated.rows == 200
    with pytest.raises(ValueError):
        sketch.counts[0] = 5


def test_out_of_range_values_land_in_the_open_outer_bins():
    sketch = HistogramSketch.from_sample(np.linspace(0.0, 1.0, 101), bins=4)
    updated = sketch.update([-50.0, 7.0, np.nan, np.inf])
    assert updated.rows == 103
    assert updated.counts[0] == sketch.counts[0] + 1 and updated.counts[-1] == sketch.counts[-1] + 1
    assert updated.bin_means()[0] == -50.0


def test_merging_sketches_with_different_edges_is_refused():
    with pytest.raises(ValueError, match="same bin edges"):
        HistogramSketch.from_sample([1.0, 2.0, 3.0]).merge(HistogramSketch.from_sample([4.0, 5.0, 6.0]))


def test_merge_sketches_merges_like_kinds_and_refuses_a_mix():
    histogram = HistogramSketch.from_sample([1.0, 2.0, 3.0])
    categories = CategoricalSketch.from_values(["a", "b"])

    assert merge_sketches(histogram, histogram.empty_like().update([2.0])).rows == 4
    assert merge_sketches(categories, CategoricalSketch.from_values(["a"])).as_dict() == {"a": 2, "b": 1}
    with pytest.raises(ValueError, match="A categorical sketch cannot be merged into a numeric sketch"):
        merge_sketches(histogram, categories)
    with pytest.raises(ValueError, match="A numeric sketch cannot be merged into a categorical sketch"):
        merge_sketches(categories, histogram)


def test_from_sample_needs_a_value():
    with pytest.raises(ValueError, match="at least one finite value"):
        HistogramSketch.from_sample([np.nan])


def test_categorical_sketch_counts_and_merges():
    sketch = CategoricalSketch.from_values(["a", "b", "a", None]).update(pd.Series(["c", "a"]))
    assert sketch.as_dict() == {"a": 3, "b": 1, "c": 1} and sketch.rows == 5
    assert sketch.merge(CategoricalSketch.from_values(["b"])).as_dict()["b"] == 2


@pytest.mark.parametrize("method", ["wasserstein", "psi", "jensenshannon"])
def test_sketch_and_exact_agree_on_no_shift_and_on_a_one_std_shift(method):
    reference = _normal(1, 100_000, loc=5.0, scale=2.0)
    sketch = _sketch(reference)
    for loc, drifted in ((5.0, False), (7.0, True)):
        current = _normal(2, 20_000, loc=loc, scale=2.0)
        approximate = sketch_drift(sketch, current, method)
        exact = feature_drift(reference, current, "numeric", method)
        assert approximate.drifted == exact.drifted == drifted
        assert approximate.statistic == pytest.approx(exact.statistic, rel=0.05, abs=0.005)


@pytest.mark.parametrize(("loc", "scale"), [(0.0, 1.0), (0.3, 1.0), (1.0, 1.0), (0.0, 1.5), (-3.0, 0.5)])
def test_sketch_wasserstein_is_within_the_stated_tolerance_on_100k_normal_rows(loc, scale):
    reference = _normal(7, 100_000)
    current = _normal(8, 100_000, loc=loc, scale=scale)
    exact = stats.wasserstein_distance(reference, current) / np.std(reference)
    assert abs(sketch_drift(_sketch(reference), current).statistic - exact) <= WASSERSTEIN_TOLERANCE


@pytest.mark.parametrize("method", ["psi", "jensenshannon", "chisquare"])
def test_categorical_sketch_statistics_are_exact(method):
    rng = np.random.default_rng(3)
    reference = rng.choice(["a", "b", "c"], 5000, p=[0.5, 0.3, 0.2])
    current = rng.choice(["a", "b", "c", "d"], 800, p=[0.4, 0.3, 0.2, 0.1])
    approximate = sketch_drift(CategoricalSketch.from_values(reference), current, method)
    exact = feature_drift(reference, current, "categorical", method)
    assert approximate.statistic == pytest.approx(exact.statistic)


def test_auto_on_a_sketch_takes_the_large_reference_method():
    assert sketch_drift(HistogramSketch.from_sample(_normal(1, 50)), _normal(2, 50)).method == "wasserstein"
    assert sketch_drift(CategoricalSketch.from_values(["a", "b"]), ["a"]).method == "jensenshannon"


def test_ks_needs_raw_rows_and_is_refused_on_a_sketch():
    with pytest.raises(SettingError, match="histogram|numeric sketch"):
        sketch_drift(HistogramSketch.from_sample([1.0, 2.0]), [1.0], "ks")


def test_empty_current_values_are_no_data():
    result = sketch_drift(HistogramSketch.from_sample([1.0, 2.0]), [np.nan], column="x")
    assert not result.drifted and math.isnan(result.statistic) and "no data" in result.reason.rule


def test_dataset_sketch_drift_matches_dataset_drift_on_clear_cases():
    rng = np.random.default_rng(5)
    rows = 20_000
    reference = pd.DataFrame(
        {"x": rng.normal(size=rows), "y": rng.normal(size=rows), "c": rng.choice(["a", "b"], rows)}
    )
    current = pd.DataFrame(
        {"x": rng.normal(1.0, size=rows), "y": rng.normal(size=rows), "c": rng.choice(["a", "b"], rows, p=[0.9, 0.1])}
    )
    kinds = {"x": "numeric", "y": "numeric", "c": "categorical"}
    settings = DriftTriggerSettings(drift_share=0.6)
    sketches = update_sketches(sketch_frame(reference.iloc[:5000], kinds), reference.iloc[5000:])
    approximate = dataset_sketch_drift(sketches, current, settings)
    exact = dataset_drift(reference, current, kinds, settings)
    assert approximate.drifted_columns == exact.drifted_columns == ("x", "c")
    assert approximate.drifted and exact.drifted
