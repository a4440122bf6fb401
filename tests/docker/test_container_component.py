"""The example team's container component (its own image, FROM the component image) on kfp.local's Docker runner:
it reads the lake through the store variables, records its step, and a deliberate failure fails the run."""

import importlib
import json
import sys
from pathlib import Path

import pytest
from kfp import compiler, dsl

from ctsim.runners import LocalRunner
from ctsim.sim.environment import scoped_environment

pytestmark = [pytest.mark.docker, pytest.mark.store, pytest.mark.usefixtures("docker_ready")]

PROJECT = Path(__file__).resolve().parents[2] / "examples" / "team-pipeline"


def _container_step():
    """The team's module, imported as from the team's checkout (its package on the path)."""
    if str(PROJECT) not in sys.path:
        sys.path.insert(0, str(PROJECT))
    return importlib.import_module("team_pipeline.container_step")


step = _container_step()


@dsl.pipeline
def window_summary(namespace: str, run_id: str, first_tick: int, last_tick: int, fail: bool):
    step.summarize_window(namespace=namespace, run_id=run_id, first_tick=first_tick, last_tick=last_tick, fail=fail)


@pytest.fixture
def runner(tmp_path) -> LocalRunner:
    path = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(window_summary, str(path))
    return LocalRunner(path, tmp_path / "run", "docker")


def _arguments(layout, run_id, fail=False):
    return {"namespace": layout.namespace, "run_id": run_id, "first_tick": 1, "last_tick": 3, "fail": fail}


def test_the_team_image_counts_the_window_and_records_its_step(
    runner, embedded_s3, object_store, store_layout, tmp_path
):
    for tick in range(6):
        for part in range(2 if tick == 2 else 1):
            object_store.put(store_layout.lake_batch("production", tick, part), b"batch")
    with scoped_environment(embedded_s3.config.to_env()):
        outcome = runner.run("r1", _arguments(store_layout, "r1"))
    assert outcome.succeeded, outcome.error
    record = json.loads(object_store.get(store_layout.step_record("r1", "summarize-window")).data)
    assert (record["batches"], record["ticks"]) == (4, 3)  # ticks 1..3, tick 2 in two parts
    summary = json.loads((tmp_path / "run" / "docker.json").read_text())
    assert set(summary["images"]) == {step.TEAM_IMAGE} and summary["containers"] == 1


def test_a_deliberately_failing_container_task_fails_its_run_and_records_nothing(
    runner, embedded_s3, object_store, store_layout
):
    with scoped_environment(embedded_s3.config.to_env()):
        outcome = runner.run("r1", _arguments(store_layout, "r1", fail=True))
    assert not outcome.succeeded
    assert object_store.list(store_layout.run("r1")) == []
