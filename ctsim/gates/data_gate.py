"""The data gate: is this batch fit to train on?

A batch is checked against its ``DataContract`` by a fixed list of rules
(schema, row count, nulls, duplicates, out-of-range values, constant
columns). Every rule always yields one ``Reason`` with the number it saw and
the threshold it compared against, so a report can show the whole picture
and not only the first failure.

Two promises the property tests hold us to:

* it never raises, whatever the frame holds (NaN, inf, ``object`` columns,
  lists in cells, zero rows, zero columns, duplicate column names): a bad
  batch is a blocked decision, not a crash in the middle of a pipeline;
* the decision does not depend on row order: every statistic is a count
  (nulls, duplicates, distinct values), never a first/last/rolling value.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable
from numbers import Real
from typing import Any

import numpy as np
import pandas as pd

from ctsim.contract import META_COLUMNS, ColumnSpec, DataContract
from ctsim.reasons import GateDecision, Reason
from ctsim.settings import DataGateSettings

__all__ = ["GATE", "check_data"]

GATE = "data gate"
_NONE = "none"


def check_data(frame: pd.DataFrame, contract: DataContract, settings: DataGateSettings) -> GateDecision:
    """Check one batch against the contract; blocked unless every rule holds.

    Meta columns (``row_id``, ``tick``, ``event_time``) are ignored: they are
    bookkeeping, and ``row_id`` alone would make every row unique.
    """
    columns = _first_positions(frame)
    checked = _checked_columns(contract, columns)
    rows = len(frame.index)
    views = {name: _ColumnView(frame.iloc[:, columns[name]], spec, contract.labels) for name, spec in checked}
    # imputed features are filled before training and serving: only missing labels make rows unusable
    nullable = {name for name, spec in checked if spec is None or settings.impute == "none"}
    # A window without a single batch (the empty ticks of a time-sliced replay) has no schema to judge:
    # too few rows is then the one honest reason.
    arrived = rows > 0 or len(frame.columns) > 0
    reasons = (
        *(_schema_reasons(frame, contract, columns) if arrived else ()),
        Reason("rows >= min_rows", rows, settings.min_rows, rows >= settings.min_rows),
        _worst_share(
            "null_share",
            "max_null_share",
            settings.max_null_share,
            rows,
            {name: view.null_count for name, view in views.items() if name in nullable},
        ),
        _duplicate_reason(frame, [columns[name] for name, _ in checked], rows, settings),
        _worst_share(
            "out_of_range_share",
            "max_out_of_range_share",
            settings.max_out_of_range_share,
            rows,
            {name: view.out_of_range_count for name, view in views.items()},
        ),
        _constant_reason(contract, views, settings),
    )
    return GateDecision(gate=GATE, reasons=reasons)


# --- column access -----------------------------------------------------------------------------


class _ColumnView:
    """One contract column of the batch, reduced to three counts: null, out-of-range and distinct cells.

    The label column is viewed like a categorical column whose categories are
    ``contract.labels``. Numeric columns treat +/-inf as null (a model cannot
    use them either) and any cell that is not a number as out of range.
    """

    def __init__(self, series: pd.Series, spec: ColumnSpec | None, labels: tuple[int, ...]) -> None:
        if spec is not None and spec.kind == "numeric":
            self._count_numeric(series, spec)
        elif spec is not None:
            self._count_categorical(series, spec.categories)
        else:
            self._count_categorical(series, labels, must_match=True)

    def _count_numeric(self, series: pd.Series, spec: ColumnSpec) -> None:
        values, is_number = _as_floats(series)
        null = (~is_number & _isna(series)) | (is_number & ~np.isfinite(values))
        finite = values[is_number & ~null]
        not_number = _cells(series, ~is_number & ~null)
        low = -math.inf if spec.minimum is None else spec.minimum
        high = math.inf if spec.maximum is None else spec.maximum
        self.null_count = int(null.sum())
        self.out_of_range_count = len(not_number) + int(((finite < low) | (finite > high)).sum())
        self.distinct_count = int(np.unique(finite).size) + _distinct(not_number)

    def _count_categorical(self, series: pd.Series, allowed: tuple[Any, ...], must_match: bool = False) -> None:
        """Categories are only enforced when the contract lists some (labels always are)."""
        null = _isna(series)
        present = _cells(series, ~null)
        self.null_count = int(null.sum())
        self.out_of_range_count = _count_outside(present, allowed) if (allowed or must_match) else 0
        self.distinct_count = _distinct(present)


def _first_positions(frame: pd.DataFrame) -> dict[Hashable, int]:
    """Map each column label to its first position, so duplicated labels cannot turn a column into a frame."""
    positions: dict[Hashable, int] = {}
    for position, label in enumerate(frame.columns):
        positions.setdefault(label, position)
    return positions


def _checked_columns(contract: DataContract, columns: dict[Hashable, int]) -> list[tuple[str, ColumnSpec | None]]:
    """Contract columns present in the batch, features first then the label (spec None: one of the classes;
    a regression label is an unbounded number)."""
    wanted: list[tuple[str, ColumnSpec | None]] = [(spec.name, spec) for spec in contract.features]
    wanted.append((contract.label, ColumnSpec(contract.label, "numeric") if contract.task == "regression" else None))
    return [(name, spec) for name, spec in wanted if name in columns]


def _as_floats(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Float values and a mask of the cells that are real numbers (bools count; strings never do)."""
    if _is_real_dtype(series.dtype):
        values = series.to_numpy(dtype="float64", na_value=np.nan)
        return values, ~np.isnan(values)
    cells = series.tolist()
    values = np.array([_to_float(cell) for cell in cells], dtype="float64").reshape(len(cells))
    return values, ~np.isnan(values)


