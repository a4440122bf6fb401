"""A container component: the team's own image (examples/team-pipeline/Dockerfile), not a Python function.

kfp.local's subprocess runner refuses container components; run scenarios that use it with ``--runner docker``.
Wire it into a pipeline like any component, e.g. after collecting data:

    summary = summarize_window(namespace=namespace, run_id=run_id, first_tick=first_tick, last_tick=last_tick)
"""

from kfp import dsl

from team_pipeline.image import TEAM_IMAGE


@dsl.container_component
def summarize_window(
    namespace: str, run_id: str, first_tick: int, last_tick: int, fail: bool = False, fail_before_tick: int = -1
):
    """Counts the window's lake batches and records them as the step 'summarize-window' (fail=True, or a window
    ending before ``fail_before_tick``, exits 3)."""
    return dsl.ContainerSpec(
        image=TEAM_IMAGE,
        command=["python3", "/opt/team/summarize_window.py"],
        args=[
            "--namespace",
            namespace,
            "--run-id",
            run_id,
            "--first-tick",
            first_tick,
            "--last-tick",
            last_tick,
            "--fail",
            fail,
            "--fail-before-tick",
            fail_before_tick,
        ],
    )
