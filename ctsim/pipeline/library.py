"""ctsim's component library: the lake, gate, registry, canary and alert steps a team drops into its own
``@dsl.pipeline`` (public as ``ctsim.kfp``). See docs/pipeline-contract.md.

Lightweight Python components that run on kfp.local and on a cluster alike: each body imports
``ctsim.pipeline.tasks`` and calls it; the image needs ctsim installed (``install_kfp_package=False``).
Every component takes ``namespace`` and ``run_id`` (pass the pipeline's own parameters through) and
writes a step record under the run's prefix; those records are how the run reports what it decided:

    collect_data ▶ validate_data ─If passed─▶ split_data ▶ (your features, your training) ▶ evaluate_model
        ─If passed─▶ register_model ▶ start_canary          Else ▶ raise_alert         ExitHandler: finish_run
"""

from types import SimpleNamespace
from typing import NamedTuple

from kfp import dsl, kubernetes
from kfp.dsl import Dataset, Input, Model, Output

# The component image, pinned in one place (see Dockerfile); kfp.local's subprocess runner ignores it.
COMPONENT_IMAGE = "ghcr.io/ctsim/ctsim-component:0.1.0"
# On a cluster the store's keys come from KFP's own artifact-store secret, as they do for KFP's own pods;
# kfp.local ignores platform settings, and the simulator passes the keys through the environment instead.
STORE_SECRET = "mlpipeline-minio-artifact"
STORE_SECRET_KEYS = {"accesskey": "CTSIM_S3_ACCESS_KEY", "secretkey": "CTSIM_S3_SECRET_KEY"}


def ctsim_component(func):
    """A lightweight component on ctsim's image; use it for a team component that imports ctsim."""
    return dsl.component(func, base_image=COMPONENT_IMAGE, install_kfp_package=False)


@ctsim_component
def collect_data(namespace: str, run_id: str, first_tick: int, last_tick: int, snapshot: Output[Dataset]) -> int:
    """The labelled rows of lake ticks [first_tick, last_tick] as one parquet Dataset; returns the row count."""
    from ctsim.pipeline import tasks

    rows = tasks.collect_data(namespace, run_id, first_tick, last_tick, snapshot.path)
    snapshot.metadata.update({"rows": rows, "first_tick": first_tick, "last_tick": last_tick})
    return rows


@ctsim_component
def validate_data(namespace: str, run_id: str, snapshot: Input[Dataset]) -> NamedTuple(
    "DataGate", passed=bool, summary=str
):
    """The data gate (schema, nulls, ranges, duplicates, constant columns, row count) with the scenario's settings."""
    from collections import namedtuple

    from ctsim.pipeline import tasks

    return namedtuple("DataGate", "passed summary")(*tasks.validate_data(namespace, run_id, snapshot.path))


@ctsim_component
def split_data(
    namespace: str, run_id: str, snapshot: Input[Dataset], train_set: Output[Dataset], holdout_set: Output[Dataset]
) -> int:
    """Clean rows, then hold out the freshest share (``training.holdout_share``); returns the training rows."""
    from ctsim.pipeline import tasks

    return tasks.split_data(namespace, run_id, snapshot.path, train_set.path, holdout_set.path)


@ctsim_component
def evaluate_model(namespace: str, run_id: str, model: Input[Model], holdout_set: Input[Dataset]) -> NamedTuple(
    "ModelGate", passed=bool, candidate=float, champion=float, champion_version=str, summary=str
):
    """Score the candidate (saved with ``save_model``) and the champion on the same holdout; the model gate."""
    from collections import namedtuple

    from ctsim.pipeline import tasks

    result = tasks.evaluate_model(namespace, run_id, model, holdout_set.path)
    return namedtuple("ModelGate", "passed candidate champion champion_version summary")(*result)


@ctsim_component
def register_model(namespace: str, run_id: str, model: Input[Model], candidate: float) -> str:
    """Register the candidate's checked bytes as the next registry version; returns the version."""
    from ctsim.pipeline import tasks

    return tasks.register_model(namespace, run_id, model, candidate)


@ctsim_component
def start_canary(namespace: str, run_id: str, version: str) -> str:
    """Hand the version to the deployment: canary, or champion when there is none yet; returns which."""
    from ctsim.pipeline import tasks

    return tasks.start_canary(namespace, run_id, version)


@ctsim_component
def raise_alert(namespace: str, run_id: str, kind: str, message: str):
    """Record an alert in the run's prefix (and POST it to CTSIM_ALERT_WEBHOOK when set)."""
    from ctsim.pipeline import tasks

    tasks.raise_alert(namespace, run_id, kind, message)


@ctsim_component
def finish_run(namespace: str, run_id: str, status: dsl.PipelineTaskFinalStatus):
    """The exit handler: alert when the run did not succeed."""
    from ctsim.pipeline import tasks

    tasks.finish_run(namespace, run_id, status.state, status.error_message or "")


def components_on(image: str) -> SimpleNamespace:
    """The library's components on another image: the team's, when ``evaluate_model`` must unpickle a model whose
    class lives in the team's package (ctsim's image does not have it). Same names, so same step records."""
    return SimpleNamespace(
        **{
            name: dsl.component(component.python_func, base_image=image, install_kfp_package=False)
            for name, component in _COMPONENTS.items()
        }
    )


def with_store_secret(task: dsl.PipelineTask) -> dsl.PipelineTask:
    """On a cluster, the store's keys from KFP's artifact-store secret (kfp.local ignores it)."""
    return kubernetes.use_secret_as_env(task, secret_name=STORE_SECRET, secret_key_to_env=STORE_SECRET_KEYS)


def on_cluster(task: dsl.PipelineTask, cpu: str = "500m", memory: str = "1G") -> dsl.PipelineTask:
    """Requests for the cluster, bounded retries (every step talks to the store) and the store's keys."""
    task.set_cpu_request(cpu).set_memory_request(memory)
    task.set_retry(num_retries=2, backoff_duration="5s", backoff_factor=2.0, backoff_max_duration="60s")
    return with_store_secret(task)


def exit_handler(namespace: str, run_id: str) -> dsl.ExitHandler:
    """``with exit_handler(namespace, run_id):`` around the DAG: alert on any failure of the run."""
    finish = with_store_secret(finish_run(namespace=namespace, run_id=run_id))
    finish.set_cpu_request("100m").set_memory_request("256M")
    return dsl.ExitHandler(finish, name="alert-on-failure")


_COMPONENTS = {
    "collect_data": collect_data,
    "validate_data": validate_data,
    "split_data": split_data,
    "evaluate_model": evaluate_model,
    "register_model": register_model,
    "start_canary": start_canary,
    "raise_alert": raise_alert,
    "finish_run": finish_run,
}

__all__ = [
    "COMPONENT_IMAGE",
    "collect_data",
    "components_on",
    "ctsim_component",
    "evaluate_model",
    "exit_handler",
    "finish_run",
    "on_cluster",
    "raise_alert",
    "register_model",
    "split_data",
    "start_canary",
    "validate_data",
    "with_store_secret",
]
