"""Warm task processes against real kfp.local runs of small real pipelines: a task forked from the fork server
sees what a fresh interpreter would (argv, environment, working directory, streams, exit status), a crashing task
does not take the server down, a dead server means cold tasks said once, and nothing outlives the runner."""

import json
import os
import signal
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kfp import compiler, dsl

from ctsim.errors import SettingError
from ctsim.runners import LocalRunner, TaskProcesses, forkserver
from ctsim.runners.warm import preload_names

LIGHT = TaskProcesses(preload=("json", "kfp.dsl", "kfp.dsl.executor"))  # quick to preload; same code path


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def describe(name: str, exit_code: int, report: dsl.OutputPath(str), how: str = "os._exit") -> str:
    import json
    import os
    import sys

    print(f"hello from {name}")
    print("to stderr", file=sys.stderr)
    seen = {
        "argv_tail": sys.argv[1:2],
        "cwd": os.getcwd(),
        "path": sys.path[1:],
        "runtime": os.environ.get("_KFP_RUNTIME"),
        "probe": os.environ.get("CTSIM_TEST_PROBE"),
        "main": sys.modules["__main__"].__spec__.name,
        "ctsim_loaded": any(m == "ctsim" or m.startswith("ctsim.") for m in sys.modules),
        "stdout_is_pipe": not os.isatty(1),
        "component_file": os.path.basename(sys.argv[2]),
    }
    with open(report, "w") as handle:
        json.dump(seen, handle)
    sys.stdout.flush()
    if exit_code and how == "raise":
        raise RuntimeError(f"task failed on purpose with {exit_code}")
    if exit_code and how == "sys.exit":
        sys.exit(exit_code)
    if exit_code:
        os._exit(exit_code)
    return name


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def hang(seconds: float) -> str:
    import time

    print("hanging", flush=True)
    time.sleep(seconds)
    return "woke"


@dsl.pipeline(name="describe-twice")
def two_tasks(exit_code: int = 0, how: str = "os._exit"):
    first = describe(name="first", exit_code=0)
    describe(name=first.outputs["Output"], exit_code=exit_code, how=how)


@dsl.pipeline(name="hang")
def hanging(seconds: float = 600.0):
    hang(seconds=seconds)


def _compiled(tmp_path: Path, pipeline, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    return path


def _reports(runner: LocalRunner) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted(runner.outputs_dir.rglob("report"))]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def _gone(pids, deadline_s: float = 10.0) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not any(_alive(pid) for pid in pids):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def probe_env(monkeypatch):
    monkeypatch.setenv("CTSIM_TEST_PROBE", "first value")


def _run_both(tmp_path: Path, exit_code: int, how: str = "os._exit"):
    outcomes, reports, logs = {}, {}, {}
    for mode, tasks in (("warm", LIGHT), ("cold", TaskProcesses(warm=False))):
        runner = LocalRunner(_compiled(tmp_path, two_tasks, "two"), tmp_path / mode, tasks=tasks)
        try:
            outcomes[mode] = runner.run("run-001", {"exit_code": exit_code, "how": how})
            reports[mode] = _reports(runner)
            logs[mode] = runner.log_path("run-001").read_text()
            if mode == "warm":
                assert runner.warm is not None and runner.warm.started_warm == 2 and runner.warm.started_cold == 0
        finally:
            runner.close()
    return outcomes, reports, logs


def _without_paths(report: dict) -> dict:
    return {k: v for k, v in report.items() if k != "component_dir"}


def test_a_warm_task_sees_what_a_fresh_interpreter_sees(tmp_path, probe_env):
    outcomes, reports, logs = _run_both(tmp_path, exit_code=0)

    assert outcomes["warm"].succeeded and outcomes["cold"].succeeded
    assert [t.task for t in outcomes["warm"].tasks] == [t.task for t in outcomes["cold"].tasks]
    assert [_without_paths(r) for r in reports["warm"]] == [_without_paths(r) for r in reports["cold"]]
    for report in reports["warm"]:
        assert report["cwd"] == report["path"][0] == os.getcwd()  # after the component's own folder, as `-m` has it
        assert report["runtime"] == "true" and report["probe"] == "first value"
        assert report["main"] == "kfp.dsl.executor_main" and not report["ctsim_loaded"]
        assert report["component_file"] == "ephemeral_component.py"
    for log in logs.values():  # both streams reach kfp.local's log, in order, for both tasks
        assert log.count("hello from") == 2 and log.count("to stderr") == 2


