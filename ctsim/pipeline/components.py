"""The KFP components and the one ``@dsl.pipeline``: the definition of the DAG.

Component bodies only import ``ctsim.pipeline.tasks`` and call it: the
component image has ctsim installed (``install_kfp_package=False`` holds
locally and on the cluster), and the store is found through environment
variables.

    collect ▶ validate ─If ok─▶ preprocess ▶ features ▶ train ▶ evaluate ─If gate passes─▶ register ▶ start canary
                        └else─▶ alert                                   └else──────────▶ alert
    (ExitHandler: alert on any failure; set_retry on every step, since all touch the store)
"""


from typing import NamedTuple

from kfp import dsl, kubernetes
from kfp.dsl import Dataset, Input, Model, Output

# The component image, pinned in one place (see Dockerfile); kfp.local's subprocess runner ignores it.
COMPONENT_IMAGE = "ghcr.io/ctsim/ctsim-component:0.1.0"
PIPELINE_NAME = "ctsim-continuous-training"
# On a cluster the store's keys come from KFP's own artifact-store secret, as they do for KFP's own pods;
# kfp.local ignores platform settings, and the simulator passes the keys through the environment instead.
STORE_SECRET = "mlpipeline-minio-artifact"
STORE_SECRET_KEYS = {"accesskey": "CTSIM_S3_ACCESS_KEY", "secretkey": "CTSIM_S3_SECRET_KEY"}


def _component(func):
    return dsl.component(func, base_image=COMPONENT_IMAGE, install_kfp_package=False)


@_component
def collect_data(namespace: str, run_id: str, first_tick: int, last_tick: int, as_of_tick: int,
                 snapshot: Output[Dataset]) -> int:
    from ctsim.pipeline import tasks
    rows = tasks.collect_data(namespace, run_id, first_tick, last_tick, as_of_tick, snapshot.path)
    snapshot.metadata.update({"rows": rows, "first_tick": first_tick, "last_tick": last_tick})
    return rows


@_component
def validate_data(namespace: str, run_id: str, snapshot: Input[Dataset], contract_json: str,
                  gate_json: str) -> NamedTuple("DataGate", passed=bool, summary=str):
    from collections import namedtuple
    from ctsim.pipeline import tasks
    return namedtuple("DataGate", "passed summary")(*tasks.validate_data(namespace, run_id, snapshot.path, contract_json, gate_json))


@_component
def preprocess(namespace: str, run_id: str, snapshot: Input[Dataset], contract_json: str, training_json: str,
               train_set: Output[Dataset], holdout_set: Output[Dataset]) -> int:
    from ctsim.pipeline import tasks
    return tasks.preprocess(namespace, run_id, snapshot.path, contract_json, training_json, train_set.path, holdout_set.path)


@_component
def engineer_features(namespace: str, run_id: str, train_set: Input[Dataset], contract_json: str,
                      features: Output[Dataset]) -> int:
    from ctsim.pipeline import tasks
    return len(tasks.engineer_features(namespace, run_id, train_set.path, contract_json, features.path))


@_component
def train_model(namespace: str, run_id: str, features: Input[Dataset], contract_json: str, training_json: str,
                seed: int, through_tick: int, sabotage: bool, model: Output[Model]) -> str:
    from ctsim.pipeline import tasks
    return tasks.train_model(namespace, run_id, features.path, contract_json, training_json, seed, through_tick,
                             sabotage, model.path)


@_component
def evaluate_model(namespace: str, run_id: str, model: Input[Model], holdout_set: Input[Dataset], contract_json: str,
                   gate_json: str) -> NamedTuple("ModelGate", passed=bool, candidate=float, champion=float,
                                                 champion_version=str, summary=str):
    from collections import namedtuple
    from ctsim.pipeline import tasks
    result = tasks.evaluate_model(namespace, run_id, model.path, holdout_set.path, contract_json, gate_json)
    return namedtuple("ModelGate", "passed candidate champion champion_version summary")(*result)


@_component
def register_model(namespace: str, run_id: str, model: Input[Model], metric: str, candidate: float,
                   pipeline_sha256: str, first_tick: int, last_tick: int, as_of_tick: int) -> str:
    from ctsim.pipeline import tasks
    return tasks.register_model(namespace, run_id, model.path, metric, candidate, pipeline_sha256, first_tick,
                                last_tick, as_of_tick)


