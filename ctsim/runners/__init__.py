"""How the compiled pipeline executes: kfp.local's subprocess runner (default) or its Docker runner.

The runner loads the compiled YAML back with ``load_component_from_file`` and
executes *that*, so the bytes that ran here are the bytes ``promote`` uploads.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
import warnings
import weakref
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ctsim.runners.warm import TaskProcesses, WarmTasks

if TYPE_CHECKING:
    from ctsim.runners.docker import DockerTasks

__all__ = [
    "LocalRunner",
    "RunOutcome",
    "RunnerKind",
    "TaskProcesses",
    "TaskTiming",
    "docker_engine_answers",
    "parse_task_timings",
    "started_task",
    "started_tasks",
]

RunnerKind = Literal["subprocess", "docker"]
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LINE = re.compile(
    r"^(\d\d:\d\d:\d\d\.\d{3}) - \w+ - (?:Executing task '([^']+)'|Task '([^']+)' finished with status (\w+))"
)


@dataclass(frozen=True)
class TaskTiming:
    task: str
    seconds: float
    status: str


@dataclass(frozen=True)
class RunOutcome:
    succeeded: bool
    seconds: float
    error: str = ""
    tasks: tuple[TaskTiming, ...] = field(default_factory=tuple)
    log_path: str = ""


def docker_engine_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
        return True
    except Exception:  # docker-py raises DockerException, requests errors, FileNotFoundError ...
        return False


class LocalRunner:
    """Runs the compiled pipeline on kfp.local, one run at a time, logs kept in the run directory."""

    def __init__(
        self, pipeline_yaml: Path, run_dir: Path, kind: RunnerKind = "subprocess", tasks: TaskProcesses | None = None
    ):
        from kfp import components, local

        self._docker: DockerTasks | None = None
        if kind == "docker":
            from ctsim.extras import require
            from ctsim.runners.docker import DockerTasks

            require("docker", "--runner docker")
            self._docker = DockerTasks(pipeline_yaml, run_dir)  # engine, images and disk checked; RunnerUnavailable
            runner: Any = self._docker.runner
        else:
            from ctsim.runners.docker import refuse_container_components

            refuse_container_components(pipeline_yaml)  # kfp.local would fail each run with a RuntimeError instead
            runner = local.SubprocessRunner(use_venv=False)
        self.outputs_dir = run_dir / "kfp"
        self.workspace = run_dir / "kfp-workspace"
        self.logs_dir = run_dir / "logs"
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        tasks = tasks or TaskProcesses()
        # Warm task processes (issue 14): the subprocess runner's tasks fork from a preloaded server.
        self.warm = WarmTasks(tasks, self.logs_dir) if kind == "subprocess" and tasks.warm else None
        if self.warm is not None:
            weakref.finalize(self, self.warm.close)  # no server outlives its runner, even if close() is forgotten
            self.warm.launch()  # it preloads while the simulator starts; the first task waits for it
        local.init(
            runner=runner, pipeline_root=str(self.outputs_dir), workspace_root=str(self.workspace), raise_on_error=True
        )
        self._pipeline = components.load_component_from_file(str(pipeline_yaml))

    def log_path(self, run_id: str) -> Path:
        return self.logs_dir / f"{run_id}.log"

    def run(self, run_id: str, arguments: dict[str, Any]) -> RunOutcome:
        log_path = self.log_path(run_id)
        if self._docker is not None:
            self._docker.before_run(run_id, os.environ)  # this run's store variables and failpoint, as env
        started = time.perf_counter()
        error = ""
        # Line-buffered, so whoever follows the log (a fault timed on a step) sees each task start as it happens.
        with (
            open(log_path, "w", encoding="utf-8", buffering=1) as log,
            contextlib.redirect_stdout(log),
            warnings.catch_warnings(),
        ):
            # kfp.local warns that cluster-only settings (image, cpu/memory requests) are ignored here: expected.
            warnings.simplefilter("ignore")
            try:
                with self._task_launcher():
                    self._pipeline(**arguments)
            except RuntimeError as exc:  # kfp.local's way of saying a task failed
                error = _ANSI.sub("", str(exc))
        if self.warm is not None:
            self.warm.tell_new_notices()
        seconds = time.perf_counter() - started
        log_text = log_path.read_text(encoding="utf-8")
        tasks = parse_task_timings(log_text)
        if self._docker is not None:
            # kfp.local's word is not enough in containers: each task's own exit record decides.
            # One task at a time: the i-th finish line is the i-th start's; a start with no finish has status ''.
            statuses = [task.status for task in tasks]
            attempts = tuple(
                (name, statuses[i] if i < len(statuses) else "") for i, name in enumerate(started_tasks(log_text))
            )
            verdict = self._docker.after_run(run_id, attempts)
            error = error or verdict
        return RunOutcome(not error, seconds, error, tasks, str(log_path))

    def _task_launcher(self) -> contextlib.AbstractContextManager[None]:
        """How this run's tasks start: forked from the warm server, in containers read exactly, or kfp's own."""
        if self.warm is not None:
            return self.warm.installed()
        if self._docker is not None:
            from ctsim.runners.docker import exact_exit_codes

            return exact_exit_codes()
        return contextlib.nullcontext()

    def close(self) -> None:
        """Stop the warm task server, if any (a task still running in it ends with it)."""
        if self.warm is not None:
            self.warm.close()


def started_tasks(log: str) -> tuple[str, ...]:
    """Every task kfp.local's log says it started, in order."""
    return tuple(task for task in map(started_task, log.splitlines()) if task)


def started_task(line: str) -> str | None:
    """The task a line of kfp.local's log says is starting, if it says so."""
    match = _LINE.match(_ANSI.sub("", line))
    return match.group(2) if match else None


def parse_task_timings(log: str) -> tuple[TaskTiming, ...]:
    """Wall time of each task from kfp.local's log: 'Executing task' to 'finished with status'."""
    started: dict[str, datetime] = {}
    timings = []
    for raw in log.splitlines():
        match = _LINE.match(_ANSI.sub("", raw))
        if not match:
            continue
        stamp = datetime.strptime(match.group(1), "%H:%M:%S.%f")
        if match.group(2):
            started[match.group(2)] = stamp
        elif match.group(3) in started:
            elapsed = (stamp - started.pop(match.group(3))).total_seconds() % 86400
            timings.append(TaskTiming(match.group(3), round(elapsed, 3), match.group(4)))
    return tuple(timings)