def test_a_task_killed_with_exit_137_fails_the_run_warm_as_cold(tmp_path, probe_env):
    outcomes, _, logs = _run_both(tmp_path, exit_code=137)

    for mode in ("warm", "cold"):
        assert not outcomes[mode].succeeded
        assert [t.status for t in outcomes[mode].tasks] == ["SUCCESS", "FAILURE"]
        assert "describe-2" in outcomes[mode].error
    assert outcomes["warm"].error == outcomes["cold"].error


@pytest.mark.parametrize("exit_code, how", [(1, "os._exit"), (255, "os._exit"), (3, "sys.exit"), (1, "raise")])
def test_a_failing_task_fails_the_same_way_warm_as_cold(tmp_path, exit_code, how):
    outcomes, _, logs = _run_both(tmp_path, exit_code, how)

    assert not outcomes["warm"].succeeded and outcomes["warm"].error == outcomes["cold"].error
    assert [t.status for t in outcomes["warm"].tasks] == [t.status for t in outcomes["cold"].tasks]
    if how == "raise":  # the traceback reaches kfp.local's log both ways
        assert all("RuntimeError: task failed on purpose with 1" in log for log in logs.values())


@pytest.mark.property
@given(code=st.integers(0, 255), signum=st.integers(1, 31))
def test_the_server_reports_exit_status_as_sh_does(code, signum):
    assert forkserver._shell_status(code << 8) == code  # exited with code
    assert forkserver._shell_status(signum) == 128 + signum  # killed by a signal: sh says 128 + N


def test_a_crashing_task_does_not_take_the_server_down(tmp_path):
    runner = LocalRunner(_compiled(tmp_path, two_tasks, "two"), tmp_path / "run", tasks=LIGHT)
    try:
        assert not runner.run("run-001", {"exit_code": 137}).succeeded
        server = runner.warm.server_pid
        assert server is not None and _alive(server)
        assert runner.run("run-002", {"exit_code": 0}).succeeded
        assert runner.warm.server_pid == server and runner.warm.started_warm == 4
    finally:
        runner.close()
    assert _gone([server])


def test_a_dead_server_means_cold_tasks_said_once(tmp_path, caplog):
    runner = LocalRunner(_compiled(tmp_path, two_tasks, "two"), tmp_path / "run", tasks=LIGHT)
    try:
        assert runner.run("run-001", {"exit_code": 0}).succeeded
        os.kill(runner.warm.server_pid, signal.SIGKILL)
        assert runner.run("run-002", {"exit_code": 0}).succeeded
        assert runner.run("run-003", {"exit_code": 0}).succeeded
    finally:
        runner.close()
    assert (runner.warm.started_warm, runner.warm.started_cold) == (2, 4)
    assert len(runner.warm.notices) == 1 and "cold" in runner.warm.notices[0]
    assert len([r for r in caplog.records if "cold" in r.getMessage()]) == 1
    said = [runner.log_path(run).read_text().count("ctsim: warm tasks:") for run in ("run-001", "run-002", "run-003")]
    assert said == [0, 1, 0]


def test_a_task_whose_environment_differs_in_what_an_import_read_runs_cold(tmp_path, monkeypatch):
    runner = LocalRunner(_compiled(tmp_path, two_tasks, "two"), tmp_path / "run", tasks=LIGHT)
    try:
        assert runner.run("run-001", {"exit_code": 0}).succeeded
        monkeypatch.setenv("OMP_NUM_THREADS", "7")  # read by native libraries when they load: frozen in the server
        assert runner.run("run-002", {"exit_code": 0}).succeeded
        monkeypatch.setenv("CTSIM_TEST_PROBE", "changed")  # not read at import: still warm, and seen by the task
        monkeypatch.delenv("OMP_NUM_THREADS")
        assert runner.run("run-003", {"exit_code": 0}).succeeded
    finally:
        runner.close()
    assert (runner.warm.started_warm, runner.warm.started_cold) == (4, 2)
    assert any("OMP_NUM_THREADS" in notice for notice in runner.warm.notices)
    assert _reports(runner)[-1]["probe"] == "changed"


def test_cold_starts_no_server(tmp_path):
    runner = LocalRunner(_compiled(tmp_path, two_tasks, "two"), tmp_path / "run", tasks=TaskProcesses(warm=False))
    assert runner.warm is None
    assert runner.run("run-001", {"exit_code": 0}).succeeded


def test_preload_names_must_be_module_names():
    assert preload_names(["lightgbm", "a.b, c", ""]) == ("lightgbm", "a.b", "c")
    assert TaskProcesses().with_preload(("lightgbm", "numpy")).preload.count("numpy") == 1
    with pytest.raises(SettingError, match="The 'preload' setting of the task processes"):
        TaskProcesses(preload=("os; rm -rf /",))


