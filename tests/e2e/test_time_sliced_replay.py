"""End to end: a time-sliced replay of a shuffled file with changing density and empty ticks, through the
real pipeline on kfp.local. Empty ticks are real: no crash, nothing served, the data gate says why."""

from pathlib import Path

import pandas as pd
import pytest

from ctsim._data import shipped
from ctsim.sim import run_scenario
from ctsim.timeline import GateBlocked

pytestmark = pytest.mark.e2e

TICK = pd.Timedelta(days=3)
START = pd.Timestamp("2026-02-04")
EMPTY = {0, 1, 5}


def gappy_file(path: Path) -> pd.DataFrame:
    """Phishing rows from START on, ticks 0, 1 and 5 emptied, tick 3 thinned to a third; lines shuffled."""
    frame = pd.read_csv(shipped("fixtures/phishing.csv"), parse_dates=["seen_at"])
    tick = (frame["seen_at"] - START) // TICK
    keep = (tick >= 0) & ~tick.isin(EMPTY) & ((tick != 3) | (frame.index % 3 == 0))
    frame = frame[keep]
    frame.sample(frac=1, random_state=3).to_csv(path, index=False)
    return frame


def test_rows_replay_on_the_tick_of_their_timestamp_and_empty_ticks_are_empty(tmp_path: Path):
    frame = gappy_file(tmp_path / "gappy.csv")
    (tmp_path / "gappy.yaml").write_text(f"""
name: gappy
seed: 5
clock: {{start: {START.isoformat()}, tick: 3d, ticks: 8}}
data:
  replay: {{path: gappy.csv, time_column: seen_at, target_column: is_phishing, label_delay_ticks: 1}}
bootstrap_tick: 0
triggers: {{schedule: {{cron: "0 0 * * *"}}, volume: {{min_new_rows: 20}}, drift: {{}}, performance: {{}}}}
gates: {{data: {{min_rows: 20, max_duplicate_share: 0.6}}, model: {{min_value: 0.6, max_regression: 0.1}}}}
canary: {{step_weight: 50, max_weight: 50, min_samples: 10, max_regression: 0.05}}
""")
    result = run_scenario(str(tmp_path / "gappy.yaml"), runs_dir=tmp_path / "runs")

    assert result.verdict.passed, result.verdict.to_dict()
    assert result.timeline.ticks[-1].champion is not None  # the first window with rows made a champion
    expected = ((frame["seen_at"] - START) // TICK).value_counts()
    served = [t.rows for t in result.timeline.ticks]
    assert served == [int(expected.get(t, 0)) for t in range(8)]
    assert [t for t, rows in enumerate(served) if rows == 0] == sorted(EMPTY)
    blocked = result.timeline.of(GateBlocked)
    early = [str(r) for e in blocked if e.tick <= 1 for r in e.violations]
    assert blocked and early and all("rows 0 < 20" in text and "missing" not in text for text in early)
    # the lake keeps each row's own timestamp: the last run's snapshot holds the file's times, tick by tick
    snapshot = sorted((result.run_dir / "kfp").glob("*/collect-data/snapshot"), key=lambda p: p.stat().st_mtime)[-1]
    rows = pd.read_parquet(snapshot)
    assert rows["event_time"].isin(frame["seen_at"]).all()
    assert ((rows["event_time"] - START) // TICK == rows["tick"]).all()
