"""The timeline of one run: notable events and per-tick measurements.

The timeline is deterministic (one seed, one timeline, bit for bit); wall-clock
timings of pipeline runs live beside it in ``runs``, never inside events.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar, TypeVar, cast

from pydantic import ConfigDict

from ctsim.errors import TimelineError
from ctsim.timeline.codec import event_from_record, event_to_record, validated
from ctsim.timeline.events import Event

__all__ = ["SCHEMA_VERSION", "TickRecord", "Timeline"]

# 2: one event class per kind (first-champion, canary-start, promotion-failed and stale-alias-write split out of
# rollout, canary, rollback and fault), drift onsets with their shape and shift, held triggers with why.
SCHEMA_VERSION = 2

E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class TickRecord:
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")
    tick: int
    time: str
    rows: int
    champion: str | None
    canary: str | None
    canary_weight: int
    canary_phase: str
    labelled: int
    served_metric: float | None
    champion_metric: float | None


@dataclass
class Timeline:
    scenario: str
    seed: int
    metric: str
    events: list[Event] = field(default_factory=list)
    ticks: list[TickRecord] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)
    # Told of every event as it is added (the live view counts triggers, blocks and rollbacks); not saved.
    listener: Callable[[Event], None] | None = field(default=None, repr=False, compare=False)

    def add(self, event: E) -> E:
        """Append ``event`` as it will read back from the file (floats rounded, NaN as None), and tell the listener."""
        kept = cast(E, event_from_record(event_to_record(event)))  # the record names the class: the same comes back
        self.events.append(kept)
        if self.listener is not None:
            self.listener(kept)
        return kept

    def of(self, *types: type[E]) -> list[E]:
        """The events of these classes, in timeline order."""
        return [event for event in self.events if isinstance(event, types)]

    def deterministic_view(self) -> dict[str, Any]:
        """Everything that must be identical for the same seed."""
        return {"events": [event_to_record(e) for e in self.events], "ticks": [asdict(t) for t in self.ticks]}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": self.scenario,
            "seed": self.seed,
            "metric": self.metric,
            **self.deterministic_view(),
            "runs": self.runs,
        }

    @classmethod
    def from_dict(cls, data: Any, where: str = "timeline") -> Timeline:
        """The timeline a ``to_dict`` document describes; a ``TimelineError`` naming what is wrong otherwise."""
        if not isinstance(data, dict):
            raise TimelineError(f"{where} must be a JSON object. Got {type(data).__name__} instead.")
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise TimelineError(
                f"{where} has schema_version {version!r}; this ctsim reads version {SCHEMA_VERSION} "
                "(replay the scenario with this ctsim to get a timeline it can read)"
            )
        missing = [key for key in ("scenario", "seed", "metric", "events", "ticks") if key not in data]
        if missing:
            raise TimelineError(f"{where} lacks the keys {missing}")
        header = validated(_Header, {k: data[k] for k in ("scenario", "seed", "metric", "runs") if k in data}, where)
        events, ticks = data["events"], data["ticks"]
        if not isinstance(events, list) or not isinstance(ticks, list):
            raise TimelineError(f"{where}: 'events' and 'ticks' must be lists")
        return cls(
            header.scenario,
            header.seed,
            header.metric,
            [event_from_record(e, f"{where}: event {i}") for i, e in enumerate(events)],
            [validated(TickRecord, t, f"{where}: tick record {i}") for i, t in enumerate(ticks)],
            header.runs,
        )


@dataclass(frozen=True)
class _Header:
    __pydantic_config__: ClassVar[ConfigDict] = ConfigDict(extra="forbid")
    scenario: str
    seed: int
    metric: str
    runs: list[dict[str, Any]] = field(default_factory=list)
