"""Hostile scenario files are refused in one line, promptly, in bounded memory.

Each shape is one a hostile pass used to exhaust time or memory: a file too large, an alias bomb,
deep nesting, a huge integer literal, too many events, and data volumes (rows, growth, spikes)
that could never fit. The in-process checks bound peak allocation and guard against a hang (a generous
wall-clock limit: speed itself is a benchmark's business on these shared machines); the CLI checks
exit code 2, one line, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ctsim.errors import ScenarioError
from ctsim.scenario import loader

HANG_GUARD_S = 10.0  # an unbounded parse of these shapes takes minutes or never ends
VALID = "name: bounded\nclock: {ticks: 20}\ndata: {generator: {rows_per_tick: 50}}\n"


def billion_laughs(levels: int = 9, fanout: int = 10) -> str:
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels + 1):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * fanout)}]")
    return VALID + "\n".join(lines) + f"\nevents: *a{levels}\n"


SHAPES = {
    "file-too-large": (VALID + "# padding\n" * 40_000, f"larger than {loader.MAX_FILE_BYTES} bytes"),
    "alias-bomb": (billion_laughs(), f"more than {loader.MAX_NODES} values"),
    "deep-nesting": (VALID + "description: " + "[" * 5000 + "]" * 5000 + "\n", "nest"),
    "deep-block-nesting": (
        VALID + "".join(f"{'  ' * i}k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
        f"nests deeper than {loader.MAX_DEPTH}",
    ),
    "huge-integer": (VALID.replace("name: bounded", "name: bounded\nseed: " + "9" * 5000), "5000 characters"),
    "too-many-events": (
        VALID + "events:\n" + "- {kind: outage, at: 1}\n" * (loader.MAX_EVENTS + 1),
        f"{loader.MAX_EVENTS + 1} entries; at most {loader.MAX_EVENTS}",
    ),
    "rows-with-spike": (
        "name: big\nclock: {ticks: 20}\ndata: {generator: {rows_per_tick: 2000000}}\n"
        "events: [{kind: traffic_spike, at: 3, factor: 5}]\n",
        f"tick 3 would generate 1e+07 rows (growth and traffic spikes included); at most {loader.MAX_ROWS_PER_TICK}",
    ),
    "exponential-growth": (
        "name: big\nclock: {ticks: 5000}\n"
        "data: {generator: {rows_per_tick: 10, growth: {kind: exponential, rate: 10}}}\n",
        "at most 2000000 rows per tick",
    ),
    "many-cells": (
        "name: big\nclock: {ticks: 5000}\ndata: {generator: {rows_per_tick: 100000}}\n",
        f"values (10 columns over 5000 ticks, growth and traffic spikes included); at most {loader.MAX_CELLS:.3g}",
    ),
}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_hostile_shape_is_refused_in_one_line_without_hanging_and_in_little_memory(tmp_path: Path, shape: str):
    text, fragment = SHAPES[shape]
    path = write(tmp_path, shape, text)
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ScenarioError) as caught:
            loader.load(str(path))
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    message = str(caught.value)
    assert fragment in message, message
    assert message.startswith(f"{path}:"), message
    assert "\n" not in message and len(message) < 400, message
    assert seconds < HANG_GUARD_S * _slowdown(), f"{shape} took {seconds:.2f} s"
    assert peak < 64 * 2**20, f"{shape} allocated {peak / 2**20:.0f} MB at peak"


def test_a_huge_file_is_never_read_whole(tmp_path: Path):
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(500 * 2**20)  # 500 MB of zeros, sparse on disk
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError, match="larger than"):
            loader.load(str(path))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20


def test_the_limits_leave_every_shipped_scenario_alone():
    for name in loader.shipped_names():
        loader.load(name)


def test_a_bad_value_is_never_repeated_back_whole():
    text = VALID.replace("name: bounded", "name: " + "x" * 100_000)
    with pytest.raises(ScenarioError) as caught:
        loader.parse(text, "long.yaml")
    assert len(str(caught.value)) < 400


@pytest.mark.property
@settings(max_examples=30, deadline=None)
@given(levels=st.integers(3, 12), fanout=st.integers(2, 12))
def test_any_alias_bomb_is_refused_or_small(levels: int, fanout: int):
    text = billion_laughs(levels, fanout)
    expanded = sum(fanout**level for level in range(levels + 1)) * 2
    started = time.perf_counter()
    try:
        loader.parse(text, "bomb.yaml")
    except ScenarioError as exc:
        assert "bomb.yaml:" in str(exc)
        if expanded > 4 * loader.MAX_NODES:
            assert "more than" in str(exc)
    assert time.perf_counter() - started < HANG_GUARD_S * _slowdown()


@pytest.mark.property
@settings(max_examples=40, deadline=None)
@given(
    rows=st.integers(1, 2_000_000),
    ticks=st.integers(1, 5000),
    kind=st.sampled_from(["constant", "linear", "exponential"]),
    rate=st.floats(-0.5, 10),
    spike=st.floats(0.01, 100),
    at=st.integers(0, 4999),
)
def test_a_generator_that_passes_the_volume_check_stays_within_its_limits(rows, ticks, kind, rate, spike, at):
    text = (
        f"name: v\nclock: {{ticks: {ticks}}}\nbootstrap_tick: 0\n"
        f"data: {{generator: {{rows_per_tick: {rows}, growth: {{kind: {kind}, rate: {rate!r}}}}}}}\n"
        f"events: [{{kind: traffic_spike, at: {min(at, ticks - 1)}, ticks: 3, factor: {spike!r}}}]\n"
    )
    try:
        scenario = loader.parse(text, "v.yaml")
    except ScenarioError as exc:
        assert "at most" in str(exc)
        return
    generator = scenario.data.generator
    event = scenario.events[0]
    peak = max(rows * generator.growth.scale(t) * (spike if event.active(t) else 1) for t in range(ticks))
    assert peak <= loader.MAX_ROWS_PER_TICK * 1.000001


# through the command line ------------------------------------------------------------------
@pytest.mark.parametrize(
    "shape", ["alias-bomb", "deep-nesting", "huge-integer", "too-many-events", "exponential-growth"]
)
def test_ctsim_validate_exits_2_with_one_line_and_no_traceback(tmp_path: Path, shape: str):
    path = write(tmp_path, shape, SHAPES[shape][0])
    result = subprocess.run(
        [sys.executable, "-m", "ctsim.cli", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NO_COLOR": "1"},
    )

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert SHAPES[shape][1] in " ".join(result.stderr.split()), result.stderr


def _slowdown() -> float:
    """Shared CI machines run slower; CTSIM_TIME_SLACK widens time bounds (default 1)."""
    return float(os.environ.get("CTSIM_TIME_SLACK", "1"))


# replay files --------------------------------------------------------------------------------------------
def test_a_replay_csv_too_large_to_hold_the_bound_is_refused_without_being_read(tmp_path: Path):
    from ctsim.scenario import data

    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.truncate(data.MAX_REPLAY_BYTES + 1)  # sparse on disk
    tracemalloc.start()
    try:
        with pytest.raises(ScenarioError) as caught:
            data.read_table(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    message = str(caught.value)
    assert message.startswith(f"{path}: the replay file is 100,000,001 bytes; at most 100,000,000 bytes"), message
    assert "\n" not in message and peak < 8 * 2**20


@pytest.mark.property
@settings(max_examples=20, deadline=None)
@given(rows=st.integers(1, 60), columns=st.integers(1, 6), bound=st.integers(1, 200))
def test_a_replay_parquet_is_refused_exactly_when_its_footer_says_it_holds_too_many_values(
    tmp_path_factory, rows: int, columns: int, bound: int
):
    import pandas as pd

    from ctsim.scenario import data

    path = tmp_path_factory.mktemp("parquet") / "replay.parquet"
    pd.DataFrame({f"c{i}": range(rows) for i in range(columns)}).to_parquet(path, index=False)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data, "MAX_REPLAY_VALUES", bound)
        if rows * columns > bound:
            with pytest.raises(ScenarioError, match=f"holds {rows} rows of {columns} columns; at most"):
                data.read_table(path)
        else:
            assert data.read_table(path).shape == (rows, columns)
