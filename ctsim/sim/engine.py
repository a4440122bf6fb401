"""The clock and the tick loop: data lands, traffic is served, labels arrive, triggers look,
the pipeline runs, the canary moves. Every notable thing goes on the timeline."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd

from ctsim import lake
from ctsim.drift.reference import TickSketches, needs_raw_reference
from ctsim.errors import StoreUnavailable
from ctsim.pipeline.runsettings import RunSettings
from ctsim.pipeline.source import PreparedPipeline
from ctsim.reasons import Reason
from ctsim.registry import ModelRecord, Registry
from ctsim.runners import LocalRunner
from ctsim.scenario.data import DataSource
from ctsim.scenario.model import (
    BadModelEvent,
    DriftEvent,
    FaultEvent,
    OutageEvent,
    Scenario,
)
from ctsim.serving import Deployment, LiveMetrics
from ctsim.sim.faults import FaultPlan
from ctsim.sim.follow import TaskFollower
from ctsim.sim.lakewriter import LakeWriter
from ctsim.sim.launch import RunReport, launch, pipeline_arguments
from ctsim.store import Layout, ObjectStore, OutageRelay
from ctsim.timeline import (
    Alert,
    CanaryAnalysis,
    CanaryStarted,
    CanaryStepped,
    DriftOnset,
    FaultInjected,
    FirstChampion,
    GateBlocked,
    GatePassed,
    LakeBackfill,
    OutageBegan,
    OutageEnded,
    PipelineRun,
    PromotionFailed,
    Registered,
    RolledBack,
    RolledOut,
    ScriptedEvent,
    StaleAliasWrite,
    TickRecord,
    Timeline,
    TriggerFired,
    TriggerHeld,
)
from ctsim.triggers import (
    Arbitration,
    LiveScore,
    TrainingWindow,
    TriggerState,
    arbitrate,
    drift_decision,
    drift_decision_from_sketches,
    live_reference,
    performance_decision,
    schedule_decision,
    training_window,
    volume_decision,
)

Progress = Callable[[str, dict], None]
# A canary decision that ends the canary, as its event (a failed promotion is not a rollback: the canary passed).
_CANARY_OUTCOMES: dict[str, type[CanaryAnalysis]] = {
    "rollout": RolledOut,
    "rollback": RolledBack,
    "promotion-failed": PromotionFailed,
}


@dataclass
class World:
    """Everything one run touches, built by ``ctsim.sim.run`` and handed to the loop."""

    scenario: Scenario
    source: DataSource
    store: ObjectStore
    relay: OutageRelay
    layout: Layout
    runner: LocalRunner
    pipeline: PreparedPipeline
    run_dir: Path


@dataclass
class LoopState:
    triggers: TriggerState = field(default_factory=TriggerState)
    labelled_since_run: int = 0
    retry_pending: bool = False
    runs: int = 0
    live: list[LiveScore] = field(default_factory=list)
    recent: deque = field(default_factory=lambda: deque(maxlen=1))
    # The drift reference: the champion's window as merged sketches, or raw rows when the exact test needs them.
    reference: pd.DataFrame | dict | None = None
    reference_version: str | None = None
    sketches: TickSketches = field(default_factory=lambda: TickSketches({}))  # the run's kinds: Simulation


class Simulation:
    def __init__(self, world: World, progress: Progress | None = None):
        self.world = world
        self.scenario = world.scenario
        self.registry = Registry(world.store, world.layout)
        contract = world.source.contract
        self.deployment = Deployment(
            self.registry,
            self.scenario.canary,
            self.scenario.gates.model.metric,
            self.scenario.seed,
            task=contract.task,
            classes=contract.labels,
        )
        self.writer = LakeWriter(world.store, world.layout)
        self.timeline = Timeline(self.scenario.name, self.scenario.seed, self.scenario.gates.model.metric)
        self.state = LoopState()
        drift = self.scenario.triggers.drift
        self.state.recent = deque(maxlen=drift.window_ticks if drift else 1)
        self.state.sketches = TickSketches(world.source.contract.kinds)
        self.progress = progress or (lambda kind, data: None)
        self.timeline.listener = lambda event: self.progress(
            "event", {"tick": event.tick, "kind": event.kind, "message": event.message}
        )
        self.faults = FaultPlan(self.scenario.events_of(FaultEvent))
        self.contract_dict = world.source.contract.to_dict()
        self._records: dict[str, ModelRecord] = {}

    # the loop ------------------------------------------------------------------
    def run(self) -> Timeline:
        self._announce_scripted_events()
        for tick in range(self.scenario.clock.ticks):
            self.progress(
                "tick",
                {
                    "tick": tick,
                    "ticks": self.scenario.clock.ticks,
                    "champion": self.deployment.champion,
                    "canary_weight": self.deployment.state.weight,
                },
            )
            self._tick(tick)
        if self.world.relay.is_down:  # the replay ends; the store comes back so the buffered batches land
            self.world.relay.come_back()
            self.timeline.add(OutageEnded(self.scenario.clock.ticks - 1, "object store back at the end of the replay"))
        self.writer.flush()
        self.timeline.events.sort(key=lambda event: event.tick)
        return self.timeline

    def _tick(self, tick: int) -> None:
        store_up = self._set_outage(tick)
        batch = self.world.source.batch(tick)
        feedback = self.world.source.feedback(tick)
        self._land(tick, batch.production, feedback, batch.external, store_up)
        self.deployment.serve(tick, batch.production)
        live = self.deployment.observe(feedback, self.world.source.contract.label)
        self._record_tick(tick, len(batch.production), live)
        if self.deployment.canary_active and store_up:  # no canary move while the registry is unreachable
            self._analyse_canary(tick, live)
        if store_up:
            self._stale_writer(tick)
        self.state.recent.append(batch.production)
        if self.scenario.triggers.drift:
            self.state.sketches.add(tick, batch.production)  # O(new rows): the reference is never re-read
        arbitration = self._arbitrate(tick)
        if arbitration is not None and arbitration.fire:
            self._train(tick, arbitration.trigger or "bootstrap")

    # data ----------------------------------------------------------------------
    def _set_outage(self, tick: int) -> bool:
        down = any(event.active(tick) for event in self.scenario.events_of(OutageEvent))
        if down and not self.world.relay.is_down:
            self.world.relay.go_down()
            self.timeline.add(OutageBegan(tick, "object store unavailable"))
        elif not down and self.world.relay.is_down:
            self.world.relay.come_back()
            self.timeline.add(OutageEnded(tick, "object store back"))
        return not down

    def _land(
        self, tick: int, production: pd.DataFrame, feedback: pd.DataFrame, external: pd.DataFrame, store_up: bool
    ) -> None:
        for source, frame in (("production", production), ("feedback", feedback), ("external", external)):
            self.writer.submit(source, tick, frame)
        self.state.labelled_since_run += len(feedback) + len(external)
        if not store_up:
            return
        backlog = len(self.writer.buffer)
        written = self.writer.flush()
        if backlog > 3 and written:
            self.timeline.add(LakeBackfill(tick, f"wrote {written} batches buffered during the outage", written))

    def _record_tick(self, tick: int, rows: int, live: LiveMetrics) -> None:
        if live.champion_samples and live.champion_metric is not None:
            self.state.live.append(LiveScore(live.champion_samples, live.champion_metric, self.deployment.champion))
        deployment = self.deployment
        self.timeline.ticks.append(
            TickRecord(
                tick=tick,
                time=self.scenario.clock.time_of(tick).isoformat(),
                rows=rows,
                champion=deployment.champion,
                canary=deployment.canary if deployment.canary_active else None,
                canary_weight=deployment.state.weight,
                canary_phase=deployment.state.phase.value,
                labelled=live.samples,
                served_metric=_rounded(live.served_metric),
                champion_metric=_rounded(live.champion_metric),
            )
        )

    # canary --------------------------------------------------------------------
    def _analyse_canary(self, tick: int, live: LiveMetrics) -> None:
        version = self.deployment.canary
        for decision in self.deployment.analyse(live.canary, tick):
            if decision.action in ("hold", "none"):
                continue
            canary_metric, champion_metric = self.deployment.trial.means()
            evidence = (
                tick,
                f"canary {version}: {decision.action} ({decision.reason})",
                version or "?",
                self.deployment.state.weight,
                decision.reason,
                canary_metric,
                champion_metric,
                self.deployment.trial.samples,
            )
            outcome = _CANARY_OUTCOMES.get(decision.action)
            self.timeline.add(outcome(*evidence) if outcome else CanaryStepped(*evidence, decision.action))
            if outcome is RolledBack:
                self._alert(tick, "canary-rolled-back", f"canary {version} rolled back: {decision.reason}")
            elif outcome is PromotionFailed:
                self._alert(
                    tick,
                    "canary-promotion-failed",
                    f"canary {version} passed its analysis but its promotion failed: {decision.reason}",
                )

    # triggers ------------------------------------------------------------------
    def _arbitrate(self, tick: int) -> Arbitration | None:
        champion = self.deployment.champion
        if champion is None:
            # No model yet: train once enough labelled data exists (or retry a failed first run).
            if tick >= self.scenario.bootstrap_tick:
                self.progress("step", {"step": "bootstrap training"})
                return Arbitration(
                    True,
                    "bootstrap",
                    Reason("no champion yet: tick >= bootstrap_tick", tick, self.scenario.bootstrap_tick, True),
                )
            return None
        if self.state.retry_pending and not self.world.relay.is_down:
            return Arbitration(
                True,
                "retry",
                Reason("the last pipeline run failed: retry once the store answers", "failed", "succeeded", False),
            )
        decisions = self._trigger_decisions(tick, champion)
        arbitration = arbitrate(
            decisions,
            tick,
            self.state.triggers,
            self.scenario.triggers.cooldown_ticks,
            busy=self.deployment.canary_active,
        )
        for decision in decisions:
            if decision.fired:
                held = decision.trigger in arbitration.suppressed
                reasons = tuple(decision.reasons[:4])
                if held:
                    self.timeline.add(
                        TriggerHeld(
                            tick,
                            f"{decision.trigger} trigger held: {arbitration.reason}",
                            decision.trigger,
                            reasons,
                            arbitration.reason,
                        )
                    )
                else:
                    self.timeline.add(
                        TriggerFired(
                            tick,
                            f"{decision.trigger} trigger fired: {decision.reasons[0]}",
                            decision.trigger,
                            reasons,
                            decision.trigger == arbitration.trigger,
                        )
                    )
        return arbitration

    def _trigger_decisions(self, tick: int, champion: str) -> list:
        settings = self.scenario.triggers
        clock = self.scenario.clock
        decisions = []
        if settings.schedule:
            decisions.append(schedule_decision(settings.schedule, clock.time_of(tick - 1), clock.time_of(tick)))
        if settings.volume:
            decisions.append(volume_decision(settings.volume, self.state.labelled_since_run))
        if settings.performance:
            baseline = (
                live_reference(settings.performance, self.state.live, champion)
                if settings.performance.reference == "live"
                else self._record(champion).score
            )
            decisions.append(
                performance_decision(
                    settings.performance,
                    self.state.live,
                    baseline,
                    metric=self.scenario.gates.model.metric,
                    champion=champion,
                )
            )
        if settings.drift and len(self.state.recent) == self.state.recent.maxlen:
            reference = self._drift_reference(settings.drift.method, champion)
            current = pd.concat(list(self.state.recent), ignore_index=True)
            if isinstance(reference, dict):
                decisions.append(drift_decision_from_sketches(settings.drift, reference, current))
            elif reference is not None and len(reference):
                decisions.append(drift_decision(settings.drift, reference, current, self.world.source.contract.kinds))
        return decisions

    def _drift_reference(self, method: str, champion: str) -> pd.DataFrame | dict | None:
        """The champion's training data (production rows of its window), built once per champion.

        Merged per-tick sketches (cost in ticks, not rows), unless the exact test needs raw rows
        (KS, or Evidently's "auto" on at most 1000 rows): then those few rows are read from the lake.
        """
        if champion != self.state.reference_version:
            try:
                snapshot = self._record(champion).data_snapshot
                first, last = snapshot["first_tick"], snapshot["last_tick"]
                if needs_raw_reference(method, self.state.sketches.rows(first, last)):
                    reference = lake.read_window(self.world.store, self.world.layout, "production", first, last)
                else:
                    reference = self.state.sketches.window(first, last)
            except StoreUnavailable:
                return None
            self.state.reference = reference
            self.state.reference_version = champion
        return self.state.reference

    # the pipeline ----------------------------------------------------------------
    def _train(self, tick: int, trigger: str) -> None:
        self.state.runs += 1
        run_id = f"run-{self.state.runs:03d}"
        window = self._window(tick)
        sabotage = any(e.mode == "sabotage" and e.active(tick) for e in self.scenario.events_of(BadModelEvent))
        pipeline = self.world.pipeline
        arguments = pipeline_arguments(self.scenario, pipeline, self.world.layout.namespace, run_id, window)
        settings = RunSettings.of_scenario(
            self.scenario,
            self.contract_dict,
            pipeline.sha256,
            first_tick=window.first_tick,
            last_tick=window.last_tick,
            as_of_tick=window.as_of_tick,
            sabotage=sabotage,
        )
        self.progress("step", {"step": f"pipeline {run_id} ({trigger})"})
        fault = self.faults.next_run_fault(tick)
        if fault is not None:
            self.timeline.add(
                FaultInjected(
                    tick,
                    f"{fault.fault} injected into {run_id}"
                    + (
                        f" (store down from the start of {fault.step} for up to {fault.seconds:g} s)"
                        if fault.fault == "store_down_during_step"
                        else ""
                    ),
                    fault.fault,
                    run_id,
                )
            )
        log_path = self.world.runner.log_path(run_id)
        in_flight = TaskFollower(
            log_path, lambda task: self.progress("step", {"step": f"{run_id} ({trigger}): {task}"})
        )
        with in_flight, self.faults.around_run(fault, self.world.relay, log_path):
            report = launch(self.world.runner, self.world.store, self.world.layout, run_id, arguments, settings)
        self.state.triggers = self.state.triggers.after_run(tick)
        self._record_run(tick, trigger, window, report)
        self.state.retry_pending = not report.outcome.succeeded
        if report.outcome.succeeded:
            self.state.labelled_since_run = 0
        # A run that failed after registering (a later task's failure seen only once the run ended) still
        # changed the registry: the deployment follows what the registry now says, as it would in production.
        self._follow_registry(tick, report)

    def _window(self, tick: int) -> TrainingWindow:
        """The run's window by the shared policy, from the champion's data (``ctsim.triggers.policy``)."""
        through = self._trained_through(self.deployment.champion)
        return training_window(self.scenario.training, tick, through, self.scenario.data.label_delay_ticks)

    def _record_run(self, tick: int, trigger: str, window, report: RunReport) -> None:
        outcome = report.outcome
        status: Literal["succeeded", "failed"] = "succeeded" if outcome.succeeded else "failed"
        self.timeline.add(
            PipelineRun(
                tick,
                f"{report.run_id} ({trigger}) {status}",
                report.run_id,
                trigger,
                status,
                (window.first_tick, window.last_tick),
                tuple(report.task_names),
                report.decision,
            )
        )
        self.timeline.runs.append(
            {
                "run_id": report.run_id,
                "tick": tick,
                "trigger": trigger,
                "status": status,
                "seconds": round(outcome.seconds, 3),
                "error": outcome.error,
                "tasks": [t.__dict__ for t in outcome.tasks],
                "step_seconds": {k: v.get("seconds") for k, v in report.steps.items()},
                "log": outcome.log_path,
            }
        )
        for step, gate in (("validate-data", "data"), ("evaluate-model", "model")):
            record = report.step(step)
            if record and "decision" in record:
                gate_event = GatePassed if record["decision"]["passed"] else GateBlocked
                self.timeline.add(
                    gate_event(
                        tick,
                        record["summary"],
                        gate,
                        report.run_id,
                        tuple(Reason(**r) for r in record["decision"]["reasons"]),
                        record.get("candidate"),
                        record.get("champion"),
                    )
                )
        for alert in report.alerts:
            self.timeline.add(
                Alert(tick, f"{alert['kind']}: {alert['message']}", alert["kind"], "pipeline", report.run_id)
            )
        if not outcome.succeeded:
            self._alert(tick, "pipeline-failed", f"{report.run_id} failed; retrying on a later tick. {outcome.error}")

    def _follow_registry(self, tick: int, report: RunReport) -> None:
        registered = report.step("register-model")
        started = report.step("start-canary")
        if registered:
            self.timeline.add(
                Registered(
                    tick, f"{registered['version']} registered", registered["version"], registered["artifact_sha256"]
                )
            )
            with contextlib.suppress(StoreUnavailable):
                self._record(registered["version"])  # read now, while the store answers
        if not started:
            return
        if started["alias"] == "champion":
            self.deployment.load_aliases()
            self.timeline.add(FirstChampion(tick, f"{started['version']} is the first champion", started["version"]))
        else:
            self.deployment.start_canary(started["version"])
            weight = self.deployment.state.weight
            self.timeline.add(
                CanaryStarted(tick, f"canary {started['version']} started at {weight}%", started["version"], weight)
            )

    def _record(self, version: str) -> ModelRecord:
        """A version's registry record; records never change once written, so each is read once (as it is
        registered, while the store answers: an outage later does not hide the champion's record)."""
        if version not in self._records:
            self._records[version] = self.registry.record(version)
        return self._records[version]

    def _trained_through(self, champion: str | None) -> int | None:
        """The last tick the champion's training saw (its labels' as-of tick), for the incremental window."""
        try:
            return self._record(champion).data_snapshot.get("as_of_tick") if champion else None
        except StoreUnavailable:
            return None  # the store is down: this run fails at its first step anyway

    def _stale_writer(self, tick: int) -> None:
        try:
            attempt = self.faults.stale_write(tick, self.registry)
        except StoreUnavailable:
            return
        if attempt is not None:
            self.timeline.add(StaleAliasWrite(tick, attempt.message, attempt.refused))

    def _alert(self, tick: int, kind: str, message: str) -> None:
        from ctsim.pipeline.tasks import post_webhook

        self.timeline.add(Alert(tick, f"{kind}: {message}", kind, "simulator"))
        post_webhook({"kind": kind, "message": message, "scenario": self.scenario.name, "tick": tick})

    def _announce_scripted_events(self) -> None:
        for event in self.scenario.events:
            if isinstance(event, DriftEvent):
                self.timeline.add(
                    DriftOnset(
                        event.at,
                        f"{event.shape} drift of {event.shift} std begins (scripted)",
                        event.shape,
                        event.shift,
                    )
                )
            elif isinstance(event, FaultEvent):
                self.timeline.add(
                    ScriptedEvent(event.at, f"fault {event.fault} armed (scripted)", event.kind, event.fault)
                )
            elif not isinstance(event, OutageEvent):
                self.timeline.add(ScriptedEvent(event.at, f"{event.kind} begins (scripted)", event.kind))


def _rounded(value: float | None) -> float | None:
    return None if value is None or value != value else round(value, 6)
