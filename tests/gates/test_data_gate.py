"""The data gate: each rule blocks exactly at its threshold; any frame is judged, never raised on."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctsim.contract import ColumnSpec, DataContract
from ctsim.gates.data_gate import check_data
from ctsim.settings import DataGateSettings

CONTRACT = DataContract(
    features=(
        ColumnSpec("f1", "numeric", minimum=0.0, maximum=1000.0),
        ColumnSpec("f2", "numeric"),
        ColumnSpec("color", "categorical", categories=("red", "green", "blue")),
        ColumnSpec("free", "categorical"),
    )
)
ROWS = 200
GATE = DataGateSettings(min_rows=100, max_null_share=0.02, max_duplicate_share=0.05, max_out_of_range_share=0.02)
# 0.02 * 200 = 4 bad cells pass, 5 block; 0.05 * 200 = 10 duplicate rows pass, 11 block.


def clean_frame(rows: int = ROWS) -> pd.DataFrame:
    """Distinct, in-range, null-free rows plus meta columns."""
    index = np.arange(rows)
    return pd.DataFrame(
        {
            "row_id": index,
            "tick": 3,
            "event_time": pd.Timestamp("2026-03-04"),
            "f1": index * 2.5,
            "f2": -index.astype(float),
            "color": [("red", "green", "blue")[i % 3] for i in index],
            "free": [f"v{i % 7}" for i in index],
            "label": index % 2,
        }
    )


def reason(decision, prefix: str):
    (found,) = [r for r in decision.reasons if r.rule.startswith(prefix)]
    return found


def test_clean_frame_passes_with_a_reason_per_rule() -> None:
    decision = check_data(clean_frame(), CONTRACT, GATE)
    assert decision.passed, decision.summary()
    assert decision.gate == "data gate"
    assert len(decision.reasons) == 9


# --- schema -----------------------------------------------------------------------------------


def test_missing_columns_are_named() -> None:
    decision = check_data(clean_frame().drop(columns=["f2", "label"]), CONTRACT, GATE)
    assert not decision.passed
    assert reason(decision, "schema: missing").observed == "f2, label"


def test_unexpected_columns_are_named_but_meta_columns_are_not() -> None:
    frame = clean_frame().assign(leak=1)
    decision = check_data(frame, CONTRACT, GATE)
    assert reason(decision, "schema: unexpected").observed == "leak"
    assert not decision.passed


def test_numeric_column_with_text_dtype_is_a_schema_violation() -> None:
    frame = clean_frame()
    frame["f2"] = frame["f2"].astype(str)
    decision = check_data(frame, CONTRACT, GATE)
    # pandas 2 stores text as object, pandas 3 as its str dtype: either way the column is named with its dtype.
    assert reason(decision, "schema: numeric").observed in ("f2 (object)", "f2 (str)")
    assert not decision.passed


def test_duplicated_column_names_block() -> None:
    frame = pd.concat([clean_frame(), clean_frame()[["f1"]]], axis=1)
    decision = check_data(frame, CONTRACT, GATE)
    assert reason(decision, "schema: duplicated").observed == "f1"


# --- rows ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rows", "passed"), [(100, True), (99, False)])
def test_min_rows_boundary(rows: int, passed: bool) -> None:
    decision = check_data(clean_frame(rows), CONTRACT, GATE)
    assert reason(decision, "rows").ok is passed
    assert decision.passed is passed


@pytest.mark.parametrize("frame", [pd.DataFrame(), clean_frame(0), pd.DataFrame(index=range(5))])
def test_empty_frames_are_blocked_not_raised(frame: pd.DataFrame) -> None:
    decision = check_data(frame, CONTRACT, GATE)
    assert not decision.passed
    assert not reason(decision, "rows").ok


def test_a_window_without_any_batch_is_blocked_for_its_rows_alone() -> None:
    """Empty ticks (time-sliced replays) leave nothing to judge a schema by: the rows rule says why."""
    decision = check_data(pd.DataFrame(), CONTRACT, GATE)
    assert [r.rule for r in decision.reasons if not r.ok] == ["rows >= min_rows"]
    assert "missing" not in decision.summary()


def test_imputation_lets_missing_features_through_but_never_missing_labels() -> None:
    """5% missing in one feature blocks without imputation; with median imputation it is filled later."""
    frame = clean_frame()
    frame.loc[:9, "f2"] = math.nan
    imputing = GATE.model_copy(update={"impute": "median"})
    assert not reason(check_data(frame, CONTRACT, GATE), "null_share").ok
    assert check_data(frame, CONTRACT, imputing).passed
    frame.loc[:9, "label"] = math.nan
    assert not reason(check_data(frame, CONTRACT, imputing), "null_share").ok


# --- nulls --------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [math.nan, None, math.inf, -math.inf])
@pytest.mark.parametrize(("count", "passed"), [(4, True), (5, False)])
def test_null_share_boundary_counts_nan_none_and_inf(bad: float | None, count: int, passed: bool) -> None:
    frame = clean_frame()
    frame.loc[: count - 1, "f2"] = bad
    decision = check_data(frame, CONTRACT, GATE)
    null = reason(decision, "null_share")
    assert null.rule == "null_share[f2] <= max_null_share"
    assert null.observed == count / ROWS
    assert decision.passed is passed


def test_null_share_names_the_worst_column() -> None:
    frame = clean_frame()
    frame.loc[:2, "f1"] = None
    frame.loc[:9, "color"] = None
    assert reason(check_data(frame, CONTRACT, GATE), "null_share").rule == "null_share[color] <= max_null_share"


def test_null_labels_count() -> None:
    frame = clean_frame().astype({"label": float})
    frame.loc[:9, "label"] = math.nan
    decision = check_data(frame, CONTRACT, GATE)
    assert reason(decision, "null_share").rule == "null_share[label] <= max_null_share"
    assert not decision.passed


# --- duplicates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("copies", "passed"), [(10, True), (11, False)])
def test_duplicate_share_boundary_ignores_meta_columns(copies: int, passed: bool) -> None:
    frame = clean_frame()
    features = ["f1", "f2", "color", "free", "label"]
    frame.loc[1:copies, features] = frame.loc[0, features].to_numpy()
    decision = check_data(frame, CONTRACT, GATE)
    assert reason(decision, "duplicate").observed == copies / ROWS
    assert decision.passed is passed


def test_rows_of_nulls_are_duplicates_of_each_other() -> None:
    frame = clean_frame(10)
    frame.loc[:, ["f1", "f2"]] = math.nan
    frame.loc[:, ["color", "free"]] = None
    frame["label"] = 1
    assert reason(check_data(frame, CONTRACT, GATE), "duplicate").observed == 0.9


# --- out of range -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "bad"),
    [("f1", -0.5), ("f1", 1000.5), ("color", "purple"), ("label", 2), ("f2", "text")],
)
@pytest.mark.parametrize(("count", "passed"), [(4, True), (5, False)])
def test_out_of_range_boundary(column: str, bad: object, count: int, passed: bool) -> None:
    frame = clean_frame().astype({column: object})
    frame.loc[: count - 1, column] = bad
    decision = check_data(frame, CONTRACT, GATE)
    out = reason(decision, "out_of_range")
    assert out.rule == f"out_of_range_share[{column}] <= max_out_of_range_share"
    assert out.observed == count / ROWS
    assert out.ok is passed


def test_bounds_are_inclusive_and_free_categories_take_anything() -> None:
    frame = clean_frame()
    frame.loc[:9, "f1"] = 0.0
    frame.loc[10:19, "f1"] = 1000.0
    frame.loc[:49, "free"] = "anything at all"
    assert reason(check_data(frame, CONTRACT, GATE), "out_of_range").observed == 0.0


# --- constant columns ---------------------------------------------------------------------------


def test_constant_feature_blocks_unless_allowed() -> None:
    frame = clean_frame().assign(free="same")
    frame.loc[:3, "free"] = None  # nulls are not a second value
    blocked = check_data(frame, CONTRACT, GATE)
    assert reason(blocked, "constant").observed == "free"
    assert not blocked.passed
    allowed = check_data(frame, CONTRACT, GATE.model_copy(update={"allow_constant_columns": True}))
    assert allowed.passed, allowed.summary()


def test_two_distinct_values_are_not_constant() -> None:
    frame = clean_frame().assign(free="same")
    frame.loc[0, "free"] = "other"
    assert reason(check_data(frame, CONTRACT, GATE), "constant").ok


# --- properties ---------------------------------------------------------------------------------

SMALL = DataContract(
    features=(
        ColumnSpec("x", "numeric", minimum=-10.0, maximum=10.0),
        ColumnSpec("c", "categorical", categories=("a", "b")),
    )
)
ANY_SMALL_GATE = st.builds(
    DataGateSettings,
    min_rows=st.integers(1, 30),
    max_null_share=st.floats(0, 1),
    max_duplicate_share=st.floats(0, 1),
    max_out_of_range_share=st.floats(0, 1),
    allow_constant_columns=st.booleans(),
)
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-20, 20)
cells = st.one_of(
    numbers,
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.sampled_from(["a", "b", "c"]),
    st.lists(st.integers(), max_size=2),
    st.integers(min_value=2**70, max_value=2**80),
)
names = st.sampled_from(["x", "c", "label", "row_id", "tick", "other", 0, 1.5])


@st.composite
def contract_frames(draw) -> pd.DataFrame:
    """Frames shaped like SMALL's batches, with nulls, infinities and stray labels mixed in."""
    rows = draw(st.integers(0, 30))
    column = lambda values: draw(st.lists(values, min_size=rows, max_size=rows))  # noqa: E731
    return pd.DataFrame(
        {
            "x": column(numbers | st.none()),
            "c": column(st.sampled_from(["a", "b", "z", None])),
            "label": column(st.sampled_from([0, 1, 2, None])),
            "row_id": range(rows),
        }
    )


