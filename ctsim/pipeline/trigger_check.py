"""The trigger-check pipeline: on a cluster, what launches every training run.

One component, on the same component image as the training pipeline. Once per tick it reads the lake
and the registry from the object store, applies ctsim's own trigger functions, and when one fires
(or ``force`` is set: the schedule trigger's recurring run, or ``promote --run-once``) it writes the
run's ``settings.json`` to the store and launches the training pipeline version promoted with it
(through the in-cluster KFP API). The work itself lives in ``ctsim.promote.trigger_job``.
"""

from pathlib import Path

from kfp import dsl

from ctsim.pipeline.compile import CompiledPipeline, compile_function
from ctsim.pipeline.library import COMPONENT_IMAGE, with_store_secret

TRIGGER_CHECK_NAME = "ctsim-trigger-check"


@dsl.component(base_image=COMPONENT_IMAGE, install_kfp_package=False)
def check_triggers(
    namespace: str,
    triggers_json: str,
    launch_json: str,
    pipeline_name: str,
    version_name: str,
    experiment_name: str,
    kfp_host: str,
    force: bool,
) -> str:
    from ctsim.promote import trigger_job

    return trigger_job.check_and_launch(
        namespace, triggers_json, launch_json, pipeline_name, version_name, experiment_name, kfp_host, force
    )


@dsl.pipeline(
    name=TRIGGER_CHECK_NAME,
    description="ctsim trigger check: schedule, volume, performance and drift "
    "triggers; writes the run's settings and launches the promoted training pipeline when one fires.",
)
def trigger_check(
    namespace: str,
    triggers_json: str,
    launch_json: str,
    pipeline_name: str,
    version_name: str,
    experiment_name: str,
    kfp_host: str,
    force: bool = False,
):
    task = check_triggers(
        namespace=namespace,
        triggers_json=triggers_json,
        launch_json=launch_json,
        pipeline_name=pipeline_name,
        version_name=version_name,
        experiment_name=experiment_name,
        kfp_host=kfp_host,
        force=force,
    )
    task.set_cpu_request("500m").set_memory_request("1G")
    task.set_caching_options(False)  # every tick must look at the lake afresh
    task.set_retry(num_retries=2, backoff_duration="5s", backoff_factor=2.0, backoff_max_duration="60s")
    with_store_secret(task)


def compile_trigger_check(output: Path) -> CompiledPipeline:
    """Write the trigger-check IR YAML to ``output``; the same code gives the same bytes."""
    return compile_function(trigger_check, output, "the trigger-check pipeline")
