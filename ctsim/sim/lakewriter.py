"""Lake writes that survive outages: batches produced while the store is down wait in order and are
written once it is back; create-only writes make a replayed batch a no-op, never a duplicate."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import pandas as pd

from ctsim import lake
from ctsim.errors import StoreUnavailable
from ctsim.store import Layout, ObjectStore


@dataclass(frozen=True)
class PendingBatch:
    source: str
    tick: int
    frame: pd.DataFrame


class LakeWriter:
    def __init__(self, store: ObjectStore, layout: Layout):
        self.store = store
        self.layout = layout
        self.buffer: deque[PendingBatch] = deque()
        self.written: list[tuple[str, int]] = []

    def submit(self, source: str, tick: int, frame: pd.DataFrame) -> None:
        if len(frame):
            self.buffer.append(PendingBatch(source, tick, frame))

    def flush(self) -> int:
        """Write what is buffered, oldest first; stop at the first unavailability. Returns batches written."""
        count = 0
        while self.buffer:
            batch = self.buffer[0]
            try:
                lake.write_batch(self.store, self.layout, batch.source, batch.tick, batch.frame)
            except StoreUnavailable:
                return count
            self.buffer.popleft()
            self.written.append((batch.source, batch.tick))
            count += 1
        return count
