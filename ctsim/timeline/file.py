"""``timeline.json``: the one module that writes and reads a timeline's file (the room's only I/O).

The file holds ``{schema_version, scenario, seed, metric, events: [{tick, kind, message, data}], ticks, runs}``
(``Timeline.to_dict``). A file that is missing, not JSON, of another schema version, or with an event of an
unknown kind or a bad field raises ``TimelineError`` naming the file and what is wrong; a write goes to a
temporary file first, so a reader never sees half a timeline.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ctsim.errors import TimelineError
from ctsim.timeline.model import Timeline

__all__ = ["read_timeline", "write_timeline"]


def write_timeline(timeline: Timeline, path: Path) -> None:
    text = json.dumps(timeline.to_dict(), indent=1, sort_keys=True, allow_nan=False)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def read_timeline(path: Path) -> Timeline:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise TimelineError(
            f"{path}: missing; a run writes it when it finishes (a crashed run has only run.json)"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise TimelineError(f"{path}: cannot be read ({type(exc).__name__}: {exc})") from exc
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise TimelineError(f"{path}: not JSON ({exc})") from exc
    return Timeline.from_dict(data, str(path))
