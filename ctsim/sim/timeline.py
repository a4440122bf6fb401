"""The timeline of one run: notable events and per-tick measurements.

The timeline is deterministic (one seed, one timeline, bit for bit); wall-clock
timings of pipeline runs live beside it in ``runs``, never inside events.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1


@dataclass(frozen=True)
class Event:
    tick: int
    kind: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TickRecord:
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

    def add(self, tick: int, kind: str, message: str, **data: Any) -> Event:
        event = Event(tick, kind, message, _plain(data))
        self.events.append(event)
        if self.listener is not None:
            self.listener(event)
        return event

    def of_kind(self, *kinds: str) -> list[Event]:
        return [event for event in self.events if event.kind in kinds]

    def deterministic_view(self) -> dict[str, Any]:
        """Everything that must be identical for the same seed."""
        return {"events": [asdict(e) for e in self.events], "ticks": [asdict(t) for t in self.ticks]}

    def to_dict(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "scenario": self.scenario, "seed": self.seed, "metric": self.metric,
                **self.deterministic_view(), "runs": self.runs}

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=True), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> Timeline:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(data["scenario"], data["seed"], data["metric"], [Event(**e) for e in data["events"]],
                   [TickRecord(**t) for t in data["ticks"]], data.get("runs", []))


def _plain(value: Any) -> Any:
    """JSON-safe values: NaN becomes None so the file is valid JSON and comparisons are exact."""
    if isinstance(value, float):
        return None if value != value else round(value, 6)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):
        return _plain(value.item())
    return value
