"""The terminal chart: one column per tick (or a stated downsampling), bars that follow the values, markers
in the column of their tick."""

import math

import timeline_events as ev
from hypothesis import given
from hypothesis import strategies as st

from ctsim.report.chart import bar_rows, bounds, columns, format_chart, marker_rows, plan
from ctsim.report.facts import MARKERS
from ctsim.timeline import TickRecord, Timeline

_EIGHTHS = " ▁▂▃▄▅▆▇█"


def timeline_of(values, events=()):
    timeline = Timeline("t", 1, "accuracy")
    for tick, value in enumerate(values):
        timeline.ticks.append(
            TickRecord(tick, f"2026-01-{1 + tick % 28:02d}T00:00:00", 10, "v1", None, 0, "idle", 10, value, value)
        )
    for event in events:
        timeline.add(event)
    return timeline


def filled(rows, column):
    """How many eighths of a column are filled, from the bar rows (top to bottom)."""
    return sum(_EIGHTHS.index(row[column]) for row in rows)


values_strategy = st.lists(st.one_of(st.none(), st.floats(0, 1, allow_nan=False)), min_size=1, max_size=400)


@given(values_strategy, st.integers(10, 200))
def test_columns_are_one_per_tick_or_a_stated_downsampling(values, width):
    layout = plan(len(values), width)
    shown = columns(values, layout)
    assert len(shown) == layout.columns <= max(width, 1)
    if len(values) <= width:
        assert layout.ticks_per_column == 1 and layout.columns == len(values) * layout.cell
    else:
        assert layout.columns == math.ceil(len(values) / layout.ticks_per_column)
        assert f"1 column = {layout.ticks_per_column} ticks" in layout.caption()


@given(values_strategy.filter(lambda v: any(x is not None for x in v)), st.integers(2, 8))
def test_a_higher_value_never_draws_a_shorter_bar(values, height):
    known = [v for v in values if v is not None]
    low, high = bounds(known)
    rows = bar_rows(values, low, high, height)
    assert len(rows) == height and all(len(row) == len(values) for row in rows)
    pairs = [(v, filled(rows, i)) for i, v in enumerate(values) if v is not None]
    for a, fa in pairs:
        for b, fb in pairs:
            if a > b:
                assert fa >= fb
    for i, v in enumerate(values):
        if v is None:
            assert filled(rows, i) == 0


def test_bounds_contain_the_values_and_are_never_flat():
    low, high = bounds([0.91, 0.92, 0.915])
    assert low <= 0.91 and high >= 0.92 and high - low >= 0.1 - 1e-9


def test_markers_land_in_the_column_of_their_tick_and_stack_when_they_share_it():
    values = [0.9] * 10
    events = [ev.drift_onset(3), ev.trigger(3, "drift"), ev.rolled_back(7, "v2")]
    timeline = timeline_of(values, events)
    layout = plan(len(values), 10)  # one column per tick
    rows = [row.plain[7:] for row in marker_rows(timeline, layout)]
    assert len(rows) == 2
    assert rows[0][3] == MARKERS["drift"][0] and rows[1][3] == MARKERS["trigger"][0]
    assert rows[0][7] == MARKERS["rollback"][0]
    assert set(rows[0][:3] + rows[0][4:7] + rows[1][4:]) == {" "}


def test_chart_for_a_long_run_says_it_is_downsampled():
    timeline = timeline_of([0.5 + (i % 7) / 20 for i in range(500)])
    text = format_chart(timeline, width=120).plain
    assert "downsampled: 1 column = 5 ticks" in text
    assert max(len(line) for line in text.splitlines()) <= 120


def test_chart_without_labelled_traffic_says_so():
    assert "nothing to chart" in format_chart(timeline_of([None, None])).plain
