"""Run a scenario end to end: store up, pipeline compiled, the loop replayed, the verdict checked.

Bad input is rejected before anything is written; the run directory
``runs/<scenario>-<timestamp>/`` appears only once the run starts and holds
``timeline.json``, ``verdict.json`` (the scenario's expectations plus the end-of-run audit),
``audit.json``, ``run.json`` (status, pipeline, runner, and the store really used: ``embedded``,
``configured`` from CTSIM_S3_*, or ``given`` by the caller), the compiled pipeline YAML with its sha256
and kfp.local's outputs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ctsim.errors import CtsimError, RunnerUnavailable, ScenarioError
from ctsim.pipeline.compile import CompiledPipeline
from ctsim.pipeline.source import PreparedPipeline
from ctsim.runners import LocalRunner, RunnerKind, TaskProcesses
from ctsim.scenario import loader, traffic
from ctsim.scenario.data import open_source
from ctsim.scenario.model import Scenario
from ctsim.sim.audit import Audit, audit_run
from ctsim.sim.engine import Progress, Simulation, World
from ctsim.sim.environment import scoped_environment
from ctsim.sim.files import write_json_atomic
from ctsim.sim.pipelines import prepare_pipeline
from ctsim.store import EmbeddedS3, Layout, ObjectStore, OutageRelay, StoreConfig, safe_name
from ctsim.timeline import Timeline, write_timeline
from ctsim.trust import SigningKey
from ctsim.verdict import ExpectationResult, Verdict, check, contract_results

__all__ = ["RunResult", "fresh_directory", "run_scenario", "store_session"]


@dataclass(frozen=True)
class RunResult:
    scenario: Scenario
    timeline: Timeline
    verdict: Verdict
    run_dir: Path
    pipeline_sha256: str
    store_endpoint: str
    audit: Audit


@contextlib.contextmanager
def store_session() -> Iterator[StoreConfig]:
    """The configured store (CTSIM_S3_ENDPOINT) or an embedded one for the duration of the block."""
    configured = StoreConfig.from_env()
    if configured is not None:
        yield configured
        return
    with EmbeddedS3() as server:
        yield server.config


def run_scenario(
    name_or_path: str,
    runs_dir: Path = Path("runs"),
    runner: RunnerKind = "subprocess",
    progress: Progress | None = None,
    store: StoreConfig | None = None,
    tasks: TaskProcesses | None = None,
) -> RunResult:
    path = loader.resolve(name_or_path)
    scenario = loader.load(str(path))
    source = open_source(scenario, path.parent)  # reads replay files: bad input fails here, before any write
    for line in traffic.enforce(scenario, source, path):  # settings that cannot act at this traffic
        logging.getLogger(__name__).warning("%s", line)
    for loc, message in loader.drift_method_problems(scenario, source.contract.kinds.values()):
        raise ScenarioError(f"{path}: {'.'.join(map(str, loc))}: {message}")
    with tempfile.TemporaryDirectory(prefix="ctsim-pipeline-") as staging:
        # The team's pipeline is imported, compiled and checked before the run directory exists.
        staged = prepare_pipeline(scenario, path, Path(staging) / "pipeline.yaml")
        run_id = f"{safe_name(scenario.name, 'scenario name')}-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
        run_dir = fresh_directory(runs_dir, run_id)
        shutil.copyfile(staged.path, run_dir / "pipeline.yaml")
    pipeline = PreparedPipeline(staged.label, CompiledPipeline(run_dir / "pipeline.yaml", staged.sha256), staged.shape)
    # Read once, here at the edge: inside the run the environment names the run's own relay, not the user's store.
    configured = StoreConfig.from_env() if store is None else None
    origin = "given" if store is not None else "configured" if configured is not None else "embedded"
    try:
        with contextlib.ExitStack() as stack:
            config = store or configured or stack.enter_context(EmbeddedS3()).config
            result = _run(
                scenario, source, path, run_dir, run_id, (config, origin), runner, progress, stack, pipeline, tasks
            )
    except RunnerUnavailable:
        shutil.rmtree(run_dir, ignore_errors=True)  # checked before any task ran: leave no run directory behind
        raise
    except BaseException as exc:
        # Ctrl-C or SIGTERM (KeyboardInterrupt) is "interrupted"; anything else "crashed". Best effort: a full
        # disk must not hide the error that got us here.
        status = "interrupted" if isinstance(exc, KeyboardInterrupt) else "crashed"
        with contextlib.suppress(CtsimError):
            write_json_atomic(run_dir / "run.json", {"status": status, "scenario": scenario.name})
        raise
    return result


def _run(scenario, source, path, run_dir, run_id, store, runner_kind, progress, stack, pipeline, tasks) -> RunResult:
    config, origin = store  # the store and where it came from: embedded, configured (CTSIM_S3_*) or given
    shutil.copyfile(path, run_dir / "scenario.yaml")
    compiled = pipeline.compiled
    (run_dir / "pipeline.sha256").write_text(compiled.sha256 + "\n", encoding="utf-8")
    relay = OutageRelay(config).start()
    stack.callback(relay.stop)
    object_store = ObjectStore(relay.config)
    object_store.ensure_bucket()
    # Components find the store as on a cluster, and the run's signing key (configured, or random for this
    # run) by environment only: never argv, never the bucket or the run directory.
    signing_key = SigningKey.from_env() or SigningKey.generate()
    # kfp.local's task command writes each component's source to `mktemp -d`: one scratch folder per run,
    # removed with it, instead of a directory per task left in /tmp.
    scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="ctsim-tasks-"))
    stack.enter_context(scoped_environment({**relay.config.to_env(), **signing_key.to_env(), "TMPDIR": scratch}))
    runner = LocalRunner(compiled.path, run_dir, runner_kind, tasks)
    stack.callback(runner.close)  # the warm task server ends with the run, however the run ends
    world = World(scenario, source, object_store, relay, Layout(run_id), runner, pipeline, run_dir)
    simulation = Simulation(world, progress)
    timeline = simulation.run()
    audit = audit_run(object_store, world.layout, simulation.writer.produced, len(simulation.writer.buffer), timeline)
    verdict = check(scenario, timeline)
    # Never passed by silence: the pipeline contract's checks and the audit hold whatever the scenario expects.
    verdict = Verdict(
        verdict.results + contract_results(timeline) + (ExpectationResult("audit", audit.ok, audit.summary()),)
    )
    write_timeline(timeline, run_dir / "timeline.json")
    (run_dir / "audit.json").write_text(json.dumps(audit.to_dict(), indent=1), encoding="utf-8")
    (run_dir / "verdict.json").write_text(json.dumps(verdict.to_dict(), indent=1), encoding="utf-8")
    write_json_atomic(
        run_dir / "run.json",
        {
            "status": "passed" if verdict.passed else "failed",
            "scenario": scenario.name,
            "seed": scenario.seed,
            "pipeline_sha256": compiled.sha256,
            "pipeline": pipeline.label,
            "runner": runner_kind,
            "namespace": run_id,
            "task_processes": "warm" if runner.warm is not None else "cold",
            "store": origin,
            "store_endpoint": config.endpoint,
        },
    )
    return RunResult(scenario, timeline, verdict, run_dir, compiled.sha256, config.endpoint, audit)


def fresh_directory(parent: Path, name: str) -> Path:
    """A new directory ``parent/name`` (``name-2``, ``name-3``… if taken, e.g. two suites started in the same
    second); never reuses one, so a run cannot mix with another's files."""
    for attempt in range(1, 101):
        directory = parent / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            directory.mkdir(parents=True, exist_ok=False)
            return directory
        except FileExistsError:
            continue
        except OSError as exc:
            raise CtsimError(f"cannot create {directory}: {exc.strerror or type(exc).__name__}") from None
    raise CtsimError(f"cannot create a fresh {parent / name}: 100 directories of that name exist")
