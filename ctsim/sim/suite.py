"""A suite: every scenario of a folder, each in its own worker process with its own embedded store.

``runs/suite-<UTC timestamp>/suite.json`` is the record the promotion gate reads::

    {"schema_version": 1, "pipeline_sha256": hex, "passed": bool, "started": iso, "finished": iso,
     "scenarios": [{"name", "status": "passed"|"failed"|"crashed", "run_dir", "pipeline_sha256", "seconds"}]}

A crash in one scenario never stops the others: the worker catches it and reports it as
``crashed`` with the error's first line. Workers are started with ``spawn`` (kfp.local,
threads and ``fork`` do not mix) and each process runs exactly one scenario.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Sequence

from ctsim.errors import CtsimError
from ctsim.runners import TaskProcesses
from ctsim.sim import fresh_directory

__all__ = ["SCHEMA_VERSION", "ScenarioOutcome", "SuiteResult", "discover", "fresh_directory", "replay_in_worker",
           "run_parallel", "run_suite", "suite_document", "write_json"]

SCHEMA_VERSION = 1
Worker = Callable[..., dict[str, Any]]  # (path, runs_dir, runner[, task processes]) -> a ScenarioOutcome as data


@dataclass(frozen=True)
class ScenarioOutcome:
    name: str
    status: str                 # passed | failed | crashed
    run_dir: str
    pipeline_sha256: str
    seconds: float
    ticks: int = 0
    pipeline_runs: int = 0
    error: str = ""             # crashed: the error's first line; failed: the expectations that failed

    @classmethod
    def crashed(cls, name: str, run_dir: str, error: str, seconds: float = 0.0) -> "ScenarioOutcome":
        return cls(name, "crashed", run_dir, "", round(seconds, 3), error=error)


@dataclass
class SuiteResult:
    directory: Path
    pipeline_sha256: str
    started: datetime
    finished: datetime
    outcomes: list[ScenarioOutcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.outcomes) and all(o.status == "passed" for o in self.outcomes)

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


def replay_in_worker(path: str, runs_dir: str, runner: str, tasks: TaskProcesses | None = None) -> dict[str, Any]:
    """Run one scenario (in a worker process) and describe the outcome as plain data; never raises."""
    started = time.perf_counter()
    name = Path(path).stem
    try:
        from ctsim.scenario import loader
        from ctsim.sim import run_scenario

        name = loader.load(path).name
        result = run_scenario(path, runs_dir=Path(runs_dir), runner=runner, progress=None,  # type: ignore[arg-type]
                              tasks=tasks)
    except BaseException as exc:  # a crash is this scenario's outcome, not the suite's end
        return asdict(ScenarioOutcome.crashed(name, _only_child(Path(runs_dir)), first_line(exc),
                                              time.perf_counter() - started))
    failed = "; ".join(r.name for r in result.verdict.results if not r.passed)
    return asdict(ScenarioOutcome(
        name, "passed" if result.verdict.passed else "failed", str(result.run_dir), result.pipeline_sha256,
        round(time.perf_counter() - started, 3), len(result.timeline.ticks),
        len(result.timeline.of_kind("pipeline-run")), failed))


def _only_child(folder: Path) -> str:
    children = [p for p in folder.iterdir() if p.is_dir()] if folder.is_dir() else []
    return str(children[0]) if len(children) == 1 else str(folder)


def run_parallel(tasks: Sequence[tuple[Any, ...]], jobs: int, worker: Worker = replay_in_worker,
                 on_done: Callable[[int, dict[str, Any]], None] | None = None) -> list[dict[str, Any]]:
    """Run ``worker(*task)`` for every task in fresh spawned processes, ``jobs`` at a time; results in task order.
    ``on_done(index, result)`` is called as each task ends.

    A worker that dies outright (killed, out of memory) breaks the whole pool and every task still in it.
    Those tasks run again, one at a time, each in a pool of its own, so only a task that dies alone is
    reported crashed (rare, so the second round trades speed for a clear verdict).
    """
    results: dict[int, dict[str, Any]] = {}
    broken = _pool_round(tasks, range(len(tasks)), max(1, jobs), worker, results, on_done)
    for index in broken:
        _pool_round(tasks, [index], 1, worker, results, on_done, last=True)
    return [results[index] for index in range(len(tasks))]


def _pool_round(tasks, indices, jobs, worker, results, on_done, last=False) -> list[int]:
    """One pool over ``indices``; returns the tasks lost to a broken pool (reported crashed when ``last``)."""
    broken = []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             max_tasks_per_child=1) as pool:
        futures = {pool.submit(worker, *tasks[index]): index for index in indices}
        for future in as_completed(futures):
            index = futures[future]
            try:
                results[index] = future.result()
            except BrokenProcessPool as exc:
                if not last:
                    broken.append(index)
                    continue
                results[index] = _crashed_task(tasks[index], f"the worker process died ({first_line(exc)})")
            except Exception as exc:  # the worker could not even start or return (e.g. unpicklable)
                results[index] = _crashed_task(tasks[index], first_line(exc))
            if on_done is not None:
                on_done(index, results[index])
    return sorted(broken)


def _crashed_task(task: tuple[Any, ...], error: str) -> dict[str, Any]:
    path, runs_dir = task[0], task[1]
    return asdict(ScenarioOutcome.crashed(Path(path).stem, _only_child(Path(runs_dir)), error))


def run_suite(folder: Path, runs_dir: Path = Path("runs"), jobs: int | None = None, runner: str = "subprocess",
              worker: Worker = replay_in_worker,
              on_done: Callable[[ScenarioOutcome], None] | None = None,
              tasks: TaskProcesses | None = None) -> SuiteResult:
    """``tasks``: how every scenario's pipeline tasks start (default: warm, default preload)."""
    paths = discover(folder)
    started = datetime.now(timezone.utc)
    directory = fresh_directory(runs_dir, f"suite-{started:%Y%m%dT%H%M%SZ}")
    extra = (tasks,) if tasks is not None else ()
    work = [(str(path), str(directory / path.stem), runner, *extra) for path in paths]
    done = (lambda index, raw: on_done(_outcome(raw))) if on_done else None
    raw = run_parallel(work, jobs or os.cpu_count() or 1, worker, done)
    outcomes = [_outcome(r) for r in raw]
    result = SuiteResult(directory, suite_pipeline(outcomes), started, datetime.now(timezone.utc), outcomes)
    write_json(directory / "suite.json", suite_document(result))
    return result


