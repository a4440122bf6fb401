"""A suite: every scenario of a folder, each in its own worker process with its own embedded store.

``runs/suite-<UTC timestamp>/suite.json`` is the record the promotion gate reads::

    {"schema_version": 1, "pipeline_sha256": hex, "passed": bool, "started": iso, "finished": iso,
     "status": "finished"|"interrupted",
     "scenarios": [{"name", "status": "passed"|"failed"|"crashed"|"interrupted", "run_dir", "pipeline_sha256",
                    "seconds"}]}

A crash in one scenario never stops the others: the worker catches it and reports it as
``crashed`` with the error's first line. Workers are started with ``spawn`` (kfp.local,
threads and ``fork`` do not mix) and each process runs exactly one scenario.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from ctsim.errors import CtsimError
from ctsim.processes import die_with_parent, end_descendants, stop_on_sigterm
from ctsim.runners import RunnerKind, TaskProcesses
from ctsim.sim import fresh_directory
from ctsim.sim.files import write_json_atomic
from ctsim.timeline import PipelineRun

__all__ = [
    "SCHEMA_VERSION",
    "ScenarioOutcome",
    "SuiteResult",
    "discover",
    "fresh_directory",
    "replay_in_worker",
    "run_parallel",
    "run_suite",
    "suite_document",
    "write_json",
]

SCHEMA_VERSION = 1
Worker = Callable[..., dict[str, Any]]  # (path, runs_dir, runner[, task processes]) -> a ScenarioOutcome as data


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    status: str  # passed | failed | crashed | interrupted
    run_dir: str
    pipeline_sha256: str
    seconds: float
    ticks: int = 0
    pipeline_runs: int = 0
    error: str = ""  # crashed: the error's first line; failed: the expectations that failed

    @classmethod
    def crashed(cls, name: str, run_dir: str, error: str, seconds: float = 0.0) -> ScenarioOutcome:
        return cls(name, "crashed", run_dir, "", round(seconds, 3), error=error)


@dataclass
class SuiteResult:
    directory: Path
    pipeline_sha256: str
    started: datetime
    finished: datetime
    outcomes: list[ScenarioOutcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def passed(self) -> bool:
        return not self.interrupted and bool(self.outcomes) and all(o.status == "passed" for o in self.outcomes)

    @property
    def exit_code(self) -> int:
        return 0 if self.passed else 1


def discover(folder: Path) -> list[Path]:
    """The scenario files directly in ``folder`` (``*.yaml``, ``*.yml``), sorted by name."""
    if not folder.is_dir():
        raise CtsimError(f"{folder}: no such folder of scenarios")
    paths = sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    if not paths:
        raise CtsimError(f"{folder}: holds no scenario files (*.yaml)")
    return paths


def first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def replay_in_worker(
    path: str, runs_dir: str, runner: RunnerKind, tasks: TaskProcesses | None = None
) -> dict[str, Any]:
    """Run one scenario (in a worker process) and describe the outcome as plain data; never raises."""
    started = time.perf_counter()
    name = Path(path).stem
    try:
        from ctsim.scenario import loader
        from ctsim.sim import run_scenario

        name = loader.load(path).name
        result = run_scenario(
            path,
            runs_dir=Path(runs_dir),
            runner=runner,
            tasks=tasks,
        )
    except KeyboardInterrupt as exc:  # Ctrl-C reached this worker, or the suite stopped it (SIGTERM)
        end_descendants()  # kfp.local's task processes
        return asdict(
            ScenarioOutcome(
                name,
                "interrupted",
                _only_child(Path(runs_dir)),
                "",
                round(time.perf_counter() - started, 3),
                error=first_line(exc) or "interrupted",
            )
        )
    except BaseException as exc:  # a crash is this scenario's outcome, not the suite's end
        return asdict(
            ScenarioOutcome.crashed(name, _only_child(Path(runs_dir)), first_line(exc), time.perf_counter() - started)
        )
    failed = "; ".join(r.name for r in result.verdict.results if not r.passed)
    return asdict(
        ScenarioOutcome(
            name,
            "passed" if result.verdict.passed else "failed",
            str(result.run_dir),
            result.pipeline_sha256,
            round(time.perf_counter() - started, 3),
            len(result.timeline.ticks),
            len(result.timeline.of(PipelineRun)),
            failed,
        )
    )


def _only_child(folder: Path) -> str:
    children = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    return str(children[0]) if len(children) == 1 else str(folder)


def run_parallel(
    tasks: Sequence[tuple[Any, ...]],
    jobs: int,
    worker: Worker = replay_in_worker,
    on_done: Callable[[int, dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run ``worker(*task)`` for every task, each in a fresh spawned process, ``jobs`` at a time; results in
    task order. ``on_done(index, result)`` is called as each task ends.

    One process per task, so a worker that dies outright (killed, out of memory) is that task's crash and
    nothing else's. On Ctrl-C or SIGTERM no task starts any more; running ones get SIGTERM (they unwind and
    record "interrupted"), SIGKILL after a grace period, and the interrupt is re-raised.
    """
    context = multiprocessing.get_context("spawn")
    results: dict[int, dict[str, Any]] = {}
    waiting = list(range(len(tasks)))
    running: dict[int, tuple[Any, Connection]] = {}
    try:
        while waiting or running:
            while waiting and len(running) < max(1, jobs):
                index = waiting.pop(0)
                receiver, sender = context.Pipe(duplex=False)
                process = context.Process(target=_child, args=(worker, tasks[index], sender, os.getpid()))
                process.start()
                sender.close()
                running[index] = (process, receiver)
            wait([conn for _, conn in running.values()] + [process.sentinel for process, _ in running.values()])
            for index, (process, receiver) in list(running.items()):
                result = _collect(tasks[index], process, receiver)
                if result is None:
                    continue
                del running[index]
                results[index] = result
                if on_done is not None:
                    on_done(index, result)
    except KeyboardInterrupt:
        _stop_now([process for process, _ in running.values()])
        raise
    return [results[index] for index in range(len(tasks))]


