"""ctsim's reference pipeline: one user of the pipeline contract, built from the component library.

Its own components are the reference preprocessing, feature engineering and training (a scikit-learn
model, or the scenario's ``training.estimator``); everything that touches the lake, the gates, the
registry and the canary comes from ``ctsim.pipeline.library`` (public as ``ctsim.kfp``), as in a team's.

    collect ▶ validate ─If ok─▶ preprocess ▶ features ▶ train ▶ evaluate ─If gate passes─▶ register ▶ start canary
                        └else─▶ alert                                   └else──────────▶ alert
    (ExitHandler: alert on any failure; set_retry on every step, since all touch the store)
"""

from kfp import dsl
from kfp.dsl import Dataset, Input, Model, Output

from ctsim.pipeline.library import (
    COMPONENT_IMAGE,
    collect_data,
    ctsim_component,
    evaluate_model,
    exit_handler,
    on_cluster,
    raise_alert,
    register_model,
    start_canary,
    validate_data,
    with_store_secret,
)

PIPELINE_NAME = "ctsim-continuous-training"


@ctsim_component
def preprocess(
    namespace: str, run_id: str, snapshot: Input[Dataset], train_set: Output[Dataset], holdout_set: Output[Dataset]
) -> int:
    from ctsim.pipeline import tasks

    return tasks.split_data(namespace, run_id, snapshot.path, train_set.path, holdout_set.path, step="preprocess")


@ctsim_component
def engineer_features(namespace: str, run_id: str, train_set: Input[Dataset], features: Output[Dataset]) -> int:
    from ctsim.pipeline import tasks

    return len(tasks.engineer_features(namespace, run_id, train_set.path, features.path))


@ctsim_component
def train_model(namespace: str, run_id: str, features: Input[Dataset], model: Output[Model]) -> str:
    from ctsim.pipeline import tasks

    return tasks.train_model(namespace, run_id, features.path, model)


@dsl.pipeline(
    name=PIPELINE_NAME,
    description="ctsim continuous training: collect, validate, preprocess, "
    "engineer features, train, evaluate, gate, register, canary.",
)
def continuous_training(namespace: str, run_id: str, first_tick: int, last_tick: int):
    common = {"namespace": namespace, "run_id": run_id}
    with exit_handler(namespace, run_id):
        collect = on_cluster(collect_data(**common, first_tick=first_tick, last_tick=last_tick))
        validate = on_cluster(validate_data(**common, snapshot=collect.outputs["snapshot"]))
        with dsl.If(validate.outputs["passed"] == True, name="data-gate-passed"):  # noqa: E712 (KFP condition)
            prepared = on_cluster(preprocess(**common, snapshot=collect.outputs["snapshot"]))
            features = on_cluster(engineer_features(**common, train_set=prepared.outputs["train_set"]))
            trained = on_cluster(train_model(**common, features=features.outputs["features"]), cpu="1", memory="2G")
            evaluation = on_cluster(
                evaluate_model(**common, model=trained.outputs["model"], holdout_set=prepared.outputs["holdout_set"])
            )
            with dsl.If(evaluation.outputs["passed"] == True, name="model-gate-passed"):  # noqa: E712
                registered = on_cluster(
                    register_model(**common, model=trained.outputs["model"], candidate=evaluation.outputs["candidate"])
                )
                on_cluster(start_canary(**common, version=registered.output))
            with dsl.Else(name="model-gate-blocked"):
                on_cluster(raise_alert(**common, kind="model-gate-blocked", message=evaluation.outputs["summary"]))
        with dsl.Else(name="data-gate-blocked"):
            on_cluster(raise_alert(**common, kind="data-gate-blocked", message=validate.outputs["summary"]))


__all__ = ["COMPONENT_IMAGE", "PIPELINE_NAME", "continuous_training", "with_store_secret"]