_HANGING_RUN = """
import sys
from pathlib import Path
from ctsim.runners import LocalRunner, TaskProcesses
runner = LocalRunner(Path(sys.argv[1]), Path(sys.argv[2]), tasks=TaskProcesses(preload=("json", "kfp.dsl")))
try:
    runner.run("run-001", {"seconds": 600.0})
finally:
    runner.close()
"""


def _descendants(pid: int) -> set[int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


@pytest.mark.parametrize("how", ["SIGTERM", "SIGINT", "Ctrl-C"])
def test_an_interrupted_run_leaves_no_process_behind(tmp_path, how):
    import subprocess
    import sys

    pipeline = _compiled(tmp_path, hanging, "hang")
    run = subprocess.Popen(
        [sys.executable, "-c", _HANGING_RUN, str(pipeline), str(tmp_path / "run")],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    log = tmp_path / "run" / "logs" / "run-001.log"
    try:
        deadline = time.monotonic() + 60
        while not (log.exists() and "hanging" in log.read_text()):
            assert time.monotonic() < deadline and run.poll() is None, "the hanging task never started"
            time.sleep(0.05)
        spawned = _descendants(run.pid)
        assert len(spawned) == 2, "the fork server and the task it forked"
        if how == "Ctrl-C":
            os.killpg(run.pid, signal.SIGINT)  # a terminal signals the whole foreground group
        else:
            os.kill(run.pid, getattr(signal, how))
        run.wait(30)
        assert _gone(spawned), f"left behind: {[pid for pid in spawned if _alive(pid)]}"
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()


def test_the_cli_flags_choose_cold_tasks_and_more_preloads(capsys):
    from ctsim.cli import build_parser, main
    from ctsim.commands.run import task_processes

    args = build_parser().parse_args(
        ["run", "scenario", "x", "--cold", "--preload", "lightgbm,xgboost", "--preload", "catboost"]
    )
    tasks = task_processes(args)
    assert not tasks.warm and tasks.preload[-3:] == ("lightgbm", "xgboost", "catboost")
    suite = task_processes(build_parser().parse_args(["run", "suite"]))
    assert suite.warm and suite.preload == TaskProcesses().preload
    assert main(["run", "scenario", "sudden-drift", "--preload", "not a module"]) == 2
    err = capsys.readouterr().err
    assert "The 'preload' setting of the task processes" in err and "Traceback" not in err


def test_closing_a_runner_whose_server_is_still_preloading_is_prompt(tmp_path):
    runner = LocalRunner(_compiled(tmp_path, two_tasks, "two"), tmp_path / "run", tasks=TaskProcesses())
    server = runner.warm.server_pid  # preloading pandas, scikit-learn ... for seconds: a replay without runs
    started = time.monotonic()
    runner.close()
    assert time.monotonic() - started < 2.0 and _gone([server], 2.0)


def test_a_suite_hands_every_worker_the_same_task_processes(tmp_path):
    import suite_worker

    from ctsim.sim.suite import run_suite

    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("one", "two"):
        (folder / f"{name}.yaml").write_text(f"name: {name}\n")
    cold = TaskProcesses(warm=False).with_preload(("lightgbm",))
    result = run_suite(folder, tmp_path / "runs", jobs=2, worker=suite_worker.record_tasks, tasks=cold)
    told = [json.loads((Path(o.run_dir) / "tasks.json").read_text()) for o in result.outcomes]
    assert told == [{"warm": False, "preload": list(cold.preload)}] * 2
    default = run_suite(folder, tmp_path / "runs2", jobs=1, worker=suite_worker.record_tasks)
    assert [json.loads((Path(o.run_dir) / "tasks.json").read_text()) for o in default.outcomes] == [None, None]


def test_a_variable_a_preloaded_module_set_itself_does_not_send_a_task_cold(monkeypatch):
    """scikit-learn sets KMP_* at import: a task whose environment lacks them is a fresh interpreter's."""
    monkeypatch.setattr(forkserver, "SET_BY_PRELOAD", {"KMP_INIT_AT_FORK"})
    monkeypatch.setenv("KMP_INIT_AT_FORK", "FALSE")
    environment = {k: v for k, v in os.environ.items() if k != "KMP_INIT_AT_FORK"}
    assert forkserver.refusal(environment, ["KMP_INIT_AT_FORK"]) is None
    # ... but a task that sets it to something else still runs cold.
    assert "KMP_INIT_AT_FORK" in forkserver.refusal({**environment, "KMP_INIT_AT_FORK": "TRUE"}, ["KMP_INIT_AT_FORK"])