def _child(worker: Worker, task: tuple[Any, ...], sender: Connection, parent: int) -> None:
    """A worker process: SIGTERM unwinds the scenario (its server stopped, run.json says interrupted), and
    it goes when the suite's process dies, even by ``kill -9``."""
    die_with_parent(signal.SIGTERM, expected_parent=parent)
    stop_on_sigterm()
    try:
        answer: tuple[str, Any] = ("result", worker(*task))
    except BaseException as exc:  # the worker could not even produce an outcome
        answer = ("error", first_line(exc))
    sender.send(answer)
    sender.close()


def _collect(task: tuple[Any, ...], process: Any, receiver: Connection) -> dict[str, Any] | None:
    """The task's result once its process answered or died; None while it still runs."""
    if receiver.poll():
        try:
            kind, value = receiver.recv()
        except (EOFError, OSError):
            kind, value = "error", None
    elif process.is_alive():
        return None
    else:
        kind, value = "error", None
    process.join(5.0)
    if process.is_alive():
        process.kill()
        process.join()
    receiver.close()
    if kind == "result":
        return value
    return _crashed_task(task, value or f"the worker process died (exit code {process.exitcode})")


def _stop_now(processes: list[Any], grace_s: float = 5.0) -> None:
    """SIGTERM every running worker, SIGKILL any still there after ``grace_s``."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace_s
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(1.0)


def _crashed_task(task: tuple[Any, ...], error: str) -> dict[str, Any]:
    path, runs_dir = task[0], task[1]
    return asdict(ScenarioOutcome.crashed(Path(path).stem, _only_child(Path(runs_dir)), error))


def run_suite(
    folder: Path,
    runs_dir: Path = Path("runs"),
    jobs: int | None = None,
    runner: str = "subprocess",
    worker: Worker = replay_in_worker,
    on_done: Callable[[ScenarioOutcome], None] | None = None,
    tasks: TaskProcesses | None = None,
) -> SuiteResult:
    """``tasks``: how every scenario's pipeline tasks start (default: warm, default preload)."""
    paths = discover(folder)
    started = datetime.now(UTC)
    directory = fresh_directory(runs_dir, f"suite-{started:%Y%m%dT%H%M%SZ}")
    extra = (tasks,) if tasks is not None else ()
    work = [(str(path), str(directory / path.stem), runner, *extra) for path in paths]
    finished: dict[int, ScenarioOutcome] = {}

    def done(index: int, raw: dict[str, Any]) -> None:
        finished[index] = _outcome(raw)
        if on_done is not None:
            on_done(finished[index])

    try:
        raw = run_parallel(work, jobs or os.cpu_count() or 1, worker, done)
    except KeyboardInterrupt:
        # The record says so: what finished, and every other scenario as interrupted.
        outcomes = [
            finished.get(index)
            or ScenarioOutcome(
                Path(path).stem, "interrupted", str(directory / Path(path).stem), "", 0.0, error="interrupted"
            )
            for index, (path, *_) in enumerate(work)
        ]
        result = SuiteResult(
            directory, suite_pipeline(outcomes), started, datetime.now(UTC), outcomes, interrupted=True
        )
        write_json(directory / "suite.json", suite_document(result))
        raise
    outcomes = [_outcome(r) for r in raw]
    result = SuiteResult(directory, suite_pipeline(outcomes), started, datetime.now(UTC), outcomes)
    write_json(directory / "suite.json", suite_document(result))
    return result


def suite_pipeline(outcomes: Sequence[ScenarioOutcome]) -> str:
    """The one pipeline every scenario of the suite ran, or "" when they ran different ones (or none ran).

    Each scenario names its own pipeline (``pipeline:``); the promotion gate trusts a scenario only for the
    pipeline sha256 recorded beside it."""
    ran = {o.pipeline_sha256 for o in outcomes if o.pipeline_sha256}  # "": crashed before its pipeline was ready
    return ran.pop() if len(ran) == 1 else ""


def _outcome(raw: dict[str, Any]) -> ScenarioOutcome:
    return ScenarioOutcome(**{key: raw[key] for key in ScenarioOutcome.__dataclass_fields__ if key in raw})


def suite_document(result: SuiteResult) -> dict[str, Any]:
    """suite.json: per scenario, its verdict and the sha256 of the pipeline it ran ("" if it crashed before)."""
    return {
        "schema_version": SCHEMA_VERSION,
        "pipeline_sha256": result.pipeline_sha256,
        "passed": result.passed,
        "status": "interrupted" if result.interrupted else "finished",
        "started": result.started.isoformat(),
        "finished": result.finished.isoformat(),
        "scenarios": [
            {
                "name": o.name,
                "status": o.status,
                "run_dir": o.run_dir,
                "pipeline_sha256": o.pipeline_sha256,
                "seconds": o.seconds,
            }
            for o in result.outcomes
        ],
    }


def write_json(path: Path, document: dict[str, Any] | list[Any]) -> None:
    """Write atomically: a reader (the promotion gate) never sees half a file."""
    write_json_atomic(path, document)
