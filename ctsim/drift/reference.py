"""Per-tick sketches of arriving data, so the drift reference for any window of ticks is a merge.

The drift trigger compares this tick's data with the champion's training
window. Reading that window back from the lake costs time and memory in the
lake's size; instead every batch is sketched once, as it arrives
(O(rows of the batch)), and the reference for ticks [first, last] is the merge
of those ticks' sketches (O(ticks x bins)). No reference row is read again.

Bin edges are fixed once, from the first ``edge_sample_rows`` rows seen (or
from what has been seen when a reference is first asked for): until then the
few raw batches are held. Numeric edges get ``tail_bins`` extra bins beyond the
sample's range, so data that later shifts by several stds is still resolved
(see ``sample_edges``). Pure: no I/O, no clock; it keeps state, so it is a
plain object owned by the simulation loop.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ctsim.contract import ColumnKind
from ctsim.drift._measures import AUTO_METHODS, SMALL_REFERENCE_ROWS
from ctsim.drift.sketch import (
    DEFAULT_SKETCH_BINS,
    CategoricalSketch,
    HistogramSketch,
    Sketch,
    merge_sketches,
    sample_edges,
)

__all__ = ["EDGE_SAMPLE_ROWS", "TAIL_BINS", "TickSketches", "needs_raw_reference"]

# Rows to see before the bin edges are fixed: enough for 128 quantile bins of ~80 rows.
EDGE_SAMPLE_ROWS = 10_000
# Equal-width bins added beyond the sample's range on each side (out to 8 sample stds).
TAIL_BINS = 32


def needs_raw_reference(method: str, reference_rows: int) -> bool:
    """Whether the exact test needs the reference's raw rows, which a sketch cannot stand in for.

    KS needs raw rows; the auto methods pick KS, the Z-test or chi-square for references
    of at most 1000 rows (Evidently's rule). Such references are small, so reading them is
    cheap. Above that, a sketch serves every column kind: a low-cardinality numeric
    column is judged on the exact value counts the sketch keeps (see ``sketch``).
    """
    return method == "ks" or (method in AUTO_METHODS and reference_rows <= SMALL_REFERENCE_ROWS)


class TickSketches:
    """Sketches of each tick's batch, per column, on edges fixed from the first rows seen."""

    def __init__(
        self,
        kinds: Mapping[str, ColumnKind],
        bins: int = DEFAULT_SKETCH_BINS,
        edge_sample_rows: int = EDGE_SAMPLE_ROWS,
        tail_bins: int = TAIL_BINS,
    ):
        self.kinds = dict(kinds)
        self.bins = bins
        self.edge_sample_rows = edge_sample_rows
        self.tail_bins = tail_bins
        self._empty: dict[str, Sketch] | None = None  # one empty sketch per column once edges are fixed
        self._held: list[tuple[int, pd.DataFrame]] = []  # raw batches waiting for the edges
        self._ticks: dict[int, dict[str, Sketch]] = {}
        self._rows: dict[int, int] = {}

    @property
    def edges_fixed(self) -> bool:
        return self._empty is not None

    def add(self, tick: int, frame: pd.DataFrame) -> None:
        """Sketch one tick's batch; a second batch for the same tick is merged into the first."""
        if not len(frame):
            return
        columns = frame[list(self.kinds)]
        self._rows[tick] = self._rows.get(tick, 0) + len(columns)
        if self._empty is None:
            self._held.append((tick, columns))
            if sum(len(held) for _, held in self._held) >= self.edge_sample_rows:
                self._fix_edges()
            return
        self._merge_into(tick, columns, self._empty)

    def rows(self, first_tick: int, last_tick: int) -> int:
        return sum(count for tick, count in self._rows.items() if first_tick <= tick <= last_tick)

    def window(self, first_tick: int, last_tick: int) -> dict[str, Sketch] | None:
        """The merged sketches of ticks first..last (inclusive); None when no rows arrived in it."""
        if not self.rows(first_tick, last_tick):
            return None
        merged = dict(self._empty if self._empty is not None else self._fix_edges())
        for tick in sorted(t for t in self._ticks if first_tick <= t <= last_tick):
            merged = {column: merge_sketches(merged[column], sketch) for column, sketch in self._ticks[tick].items()}
        return merged

    def _fix_edges(self) -> dict[str, Sketch]:
        """Fix the edges from the rows held so far, sketch those rows, and return the empty sketches."""
        sample = pd.concat([frame for _, frame in self._held], ignore_index=True)
        empty = {column: self._empty_sketch(sample[column], kind) for column, kind in self.kinds.items()}
        self._empty = empty
        held, self._held = self._held, []
        for tick, frame in held:
            self._merge_into(tick, frame, empty)
        return empty

    def _empty_sketch(self, sample: pd.Series, kind: ColumnKind) -> Sketch:
        if kind != "numeric":
            return CategoricalSketch()
        finite = pd.Series(sample, copy=False).to_numpy(dtype=float, na_value=np.nan)
        finite = finite[np.isfinite(finite)]
        if not len(finite):
            finite = np.zeros(1)  # a column with no finite value yet: any edges do, everything is NaN
        return HistogramSketch.with_edges(sample_edges(finite, self.bins, self.tail_bins))

    def _merge_into(self, tick: int, frame: pd.DataFrame, empty: Mapping[str, Sketch]) -> None:
        batch = {column: empty[column].update(frame[column]) for column in self.kinds}
        previous = self._ticks.get(tick)
        self._ticks[tick] = batch if previous is None else {c: merge_sketches(previous[c], batch[c]) for c in batch}
