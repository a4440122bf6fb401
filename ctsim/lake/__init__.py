"""The data lake on the object store: one Parquet object per source and tick.

Writes are create-only (If-None-Match), so a batch replayed after an outage
or a crash is written exactly once: a second write of the same bytes is a
no-op, a second write of different bytes is a conflict.
"""

from __future__ import annotations

import io

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


def read_window(store: ObjectStore, layout: Layout, source: str, first_tick: int, last_tick: int) -> pd.DataFrame:
    """Every batch of ``source`` with first_tick <= tick <= last_tick, in tick order."""
    frames = [
        parquet_to_frame(store.get(key).data, key) for key in list_batches(store, layout, source, first_tick, last_tick)
    ]
    frames = [frame for frame in frames if len(frame.columns)]
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames, ignore_index=True)


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
