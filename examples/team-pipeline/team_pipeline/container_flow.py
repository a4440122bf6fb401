"""The team's pipeline with a container step of its own image: run it with ``--runner docker``.

collect ▶ summarize (team image) ▶ validate ─If ok─▶ split ▶ train ▶ evaluate ─If─▶ register ▶ canary
"""

from kfp import dsl

from ctsim.kfp import collect_data, exit_handler, on_cluster, validate_data
from team_pipeline.container_step import summarize_window
from team_pipeline.flow import gated_retraining


@dsl.pipeline(
    name="team-continuous-training-containers",
    description="The team's retraining with a container step of its own image.",
)
def training_in_containers(
    namespace: str,
    run_id: str,
    first_tick: int,
    last_tick: int,
    task: str = "binary",
    learning_rate: float = 0.1,
    max_iter: int = 60,
    fail_before_tick: int = -1,
):
    ids = {"namespace": namespace, "run_id": run_id}
    with exit_handler(namespace, run_id):
        collect = on_cluster(collect_data(**ids, first_tick=first_tick, last_tick=last_tick))
        summary = summarize_window(**ids, first_tick=first_tick, last_tick=last_tick, fail_before_tick=fail_before_tick)
        validate = on_cluster(validate_data(**ids, snapshot=collect.outputs["snapshot"])).after(summary)
        gated_retraining(ids, collect, validate, task, learning_rate, max_iter)
