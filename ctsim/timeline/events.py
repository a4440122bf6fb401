"""The events of a run, one frozen class per kind, each with the fields (and reasons) a reader needs.

Every event has the tick it happened on and a human ``message``; what a report, the verdict or the audit
reads is the typed fields, never the message. ``kind`` is the event's name in ``timeline.json``.

Decisions carry their reasons (``ctsim.reasons.Reason``: rule, observed value, threshold): a trigger
its trigger's reasons (and, when held, why), a gate its checks, a canary move the check that decided it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import ConfigDict

from ctsim.reasons import Reason

__all__ = [
    "EVENT_TYPES",
    "Alert",
    "CanaryAnalysis",
    "CanaryStarted",
    "CanaryStepped",
    "DriftOnset",
    "Event",
    "FaultInjected",
    "FirstChampion",
    "GateBlocked",
    "GateEvent",
    "GatePassed",
    "LakeBackfill",
    "OutageBegan",
    "OutageEnded",
    "PipelineRun",
    "PromotionFailed",
    "Registered",
    "RolledBack",
    "RolledOut",
    "ScriptedEvent",
    "StaleAliasWrite",
    "TriggerEvent",
    "TriggerFired",
    "TriggerHeld",
]


@dataclass(frozen=True)
class Event:
    """What every event has: when, and a sentence for people."""

    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")  # a field read back that no class has
    kind: ClassVar[str] = ""
    tick: int
    message: str


# the scenario's script and the world ---------------------------------------------------------------------
@dataclass(frozen=True)
class DriftOnset(Event):
    """A scripted covariate drift begins."""

    kind: ClassVar[str] = "drift-onset"
    shape: str  # sudden | gradual | recurring
    shift: float  # in standard deviations


@dataclass(frozen=True)
class ScriptedEvent(Event):
    """Another scripted event begins (concept drift, label shift, a bad model, a fault armed...)."""

    kind: ClassVar[str] = "scripted"
    event: str  # the scenario event's kind
    fault: str | None = None  # for a fault event: which fault


@dataclass(frozen=True)
class OutageBegan(Event):
    kind: ClassVar[str] = "outage"


@dataclass(frozen=True)
class OutageEnded(Event):
    kind: ClassVar[str] = "outage-end"


@dataclass(frozen=True)
class LakeBackfill(Event):
    """Batches buffered while the store was down landed in the lake."""

    kind: ClassVar[str] = "lake-backfill"
    batches: int


@dataclass(frozen=True)
class FaultInjected(Event):
    """A scripted fault was injected into a pipeline run."""

    kind: ClassVar[str] = "fault"
    fault: str
    run_id: str


@dataclass(frozen=True)
class StaleAliasWrite(Event):
    """A second writer tried to move an alias from a stale read (the ``stale_alias_writer`` fault)."""

    kind: ClassVar[str] = "stale-alias-write"
    refused: bool


# triggers ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TriggerEvent(Event):
    trigger: str  # schedule | volume | performance | drift
    reasons: tuple[Reason, ...]  # the trigger's own reasons (the first few)

    @property
    def violated(self) -> tuple[Reason, ...]:
        """The reasons that made it fire (all of them when none is marked violated)."""
        return tuple(r for r in self.reasons if not r.ok) or self.reasons


@dataclass(frozen=True)
class TriggerFired(TriggerEvent):
    kind: ClassVar[str] = "trigger"
    chosen: bool  # this trigger's run is the one that starts (several may fire on one tick)


@dataclass(frozen=True)
class TriggerHeld(TriggerEvent):
    """A trigger fired but was held back (cooldown, a canary in progress)."""

    kind: ClassVar[str] = "trigger-held"
    held_by: Reason


# the pipeline --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipelineRun(Event):
    kind: ClassVar[str] = "pipeline-run"
    run_id: str
    trigger: str  # the trigger that started it, or bootstrap | retry
    status: Literal["succeeded", "failed"]
    window: tuple[int, int]  # first and last tick of its training data
    steps: tuple[str, ...]  # the tasks kfp.local ran
    decision: str  # see ctsim.sim.launch.RunReport.decision

    @property
    def succeeded(self) -> bool:
        return self.status == "succeeded"


@dataclass(frozen=True)
class GateEvent(Event):
    gate: str  # data | model
    run_id: str
    reasons: tuple[Reason, ...]
    candidate: float | None = None  # the model gate's candidate score
    champion: float | None = None  # ... and the champion's, when there is one

    @property
    def violations(self) -> tuple[Reason, ...]:
        return tuple(r for r in self.reasons if not r.ok)


@dataclass(frozen=True)
class GatePassed(GateEvent):
    kind: ClassVar[str] = "gate-pass"


@dataclass(frozen=True)
class GateBlocked(GateEvent):
    kind: ClassVar[str] = "gate-block"


@dataclass(frozen=True)
class Alert(Event):
    kind: ClassVar[str] = "alert"
    alert: str  # the alert's kind, e.g. model-gate-blocked, pipeline-failed, canary-rolled-back
    source: Literal["pipeline", "simulator"]
    run_id: str | None = None  # the run that raised it (pipeline alerts)


@dataclass(frozen=True)
class Registered(Event):
    kind: ClassVar[str] = "registered"
    version: str
    artifact_sha256: str


# serving -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FirstChampion(Event):
    """The first model, with no champion to compare against, went straight to serving."""

    kind: ClassVar[str] = "first-champion"
    version: str


@dataclass(frozen=True)
class CanaryStarted(Event):
    kind: ClassVar[str] = "canary-start"
    version: str
    weight: int  # percent of traffic


@dataclass(frozen=True)
class CanaryAnalysis(Event):
    """A move of the canary analysis, with the check that decided it and the live evidence so far."""

    version: str
    weight: int  # percent of traffic after the move
    reason: Reason
    live_canary: float | None  # the canary's live metric over its life, on the requests it served
    live_champion: float | None  # the champion's, in shadow, on the same requests
    live_samples: int


@dataclass(frozen=True)
class CanaryStepped(CanaryAnalysis):
    """The canary went on: a weight step, a failed check, or the decision to promote."""

    kind: ClassVar[str] = "canary"
    action: str  # step | fail-check | promote


@dataclass(frozen=True)
class RolledOut(CanaryAnalysis):
    """The canary became the champion."""

    kind: ClassVar[str] = "rollout"


@dataclass(frozen=True)
class RolledBack(CanaryAnalysis):
    """The canary analysis failed the canary; it no longer serves."""

    kind: ClassVar[str] = "rollback"


@dataclass(frozen=True)
class PromotionFailed(CanaryAnalysis):
    """The canary passed, but its rollout could not be written (the store or a conflict); it was withdrawn."""

    kind: ClassVar[str] = "promotion-failed"


EVENT_TYPES: tuple[type[Event], ...] = (
    DriftOnset,
    ScriptedEvent,
    OutageBegan,
    OutageEnded,
    LakeBackfill,
    FaultInjected,
    StaleAliasWrite,
    TriggerFired,
    TriggerHeld,
    PipelineRun,
    GatePassed,
    GateBlocked,
    Alert,
    Registered,
    FirstChampion,
    CanaryStarted,
    CanaryStepped,
    RolledOut,
    RolledBack,
    PromotionFailed,
)
