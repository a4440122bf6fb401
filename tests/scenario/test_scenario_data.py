"""Scenario data sources: seeded synthetic batches, delayed feedback, injected faults, file replay."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from ctsim.contract import EVENT_TIME, ROW_ID, TICK
from ctsim.errors import ScenarioError
from ctsim.scenario.data import ReplaySource, SyntheticSource, open_source
from ctsim.scenario.loader import parse
from ctsim.scenario.model import Scenario


def scenario(seed: int = 5, delay: int = 1, rows: int = 300, events: list | None = None, **generator) -> Scenario:
    return Scenario.model_validate(
        {
            "name": "data-test",
            "seed": seed,
            "clock": {"ticks": 12},
            "data": {"generator": {"rows_per_tick": rows, "label_delay_ticks": delay, **generator}},
            "events": events or [],
        }
    )


def source(*args, **kwargs) -> SyntheticSource:
    spec = scenario(*args, **kwargs)
    return SyntheticSource(spec, spec.data.generator)


# determinism -----------------------------------------------------------------


@pytest.mark.parametrize("tick", [0, 3, 11])
def test_same_seed_and_tick_give_identical_frames(tick: int):
    first, second = source(seed=5), source(seed=5)
    second.batch(tick + 1 if tick < 11 else 0)  # a different draw history must not matter

    a, b = first.batch(tick), second.batch(tick)

    assert_frame_equal(a.production, b.production)
    assert_frame_equal(a.truth, b.truth)
    assert_frame_equal(first.feedback(tick), second.feedback(tick))


def test_a_different_seed_gives_different_data():
    a, b = source(seed=5).batch(3), source(seed=6).batch(3)

    assert a.production[ROW_ID].tolist() == b.production[ROW_ID].tolist()  # ids are positional
    assert not np.allclose(a.production["x0"], b.production["x0"])
    assert not a.truth["label"].equals(b.truth["label"])


def test_different_ticks_give_different_data():
    data = source(seed=5)

    assert not np.allclose(data.batch(3).production["x0"], data.batch(4).production["x0"])


def test_a_batch_has_the_contract_columns_and_the_right_tick():
    data = source(seed=5, rows=50)

    batch = data.batch(4)

    assert list(batch.production.columns) == [ROW_ID, TICK, EVENT_TIME, *data.contract.feature_names]
    assert (batch.production[TICK] == 4).all()
    assert len(batch.production) == len(batch.truth) == 50
    assert batch.production[ROW_ID].is_unique
    assert batch.truth[ROW_ID].tolist() == batch.production[ROW_ID].tolist()
    assert set(batch.truth["label"].unique()) <= {0, 1}
    start = pd.Timestamp("2026-01-09")  # the default clock starts 2026-01-05 with daily ticks
    assert batch.production[EVENT_TIME].between(start, start + pd.Timedelta(days=1)).all()
    assert batch.production[EVENT_TIME].is_monotonic_increasing


# feedback --------------------------------------------------------------------


@pytest.mark.parametrize("delay", [0, 1, 3])
def test_feedback_holds_exactly_the_labels_of_the_batch_served_delay_ticks_earlier(delay: int):
    data = source(seed=9, delay=delay)

    for tick in range(delay, 8):
        feedback = data.feedback(tick)
        served = data.batch(tick - delay).truth
        assert_frame_equal(feedback[[ROW_ID, "label"]].reset_index(drop=True), served.reset_index(drop=True))
        assert (feedback[TICK] == tick).all()


def test_no_feedback_before_the_first_labels_are_due():
    data = source(seed=9, delay=3)

    for tick in range(3):
        assert data.feedback(tick).empty
    assert len(data.feedback(3)) == len(data.batch(0).production)


def test_feedback_share_drops_some_labels_but_never_invents_any():
    data = source(seed=9, delay=1, rows=1000, feedback_share=0.5)

    feedback = data.feedback(5)
    served = data.batch(4).truth.set_index(ROW_ID)["label"]

    assert 350 < len(feedback) < 650
    assert feedback[ROW_ID].isin(served.index).all()
    assert (feedback.set_index(ROW_ID)["label"] == served.loc[feedback[ROW_ID]]).all()


def test_label_flip_corrupts_feedback_not_the_truth():
    events = [{"kind": "bad_model", "at": 4, "mode": "label_flip", "share": 1.0}]
    data = source(seed=9, delay=1, events=events)

    feedback, truth = data.feedback(5), data.batch(4).truth

    assert (feedback["label"].to_numpy() == 1 - truth["label"].to_numpy()).all()
    assert_frame_equal(data.feedback(4)[[ROW_ID, "label"]], data.batch(3).truth)


# faults ----------------------------------------------------------------------


def fault(kind: str, **extra) -> list[dict]:
    return [{"kind": "bad_data", "at": 4, "ticks": 1, "fault": kind, "share": 0.4, **extra}]


def test_nulls_fault_raises_the_null_share_of_its_column_only_while_active():
    clean, broken = source(seed=2), source(seed=2, events=fault("nulls", column="x1"))

    during = broken.batch(4).production

    assert clean.batch(4).production["x1"].isna().mean() == 0
    assert 0.25 < during["x1"].isna().mean() < 0.55
    assert during.drop(columns=["x1"]).notna().all().all()
    assert_frame_equal(broken.batch(5).production, clean.batch(5).production)
    assert_frame_equal(broken.batch(3).production, clean.batch(3).production)


def test_schema_change_fault_renames_the_column():
    broken = source(seed=2, events=fault("schema_change", column="x2"))

    during, after = broken.batch(4).production, broken.batch(5).production

    assert "x2" not in during.columns
    assert "x2_v2" in during.columns
    assert list(after.columns) == [ROW_ID, TICK, EVENT_TIME, *broken.contract.feature_names]


def test_schema_change_defaults_to_the_first_feature():
    broken = source(seed=2, events=fault("schema_change"))

    assert "x0_v2" in broken.batch(4).production.columns
    assert "x0" not in broken.batch(4).production.columns


def test_duplicates_fault_adds_copies_of_existing_rows():
    clean, broken = source(seed=2, rows=500), source(seed=2, rows=500, events=fault("duplicates"))

    during = broken.batch(4).production

    extra = len(during) - len(clean.batch(4).production)
    assert 120 < extra < 280
    assert during[ROW_ID].duplicated().sum() == extra
    assert during.duplicated().sum() == extra  # whole rows, not just ids
    assert len(broken.batch(5).production) == 500


def test_out_of_range_fault_writes_values_outside_the_contract():
    broken = source(seed=2, events=fault("out_of_range", column="x3"))

    column = broken.batch(4).production["x3"]
    spec = next(c for c in broken.contract.features if c.name == "x3")

    assert 0.25 < (column > spec.maximum).mean() < 0.55


# replay ----------------------------------------------------------------------


def replay_scenario(
    tmp_path: Path,
    csv: str,
    *,
    ticks: int = 4,
    time_column: str = "ts",
    delay: int = 1,
    slicing: str = "rows",
    clock: str = "",
) -> Scenario:
    (tmp_path / "rows.csv").write_text(csv)
    text = (
        f"name: replay\nclock:\n  ticks: {ticks}\n{clock}bootstrap_tick: 0\ndata:\n  replay:\n    path: rows.csv\n"
        f"    time_column: {time_column}\n    target_column: churned\n    label_delay_ticks: {delay}\n"
        f"    slicing: {slicing}\n"
    )
    path = tmp_path / "replay.yaml"
    path.write_text(text)
    return parse(text, str(path))


def shuffled_csv(rows: int = 10) -> str:
    order = [7, 2, 9, 0, 5, 1, 8, 3, 6, 4][:rows]
    lines = ["ts,amount,plan,churned"]
    lines += [
        f"2026-01-{i + 1:02d}T00:00:00,{i * 10.0},{'pro' if i % 2 else 'free'},{'yes' if i % 3 == 0 else 'no'}"
        for i in order
    ]
    return "\n".join(lines) + "\n"


def test_replay_slices_the_file_in_time_order_one_slice_per_tick(tmp_path: Path):
    spec = replay_scenario(tmp_path, shuffled_csv(), ticks=4)
    data = open_source(spec, tmp_path)

    batches = [data.batch(tick) for tick in range(4)]

    assert isinstance(data, ReplaySource)
    assert [len(b.production) for b in batches] == [3, 3, 2, 2]
    served = pd.concat([b.production for b in batches], ignore_index=True)
    assert served["amount"].tolist() == [i * 10.0 for i in range(10)]  # time order, nothing lost or repeated
    for tick, batch in enumerate(batches):
        assert (batch.production[TICK] == tick).all()
        assert (batch.production[EVENT_TIME] == pd.Timestamp(spec.clock.time_of(tick))).all()
        assert "ts" not in batch.production.columns and "churned" not in batch.production.columns
    labels = pd.concat([b.truth for b in batches], ignore_index=True)["label"].tolist()
    assert labels == [1 if i % 3 == 0 else 0 for i in range(10)]  # 'yes' sorts after 'no'


def test_replay_feedback_arrives_after_the_delay(tmp_path: Path):
    data = open_source(replay_scenario(tmp_path, shuffled_csv(), ticks=4, delay=2), tmp_path)

    assert data.feedback(1).empty
    assert_frame_equal(data.feedback(3)[[ROW_ID, "label"]], data.batch(1).truth)


def test_replay_infers_a_contract_from_the_file(tmp_path: Path):
    data = open_source(replay_scenario(tmp_path, shuffled_csv()), tmp_path)

    kinds = data.contract.kinds

    assert kinds == {"amount": "numeric", "plan": "categorical"}
    assert next(c for c in data.contract.features if c.name == "plan").categories == ("free", "pro")


def test_replay_missing_time_column_names_the_column(tmp_path: Path):
    spec = replay_scenario(tmp_path, shuffled_csv(), time_column="timestamp")

    with pytest.raises(ScenarioError, match=r"time_column names column 'timestamp'") as caught:
        open_source(spec, tmp_path)

    assert "rows.csv" in str(caught.value)
    assert "ts, amount, plan, churned" in str(caught.value)


def test_replay_target_with_more_than_two_values_is_refused(tmp_path: Path):
    csv = "ts,amount,churned\n1,1.0,a\n2,2.0,b\n3,3.0,c\n4,4.0,a\n"
    spec = replay_scenario(tmp_path, csv, ticks=2)

    with pytest.raises(ScenarioError, match="'churned' must hold exactly two values"):
        open_source(spec, tmp_path)


def test_replay_of_a_parquet_file(tmp_path: Path):
    frame = pd.DataFrame({"ts": [3, 1, 2, 0], "amount": [3.0, 1.0, 2.0, 0.0], "churned": [True, False, True, False]})
    frame.to_parquet(tmp_path / "rows.parquet")
    spec = Scenario.model_validate(
        {
            "name": "pq",
            "clock": {"ticks": 2},
            "bootstrap_tick": 0,
            "data": {
                "replay": {"path": "rows.parquet", "time_column": "ts", "target_column": "churned", "slicing": "rows"}
            },
        }
    )

    data = open_source(spec, tmp_path)

    assert data.batch(0).production["amount"].tolist() == [0.0, 1.0]
    assert data.batch(1).truth["label"].tolist() == [1, 1]


def test_a_drift_on_the_categorical_feature_is_refused_at_load_time():
    with pytest.raises(ScenarioError, match=r":7: events\[0\]\.features: a drift event shifts numeric features only"):
        parse("name: x\nclock:\n  ticks: 5\nevents:\n  - kind: drift\n    at: 1\n    features: [segment]\n")


@pytest.mark.parametrize(
    "csv, fragment",
    [
        (
            "ts,amount,churned\nmonday,1.0,yes\ntuesday,2.0,no\nwed,3.0,yes\nthu,4.0,no\n",
            "time column 'ts' must hold numbers or dates/times; data row 1 holds 'monday'",
        ),
        (
            "ts,amount,churned\n2026-01-01,1.0,yes\n,2.0,no\n2026-01-03,3.0,yes\n2026-01-04,4.0,no\n",
            "time column 'ts' is blank in data row 2",
        ),
        ("ts,amount,churned\n1,1.0,yes\n2,2.0,no\n", "holds 2 rows, fewer than clock.ticks (4)"),
        ("ts,amount,churned\n", "holds 0 rows"),
    ],
)
def test_a_replay_file_whose_rows_cannot_be_put_in_time_order_or_fill_the_ticks_is_refused(
    tmp_path: Path, csv: str, fragment: str
):
    spec = replay_scenario(tmp_path, csv, ticks=4)

    with pytest.raises(ScenarioError) as caught:
        open_source(spec, tmp_path)

    assert fragment in str(caught.value) and "rows.csv" in str(caught.value)


def test_replay_orders_rows_by_their_time_not_by_the_text_of_it(tmp_path: Path):
    csv = (
        "ts,amount,churned\n2026-03-02T10:00:00,2.0,no\n2026-3-1 09:00,1.0,yes\n2026-03-10,4.0,yes\n2026-03-03,3.0,no\n"
    )
    data = open_source(replay_scenario(tmp_path, csv, ticks=4), tmp_path)

    served = [data.batch(tick).production["amount"].iloc[0] for tick in range(4)]

    assert served == [1.0, 2.0, 3.0, 4.0]


# time slicing ----------------------------------------------------------------


def irregular_csv() -> str:
    """January daily, then nothing in February, then four rows a day in March; lines shuffled."""
    stamps = [pd.Timestamp("2026-01-01") + pd.Timedelta(days=d) for d in range(31)]
    stamps += [pd.Timestamp("2026-03-01") + pd.Timedelta(hours=6 * q) for q in range(31 * 4)]
    order = np.random.default_rng(4).permutation(len(stamps))
    lines = ["ts,amount,plan,churned"]
    lines += [
        f"{stamps[i].isoformat()},{float(i)},{'pro' if i % 2 else 'free'},{'yes' if i % 3 == 0 else 'no'}"
        for i in order
    ]
    return "\n".join(lines) + "\n"


def test_time_slicing_puts_each_row_on_the_tick_of_its_timestamp(tmp_path: Path):
    clock = "  start: 2026-01-01T00:00:00\n  tick: 1mo\n"
    spec = replay_scenario(tmp_path, irregular_csv(), ticks=4, slicing="time", clock=clock)
    data = open_source(spec, tmp_path)

    batches = [data.batch(tick) for tick in range(4)]

    assert [len(b.production) for b in batches] == [31, 0, 124, 0]  # density follows time, empty months stay empty
    for tick, batch in enumerate(batches):
        stamps = batch.production[EVENT_TIME]
        assert (
            (stamps >= pd.Timestamp(spec.clock.time_of(tick))) & (stamps < pd.Timestamp(spec.clock.time_of(tick + 1)))
        ).all()
        assert stamps.is_monotonic_increasing and (batch.production[TICK] == tick).all()
        assert len(batch.truth) == len(batch.production) and list(batch.truth[ROW_ID]) == list(batch.production[ROW_ID])
    # each row keeps its own features and label: amount i was written with stamp i
    served = pd.concat([b.production.merge(b.truth, on=ROW_ID) for b in batches], ignore_index=True)
    assert served["amount"].tolist() == [float(i) for i in range(155)]
    assert served["label"].tolist() == [int(i % 3 == 0) for i in range(155)]
    assert batches[1].production.columns.tolist() == batches[0].production.columns.tolist()
    assert data.feedback(2).empty and len(data.feedback(3)) == 124  # an empty tick sends empty feedback


def test_time_slicing_leaves_out_rows_outside_the_clock_and_refuses_a_clock_that_misses_them_all(tmp_path: Path):
    spec = replay_scenario(tmp_path, shuffled_csv(), ticks=3, slicing="time", clock="  start: 2026-01-04T00:00:00\n")
    data = open_source(spec, tmp_path)
    assert [data.batch(t).production["amount"].tolist() for t in range(3)] == [[30.0], [40.0], [50.0]]

    late = replay_scenario(tmp_path, shuffled_csv(), ticks=3, slicing="time", clock="  start: 2027-01-01T00:00:00\n")
    with pytest.raises(ScenarioError, match=r"rows.csv: no row of time column 'ts' .* falls in the clock's span"):
        open_source(late, tmp_path)


def test_time_slicing_needs_dates_and_says_so_in_one_line(tmp_path: Path):
    spec = replay_scenario(tmp_path, "ts,amount,churned\n1,1.0,a\n2,2.0,b\n", ticks=2, slicing="time")
    with pytest.raises(
        ScenarioError, match=r"rows.csv: data.replay.slicing 'time' needs dates/times in time column 'ts'"
    ):
        open_source(spec, tmp_path)


@settings(max_examples=25, deadline=None)
@given(months=st.integers(1, 24), day=st.integers(1, 28), ticks=st.integers(1, 40))
@pytest.mark.property
def test_calendar_ticks_step_by_whole_months(months: int, day: int, ticks: int):
    clock = Scenario.model_validate(
        {"name": "m", "clock": {"start": f"2026-01-{day:02d}T00:00:00", "tick": f"{months}mo", "ticks": ticks}}
    ).clock
    for tick in range(ticks):
        start, end = clock.time_of(tick), clock.time_of(tick + 1)
        assert start.day == end.day == day and (end.year * 12 + end.month) - (start.year * 12 + start.month) == months
        assert clock.length_of(tick) == end - start
