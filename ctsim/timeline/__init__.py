"""The timeline room: the typed events of a run, the per-tick records, and ``timeline.json``.

- ``events``: one frozen class per event kind, with the reasons its decision carried;
- ``model``: ``Timeline`` (events, tick records, pipeline-run timings) and ``TickRecord``;
- ``codec``: how an event is spelled in JSON (pure);
- ``file``: the only module that reads or writes ``timeline.json``.

Pure apart from its own file: it imports nothing of ctsim but the error tree and ``Reason``.
"""

from ctsim.timeline.codec import KINDS, event_from_record, event_to_record
from ctsim.timeline.events import (
    EVENT_TYPES,
    Alert,
    CanaryAnalysis,
    CanaryStarted,
    CanaryStepped,
    DriftOnset,
    Event,
    FaultInjected,
    FirstChampion,
    GateBlocked,
    GateEvent,
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
    TriggerEvent,
    TriggerFired,
    TriggerHeld,
)
from ctsim.timeline.file import read_timeline, write_timeline
from ctsim.timeline.model import SCHEMA_VERSION, TickRecord, Timeline

# The canary no longer serves after either: a failed analysis, or a passed one whose rollout could not be written.
CANARY_WITHDRAWN = (RolledBack, PromotionFailed)
# Who became champion, in order: the first model, then each canary rolled out.
CHAMPION_MOVES = (FirstChampion, RolledOut)

__all__ = [
    "CANARY_WITHDRAWN",
    "CHAMPION_MOVES",
    "EVENT_TYPES",
    "KINDS",
    "SCHEMA_VERSION",
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
    "TickRecord",
    "Timeline",
    "TriggerEvent",
    "TriggerFired",
    "TriggerHeld",
    "event_from_record",
    "event_to_record",
    "read_timeline",
    "write_timeline",
]
