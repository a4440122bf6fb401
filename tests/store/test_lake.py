"""The data lake on a real S3 server: exactly-once batches, tick windows, the label join."""

from __future__ import annotations

import uuid

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from ctsim import lake
from ctsim.contract import EVENT_TIME, ROW_ID, TICK
from ctsim.errors import ConflictError
from ctsim.lake import (
    SEGMENT_TICKS,
    exact_concatenation,
    frame_to_parquet,
    labelled_rows,
    list_batches,
    parquet_to_frame,
    plan_segments,
    read_window,
    write_batch,
)
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


# The read cache: aligned segments of SEGMENT_TICKS ticks, stored once, named by their batches.


def _batch_by_batch(store: ObjectStore, layout: Layout, source: str, first: int, last: int) -> pd.DataFrame:
    """What a window is by definition: each batch read alone, concatenated in tick order."""
    frames = [parquet_to_frame(store.get(key).data) for key in list_batches(store, layout, source, first, last)]
    frames = [frame for frame in frames if len(frame.columns)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def _segments_stored(store: ObjectStore, layout: Layout) -> list[str]:
    return store.list(f"v2/artifacts/{layout.namespace}/lake-segments/")


batch_kinds = st.sampled_from(["float", "int", "empty", "no-columns", "text-x0", "nullable-bool-x0"])


def _kind_of_batch(tick: int, kind: str) -> pd.DataFrame:
    frame = batch(tick, rows=3)
    if kind == "int":
        frame["x0"] = frame["x0"].astype("int64")
    elif kind == "empty":
        frame = frame.head(0)
    elif kind == "no-columns":
        frame = pd.DataFrame()
    elif kind == "text-x0":
        frame["x0"] = frame["x0"].map(lambda value: f"v{value:g}")
    elif kind == "nullable-bool-x0":  # object dtype like text, a different Parquet type
        frame["x0"] = pd.Series([True, None, False], dtype=object)
    return frame


@pytest.mark.store
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    ticks=st.dictionaries(st.integers(0, 3 * SEGMENT_TICKS), batch_kinds, max_size=3 * SEGMENT_TICKS),
    bounds=st.tuples(st.integers(0, 3 * SEGMENT_TICKS), st.integers(0, 3 * SEGMENT_TICKS)),
)
def test_a_window_read_through_the_cache_equals_its_batches_read_one_by_one(
    object_store: ObjectStore, ticks: dict[int, str], bounds: tuple[int, int]
):
    layout = Layout(f"test-{uuid.uuid4().hex}")
    for tick, kind in ticks.items():
        write_batch(object_store, layout, "production", tick, _kind_of_batch(tick, kind))
    first, last = bounds

    expected = _batch_by_batch(object_store, layout, "production", first, last)
    cold = read_window(object_store, layout, "production", first, last)
    warm = read_window(object_store, layout, "production", first, last)

    assert_frame_equal(cold, expected)
    assert_frame_equal(warm, expected)
    whole = [k for k in range(first // SEGMENT_TICKS, last // SEGMENT_TICKS + 1) if k * SEGMENT_TICKS >= first]
    assert len(_segments_stored(object_store, layout)) <= len(whole)


@pytest.mark.store
def test_a_cached_segment_is_never_read_for_other_batches(object_store: ObjectStore, store_layout: Layout):
    """A batch that lands later inside an already cached segment changes its name: the read sees the batch."""
    for tick in range(SEGMENT_TICKS):
        if tick != 5:
            write_batch(object_store, store_layout, "production", tick, batch(tick))
    before = read_window(object_store, store_layout, "production", 0, SEGMENT_TICKS)
    assert len(_segments_stored(object_store, store_layout)) == 1

    write_batch(object_store, store_layout, "production", 5, batch(5))
    after = read_window(object_store, store_layout, "production", 0, SEGMENT_TICKS)

    assert 5 not in before[TICK].tolist()
    assert after[TICK].tolist().count(5) == 4
    assert_frame_equal(after, _batch_by_batch(object_store, store_layout, "production", 0, SEGMENT_TICKS))
    assert len(_segments_stored(object_store, store_layout)) == 2


@pytest.mark.store
def test_a_whole_segment_is_read_with_one_get_once_cached(object_store: ObjectStore, store_layout: Layout):
    for tick in range(2 * SEGMENT_TICKS):
        write_batch(object_store, store_layout, "production", tick, batch(tick))
    read_window(object_store, store_layout, "production", 0, 2 * SEGMENT_TICKS - 1)
    fetched: list[str] = []
    real_get = object_store.get

    def counting_get(key: str):
        fetched.append(key)
        return real_get(key)

    object_store.get = counting_get  # type: ignore[method-assign]
    window = read_window(object_store, store_layout, "production", 0, 2 * SEGMENT_TICKS - 1)

    assert len(window) == 4 * 2 * SEGMENT_TICKS
    assert len(fetched) == 2
    assert all("/lake-segments/" in key for key in fetched)
    assert not any(key.startswith(store_layout.lake) for key in _segments_stored(object_store, store_layout))


def test_segments_cover_each_batch_of_the_window_once_in_tick_order():
    @given(st.sets(st.integers(0, 200), max_size=120), st.integers(0, 200), st.integers(0, 200))
    @settings(max_examples=200)
    def check(ticks: set[int], first: int, last: int) -> None:
        layout = Layout("plan")
        batches = [(layout.lake_batch("production", tick), f"etag{tick}") for tick in sorted(ticks)]
        segments = plan_segments(batches, first, last)

        keys = [key for segment in segments for key in segment.keys]
        assert keys == [key for key, _ in batches if first <= int(key.split("=")[1][:5]) <= last]
        for segment in (s for s in segments if s.digest):
            assert segment.first_tick % SEGMENT_TICKS == 0
            assert segment.last_tick - segment.first_tick == SEGMENT_TICKS - 1
            assert first <= segment.first_tick and segment.last_tick <= last
            assert len(segment.keys) >= 2
        digests = [s.digest for s in segments if s.digest]
        assert len(set(digests)) == len(digests)

    check()


def test_a_segment_name_depends_on_every_etag():
    layout = Layout("plan")
    batches = [(layout.lake_batch("production", tick), "a") for tick in range(SEGMENT_TICKS)]
    changed = [*batches[:-1], (batches[-1][0], "b")]

    [one], [other] = plan_segments(batches, 0, SEGMENT_TICKS - 1), plan_segments(changed, 0, SEGMENT_TICKS - 1)

    assert one.digest != other.digest


def test_a_segment_is_cached_only_when_one_frame_stands_exactly_for_its_batches(monkeypatch: pytest.MonkeyPatch):
    floats = [batch(0), batch(1)]
    assert_frame_equal(parquet_to_frame(exact_concatenation(floats) or b""), pd.concat(floats, ignore_index=True))
    monkeypatch.setattr(lake, "MAX_SEGMENT_CELLS", sum(frame.size for frame in floats) - 1)
    assert exact_concatenation(floats) is None  # too large to hold three times while building it
    monkeypatch.undo()

    mixed = [batch(0), batch(1).assign(x0=lambda f: f["x0"].astype("int64"))]
    assert exact_concatenation(mixed) is None  # one dtype each would take a two-step concatenation elsewhere
    seconds = [batch(tick).assign(**{EVENT_TIME: lambda f: f[EVENT_TIME].astype("datetime64[s]")}) for tick in (0, 1)]
    assert exact_concatenation(seconds) is None  # Parquet has no seconds unit: it would come back in ms
    clashing = [batch(0).assign(x0="text"), batch(1).assign(x0=pd.Series([True, None, False, True], dtype=object))]
    assert exact_concatenation(clashing) is None  # both object dtype, not one Parquet type
