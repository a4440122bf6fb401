"""Typed timeline events for tests, with defaults for what a test does not care about (messages included)."""

from ctsim.reasons import Reason
from ctsim.timeline import (
    Alert,
    CanaryStarted,
    CanaryStepped,
    DriftOnset,
    FirstChampion,
    GateBlocked,
    GatePassed,
    OutageBegan,
    OutageEnded,
    PipelineRun,
    PromotionFailed,
    Registered,
    RolledBack,
    RolledOut,
    ScriptedEvent,
    TriggerFired,
    TriggerHeld,
)

OK = Reason("a check", 1, 1, True)
VIOLATED = Reason("a check that failed", 0, 1, False)


def pipeline_run(
    tick, run_id="run-001", status="succeeded", trigger="schedule", steps=("train-model",), window=None, decision=None
):
    decision = decision or ("registered" if status == "succeeded" else "failed")
    return PipelineRun(
        tick, f"{run_id} ({trigger}) {status}", run_id, trigger, status, window or (0, tick), tuple(steps), decision
    )


def gate(tick, gate_name, run_id="run-001", passed=True, candidate=None, champion=None, reasons=None):
    cls = GatePassed if passed else GateBlocked
    return cls(
        tick,
        f"{gate_name} gate",
        gate_name,
        run_id,
        tuple(reasons or ((OK,) if passed else (VIOLATED,))),
        candidate,
        champion,
    )


def registered(tick, version):
    return Registered(tick, f"{version} registered", version, "0" * 64)


def first_champion(tick, version):
    return FirstChampion(tick, f"{version} is the first champion", version)


def canary_start(tick, version, weight=20):
    return CanaryStarted(tick, f"canary {version} started at {weight}%", version, weight)


def _analysis(cls, tick, version, weight, live_canary, live_champion, samples, reason, *extra):
    return cls(
        tick, f"canary {version}: {cls.kind}", version, weight, reason, live_canary, live_champion, samples, *extra
    )


def canary_step(tick, version, action="step", weight=50, live_canary=None, live_champion=None, samples=0):
    return _analysis(CanaryStepped, tick, version, weight, live_canary, live_champion, samples, OK, action)


def rolled_out(tick, version, live_canary=None, live_champion=None, samples=0):
    return _analysis(RolledOut, tick, version, 100, live_canary, live_champion, samples, OK)


def rolled_back(tick, version, live_canary=None, live_champion=None, samples=0):
    return _analysis(RolledBack, tick, version, 0, live_canary, live_champion, samples, VIOLATED)


def promotion_failed(tick, version):
    return _analysis(
        PromotionFailed,
        tick,
        version,
        0,
        None,
        None,
        0,
        Reason("full rollout completed", "StoreUnavailable: down", "completed", False),
    )


def alert(tick, kind, run_id=None):
    return Alert(tick, f"{kind}: something", kind, "pipeline" if run_id else "simulator", run_id)


def trigger(tick, name, chosen=True, reasons=(VIOLATED,)):
    return TriggerFired(tick, f"{name} trigger fired", name, tuple(reasons), chosen)


def held(tick, name):
    return TriggerHeld(
        tick,
        f"{name} trigger held",
        name,
        (VIOLATED,),
        Reason("no pipeline run or canary in progress", "busy", "idle", False),
    )


def drift_onset(tick, shape="sudden", shift=2.0):
    return DriftOnset(tick, f"{shape} drift of {shift} std begins (scripted)", shape, shift)


def scripted(tick, event, fault=None):
    return ScriptedEvent(tick, f"{event} begins (scripted)", event, fault)


def outage(tick):
    return OutageBegan(tick, "object store unavailable")


def outage_end(tick):
    return OutageEnded(tick, "object store back")
