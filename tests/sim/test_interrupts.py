"""Ctrl-C and SIGTERM stop a run, a suite and a comparison within seconds and leave no process behind.

Each test starts the real ``ctsim`` command, waits until its embedded S3 server (and, for suites,
its workers) are up, sends the signal, and checks by PID that every process it had started is gone,
that the exit code is 130 (SIGINT) or 143 (SIGTERM), and that the record on disk says "interrupted".
Ctrl-C is sent to the whole process group, as a terminal does; SIGTERM to the ctsim process only,
as ``kill`` does. ``kill -9`` of ctsim must still take its server down (parent-death signal).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ctsim.processes import descendants

pytestmark = pytest.mark.e2e

SCENARIO = """\
name: {name}
seed: 1
clock: {{ticks: 40}}
data: {{generator: {{rows_per_tick: 60}}}}
bootstrap_tick: 1
triggers: {{schedule: {{cron: "0 0 * * *"}}}}
"""
STOP_WITHIN_S = 15.0


def start(args: list[str], cwd: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "NO_COLOR": "1",
        "PYTHONPATH": os.pathsep.join([str(Path.cwd()), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "ctsim.cli", *args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def wait_for(what: str, predicate: Callable[[], object], timeout: float = 120.0) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def servers(pids: list[int]) -> list[int]:
    return [pid for pid in pids if "ctsim.store.serve" in cmdline(pid)]


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def stop_and_check(process: subprocess.Popen[str], signum: int, group: bool, started: list[int]) -> tuple[int, str]:
    sent = time.monotonic()
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    try:
        _, stderr = process.communicate(timeout=STOP_WITHIN_S)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    seconds = time.monotonic() - sent
    assert seconds < STOP_WITHIN_S
    wait_for("every started process to end", lambda: not [pid for pid in started if alive(pid)], timeout=5)
    return process.returncode, stderr


def write_scenarios(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / f"{name}.yaml").write_text(SCENARIO.format(name=name), encoding="utf-8")


@pytest.mark.parametrize(
    "signum, group, code", [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)], ids=["ctrl-c", "sigterm"]
)
def test_run_scenario_stops_ends_its_processes_and_records_interrupted(
    tmp_path: Path, signum: int, group: bool, code: int
):
    write_scenarios(tmp_path, "long")
    process = start(
        ["run", "scenario", str(tmp_path / "long.yaml"), "--runs-dir", str(tmp_path / "runs"), "--quiet"], tmp_path
    )
    wait_for("the embedded server", lambda: servers(descendants(process.pid)))
    wait_for("a pipeline task", lambda: len(descendants(process.pid)) > 1, timeout=120)
    started = descendants(process.pid)

    returncode, stderr = stop_and_check(process, signum, group, started)

    assert returncode == code, stderr
    assert "Traceback" not in stderr
    [run_dir] = (tmp_path / "runs").iterdir()
    assert json.loads((run_dir / "run.json").read_text())["status"] == "interrupted"


def test_a_killed_run_leaves_no_server_behind(tmp_path: Path):
    write_scenarios(tmp_path, "long")
    process = start(
        ["run", "scenario", str(tmp_path / "long.yaml"), "--runs-dir", str(tmp_path / "runs"), "--quiet"], tmp_path
    )
    [server] = wait_for("the embedded server", lambda: servers(descendants(process.pid)))

    process.kill()
    process.communicate(timeout=10)

    wait_for("the orphaned server to die with its parent", lambda: not alive(server), timeout=5)


@pytest.mark.parametrize(
    "signum, group, code", [(signal.SIGINT, True, 130), (signal.SIGTERM, False, 143)], ids=["ctrl-c", "sigterm"]
)
def test_run_suite_starts_nothing_after_an_interrupt_and_records_it(
    tmp_path: Path, signum: int, group: bool, code: int
):
    write_scenarios(tmp_path / "scenarios", "first", "second", "third")
    process = start(
        ["run", "suite", str(tmp_path / "scenarios"), "-j", "1", "--runs-dir", str(tmp_path / "runs")], tmp_path
    )
    wait_for("the first worker's server", lambda: servers(descendants(process.pid)))
    started = descendants(process.pid)

    returncode, stderr = stop_and_check(process, signum, group, started)

    assert returncode == code, stderr
    assert "Traceback" not in stderr
    [suite_dir] = (tmp_path / "runs").iterdir()
    record = json.loads((suite_dir / "suite.json").read_text())
    assert record["status"] == "interrupted" and record["passed"] is False
    assert [s["status"] for s in record["scenarios"]] == ["interrupted"] * 3
    assert not (suite_dir / "second").exists() and not (suite_dir / "third").exists()
    assert not [pid for pid in descendants(process.pid) if alive(pid)]


def test_compare_stops_on_sigterm_and_records_it(tmp_path: Path):
    write_scenarios(tmp_path, "long")
    process = start(
        [
            "compare",
            str(tmp_path / "long.yaml"),
            "--policy",
            "schedule",
            "--policy",
            "drift",
            "-j",
            "2",
            "--runs-dir",
            str(tmp_path / "runs"),
        ],
        tmp_path,
    )
    wait_for("both workers' servers", lambda: len(servers(descendants(process.pid))) == 2)
    started = descendants(process.pid)

    returncode, stderr = stop_and_check(process, signal.SIGTERM, False, started)

    assert returncode == 143, stderr
    [compare_dir] = (tmp_path / "runs").iterdir()
    record = json.loads((compare_dir / "compare.json").read_text())
    assert record["status"] == "interrupted"