def suite_pipeline(outcomes: Sequence[ScenarioOutcome]) -> str:
    """The one pipeline every scenario of the suite ran, or "" when they ran different ones (or none ran).

    Each scenario names its own pipeline (``pipeline:``); the promotion gate trusts a scenario only for the
    pipeline sha256 recorded beside it."""
    ran = {o.pipeline_sha256 for o in outcomes}
    return ran.pop() if len(ran) == 1 else ""


def _outcome(raw: dict[str, Any]) -> ScenarioOutcome:
    return ScenarioOutcome(**{key: raw[key] for key in ScenarioOutcome.__dataclass_fields__ if key in raw})


def suite_document(result: SuiteResult) -> dict[str, Any]:
    """suite.json: per scenario, its verdict and the sha256 of the pipeline it ran ("" if it crashed before)."""
    return {
        "schema_version": SCHEMA_VERSION, "pipeline_sha256": result.pipeline_sha256, "passed": result.passed,
        "started": result.started.isoformat(), "finished": result.finished.isoformat(),
        "scenarios": [{"name": o.name, "status": o.status, "run_dir": o.run_dir,
                       "pipeline_sha256": o.pipeline_sha256, "seconds": o.seconds}
                      for o in result.outcomes],
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    """Write atomically: a reader (the promotion gate) never sees half a file."""
    import json

    partial = path.with_suffix(path.suffix + ".partial")
    partial.write_text(json.dumps(document, indent=1), encoding="utf-8")
    partial.replace(path)