@_component
def start_canary(namespace: str, run_id: str, version: str, tick: int) -> str:
    from ctsim.pipeline import tasks
    return tasks.start_canary(namespace, run_id, version, tick)


@_component
def raise_alert(namespace: str, run_id: str, kind: str, message: str):
    from ctsim.pipeline import tasks
    tasks.raise_alert(namespace, run_id, kind, message)


@_component
def finish_run(namespace: str, run_id: str, status: dsl.PipelineTaskFinalStatus):
    from ctsim.pipeline import tasks
    tasks.finish_run(namespace, run_id, status.state, status.error_message or "")


def _on_cluster(task: dsl.PipelineTask, cpu: str = "500m", memory: str = "1G") -> dsl.PipelineTask:
    """Requests for the cluster and bounded retries: every step talks to the object store."""
    task.set_cpu_request(cpu).set_memory_request(memory)
    task.set_retry(num_retries=2, backoff_duration="5s", backoff_factor=2.0, backoff_max_duration="60s")
    return with_store_secret(task)


def with_store_secret(task: dsl.PipelineTask) -> dsl.PipelineTask:
    return kubernetes.use_secret_as_env(task, secret_name=STORE_SECRET, secret_key_to_env=STORE_SECRET_KEYS)


@dsl.pipeline(name=PIPELINE_NAME, description="ctsim continuous training: collect, validate, preprocess, "
              "engineer features, train, evaluate, gate, register, canary.")
def continuous_training(namespace: str, run_id: str, first_tick: int, last_tick: int, as_of_tick: int,
                        contract_json: str, data_gate_json: str, model_gate_json: str, training_json: str,
                        metric: str = "accuracy", seed: int = 0, sabotage: bool = False,
                        pipeline_sha256: str = ""):
    common = {"namespace": namespace, "run_id": run_id}
    on_exit = with_store_secret(finish_run(**common).set_cpu_request("100m").set_memory_request("256M"))
    with dsl.ExitHandler(on_exit, name="alert-on-failure"):
        collect = _on_cluster(collect_data(**common, first_tick=first_tick, last_tick=last_tick, as_of_tick=as_of_tick))
        validate = _on_cluster(validate_data(**common, snapshot=collect.outputs["snapshot"],
                                             contract_json=contract_json, gate_json=data_gate_json))
        with dsl.If(validate.outputs["passed"] == True, name="data-gate-passed"):  # noqa: E712 (KFP condition)
            prepared = _on_cluster(preprocess(**common, snapshot=collect.outputs["snapshot"],
                                              contract_json=contract_json, training_json=training_json))
            features = _on_cluster(engineer_features(**common, train_set=prepared.outputs["train_set"],
                                                     contract_json=contract_json))
            trained = _on_cluster(train_model(**common, features=features.outputs["features"],
                                              contract_json=contract_json, training_json=training_json, seed=seed,
                                              through_tick=as_of_tick, sabotage=sabotage), cpu="1", memory="2G")
            evaluation = _on_cluster(evaluate_model(**common, model=trained.outputs["model"],
                                                    holdout_set=prepared.outputs["holdout_set"],
                                                    contract_json=contract_json, gate_json=model_gate_json))
            with dsl.If(evaluation.outputs["passed"] == True, name="model-gate-passed"):  # noqa: E712
                registered = _on_cluster(register_model(**common, model=trained.outputs["model"], metric=metric,
                                                        candidate=evaluation.outputs["candidate"],
                                                        pipeline_sha256=pipeline_sha256, first_tick=first_tick,
                                                        last_tick=last_tick, as_of_tick=as_of_tick))
                _on_cluster(start_canary(**common, version=registered.output, tick=as_of_tick))
            with dsl.Else(name="model-gate-blocked"):
                _on_cluster(raise_alert(**common, kind="model-gate-blocked", message=evaluation.outputs["summary"]))
        with dsl.Else(name="data-gate-blocked"):
            _on_cluster(raise_alert(**common, kind="data-gate-blocked", message=validate.outputs["summary"]))
