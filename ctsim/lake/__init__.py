"""The data lake on the object store: one Parquet object per source and tick.

Writes are create-only (If-None-Match), so a batch replayed after an outage
or a crash is written exactly once: a second write of the same bytes is a
no-op, a second write of different bytes is a conflict.

Reading a window costs one GET per batch, and a retrain reads the whole lake,
so a long replay would spend most of its time re-reading old batches (600
monthly ticks: 1,200 GETs a run at ~3 ms each). ``read_window`` therefore
keeps a read cache: every aligned run of ``SEGMENT_TICKS`` ticks that a
window covers whole is stored once, concatenated, under a name that is the
sha256 of its batches' keys and etags. The name is the validity check: a
segment is only ever read for exactly the batches it was built from, so the
cache needs no invalidation, and it is written only when reading it back
gives the very frame the batches give.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ctsim.contract import ROW_ID, TICK
from ctsim.errors import ConflictError, StoreError
from ctsim.store import Layout, ObjectStore, sha256_hex, tick_of_key

__all__ = [
    "frame_to_parquet",
    "labelled_rows",
    "list_batches",
    "parquet_to_frame",
    "read_window",
    "Segment",
    "exact_concatenation",
    "plan_segments",
    "write_batch",
    "write_encoded",
]

# Small row groups let readers stream a large window without holding it twice.
ROW_GROUP_SIZE = 64_000


def frame_to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # No pandas metadata timestamps: the same frame gives the same bytes.
    pq.write_table(table, buffer, row_group_size=ROW_GROUP_SIZE, compression="snappy")
    return buffer.getvalue()


def parquet_to_frame(data: bytes, key: str = "") -> pd.DataFrame:
    try:
        parquet = pq.ParquetFile(io.BytesIO(data))
        groups = [parquet.read_row_group(i).to_pandas() for i in range(parquet.num_row_groups)]
    except (pa.ArrowException, OSError) as exc:
        raise StoreError(f"unreadable Parquet while reading {key}: {exc}") from exc
    return pd.concat(groups, ignore_index=True) if groups else parquet.schema_arrow.empty_table().to_pandas()


def write_batch(store: ObjectStore, layout: Layout, source: str, tick: int, frame: pd.DataFrame) -> str:
    """Write one tick's batch of a source exactly once; returns its key."""
    return write_encoded(store, layout, source, tick, frame_to_parquet(frame))


def write_encoded(store: ObjectStore, layout: Layout, source: str, tick: int, data: bytes) -> str:
    """``write_batch`` for a batch already encoded as Parquet."""
    key = layout.lake_batch(source, tick)
    try:
        store.put_if_absent(key, data, content_type="application/vnd.apache.parquet")
    except ConflictError:
        existing = store.get(key).data
        if sha256_hex(existing) != sha256_hex(data):
            raise ConflictError(f"{key} already holds a different batch") from None
    return key


def list_batches(store: ObjectStore, layout: Layout, source: str, first_tick: int, last_tick: int) -> list[str]:
    keys = store.list(layout.lake_source(source))
    return [key for key in keys if (tick := tick_of_key(key)) is not None and first_tick <= tick <= last_tick]


SEGMENT_TICKS = 32  # ticks per cached segment: 600 ticks read as 18 segments and at most 31 batches
# Larger segments are not cached: their batches are few GETs for their size, and building one holds it three times.
MAX_SEGMENT_CELLS = 10_000_000


@dataclass(frozen=True)
class Segment:
    """Batches read together: a cacheable aligned run of ticks (``digest`` set), or one batch (``digest`` empty)."""

    first_tick: int
    last_tick: int
    keys: tuple[str, ...]
    digest: str = ""


