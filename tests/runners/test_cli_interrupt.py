"""``ctsim run scenario`` stopped by SIGTERM or Ctrl-C mid-pipeline leaves no process behind: not the task, not
the warm task server, not the embedded store; the run is recorded as interrupted and the exit code says why."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from test_warm import _alive, _descendants, _gone

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("how, code", [("SIGTERM", 143), ("Ctrl-C", 130)])
def test_a_replay_stopped_mid_pipeline_leaves_nothing_behind(tmp_path, how, code):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CTSIM_S3_")}  # its own embedded store
    run = subprocess.Popen(
        [sys.executable, "-m", "ctsim.cli", "run", "scenario", "bad-model", "--quiet", "--runs-dir", str(tmp_path)],
        start_new_session=True,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 180
        while not any("Executing task" in log.read_text(errors="replace") for log in tmp_path.glob("*/logs/run-*.log")):
            assert time.monotonic() < deadline and run.poll() is None, "no pipeline task ever started"
            time.sleep(0.05)
        while len(spawned := _descendants(run.pid)) < 3:  # the store, the warm task server and a task
            assert time.monotonic() < deadline and run.poll() is None, f"only {spawned} ever ran"
            time.sleep(0.05)
        if how == "Ctrl-C":
            os.killpg(run.pid, signal.SIGINT)
        else:
            os.kill(run.pid, signal.SIGTERM)
        assert run.wait(60) == code
        assert _gone(spawned), f"left behind: {[pid for pid in spawned if _alive(pid)]}"
        (run_dir,) = tmp_path.iterdir()
        assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"
        assert b"Traceback" not in run.stderr.read()
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
