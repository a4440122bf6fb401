"""Lake writes that survive outages: batches produced while the store is down wait in order and are
written once it is back; create-only writes make a replayed batch a no-op, never a duplicate.

The writer also keeps the sha256 of every batch it was given (``produced``), so the end-of-run
audit can check the lake holds each of them exactly once, byte for byte."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import pandas as pd

from ctsim import lake
from ctsim.errors import StoreUnavailable
from ctsim.store import Layout, ObjectStore, sha256_hex


@dataclass(frozen=True)
class PendingBatch:
    source: str
    tick: int
    data: bytes  # Parquet, encoded once: what is written is what the audit expects


class LakeWriter:
    def __init__(self, store: ObjectStore, layout: Layout):
        self.store = store
        self.layout = layout
        self.buffer: deque[PendingBatch] = deque()
        self.written: list[tuple[str, int]] = []
        self.produced: dict[str, str] = {}  # lake key -> sha256 of the batch's bytes

    def submit(self, source: str, tick: int, frame: pd.DataFrame) -> None:
        if len(frame):
            batch = PendingBatch(source, tick, lake.frame_to_parquet(frame))
            self.produced[self.layout.lake_batch(source, tick)] = sha256_hex(batch.data)
            self.buffer.append(batch)

    def flush(self) -> int:
        """Write what is buffered, oldest first; stop at the first unavailability. Returns batches written."""
        count = 0
        while self.buffer:
            batch = self.buffer[0]
            try:
                lake.write_encoded(self.store, self.layout, batch.source, batch.tick, batch.data)
            except StoreUnavailable:
                return count
            self.buffer.popleft()
            self.written.append((batch.source, batch.tick))
            count += 1
        return count
