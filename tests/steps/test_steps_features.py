"""Preprocessing steps: clean rows, split by recency, engineer the model matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.contract import ROW_ID, TICK, ColumnSpec, DataContract
from ctsim.steps import FeatureRecipe, clean, engineer, split_by_recency

CONTRACT = DataContract(
    features=(
        ColumnSpec("x0", "numeric", -50, 50),
        ColumnSpec("x1", "numeric", -50, 50),
        ColumnSpec("segment", "categorical", categories=("a", "b", "c")),
    )
)


def frame(records: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(records, columns=[ROW_ID, TICK, "x0", "x1", "segment", "label"])


GOOD = [("r2", 1, 0.5, 1.0, "a", 1), ("r1", 1, -0.5, 2.0, "b", 0), ("r0", 0, 3.0, -1.0, "c", 1)]


# clean -----------------------------------------------------------------------


def test_clean_keeps_good_rows_in_tick_then_id_order():
    cleaned = clean(frame(GOOD), CONTRACT)

    assert cleaned[ROW_ID].tolist() == ["r0", "r1", "r2"]
    assert cleaned.index.tolist() == [0, 1, 2]


@pytest.mark.parametrize(
    "bad",
    [
        ("nan-feature", 2, np.nan, 0.0, "a", 1),
        ("inf-feature", 2, np.inf, 0.0, "a", 1),
        ("minus-inf-feature", 2, 0.0, -np.inf, "a", 0),
        ("missing-category", 2, 0.0, 0.0, None, 0),
        ("missing-label", 2, 0.0, 0.0, "a", np.nan),
        ("unknown-label", 2, 0.0, 0.0, "a", 2),
    ],
    ids=lambda bad: bad[0],
)
def test_clean_drops_unusable_rows(bad: tuple):
    cleaned = clean(frame(GOOD + [bad]), CONTRACT)

    assert bad[0] not in cleaned[ROW_ID].tolist()
    assert sorted(cleaned[ROW_ID]) == ["r0", "r1", "r2"]


def test_clean_drops_duplicate_rows_keeping_one():
    duplicated = frame(GOOD + [GOOD[0], GOOD[0], GOOD[2]])

    cleaned = clean(duplicated, CONTRACT)

    assert cleaned[ROW_ID].tolist() == ["r0", "r1", "r2"]


def test_clean_drops_non_numeric_text_in_a_numeric_column():
    mixed = frame(GOOD + [("text", 2, "oops", 0.0, "a", 1)])

    assert "text" not in clean(mixed, CONTRACT)[ROW_ID].tolist()


def test_clean_of_only_bad_rows_is_empty():
    cleaned = clean(frame([("a", 0, np.nan, 0.0, "a", 1), ("b", 0, np.inf, 0.0, "a", 1)]), CONTRACT)

    assert cleaned.empty


@pytest.mark.property
@given(
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.sampled_from([0.0, 1.5, -2.0, np.nan, np.inf, -np.inf]),
            st.sampled_from([0.0, 1.0]),
            st.sampled_from(["a", "b", None]),
            st.sampled_from([0, 1, 2, np.nan]),
        ),
        max_size=30,
    )
)
def test_clean_output_is_always_trainable(records: list[tuple]):
    raw = frame([(f"r{i:03d}", *record) for i, record in enumerate(records)])

    cleaned = clean(raw, CONTRACT)

    assert np.isfinite(cleaned[["x0", "x1"]].to_numpy(dtype=float)).all()
    assert cleaned["segment"].notna().all()
    assert cleaned["label"].isin([0, 1]).all()
    assert not cleaned.duplicated(subset=["x0", "x1", "segment", "label"]).any()
    assert set(cleaned[ROW_ID]) <= set(raw[ROW_ID])
    assert list(zip(cleaned[TICK], cleaned[ROW_ID])) == sorted(zip(cleaned[TICK], cleaned[ROW_ID]))


# split -----------------------------------------------------------------------


def test_split_holds_out_the_freshest_rows():
    ordered = clean(
        pd.DataFrame(
            {
                ROW_ID: [f"r{i}" for i in range(10)],
                TICK: range(10),
                "x0": 0.0 + np.arange(10),
                "x1": 0.0,
                "segment": "a",
                "label": [0, 1] * 5,
            }
        ),
        CONTRACT,
    )

    train, holdout = split_by_recency(ordered, 0.2)

    assert train[TICK].tolist() == list(range(8))
    assert holdout[TICK].tolist() == [8, 9]
    assert holdout.index.tolist() == [0, 1]


# engineer --------------------------------------------------------------------


def test_engineer_one_hot_encodes_and_zeroes_bad_numbers():
    recipe = FeatureRecipe.from_contract(CONTRACT)
    raw = pd.DataFrame({"x0": [1.5, np.nan, np.inf], "x1": ["2", "bad", -1.0], "segment": ["b", "z", "a"]})

    matrix = engineer(raw, recipe)

    assert recipe.output_columns == ("x0", "x1", "segment=a", "segment=b", "segment=c")
    np.testing.assert_array_equal(matrix, [[1.5, 2.0, 0, 1, 0], [0.0, 0.0, 0, 0, 0], [0.0, -1.0, 1, 0, 0]])


def test_engineer_tolerates_missing_columns():
    recipe = FeatureRecipe.from_contract(CONTRACT)

    matrix = engineer(pd.DataFrame({"x0_v2": [1.0, 2.0]}), recipe)

    np.testing.assert_array_equal(matrix, np.zeros((2, 5)))


# vocabulary ------------------------------------------------------------------


@pytest.mark.property
@given(
    seen=st.sets(st.sampled_from(("a", "b", "c")), min_size=1),
    served=st.lists(st.sampled_from(("a", "b", "c")), min_size=1, max_size=8),
)
def test_the_vocabulary_is_learnt_from_the_training_rows_only(seen: set[str], served: list[str]):
    from ctsim.settings import TrainingSettings
    from ctsim.steps import feature_frame
    from ctsim.steps.training import train

    values = sorted(seen)
    rows = pd.DataFrame(
        {
            "x0": np.linspace(-1, 1, 12),
            "x1": 0.0,
            "label": [0, 1] * 6,
            "segment": [values[i % len(values)] for i in range(12)],
        }
    )
    matrix = feature_frame(rows, CONTRACT)

    assert [c for c in matrix.columns if c.startswith("segment=")] == [f"segment={v}" for v in values]
    model = train(matrix, CONTRACT, TrainingSettings(), seed=0, through_tick=0)
    assert model.recipe.categorical == (("segment", tuple(values)),)
    live = pd.DataFrame({"x0": 0.0, "x1": 0.0, "segment": served})
    encoded = model.recipe.frame(live)
    unseen = [i for i, v in enumerate(served) if v not in seen]
    assert (encoded.iloc[unseen].filter(like="segment=").to_numpy() == 0).all()  # a value from the future is unknown
    assert len(model.predict(live)) == len(served)


def test_an_incremental_model_keeps_the_columns_it_was_first_fitted_on():
    from ctsim.settings import TrainingSettings
    from ctsim.steps import feature_frame
    from ctsim.steps.training import train

    settings = TrainingSettings(strategy="incremental", model="sgd")
    first = pd.DataFrame({"x0": np.linspace(-1, 1, 10), "x1": 0.0, "label": [0, 1] * 5, "segment": ["a", "b"] * 5})
    later = first.assign(segment=["b", "c"] * 5)
    champion = train(feature_frame(first, CONTRACT), CONTRACT, settings, seed=0, through_tick=0)
    continued = train(feature_frame(later, CONTRACT), CONTRACT, settings, seed=0, through_tick=1, warm_start=champion)

    assert continued.recipe == champion.recipe
    assert len(continued.predict(later)) == 10


# imputation ------------------------------------------------------------------


@pytest.mark.property
@given(
    values=st.lists(st.one_of(st.floats(-100, 100), st.just(np.nan)), min_size=4, max_size=30),
    served=st.one_of(st.just(np.nan), st.just(np.inf), st.floats(-100, 100)),
)
def test_median_imputation_fills_training_and_serving_with_the_training_median(values: list[float], served: float):
    from dataclasses import replace

    from ctsim.settings import TrainingSettings
    from ctsim.steps import feature_frame
    from ctsim.steps.training import train

    contract = replace(CONTRACT, impute="median")
    n = len(values)
    rows = pd.DataFrame(
        {
            ROW_ID: [f"r{i}" for i in range(n)],
            TICK: 0,
            "x0": values,
            "x1": np.arange(n, dtype=float),
            "segment": "a",
            "label": [i % 2 for i in range(n)],
        }
    )
    kept = clean(rows, contract)
    assert len(kept) == n  # no row is lost for a missing feature
    finite = [v for v in values if np.isfinite(v)]
    median = float(np.median(finite)) if finite else 0.0
    matrix = feature_frame(kept, contract)
    assert np.allclose(matrix["x0"].to_numpy(), [v if np.isfinite(v) else median for v in kept["x0"]])
    model = train(matrix, contract, TrainingSettings(), seed=0, through_tick=0)
    assert model.recipe.fills[0] == pytest.approx(median)
    live = model.recipe.frame(pd.DataFrame({"x0": [served], "x1": [1.0], "segment": ["a"]}))
    assert live["x0"].iloc[0] == pytest.approx(served if np.isfinite(served) else median)


def test_without_imputation_rows_missing_a_feature_are_not_trained_on():
    rows = frame(GOOD + [("r9", 2, np.nan, 0.0, "a", 1)])
    assert "r9" not in clean(rows, CONTRACT)[ROW_ID].tolist()
