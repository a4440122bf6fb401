"""What the trigger-check component does on a cluster, once per tick.

It looks at the same things the simulator's triggers look at, read from the
object store instead of the simulation's memory, and calls the same pure
trigger functions (``ctsim.triggers``):

* volume: labelled rows that arrived since the last training run;
* performance: the champion's metric on the labelled rows of the last
  ``window_ticks`` ticks, against the metric it was registered with;
* drift: the last ``window_ticks`` ticks of production rows against the
  ``window_ticks`` ticks that ended at the last training run.

When one fires (and the cooldown allows: ``plan_launch``, the simulator's policy from
``ctsim.triggers.policy``), or when ``force`` is set (the schedule
trigger's recurring run, ``promote --run-once``), it writes the run's
``settings.json`` (the promoted scenario's contract, gates and training settings
with this run's window), launches the promoted training pipeline version through
the KFP API with the parameters the pipeline contract names, and records the
tick in its state object, ``v2/artifacts/<namespace>/trigger-check/state.json``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ctsim import lake
from ctsim.contract import TICK, DataContract
from ctsim.errors import ClusterError, StoreError
from ctsim.reasons import Reason, TriggerDecision
from ctsim.settings import TrainingSettings, TriggerSettings
from ctsim.store import Layout, ObjectStore, StoreConfig, tick_of_key
from ctsim.triggers import (
    Arbitration,
    LiveScore,
    TrainingWindow,
    TriggerState,
    arbitrate,
    drift_decision,
    performance_decision,
    state_from_dict,
    state_to_dict,
    training_window,
    volume_decision,
)


@dataclass(frozen=True)
class Observations:
    latest_tick: int
    new_labelled_rows: int = 0
    live: tuple[LiveScore, ...] = ()  # the current champion rescored on each tick of the window
    metric: str = "accuracy"
    reference_metric: float | None = None
    drift_reference: pd.DataFrame | None = None
    drift_current: pd.DataFrame | None = None


def state_key(namespace: str) -> str:
    return f"v2/artifacts/{Layout(namespace).namespace}/trigger-check/state.json"


def decide(triggers: TriggerSettings, obs: Observations, contract: DataContract) -> list[TriggerDecision]:
    """The volume, performance and drift decisions for this tick. Pure."""
    decisions = []
    if triggers.volume is not None:
        decisions.append(volume_decision(triggers.volume, obs.new_labelled_rows))
    if triggers.performance is not None:
        decisions.append(
            performance_decision(triggers.performance, list(obs.live), obs.reference_metric, metric=obs.metric)
        )
    if (
        triggers.drift is not None
        and obs.drift_reference is not None
        and obs.drift_current is not None
        and len(obs.drift_reference)
        and len(obs.drift_current)
    ):
        decisions.append(drift_decision(triggers.drift, obs.drift_reference, obs.drift_current, contract.kinds))
    return decisions


def plan_launch(
    decisions: list[TriggerDecision],
    state: TriggerState,
    latest_tick: int,
    cooldown_ticks: int,
    training: TrainingSettings,
    trained_through: int | None,
    label_delay_ticks: int,
    force: bool = False,
) -> tuple[Arbitration, TrainingWindow | None]:
    """Whether to launch at ``latest_tick`` and with which window: the simulator's policy (``ctsim.triggers.policy``).

    The cluster has no simulated canary to wait for, so nothing is busy. ``force`` (the schedule trigger's
    recurring run, ``promote --run-once``) launches without consulting the cooldown: the scheduler already chose
    the moment. This is the one place the cluster departs from the simulator, where a schedule trigger inside
    the cooldown is held. Pure.
    """
    if force:
        arbitration = Arbitration(True, "schedule", Reason("the schedule trigger's recurring run", "forced", "", True))
    else:
        arbitration = arbitrate(decisions, latest_tick, state, cooldown_ticks, busy=False)
    if not arbitration.fire:
        return arbitration, None
    return arbitration, training_window(training, max(latest_tick, 0), trained_through, label_delay_ticks)


def check_and_launch(
    namespace: str,
    triggers_json: str,
    launch_json: str,
    pipeline_name: str,
    version_name: str,
    experiment_name: str,
    kfp_host: str,
    force: bool = False,
) -> str:
    """One tick of the trigger check; returns a one-line summary (also the component's output).

    ``launch_json`` is ``{"parameters": {...}, "declared": [...], "settings": {...}}``: the run's fixed
    parameters, the window parameters the pipeline declares, and its settings without the window.
    """
    from ctsim.pipeline.runsettings import RunSettings, write_run_settings

    config = StoreConfig.from_env()
    if config is None:
        raise StoreError("CTSIM_S3_ENDPOINT is not set: the trigger check cannot find the object store")
    store, layout = ObjectStore(config), Layout(namespace)
    triggers = TriggerSettings.model_validate_json(triggers_json)
    launch = json.loads(launch_json)
    template = launch["settings"]
    contract = DataContract.from_dict(template["contract"])
    state = _read_state(store, namespace)
    obs = observe(store, layout, triggers, contract, state, template["model_gate"].get("metric", "accuracy"))
    decisions = decide(triggers, obs, contract)
    fired = [d.trigger for d in decisions if d.fired] or (["schedule"] if force else [])
    arbitration, planned = plan_launch(
        decisions,
        state,
        obs.latest_tick,
        triggers.cooldown_ticks,
        TrainingSettings.model_validate(template["training"]),
        _trained_through(store, layout),
        int(launch.get("label_delay_ticks", 1)),
        force,
    )
    if planned is None:
        return f"tick {obs.latest_tick}: no launch (fired: {', '.join(fired) or 'none'}; {arbitration.reason})"
    latest = planned.last_tick
    run_id = f"trigger-{latest:05d}-{fired[0]}-{uuid.uuid4().hex[:8]}"  # a forced check may launch twice a tick
    window = {"first_tick": planned.first_tick, "last_tick": planned.last_tick, "as_of_tick": planned.as_of_tick}
    write_run_settings(store, layout, run_id, RunSettings.model_validate({**template, **window}))
    params = {
        **launch["parameters"],
        "run_id": run_id,
        **{name: value for name, value in window.items() if name in launch["declared"]},
    }
    launch_run(kfp_host, pipeline_name, version_name, experiment_name, run_id, params)
    store.put(
        state_key(namespace),
        json.dumps(state_to_dict(state.after_run(latest))).encode(),
        content_type="application/json",
    )
    return f"tick {obs.latest_tick}: launched {run_id} (fired: {', '.join(fired)})"


def observe(
    store: ObjectStore,
    layout: Layout,
    triggers: TriggerSettings,
    contract: DataContract,
    state: TriggerState,
    metric: str,
) -> Observations:
    """Read from the lake and the registry what ``decide`` needs."""
    ticks = [t for key in store.list(layout.lake_source("production")) if (t := tick_of_key(key)) is not None]
    latest = max(ticks, default=-1)
    last_run = -1 if state.last_run_tick is None else state.last_run_tick
    since = last_run + 1
    labelled = _labelled(store, layout, since, latest) if triggers.volume is not None else pd.DataFrame()
    obs: dict[str, Any] = {"latest_tick": latest, "new_labelled_rows": len(labelled)}
    if triggers.performance is not None:
        obs.update(_performance(store, layout, triggers, contract, latest, metric))
    if triggers.drift is not None and last_run >= 0:
        width = triggers.drift.window_ticks
        end = last_run
        obs["drift_reference"] = lake.read_window(store, layout, "production", max(0, end - width + 1), end)
        obs["drift_current"] = lake.read_window(store, layout, "production", max(0, latest - width + 1), latest)
    return Observations(**obs)


def _labelled(store: ObjectStore, layout: Layout, first: int, last: int) -> pd.DataFrame:
    if last < first:
        return pd.DataFrame()
    return lake.labelled_rows(
        lake.read_window(store, layout, "production", first, last),
        lake.read_window(store, layout, "feedback", first, last),
        lake.read_window(store, layout, "external", first, last),
    )


def _performance(store, layout, triggers, contract, latest, metric) -> dict[str, Any]:
    from ctsim.registry import Registry
    from ctsim.steps.training import score

    registry = Registry(store, layout)
    champion = registry.alias("champion")
    if champion is None:
        return {}
    model = registry.load(champion.version)
    rows = _labelled(store, layout, max(0, latest - triggers.performance.window_ticks + 1), latest)
    by_tick = [rows[rows[TICK] == tick] for tick in sorted(rows[TICK].unique())] if len(rows) else []
    live = tuple(
        LiveScore(len(part), score(model, part, contract.label, metric, contract.task, contract.labels))
        for part in by_tick
    )
    return {"live": live, "reference_metric": registry.record(champion.version).score, "metric": metric}


def _read_state(store: ObjectStore, namespace: str) -> TriggerState:
    stored = store.get_or_none(state_key(namespace))
    return state_from_dict(json.loads(stored.data)) if stored is not None else TriggerState()


def _trained_through(store: ObjectStore, layout: Layout) -> int | None:
    """The tick the champion's training data is as of (None: no champion), as the simulator reads it."""
    from ctsim.registry import Registry

    registry = Registry(store, layout)
    champion = registry.alias("champion")
    if champion is None:
        return None
    return registry.record(champion.version).data_snapshot.get("as_of_tick")


def launch_run(
    host: str, pipeline_name: str, version_name: str, experiment_name: str, run_id: str, params: dict[str, Any]
) -> str:
    """Start one run of the named pipeline version; returns the KFP run id."""
    from ctsim.promote.deploy import connect, find_version, translated

    client = connect(host)
    with translated(host):  # every call within one total deadline
        pipeline_id = client.get_pipeline_id(pipeline_name)
        version_id = find_version(client, pipeline_id, version_name) if pipeline_id else None
        if version_id is None:
            raise ClusterError(f"pipeline {pipeline_name} version {version_name} is not on {host}; promote it first")
        experiment = client.create_experiment(experiment_name)
        run = client.run_pipeline(
            experiment.experiment_id, run_id, pipeline_id=pipeline_id, version_id=version_id, params=params
        )
    return run.run_id