@st.composite
def any_frames(draw) -> pd.DataFrame:
    """Frames of random columns (duplicated names, mixed types, zero rows or columns)."""
    rows = draw(st.integers(0, 12))
    labels = draw(st.lists(names, max_size=6))
    columns = [draw(st.lists(cells, min_size=rows, max_size=rows)) for _ in labels]
    frame = pd.DataFrame(dict(enumerate(columns)), index=range(rows)) if columns else pd.DataFrame(index=range(rows))
    frame.columns = labels
    return frame


@pytest.mark.property
@settings(deadline=None)
@given(frame=contract_frames(), gate=ANY_SMALL_GATE, data=st.data())
def test_shuffling_rows_never_changes_the_decision(frame: pd.DataFrame, gate: DataGateSettings, data) -> None:
    order = data.draw(st.permutations(range(len(frame))))
    shuffled = frame.iloc[list(order)]
    assert check_data(shuffled, SMALL, gate) == check_data(frame, SMALL, gate)


@pytest.mark.property
@settings(deadline=None, max_examples=1000)  # the fuzz: a thousand odd frames, every profile
@given(frame=any_frames(), gate=ANY_SMALL_GATE)
def test_any_frame_is_judged_never_raised_on(frame: pd.DataFrame, gate: DataGateSettings) -> None:
    decision = check_data(frame, SMALL, gate)
    assert all(isinstance(r.observed, (int, float, str)) for r in decision.reasons)
    if len(frame) == 0:
        assert not decision.passed


@pytest.mark.property
@settings(deadline=None)
@given(
    rows=st.integers(1, 60),
    data=st.data(),
    limit=st.floats(0, 0.99),
    bad=st.sampled_from([math.nan, None, math.inf, -math.inf]),
)
def test_null_share_above_the_setting_always_blocks(rows: int, data, limit: float, bad: float | None) -> None:
    nulls = data.draw(st.integers(0, rows))
    frame = pd.DataFrame(
        {"x": [bad] * nulls + [1.0] * (rows - nulls), "c": ["a", "b"] * (rows // 2) + ["a"] * (rows % 2), "label": 0}
    )
    gate = DataGateSettings(min_rows=1, max_null_share=limit)
    decision = check_data(frame, SMALL, gate)
    if nulls / rows > limit:
        assert not decision.passed
        assert not reason(decision, "null_share").ok
