"""Pipelines a team might bring, right and wrong, for the contract tests. The tests run with this folder as
the working directory, so ``byo_pipelines:<function>`` imports as it would from a team's checkout."""

from kfp import dsl
from kfp.dsl import Model, Output

from ctsim.kfp import (
    collect_data,
    ctsim_component,
    evaluate_model,
    exit_handler,
    raise_alert,
    register_model,
    split_data,
    start_canary,
    validate_data,
)

NOT_A_PIPELINE = 42


@ctsim_component
def passthrough(namespace: str, run_id: str) -> str:
    return run_id


@ctsim_component
def untrained_model(model: Output[Model]):
    from ctsim.kfp import save_model

    save_model({"not": "a model"}, model)


@dsl.pipeline(name="no-run-id")
def lacks_run_id(namespace: str, first_tick: int, last_tick: int):
    collect_data(namespace=namespace, run_id="fixed", first_tick=first_tick, last_tick=last_tick)


@dsl.pipeline(name="needs-a-bucket")
def needs_parameter(namespace: str, run_id: str, first_tick: int, last_tick: int, bucket: str):
    snapshot = collect_data(namespace=namespace, run_id=run_id, first_tick=first_tick, last_tick=last_tick)
    validate_data(namespace=namespace, run_id=run_id, snapshot=snapshot.outputs["snapshot"])
    passthrough(namespace=bucket, run_id=run_id)
    register_model(namespace=namespace, run_id=run_id, model=untrained_model().outputs["model"], candidate=0.5)


@dsl.pipeline(name="never-registers")
def never_registers(namespace: str, run_id: str, first_tick: int, last_tick: int):
    """Runs, writes nothing the simulator can read as a decision: the verdict must not pass by silence."""
    passthrough(namespace=namespace, run_id=run_id)


@dsl.pipeline(name="silent-but-registering-on-paper")
def registers_in_a_branch_never_taken(namespace: str, run_id: str, first_tick: int, last_tick: int):
    """Has a registration step, so it meets the static contract, but never reaches it and reports no gate."""
    marker = passthrough(namespace=namespace, run_id=run_id)
    with dsl.If(marker.output == "never", name="unreachable"):
        snapshot = collect_data(namespace=namespace, run_id=run_id, first_tick=first_tick, last_tick=last_tick)
        split = split_data(namespace=namespace, run_id=run_id, snapshot=snapshot.outputs["snapshot"])
        model = untrained_model()
        evaluation = evaluate_model(
            namespace=namespace, run_id=run_id, model=model.outputs["model"], holdout_set=split.outputs["holdout_set"]
        )
        register_model(
            namespace=namespace, run_id=run_id, model=model.outputs["model"], candidate=evaluation.outputs["candidate"]
        )


@dsl.pipeline(name="wrong-types")
def wrong_types(namespace: str, run_id: str, first_tick: str, last_tick: int, learning_rate: float = 0.1):
    with exit_handler(namespace, run_id):
        raise_alert(namespace=namespace, run_id=run_id, kind="k", message=first_tick)
        start_canary(namespace=namespace, run_id=run_id, version="v")
