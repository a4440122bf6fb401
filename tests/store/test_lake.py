"""The data lake on a real S3 server: exactly-once batches, tick windows, the label join."""

from __future__ import annotations

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from ctsim.contract import EVENT_TIME, ROW_ID, TICK
from ctsim.errors import ConflictError
from ctsim.lake import frame_to_parquet, labelled_rows, list_batches, parquet_to_frame, read_window, write_batch
from ctsim.store import Layout, ObjectStore


def batch(tick: int, rows: int = 4, offset: float = 0.0) -> pd.DataFrame:
    return pd.DataFrame(
        {
            ROW_ID: [f"p{tick:05d}-{i:07d}" for i in range(rows)],
            TICK: tick,
            EVENT_TIME: pd.Timestamp("2026-03-02") + pd.to_timedelta(tick, unit="D"),
            "x0": [float(i) + offset for i in range(rows)],
            "segment": ["a", "b", "c", "a"][:rows] + ["b"] * max(0, rows - 4),
        }
    )


def test_parquet_round_trip_is_lossless_and_deterministic():
    frame = batch(3)

    data = frame_to_parquet(frame)

    assert frame_to_parquet(batch(3)) == data
    assert_frame_equal(parquet_to_frame(data), frame, check_dtype=False)


@pytest.mark.store
def test_writing_the_same_batch_twice_is_a_no_op(object_store: ObjectStore, store_layout: Layout):
    first = write_batch(object_store, store_layout, "production", 4, batch(4))
    stored = object_store.get(first)

    second = write_batch(object_store, store_layout, "production", 4, batch(4))

    assert second == first == store_layout.lake_batch("production", 4)
    assert object_store.list(store_layout.lake_source("production")) == [first]
    assert object_store.get(first) == stored


@pytest.mark.store
def test_writing_a_different_batch_for_the_same_tick_conflicts(object_store: ObjectStore, store_layout: Layout):
    key = write_batch(object_store, store_layout, "production", 4, batch(4))

    with pytest.raises(ConflictError, match="tick=00004"):
        write_batch(object_store, store_layout, "production", 4, batch(4, offset=0.5))

    assert_frame_equal(parquet_to_frame(object_store.get(key).data), batch(4), check_dtype=False)
    assert object_store.list(store_layout.lake_source("production")) == [key]


@pytest.mark.store
@pytest.mark.parametrize(("first", "last"), [(2, 4), (0, 0), (5, 5), (0, 5), (3, 2)])
def test_read_window_returns_exactly_the_ticks_asked_for(
    object_store: ObjectStore, store_layout: Layout, first: int, last: int
):
    for tick in (5, 0, 3, 1, 4, 2):  # written out of order
        write_batch(object_store, store_layout, "production", tick, batch(tick, rows=tick + 1))
    write_batch(object_store, store_layout, "feedback", 3, batch(3))

    window = read_window(object_store, store_layout, "production", first, last)

    expected = list(range(first, last + 1))
    ticks = sorted(window[TICK].unique().tolist()) if len(window) else []
    assert ticks == expected
    assert len(window) == sum(tick + 1 for tick in expected)
    assert window.empty or window[TICK].is_monotonic_increasing
    assert [k.split("/")[-2] for k in list_batches(object_store, store_layout, "production", first, last)] == [
        f"tick={t:05d}" for t in expected
    ]


@pytest.mark.store
def test_read_window_of_an_empty_lake_is_empty(object_store: ObjectStore, store_layout: Layout):
    window = read_window(object_store, store_layout, "production", 0, 100)

    assert window.empty


@pytest.mark.store
def test_read_window_ignores_other_namespaces(object_store: ObjectStore, store_layout: Layout):
    neighbour = Layout(store_layout.namespace + "-neighbour")
    write_batch(object_store, neighbour, "production", 1, batch(1, rows=3))
    write_batch(object_store, store_layout, "production", 1, batch(1, rows=2))

    assert len(read_window(object_store, store_layout, "production", 0, 5)) == 2


def test_labelled_rows_keeps_only_rows_whose_label_arrived():
    production = pd.concat([batch(1), batch(2)], ignore_index=True)
    arrived = ["p00001-0000001", "p00002-0000000", "p00002-0000003"]
    feedback = pd.DataFrame({ROW_ID: arrived + ["p00009-0000000"], "label": [1, 0, 1, 1], TICK: 3})

    joined = labelled_rows(production, feedback, pd.DataFrame())

    assert joined[ROW_ID].tolist() == arrived
    assert joined["label"].tolist() == [1, 0, 1]
    assert joined[TICK].tolist() == [1, 2, 2]  # the production tick, not the feedback tick
    assert set(joined.columns) == set(production.columns) | {"label"}
    kept = production.set_index(ROW_ID).loc[arrived, "x0"].tolist()
    assert joined["x0"].tolist() == kept


def test_a_window_of_empty_ticks_keeps_its_columns(object_store, store_layout):
    """Empty ticks of a time-sliced replay are real, empty batches: zero rows, every column kept."""
    for tick in (0, 1):
        write_batch(object_store, store_layout, "production", tick, batch(tick).head(0))
        write_batch(
            object_store,
            store_layout,
            "feedback",
            tick + 1,
            pd.DataFrame({ROW_ID: pd.Series(dtype=str), "label": pd.Series(dtype=int), TICK: tick + 1}),
        )
    production = read_window(object_store, store_layout, "production", 0, 1)
    feedback = read_window(object_store, store_layout, "feedback", 0, 2)

    joined = labelled_rows(production, feedback, pd.DataFrame())

    assert len(joined) == 0
    assert set(joined.columns) == set(batch(0).columns) | {"label"}


def test_labelled_rows_uses_the_last_label_of_a_row():
    production = batch(1, rows=2)
    feedback = pd.DataFrame({ROW_ID: ["p00001-0000000", "p00001-0000000"], "label": [0, 1], TICK: [2, 3]})

    joined = labelled_rows(production, feedback, pd.DataFrame())

    assert joined[ROW_ID].tolist() == ["p00001-0000000"]
    assert joined["label"].tolist() == [1]


def test_labelled_rows_adds_external_rows_and_orders_by_tick():
    production = batch(2, rows=2)
    feedback = pd.DataFrame({ROW_ID: ["p00002-0000001"], "label": [0], TICK: 3})
    external = batch(1, rows=1).assign(**{ROW_ID: ["e00001-0000000"], "label": [1]})

    joined = labelled_rows(production, feedback, external)

    assert joined[ROW_ID].tolist() == ["e00001-0000000", "p00002-0000001"]
    assert joined["label"].tolist() == [1, 0]


def test_labelled_rows_without_any_labels_is_empty():
    assert labelled_rows(batch(1), pd.DataFrame(), pd.DataFrame()).empty
    no_match = pd.DataFrame({ROW_ID: ["p00009-0000000"], "label": [1], TICK: 2})
    assert labelled_rows(batch(1), no_match, pd.DataFrame()).empty
