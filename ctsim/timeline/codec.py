"""Events to and from their JSON form: ``{tick, kind, message, data: {field: value}}``.

The one place that knows how an event is spelled in ``timeline.json``; pure (the file itself is read and
written by ``ctsim.timeline.file``). Values are made JSON-safe on the way out (floats rounded to 6 places,
NaN to null, numpy scalars to Python), so an event read back equals the event the timeline holds.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from functools import cache
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ctsim.errors import TimelineError
from ctsim.timeline.events import EVENT_TYPES, Event

__all__ = ["KINDS", "event_from_record", "event_to_record", "plain", "validated"]

KINDS: dict[str, type[Event]] = {cls.kind: cls for cls in EVENT_TYPES}
_RECORD_KEYS = {"tick", "kind", "message", "data"}


@cache
def _adapter(cls: type) -> TypeAdapter[Any]:
    return TypeAdapter(cls)


def event_to_record(event: Event) -> dict[str, Any]:
    data = {name: value for name, value in asdict(event).items() if name not in ("tick", "message")}
    return {"tick": event.tick, "kind": event.kind, "message": event.message, "data": plain(data)}


def event_from_record(record: Any, where: str = "event") -> Event:
    """The typed event a record describes; a ``TimelineError`` naming ``where`` and the field otherwise."""
    if not isinstance(record, dict) or set(record) != _RECORD_KEYS:
        shown = sorted(record) if isinstance(record, dict) else type(record).__name__
        raise TimelineError(f"{where} must be an object with the keys {sorted(_RECORD_KEYS)}. Got {shown} instead.")
    kind = record["kind"]
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        raise TimelineError(
            f"{where} has the unknown kind {kind!r}; the kinds of this timeline schema are "
            f"{', '.join(sorted(KINDS))} (a file from another ctsim version?)"
        )
    if not isinstance(record["data"], dict):
        raise TimelineError(f"{where} ({kind}) must have an object as its data. Got {record['data']!r} instead.")
    fields = {**record["data"], "tick": record["tick"], "message": record["message"]}
    return validated(cls, fields, f"{where} ({kind})")


def validated(cls: type, fields: dict[str, Any], where: str) -> Any:
    """``cls`` built from ``fields`` by its annotations, or a ``TimelineError`` naming the first bad field."""
    try:
        return _adapter(cls).validate_python(fields)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"])
        if error["type"] == "missing":
            raise TimelineError(f"{where}: the field '{field}' is missing") from exc
        what = f"the field '{field}' is wrong" if field else f"must be an object with the fields of {cls.__name__}"
        raise TimelineError(f"{where}: {what} ({error['msg']}). Got {error['input']!r} instead.") from exc


def plain(value: Any) -> Any:
    """JSON-safe values: NaN becomes None so the file is valid JSON and comparisons are exact."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):  # NaN and infinities are not JSON: "no value"
        return round(float(value), 6) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if hasattr(value, "item"):
        return plain(value.item())
    return value
