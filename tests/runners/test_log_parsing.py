"""The runner reads kfp.local's log; these pin the lines it parses on real kfp 2.17 output.

The fixtures are a tiny real pipeline's logs written by ``LocalRunner`` (regenerate with
``tests/runners/make_kfp_logs.py``): if kfp changes its wording or colours, these fail first.
"""

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ctsim.runners import TaskTiming, parse_task_timings, started_task, started_tasks

FIXTURES = Path(__file__).parent / "fixtures"


def log(name: str) -> str:
    return (FIXTURES / f"kfp-2.17.3-{name}.log").read_text(encoding="utf-8")


def test_a_succeeded_run_times_every_task_from_start_to_finish():
    assert parse_task_timings(log("succeeded")) == (
        TaskTiming("first", 1.028, "SUCCESS"),
        TaskTiming("second", 0.792, "SUCCESS"),
    )


def test_a_failed_task_is_timed_with_its_failure_status():
    assert parse_task_timings(log("failed")) == (
        TaskTiming("first", 0.599, "SUCCESS"),
        TaskTiming("second", 0.744, "FAILURE"),
    )


def test_started_tasks_reads_the_coloured_executing_lines_only():
    assert started_tasks(log("failed")) == ("first", "second")
    assert "Pipeline" in log("succeeded") and "tiny" not in started_tasks(log("succeeded"))  # the run's own line


@pytest.mark.parametrize(
    "line, task",
    [
        ("23:04:06.858 - INFO - Executing task \x1b[96m'first'\x1b[0m", "first"),
        ("23:04:06.858 - INFO - Executing task 'plain'", "plain"),
        ("    [KFP Executor 2026-12-01 23:04:07,446 INFO]: Executing task 'nested'", None),  # a task's own output
        ("23:04:07.457 - INFO - Task \x1b[96m'first'\x1b[0m finished with status \x1b[92mSUCCESS\x1b[0m", None),
    ],
)
def test_started_task(line, task):
    assert started_task(line) == task


def test_a_task_running_over_midnight_is_not_negative():
    text = (
        "23:59:59.500 - INFO - Executing task 'late'\n00:00:00.250 - INFO - Task 'late' finished with status SUCCESS\n"
    )
    assert parse_task_timings(text) == (TaskTiming("late", 0.75, "SUCCESS"),)


@pytest.mark.property
@given(
    noise=st.lists(
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), max_size=80), max_size=20
    )
)
def test_lines_that_are_not_kfp_task_lines_change_nothing(noise):
    """A task's streamed output (anything it prints) cannot add or drop a timing unless it forges kfp's line."""
    real = log("succeeded").splitlines()
    mixed = "\n".join(real[:3] + ["    " + line for line in noise] + real[3:])
    assert parse_task_timings(mixed) == parse_task_timings(log("succeeded"))
