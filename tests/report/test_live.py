"""The live view moves while a pipeline runs: the step in flight and its elapsed seconds keep redrawing on the
terminal even while the runner has swapped sys.stdout for the run's log (as kfp.local's runs do)."""

import contextlib
import io
import re
import time

from rich.console import Console

from ctsim.report import LiveView
from ctsim.report.live import LiveState


def test_the_step_in_flight_shows_its_elapsed_seconds():
    state = LiveState()
    state.apply("tick", {"tick": 4, "ticks": 10, "champion": "v0001", "canary_weight": 0})
    state.apply("step", {"step": "run-002 (drift): train-model"}, now=100.0)
    assert state.describe(now=101.25).endswith("▶ run-002 (drift): train-model 1.2 s")
    assert state.describe(now=112.0).endswith("train-model 12.0 s")
    state.apply("tick", {"tick": 5, "ticks": 10})
    assert "▶" not in state.describe(now=113.0), "a new tick has no step in flight yet"


def test_the_view_redraws_on_the_terminal_while_stdout_is_redirected_into_a_log():
    terminal, log = io.StringIO(), io.StringIO()
    console = Console(force_terminal=True, width=160, color_system=None)  # as the CLI's: writes to sys.stdout
    with contextlib.redirect_stdout(terminal), LiveView(console) as view:
        view.update("tick", {"tick": 2, "ticks": 10, "champion": "v0001", "canary_weight": 0})
        with contextlib.redirect_stdout(log):  # what LocalRunner.run does for the whole pipeline run
            view.update("step", {"step": "run-001 (schedule): collect-data"})
            time.sleep(1.3)  # the refresh thread redraws about four times a second
    drawn = {float(s) for s in re.findall(r"collect-data (\d+\.\d) s", terminal.getvalue())}
    assert len(drawn) >= 2 and max(drawn) >= 0.5, f"the elapsed time must move, drew {sorted(drawn)}"
    assert log.getvalue() == "", "nothing of the view may land in the run's log"