def _to_float(cell: Any) -> float:
    """A real number as float; anything else (strings, lists, timestamps, huge ints) as NaN."""
    if not isinstance(cell, Real):
        return math.nan
    try:
        return float(cell)
    except (TypeError, ValueError, OverflowError):
        return math.nan


def _is_real_dtype(dtype: Any) -> bool:
    api = pd.api.types
    return bool(api.is_bool_dtype(dtype) or api.is_integer_dtype(dtype) or api.is_float_dtype(dtype))


def _isna(series: pd.Series) -> np.ndarray:
    return np.asarray(series.isna(), dtype=bool).reshape(len(series))


def _cells(series: pd.Series, mask: np.ndarray) -> list[Any]:
    return series.iloc[np.flatnonzero(mask)].tolist()


_NULL = ("null",)


def _key(value: Any) -> Hashable:
    """A hashable stand-in for a cell: every null is one key, and lists or dicts cannot make a rule raise."""
    try:
        hash(value)
    except TypeError:
        return ("unhashable", type(value).__name__, repr(value))
    null = pd.isna(value)
    return _NULL if isinstance(null, (bool, np.bool_)) and null else value


def _count_outside(values: list[Any], allowed: tuple[Any, ...]) -> int:
    allowed_keys = {_key(item) for item in allowed}
    return sum(not _is_in(value, allowed_keys) for value in values)


def _is_in(value: Any, allowed: set[Hashable]) -> bool:
    try:
        return bool(_key(value) in allowed)
    except (TypeError, ValueError):
        return False


def _distinct(values: list[Any]) -> int:
    return len({_key(value) for value in values})


# --- rules -------------------------------------------------------------------------------------


def _schema_reasons(frame: pd.DataFrame, contract: DataContract, columns: dict[Hashable, int]) -> tuple[Reason, ...]:
    """Missing, unexpected, duplicated and mistyped columns, each named in the observation."""
    required = (*contract.feature_names, contract.label)
    known = set(required) | set(META_COLUMNS)
    missing = [name for name in required if name not in columns]
    unexpected = [str(label) for label in columns if not _is_known(label, known)]
    counts = Counter(frame.columns)
    duplicated = [str(label) for label in columns if counts[label] > 1]
    dtypes = {spec.name: frame.dtypes.iloc[columns[spec.name]] for spec in contract.features if spec.name in columns}
    mistyped = [
        f"{spec.name} ({dtypes[spec.name]})"
        for spec in contract.features
        if spec.kind == "numeric" and spec.name in dtypes and not _is_real_dtype(dtypes[spec.name])
    ]
    return (
        _listing("schema: missing columns", missing),
        _listing("schema: unexpected columns", unexpected),
        _listing("schema: duplicated column names", duplicated),
        _listing("schema: numeric columns with non-numeric dtype", mistyped),
    )


def _is_known(label: Hashable, known: set[str]) -> bool:
    return isinstance(label, str) and label in known


def _listing(rule: str, names: list[str]) -> Reason:
    return Reason(rule, ", ".join(names) if names else _NONE, _NONE, not names)


def _share(count: int, rows: int) -> float:
    """Share of rows; an empty batch has no bad rows (the row-count rule blocks it instead)."""
    return count / rows if rows else 0.0


def _worst_share(measure: str, setting: str, limit: float, rows: int, counts: dict[str, int]) -> Reason:
    """The worst column's share, named in the rule text; the first in contract order wins ties."""
    if not counts:
        return Reason(f"{measure} <= {setting}", 0.0, limit, True)
    name = max(counts, key=lambda column: counts[column])
    share = _share(counts[name], rows)
    return Reason(f"{measure}[{name}] <= {setting}", share, limit, share <= limit)


def _duplicate_reason(frame: pd.DataFrame, positions: list[int], rows: int, settings: DataGateSettings) -> Reason:
    """Share of rows that repeat another row over the feature and label columns.

    Rows minus distinct rows, whichever copy pandas marks, so row order does
    not matter; all nulls compare equal, so two rows of NaN are duplicates.
    """
    keyed = {position: _keyed_column(frame.iloc[:, position]) for position in positions}
    duplicates = int(pd.DataFrame(keyed, index=range(rows)).duplicated().sum()) if positions else 0
    share = _share(duplicates, rows)
    return Reason(
        "duplicate_share <= max_duplicate_share",
        share,
        settings.max_duplicate_share,
        share <= settings.max_duplicate_share,
    )


def _keyed_column(series: pd.Series) -> np.ndarray | list[Hashable]:
    """Plain numpy columns as they are (pandas hashes them fast); anything else through ``_key``."""
    if _is_real_dtype(series.dtype) and isinstance(series.dtype, np.dtype):
        return series.to_numpy()
    return [_key(cell) for cell in series.tolist()]


def _constant_reason(contract: DataContract, views: dict[str, _ColumnView], settings: DataGateSettings) -> Reason:
    """Feature columns with fewer than two distinct non-null values: they carry no signal."""
    constant = [spec.name for spec in contract.features if spec.name in views and views[spec.name].distinct_count < 2]
    threshold = "allowed" if settings.allow_constant_columns else _NONE
    observed = ", ".join(constant) if constant else _NONE
    return Reason("constant feature columns", observed, threshold, settings.allow_constant_columns or not constant)
