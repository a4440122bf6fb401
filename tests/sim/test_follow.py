"""Following a run's log: every task start is reported once, in order, even when lines arrive in pieces."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from fixtures_store import eventually
from hypothesis import given, settings
from hypothesis import strategies as st

from ctsim.sim.follow import TaskFollower


@settings(max_examples=15, deadline=None)
@given(
    tasks=st.lists(st.sampled_from(["collect-data", "train-model", "register-model", "finish-run"]), max_size=5),
    cut=st.integers(1, 40),
)
def test_each_task_start_is_reported_once_in_order_however_the_writes_are_split(tmp_path_factory, tasks, cut):
    log = tmp_path_factory.mktemp("follow") / "run.log"
    text = "".join(
        f"12:00:0{i}.000 - INFO - Executing task \x1b[96m'{task}'\x1b[0m\n    streamed output\n"
        for i, task in enumerate(tasks)
    )
    seen: list[str] = []
    lock = threading.Lock()

    def on_task(name: str) -> None:
        with lock:
            seen.append(name)

    with TaskFollower(log, on_task):
        with log.open("w", encoding="utf-8") as handle:
            for start in range(0, len(text), cut):
                handle.write(text[start : start + cut])
                handle.flush()
                time.sleep(0.002)
        assert eventually(lambda: len(seen) == len(tasks))

    assert seen == tasks


def test_a_log_that_never_appears_reports_nothing_and_stops_cleanly(tmp_path: Path):
    seen: list[str] = []

    with TaskFollower(tmp_path / "missing.log", seen.append):
        time.sleep(0.1)

    assert seen == []
