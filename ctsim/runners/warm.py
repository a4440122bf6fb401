"""Warm task processes: kfp.local's subprocess runner starts each task from a preloaded fork server.

kfp.local stays the orchestrator. Its ``SubprocessTaskHandler`` builds the task's command line and environment
and calls ``run_local_subprocess(full_command, env_vars)``, which starts the process, streams its output into
the run's log and returns its exit status. That one call is the seam: while a pipeline runs, ``WarmTasks.installed()``
puts ``_run_task`` in its place, which asks the fork server (``forkserver.py``) for the process instead and streams,
prints and waits exactly as kfp.local does. A task the server cannot start as kfp.local would (a command that is
not kfp's lightweight-component template, an environment a preloaded module read differently) runs cold through
kfp.local's own function; so does every task once the server has died, and the run says so once.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ctsim.runners import forkserver

__all__ = ["DEFAULT_PRELOAD", "TaskProcesses", "WarmTasks", "parse_task_command", "preload_names"]

# The heavy third-party modules ctsim's tasks import (scikit-learn brings scipy). What they read from the environment
# at import is recorded by the server, which refuses a task whose environment differs there.
DEFAULT_PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow",
    "pyarrow.parquet",
    "sklearn.linear_model",
    "sklearn.metrics",
    "sklearn.pipeline",
    "sklearn.preprocessing",
    "minio",
    "urllib3",
    "pydantic",
    "pydantic.main",  # `import pydantic` is lazy: these are what defining and validating a model loads (~40 ms)
    "pydantic.types",
    "pydantic.json_schema",
    "pydantic.functional_validators",
    "yaml",
    "kfp.dsl",
    "kfp.dsl.executor",
)
READY_DEADLINE_S = 120.0
STOP_DEADLINE_S = 5.0
_log = logging.getLogger(__name__)

# kfp's lightweight-component command, after kfp.local swapped `python3` for its own interpreter.
_TEMPLATE = re.compile(
    r"program_path=\$\(mktemp -d\)\s+"
    r'printf "%s" "\$0" > "\$program_path/ephemeral_component\.py"\s+'
    r"_KFP_RUNTIME=true (?P<python>\S+) -m kfp\.dsl\.executor_main\s+"
    r'--component_module_path\s+"\$program_path/ephemeral_component\.py"\s+"\$@"\s*',
    re.S,
)


@dataclass(frozen=True)
class TaskProcesses:
    """How task processes start: ``warm`` from a fork server with ``preload`` imported, or cold (fresh interpreters)."""

    warm: bool = True
    preload: tuple[str, ...] = DEFAULT_PRELOAD

    def __post_init__(self) -> None:
        for name in self.preload:
            if not re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", name):
                from ctsim.errors import SettingError

                raise SettingError(
                    f"The 'preload' setting of the task processes must be a list of module names "
                    f"like lightgbm or sklearn.ensemble. Got {name!r} instead."
                )

    def with_preload(self, extra: tuple[str, ...]) -> TaskProcesses:
        return TaskProcesses(self.warm, tuple(dict.fromkeys(self.preload + extra)))


@dataclass(frozen=True)
class TaskCommand:
    program: str
    args: tuple[str, ...]


def parse_task_command(full_command: list[str]) -> TaskCommand | None:
    """The component source and executor arguments of kfp's task command, if it is the plain template."""
    if len(full_command) < 4 or full_command[0] != "sh" or full_command[1] not in ("-c", "-ec"):
        return None
    match = _TEMPLATE.fullmatch(full_command[2])
    if match is None or match["python"] != sys.executable:
        return None
    return TaskCommand(full_command[3], tuple(full_command[4:]))