def plan_segments(batches: list[tuple[str, str]], first_tick: int, last_tick: int) -> list[Segment]:
    """Group ``(key, etag)`` batches, in key (tick) order, into segments. Pure.

    A run of ticks ``[k*SEGMENT_TICKS, (k+1)*SEGMENT_TICKS - 1]`` that lies inside the window and holds at
    least two batches is one cacheable segment named by the sha256 of its keys and etags; every other batch
    is read alone."""
    groups: dict[int, list[tuple[int, str, str]]] = {}
    for key, etag in batches:
        tick = tick_of_key(key)
        if tick is not None and first_tick <= tick <= last_tick:
            groups.setdefault(tick // SEGMENT_TICKS, []).append((tick, key, etag))
    segments: list[Segment] = []
    for index, members in sorted(groups.items()):
        start, end = index * SEGMENT_TICKS, (index + 1) * SEGMENT_TICKS - 1
        if first_tick <= start and end <= last_tick and len(members) > 1:
            manifest = "".join(f"{key} {etag}\n" for _, key, etag in members)
            digest = hashlib.sha256(manifest.encode()).hexdigest()
            segments.append(Segment(start, end, tuple(key for _, key, _ in members), digest))
        else:
            segments.extend(Segment(tick, tick, (key,)) for tick, key, _ in members)
    return segments


def read_window(store: ObjectStore, layout: Layout, source: str, first_tick: int, last_tick: int) -> pd.DataFrame:
    """Every batch of ``source`` with first_tick <= tick <= last_tick, in tick order."""
    batches = store.listing(layout.lake_source(source))
    frames = [
        frame
        for segment in plan_segments(batches, first_tick, last_tick)
        for frame in _segment_frames(store, layout, source, segment)
        if len(frame.columns)
    ]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


def _segment_frames(store: ObjectStore, layout: Layout, source: str, segment: Segment) -> Iterator[pd.DataFrame]:
    if not segment.digest:
        yield parquet_to_frame(store.get(segment.keys[0]).data, segment.keys[0])
        return
    key = layout.lake_segment(source, segment.first_tick, segment.last_tick, segment.digest)
    cached = store.get_or_none(key)
    if cached is not None:
        yield parquet_to_frame(cached.data, key)
        return
    frames = [parquet_to_frame(store.get(batch).data, batch) for batch in segment.keys]
    encoded = exact_concatenation(frames)
    if encoded is not None:
        try:
            store.put_if_absent(key, encoded, content_type="application/vnd.apache.parquet")
        except ConflictError:
            pass  # another reader built the same segment first: same name, same batches
    yield from frames


def exact_concatenation(frames: list[pd.DataFrame]) -> bytes | None:
    """The frames concatenated as Parquet, when one frame read back from it stands for all of them exactly:
    same columns and dtypes in every frame (so concatenating in two steps cannot change a dtype), and a
    lossless round trip. Otherwise None, and the segment is not cached."""
    frames = [frame for frame in frames if len(frame.columns)]
    if not frames or sum(frame.size for frame in frames) > MAX_SEGMENT_CELLS:
        return None
    first = frames[0].dtypes
    if any(not frame.dtypes.equals(first) for frame in frames[1:]):
        return None
    combined = pd.concat(frames, ignore_index=True)
    try:
        encoded = frame_to_parquet(combined)
    except (pa.ArrowException, TypeError, ValueError):  # e.g. an object column holding text here, booleans there
        return None
    back = parquet_to_frame(encoded)
    return encoded if back.dtypes.equals(combined.dtypes) and back.equals(combined) else None


def labelled_rows(production: pd.DataFrame, feedback: pd.DataFrame, external: pd.DataFrame) -> pd.DataFrame:
    """Production rows whose label has arrived, plus external rows (labelled at source).

    Windows of empty ticks (time-sliced replays) give zero rows with the production and label columns,
    so the data gate reports too few rows rather than missing columns.
    """
    parts = []
    if ROW_ID in production.columns and ROW_ID in feedback.columns:
        labels = feedback.drop(columns=[TICK], errors="ignore").drop_duplicates(ROW_ID, keep="last")
        parts.append(production.merge(labels, on=ROW_ID, how="inner"))
    if len(external):
        parts.append(external)
    if not parts:
        return pd.DataFrame()
    joined = pd.concat(parts, ignore_index=True)
    return joined.sort_values([TICK, ROW_ID], kind="stable").reset_index(drop=True)
