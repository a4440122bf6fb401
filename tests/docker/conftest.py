"""A Docker engine and the component image for the `docker` tests, set up by the same script users run.

``ci/docker-setup.sh`` installs nothing where an engine exists, starts dockerd if none answers and builds the
component image unless one built from the same inputs exists. A dockerd it started for this session is
stopped at the end. The tests skip (with the script's own reason) only where no engine can be had.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ctsim.runners import docker_engine_answers

ROOT = Path(__file__).resolve().parents[2]
SETUP_DEADLINE_S = 1800  # a cold build (debootstrap + the dependencies) takes minutes; a cached one seconds


@pytest.fixture(scope="session")
def docker_ready(tmp_path_factory):
    pidfile = tmp_path_factory.mktemp("dockerd") / "dockerd.pid"
    env = {**os.environ, "CTSIM_DOCKERD_PIDFILE": str(pidfile), "PYTHON": sys.executable}
    done = subprocess.run(
        [str(ROOT / "ci" / "docker-setup.sh")], env=env, capture_output=True, text=True, timeout=SETUP_DEADLINE_S
    )
    try:
        if done.returncode != 0:
            reason = (done.stderr.strip().splitlines() or ["ci/docker-setup.sh failed"])[-1]
            if not docker_engine_answers():
                pytest.skip(f"no Docker engine can be started here: {reason}")
            pytest.fail(f"ci/docker-setup.sh failed with an engine up: {reason}")
        yield
    finally:
        _stop_started_dockerd(pidfile)


def _stop_started_dockerd(pidfile: Path) -> None:
    if not pidfile.exists():
        return  # the engine was already running: not ours to stop
    pid = int(pidfile.read_text())
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