class WarmTasks:
    """One fork server for one runner: started on the first task, stopped by ``close()`` (or at exit)."""

    def __init__(self, settings: TaskProcesses, log_dir: Path):
        self.settings = settings
        self.log_dir = log_dir
        self.notices: list[str] = []
        self._told = 0
        self._server: subprocess.Popen[bytes] | None = None
        self._conn: socket.socket | None = None
        self._dead = not settings.warm
        self._ready = False
        self._in_run = False
        self._lock = threading.Lock()
        self.started_warm = 0
        self.started_cold = 0

    # lifecycle ------------------------------------------------------------------------------------------
    @property
    def server_pid(self) -> int | None:
        return self._server.pid if self._server is not None else None

    def launch(self) -> None:
        """Start the server and let it preload while the simulator gets going; the first task waits for it."""
        with self._lock:
            if self._conn is None and not self._dead:
                try:
                    self._launch()
                except OSError as exc:
                    self._give_up(f"the fork server did not start ({exc})")

    def _launch(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        log = open(self.log_dir / "forkserver.log", "ab")
        try:
            self._server = subprocess.Popen(
                [sys.executable, forkserver.__file__, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                cwd=os.getcwd(),
                env={**os.environ, "_KFP_RUNTIME": "true"},
            )  # what every task's command line sets
        finally:
            theirs.close()
            log.close()
        self._conn, self._ready = ours, False
        forkserver.send(
            ours,
            {
                "preload": list(self.settings.preload),
                "main_thread": threading.current_thread() is threading.main_thread(),
            },
        )

    def _await_ready(self) -> None:
        assert self._conn is not None
        self._conn.settimeout(READY_DEADLINE_S)
        ready, _ = forkserver.receive(self._conn)
        self._conn.settimeout(None)
        if not ready or not ready.get("ready"):
            raise EOFError("the fork server ended before it was ready")
        self._ready = True
        for name, why in ready["failed"].items():
            self._say(f"warm tasks: could not preload {name} ({why}); tasks import it themselves")

    def close(self) -> None:
        """Stop the server; a task still in it is killed with it. Safe to call twice."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self._server is not None:
            if not self._ready:
                self._server.kill()  # still preloading: nothing to finish
            try:
                self._server.wait(STOP_DEADLINE_S)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
            self._server = None

    def _give_up(self, why: str) -> None:
        self._dead = True
        self._say(f"warm tasks: {why}; every later task of this replay starts cold (a fresh interpreter)")
        with contextlib.suppress(OSError):
            self.close()

    def _say(self, message: str) -> None:
        if message not in self.notices:
            self.notices.append(message)
            if self._in_run:
                print(f"ctsim: {message}")  # kfp.local's stdout is the run's log: beside the task it concerns

    def tell_new_notices(self) -> None:
        """Log each notice once, after the run, where the user sees it (kfp.local owns the logger during a run)."""
        for message in self.notices[self._told :]:
            _log.warning(message)
        self._told = len(self.notices)

    # the seam --------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """kfp.local starts its tasks through ``_run_task`` for the duration of the block."""
        from kfp.local import subprocess_task_handler as handler

        cold = handler.run_local_subprocess
        handler.run_local_subprocess = lambda full_command, env_vars=None: self._run_task(cold, full_command, env_vars)
        self._in_run = True
        try:
            yield
        finally:
            handler.run_local_subprocess = cold
            self._in_run = False

    def _run_task(self, cold: Callable[..., int], full_command: list[str], env_vars: dict[str, str] | None) -> int:
        command = parse_task_command(full_command)
        process = self._spawn(command, {**os.environ, **(env_vars or {})}) if command and not self._dead else None
        if process is None:
            self.started_cold += 1
            return cold(full_command=full_command, env_vars=env_vars)
        self.started_warm += 1
        return process.stream_and_wait()

    def _spawn(self, command: TaskCommand, env: dict[str, str]) -> WarmProcess | None:
        with self._lock:
            try:
                if self._conn is None:
                    self._launch()
                if not self._ready:
                    self._await_ready()
                return self._request(command, env)
            except (OSError, EOFError, ValueError) as exc:
                self._give_up(f"the fork server failed ({type(exc).__name__}: {exc})")
                return None

    def _request(self, command: TaskCommand, env: dict[str, str]) -> WarmProcess | None:
        assert self._conn is not None
        read_end, write_end = os.pipe()
        stdin = 0 if _is_open(0) else os.open(os.devnull, os.O_RDONLY)
        try:
            forkserver.send(
                self._conn,
                {
                    "program": command.program,
                    "args": list(command.args),
                    "env": {**env, "_KFP_RUNTIME": "true"},
                    "cwd": os.getcwd(),
                },
                fds=[stdin, write_end, write_end],
            )
        except BaseException:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)  # the child holds it now; EOF on read_end means the task closed its streams
            if stdin != 0:
                os.close(stdin)
        reply, _ = forkserver.receive(self._conn)
        if reply is None or "pid" not in reply:
            os.close(read_end)
            if reply is None:
                raise EOFError("the fork server closed the connection")
            self._say(f"warm tasks: a task runs cold because {reply.get('refused', 'the server refused it')}")
            return None
        return WarmProcess(self, int(reply["pid"]), read_end)

    def _status(self) -> int:
        """The exit status of the task in flight, as ``sh`` would report it."""
        try:
            assert self._conn is not None
            reply, _ = forkserver.receive(self._conn)
        except (OSError, EOFError, ValueError, AssertionError):
            reply = None
        if reply is None:
            self._give_up("the fork server died while a task ran (the task was killed with it)")
            return 128 + signal.SIGKILL
        return int(reply["status"])


class WarmProcess:
    """A task forked by the server: streamed and waited for as kfp.local's ``run_local_subprocess`` does."""

    def __init__(self, tasks: WarmTasks, pid: int, read_end: int):
        self.tasks, self.pid = tasks, pid
        self.stdout = open(read_end, buffering=1, encoding="utf-8", errors="replace")

    def stream_and_wait(self) -> int:
        finished = False
        try:
            with self.stdout:
                for line in iter(self.stdout.readline, ""):
                    print(line, end="")
                print("\n")  # kfp.local's visual separation after a task's logs
            status = self.tasks._status()
            finished = True
            return status
        finally:
            if not finished:  # interrupted (Ctrl-C, SIGTERM turned into an exception): the task ends with us
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.pid, signal.SIGKILL)
                self.tasks.close()


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def preload_names(values: Any) -> tuple[str, ...]:
    """``--preload a,b --preload c`` as a tuple of names."""
    return tuple(name.strip() for value in values or () for name in str(value).split(",") if name.strip())
