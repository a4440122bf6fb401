"""The team's pipeline: the one definition of its DAG, replayed by ctsim and promoted unchanged.

collect ▶ validate ─If ok─▶ split ▶ train (ours) ▶ evaluate ─If gate passes─▶ register ▶ start canary
                    └else─▶ alert                          └else──────────▶ alert
(exit handler: alert on any failure)
"""

from kfp import dsl

from ctsim.kfp import (
    collect_data,
    components_on,
    exit_handler,
    on_cluster,
    raise_alert,
    register_model,
    split_data,
    start_canary,
    validate_data,
)
from team_pipeline.components import train_model
from team_pipeline.image import TEAM_IMAGE

# evaluate_model unpickles our model (and the champion), whose classes live in this package: run it on our image.
ON_TEAM_IMAGE = components_on(TEAM_IMAGE)


def gated_retraining(
    ids: dict, collect: dsl.PipelineTask, validate: dsl.PipelineTask, task: str, learning_rate: float, max_iter: int
) -> None:
    """Everything after the data gate, shared by both of our pipelines: train ours, gate, register, canary."""
    with dsl.If(validate.outputs["passed"] == True, name="data-ok"):  # noqa: E712 (a KFP condition)
        split = on_cluster(split_data(**ids, snapshot=collect.outputs["snapshot"]))
        trained = on_cluster(
            train_model(
                **ids, train_set=split.outputs["train_set"], task=task, learning_rate=learning_rate, max_iter=max_iter
            ),
            cpu="1",
            memory="2G",
        )
        evaluation = on_cluster(
            ON_TEAM_IMAGE.evaluate_model(
                **ids, model=trained.outputs["model"], holdout_set=split.outputs["holdout_set"]
            )
        )
        with dsl.If(evaluation.outputs["passed"] == True, name="model-ok"):  # noqa: E712
            registered = on_cluster(
                register_model(**ids, model=trained.outputs["model"], candidate=evaluation.outputs["candidate"])
            )
            on_cluster(start_canary(**ids, version=registered.output))
        with dsl.Else(name="model-blocked"):
            on_cluster(raise_alert(**ids, kind="model-gate-blocked", message=evaluation.outputs["summary"]))
    with dsl.Else(name="data-blocked"):
        on_cluster(raise_alert(**ids, kind="data-gate-blocked", message=validate.outputs["summary"]))


@dsl.pipeline(name="team-continuous-training", description="The team's retraining: gradient boosting on the lake.")
def training(
    namespace: str,
    run_id: str,
    first_tick: int,
    last_tick: int,
    task: str = "regression",
    learning_rate: float = 0.1,
    max_iter: int = 100,
):
    ids = {"namespace": namespace, "run_id": run_id}
    with exit_handler(namespace, run_id):
        collect = on_cluster(collect_data(**ids, first_tick=first_tick, last_tick=last_tick))
        validate = on_cluster(validate_data(**ids, snapshot=collect.outputs["snapshot"]))
        gated_retraining(ids, collect, validate, task, learning_rate, max_iter)
