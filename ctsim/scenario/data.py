"""Seeded data sources for a scenario: the synthetic generator and file replay.

Each tick's data depends only on (seed, tick), never on what was drawn
before, so any tick can be regenerated and one seed gives one timeline.
Production rows carry features only; their labels arrive later as feedback.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from ctsim.contract import EVENT_TIME, ROW_ID, TICK, ColumnSpec, DataContract
from ctsim.errors import ScenarioError
from ctsim.scenario.model import (
    BadDataEvent,
    BadModelEvent,
    Clock,
    ConceptDriftEvent,
    DriftEvent,
    Generator,
    LabelShiftEvent,
    Replay,
    Scenario,
    TrafficSpikeEvent,
)

SEGMENTS = ("a", "b", "c")
FEATURE_BOUND = 50.0
OUT_OF_RANGE_VALUE = 1e6


@dataclass(frozen=True)
class TickBatch:
    production: pd.DataFrame  # meta columns + features, as served
    truth: pd.DataFrame  # row_id, label: the real labels of production rows
    external: pd.DataFrame  # labelled rows from the external source


class DataSource:
    """The scenario's data, tick by tick: batches, delayed feedback and the contract."""

    contract: DataContract
    label_delay: int

    def batch(self, tick: int) -> TickBatch:
        raise NotImplementedError

    def feedback(self, tick: int) -> pd.DataFrame:
        """Labels that arrive at ``tick``: those of the batch served ``label_delay`` ticks earlier."""
        served = tick - self.label_delay
        if served < 0:
            return pd.DataFrame({ROW_ID: pd.Series(dtype=str), self.contract.label: pd.Series(dtype=int)})
        labels = self._published_labels(served)
        return labels.assign(**{TICK: tick})

    def _published_labels(self, served_tick: int) -> pd.DataFrame:
        return self.batch(served_tick).truth


def open_source(scenario: Scenario, base_dir: Path) -> DataSource:
    spec = scenario.data.source
    source: DataSource
    if isinstance(spec, Replay):
        source = ReplaySource(scenario, spec, base_dir)
    else:
        source = SyntheticSource(scenario, spec)
    source.contract = replace(source.contract, impute=scenario.gates.data.impute)
    return source


class SyntheticSource(DataSource):
    """Class-conditional Gaussians whose means, priors and roles the scenario's events move.

    binary: two classes at -/+ separation/2 on the informative features. multiclass: ``n_classes``
    classes, uniform priors (a label_shift gives the last class ``positive_share``), centres drawn once
    from the seed at the scale of the binary ones; concept drift moves every class's rows to the next
    class's centre. regression: target = 10 + separation/2 * (sum of the informative features) + a
    segment effect + noise; concept drift flips the sign of the coefficients.
    """

    def __init__(self, scenario: Scenario, generator: Generator):
        self.scenario = scenario
        self.spec = generator
        self.label_delay = generator.label_delay_ticks
        numeric = tuple(
            ColumnSpec(f"x{i}", "numeric", -FEATURE_BOUND, FEATURE_BOUND) for i in range(generator.numeric_features)
        )
        categorical = (ColumnSpec("segment", "categorical", categories=SEGMENTS),) if generator.categorical else ()
        task = scenario.task
        labels = tuple(range(generator.n_classes)) if task == "multiclass" else () if task == "regression" else (0, 1)
        self.contract = DataContract(features=numeric + categorical, labels=labels, task=task)
        centres = np.random.default_rng([scenario.seed, 7]).standard_normal(
            (generator.n_classes, generator.informative_features)
        )
        self.centres = centres * generator.separation / 2
        # Tick t asks for batch t and, for its feedback, batch t - label_delay: label_delay + 1 batches
        # cover it. A larger cache holds batches nobody asks for again (a 100k-row batch is ~30 MB).
        self.batch = lru_cache(maxsize=generator.label_delay_ticks + 1)(self._make_batch)  # type: ignore[method-assign]

    def rows_at(self, tick: int) -> int:
        base = self.spec.rows_per_tick * self.spec.growth.scale(tick)
        factor = np.prod([e.factor for e in self.scenario.events_of(TrafficSpikeEvent) if e.active(tick)] or [1.0])
        return max(1, int(round(base * factor)))

    def _make_batch(self, tick: int) -> TickBatch:
        rng = np.random.default_rng([self.scenario.seed, tick, 1])
        production, truth = self._draw(rng, tick, self.rows_at(tick), prefix="p")
        production = self._inject_faults(production, rng, tick)
        external = pd.DataFrame()
        if self.spec.external_rows_per_tick:
            rows, labels = self._draw(rng, tick, self.spec.external_rows_per_tick, prefix="e")
            external = rows.merge(labels, on=ROW_ID)
        return TickBatch(production, truth, external)

    def _draw(self, rng: np.random.Generator, tick: int, n: int, prefix: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        if self.scenario.task == "regression":
            frame, labels = self._draw_regression(rng, tick, n)
        else:
            frame, labels = self._draw_classes(rng, tick, n)
        ids = np.char.add(f"{prefix}{tick:05d}-", np.char.zfill(np.arange(n).astype(str), 7))
        start = self.scenario.clock.time_of(tick)
        length = self.scenario.clock.length_of(tick).total_seconds()
        offsets = pd.to_timedelta(np.sort(rng.random(n)) * length, unit="s")
        meta = pd.DataFrame({ROW_ID: ids, TICK: tick, EVENT_TIME: pd.Timestamp(start) + offsets})
        production = pd.concat([meta, frame], axis=1)
        return production, pd.DataFrame({ROW_ID: ids, "label": labels})

    def _draw_classes(self, rng: np.random.Generator, tick: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
        spec = self.spec
        share = next((e.positive_share for e in self.scenario.events_of(LabelShiftEvent) if e.active(tick)), None)
        concept_flipped = any(e.active(tick) for e in self.scenario.events_of(ConceptDriftEvent))
        if self.scenario.task == "binary":
            labels = (rng.random(n) < (spec.positive_share if share is None else share)).astype(int)
            role = 1 - labels if concept_flipped else labels
            centre = np.where(role == 1, 1.0, -1.0)[:, None] * spec.separation / 2
        else:
            k = spec.n_classes
            priors = np.full(k, 1 / k) if share is None else np.append(np.full(k - 1, (1 - share) / (k - 1)), share)
            labels = rng.choice(k, size=n, p=priors)
            role = (labels + 1) % k if concept_flipped else labels
            centre = self.centres[role]
        features = rng.standard_normal((n, spec.numeric_features))
        features[:, : spec.informative_features] += centre
        features += self._shift(tick)
        frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(spec.numeric_features)])
        if spec.categorical:
            # Segment 'a' leans to odd roles (role 1 in binary), 'c' to even ones: a weakly informative categorical.
            weights = np.where(role[:, None] % 2 == 1, [0.5, 0.3, 0.2], [0.2, 0.3, 0.5])
            frame["segment"] = np.array(SEGMENTS)[(rng.random(n)[:, None] > weights.cumsum(axis=1)).sum(axis=1)]
        return frame, labels

    def _draw_regression(self, rng: np.random.Generator, tick: int, n: int) -> tuple[pd.DataFrame, np.ndarray]:
        spec = self.spec
        concept_flipped = any(e.active(tick) for e in self.scenario.events_of(ConceptDriftEvent))
        features = rng.standard_normal((n, spec.numeric_features)) + self._shift(tick)
        coefficient = (-1 if concept_flipped else 1) * spec.separation / 2
        target = 10 + coefficient * features[:, : spec.informative_features].sum(axis=1)
        frame = pd.DataFrame(features, columns=[f"x{i}" for i in range(spec.numeric_features)])
        if spec.categorical:
            segment = (rng.random(n) * len(SEGMENTS)).astype(int)
            frame["segment"] = np.array(SEGMENTS)[segment]
            target += np.array([1.0, 0.0, -1.0])[segment]
        return frame, target + spec.noise * rng.standard_normal(n)

    def _shift(self, tick: int) -> np.ndarray:
        shift = np.zeros(self.spec.numeric_features)
        for event in self.scenario.events_of(DriftEvent):
            names = event.features or tuple(f"x{i}" for i in range(self.spec.informative_features))
            for name in names:
                shift[int(name[1:])] += event.shift * event.intensity(tick)
        return shift

    def _inject_faults(self, production: pd.DataFrame, rng: np.random.Generator, tick: int) -> pd.DataFrame:
        for event in self.scenario.events_of(BadDataEvent):
            if event.active(tick):
                production = apply_fault(production, event, rng)
        return production

    def _published_labels(self, served_tick: int) -> pd.DataFrame:
        rng = np.random.default_rng([self.scenario.seed, served_tick, 2])
        truth = self.batch(served_tick).truth
        truth = truth[rng.random(len(truth)) < self.spec.feedback_share].reset_index(drop=True)
        return corrupt_labels(truth, self.scenario, served_tick, rng, self.contract)


def apply_fault(frame: pd.DataFrame, event: BadDataEvent, rng: np.random.Generator) -> pd.DataFrame:
    """Break a production batch the way upstream systems do."""
    column = event.column or "x0"
    hit = rng.random(len(frame)) < event.share
    frame = frame.copy()
    if event.fault == "nulls":
        frame.loc[hit, column] = None
    elif event.fault == "out_of_range":
        frame.loc[hit, column] = OUT_OF_RANGE_VALUE if frame[column].dtype.kind == "f" else "??"
    elif event.fault == "schema_change":
        frame = frame.rename(columns={column: f"{column}_v2"})
    elif event.fault == "duplicates":
        frame = pd.concat([frame, frame[hit]], ignore_index=True)
    return frame


def corrupt_labels(
    truth: pd.DataFrame, scenario: Scenario, served_tick: int, rng: np.random.Generator, contract: DataContract
) -> pd.DataFrame:
    """Label noise or label flips on feedback for rows served during a bad-model event.

    Noise draws a random class (a random one of the batch's targets for regression); a flip moves a class
    to the next one (1 - label for binary) and mirrors a regression target around the batch's mean.
    """
    for event in scenario.events_of(BadModelEvent):
        if event.mode == "sabotage" or not event.active(served_tick):
            continue
        hit = rng.random(len(truth)) < event.share
        labels = truth["label"].to_numpy().copy()
        regression = contract.task == "regression"
        if event.mode == "label_flip":
            labels[hit] = 2 * labels.mean() - labels[hit] if regression else (labels[hit] + 1) % len(contract.labels)
        elif regression:
            labels[hit] = rng.choice(labels, hit.sum()) if len(labels) else labels[hit]
        else:
            labels[hit] = rng.integers(0, len(contract.labels), hit.sum())
        truth = truth.assign(label=labels)
    return truth


class ReplaySource(DataSource):
    """A user's CSV or Parquet file, replayed tick by tick.

    ``slicing: time`` (the default) puts each row on the tick whose interval holds its timestamp and keeps
    that timestamp as the row's ``event_time``; ticks without rows are empty, rows outside the clock's span
    are not replayed. ``slicing: rows`` sorts the file by time and cuts it into ``clock.ticks`` equal
    slices, every row stamped with its tick's start.
    """

    def __init__(self, scenario: Scenario, replay: Replay, base_dir: Path):
        self.scenario = scenario
        self.label_delay = replay.label_delay_ticks
        path = base_dir / replay.path if (base_dir / replay.path).is_file() else Path(replay.path)
        frame = read_table(path)
        for role, name in (("time_column", replay.time_column), ("target_column", replay.target_column)):
            if name not in frame.columns:
                raise ScenarioError(
                    f"{path}: data.replay.{role} names column '{name}', which the file does not have "
                    f"(columns: {', '.join(map(str, frame.columns))})"
                )
        order = time_order(frame[replay.time_column], path, replay.time_column)
        frame = frame.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
        order = order.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
        if replay.slicing == "time":
            self.slices, self.times = time_slices(order, scenario.clock, path, replay.time_column)
        else:
            if len(frame) < scenario.clock.ticks:
                raise ScenarioError(
                    f"{path}: holds {len(frame)} rows, fewer than clock.ticks "
                    f"({scenario.clock.ticks}): with data.replay.slicing 'rows' every tick replays "
                    "at least one row"
                )
            self.slices, self.times = np.array_split(np.arange(len(frame)), scenario.clock.ticks), None
        refuse_reserved(frame.columns, (replay.time_column, replay.target_column), path)
        target, labels, names = task_labels(
            frame[replay.target_column], path, replay.target_column, scenario.task, replay.positive_label
        )
        features = frame.drop(columns=[replay.time_column, replay.target_column])
        features = tame_high_cardinality(features, replay, path)
        frame["label"] = target
        self.contract = replace(infer_contract(features), task=scenario.task, labels=labels, class_names=names)
        self.frame = pd.concat([features, frame[["label"]]], axis=1)

    def batch(self, tick: int) -> TickBatch:
        rows = self.frame.iloc[self.slices[tick]].reset_index(drop=True)
        ids = [f"r{tick:05d}-{i:07d}" for i in range(len(rows))]
        stamps = (
            self.times.iloc[self.slices[tick]].to_numpy()
            if self.times is not None
            else np.full(len(rows), pd.Timestamp(self.scenario.clock.time_of(tick)), dtype="datetime64[ns]")
        )
        meta = pd.DataFrame(
            {
                ROW_ID: pd.Series(ids, dtype=object),
                TICK: pd.Series(tick, index=range(len(rows)), dtype="int64"),
                EVENT_TIME: pd.Series(stamps, dtype="datetime64[ns]"),
            }
        )
        production = pd.concat([meta, rows.drop(columns=["label"])], axis=1)
        truth = pd.DataFrame({ROW_ID: pd.Series(ids, dtype=object), "label": rows["label"].to_numpy()})
        return TickBatch(production, truth, pd.DataFrame())


def time_slices(times: pd.Series, clock: Clock, path: Path, column: str) -> tuple[list[np.ndarray], pd.Series]:
    """Row positions per tick by timestamp (``times`` sorted), and the timestamps as naive UTC.

    Tick t holds the rows with time_of(t) <= time < time_of(t + 1).
    """
    if not pd.api.types.is_datetime64_any_dtype(times):
        raise ScenarioError(
            f"{path}: data.replay.slicing 'time' needs dates/times in time column '{column}'; "
            f"it holds numbers (e.g. {times.iloc[0]!r}): use slicing 'rows' or write dates"
        )
    if getattr(times.dt, "tz", None) is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    times = times.astype("datetime64[ns]")
    edges = pd.DatetimeIndex([clock.time_of(t) for t in range(clock.ticks + 1)]).to_numpy(dtype="datetime64[ns]")
    tick_of = np.searchsorted(edges, times.to_numpy(), side="right") - 1
    inside = (tick_of >= 0) & (tick_of < clock.ticks)
    if not inside.any():
        raise ScenarioError(
            f"{path}: no row of time column '{column}' ({times.iloc[0]} to {times.iloc[-1]}) falls in "
            f"the clock's span ({edges[0]} to {edges[-1]}); move clock.start or use slicing 'rows'"
        )
    positions = np.arange(len(times))
    return [positions[tick_of == t] for t in range(clock.ticks)], times


RESERVED = (ROW_ID, TICK, EVENT_TIME, "label")
HASH_BUCKETS = 32
log = logging.getLogger(__name__)


def refuse_reserved(columns: pd.Index, roles: tuple[str, str], path: Path) -> None:
    """A feature may not take a name ctsim writes itself: it would be overwritten or crash the lake."""
    for name in columns:
        if str(name) in RESERVED and name not in roles:
            raise ScenarioError(
                f"{path}: column '{name}' has a name ctsim reserves for its own columns "
                f"({', '.join(RESERVED)}); rename it in the file"
            )


def tame_high_cardinality(features: pd.DataFrame, replay: Replay, path: Path) -> pd.DataFrame:
    """Text columns with more than ``max_categories`` values, handled by ``high_cardinality``, with a warning."""
    for name in list(features.columns):
        series = features[name]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            continue
        distinct = int(series.dropna().astype(str).nunique())
        if distinct <= replay.max_categories:
            continue
        action = {"drop": "dropped", "hash": f"hashed into {HASH_BUCKETS} buckets", "keep": "kept as it is"}
        log.warning(
            "%s: text column '%s' holds %d distinct values (more than max_categories %d): %s "
            "(data.replay.high_cardinality: drop, hash or keep)",
            path,
            name,
            distinct,
            replay.max_categories,
            action[replay.high_cardinality],
        )
        if replay.high_cardinality == "drop":
            features = features.drop(columns=[name])
        elif replay.high_cardinality == "hash":
            buckets = pd.util.hash_pandas_object(series.astype(str), index=False).to_numpy() % HASH_BUCKETS
            hashed = pd.Series(np.char.add("h", np.char.zfill(buckets.astype(str), 2)), index=series.index)
            features[name] = hashed.where(series.notna(), None)
    return features


# A replay file is read whole into memory (unlike generated data): at most 5e7 values, ~400 MB as float64.
MAX_REPLAY_VALUES = 50_000_000
MAX_REPLAY_BYTES = 2 * MAX_REPLAY_VALUES  # a CSV value takes at least two bytes: its text and a separator


def read_table(path: Path) -> pd.DataFrame:
    """The replay file as a frame, refused before it is read when it could hold more than ``MAX_REPLAY_VALUES``."""
    parquet = path.suffix.lower() in (".parquet", ".pq")
    try:
        check_replay_size(path, parquet)
        return pd.read_parquet(path) if parquet else pd.read_csv(path)
    except ScenarioError:
        raise
    except Exception as exc:  # pandas raises many unrelated types for unreadable files
        raise ScenarioError(f"{path}: cannot read the replay file as {'Parquet' if parquet else 'CSV'}: {exc}") from exc


def check_replay_size(path: Path, parquet: bool) -> None:
    """At most ``MAX_REPLAY_VALUES``: a CSV of ``MAX_REPLAY_BYTES`` holds no more (two bytes a value at least);
    a Parquet file says its rows and columns in its footer, read without reading the data."""
    size = path.stat().st_size
    if size > MAX_REPLAY_BYTES:
        raise ScenarioError(
            f"{path}: the replay file is {size:,} bytes; at most {MAX_REPLAY_BYTES:,} bytes "
            f"(up to {MAX_REPLAY_VALUES:.3g} values, read whole into memory)"
        )
    if parquet:
        import pyarrow.parquet as pq

        meta = pq.ParquetFile(path).metadata
        if meta.num_rows * meta.num_columns > MAX_REPLAY_VALUES:
            raise ScenarioError(
                f"{path}: the replay file holds {meta.num_rows} rows of {meta.num_columns} columns; "
                f"at most {MAX_REPLAY_VALUES:.3g} values (a replay is read whole into memory)"
            )


def time_order(times: pd.Series, path: Path, column: str) -> pd.Series:
    """The time column as something that sorts in time: numbers as they are, text parsed as dates and times."""
    if times.isna().any():
        row = int(np.flatnonzero(times.isna().to_numpy())[0])
        raise ScenarioError(f"{path}: time column '{column}' is blank in data row {row + 1}; every row needs a time")
    if pd.api.types.is_numeric_dtype(times) or pd.api.types.is_datetime64_any_dtype(times):
        return times
    parsed = pd.to_datetime(times.astype(str), errors="coerce", format="mixed", utc=True)
    if parsed.isna().any():
        row = int(np.flatnonzero(parsed.isna().to_numpy())[0])
        raise ScenarioError(
            f"{path}: time column '{column}' must hold numbers or dates/times; "
            f"data row {row + 1} holds {times.iloc[row]!r}"
        )
    return parsed


MAX_CLASSES = 50


def task_labels(
    target: pd.Series, path: Path, column: str, task: str = "binary", positive_label: str | None = None
) -> tuple[np.ndarray, tuple[int, ...], tuple[str, ...]]:
    """The target as the task needs it: (label column, class codes, class names).

    binary: exactly two values, mapped to 0/1 in sorted order (numbers as numbers, text ignoring case:
    False/0/'no' -> 0, {2, 10} -> 10 is 1), or ``positive_label`` -> 1. multiclass: 2 to 50 values (text or
    integers), mapped to 0..k-1 in sorted order. regression: numbers. Never blanks.
    """
    blanks = bool(target.isna().any())
    if task == "regression":
        numbers = pd.to_numeric(target, errors="coerce")
        bad = numbers.isna() | ~np.isfinite(numbers.to_numpy(dtype=float, na_value=np.nan))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise ScenarioError(
                f"{path}: target column '{column}' must hold finite numbers for task regression; "
                f"data row {row + 1} holds {target.iloc[row]!r}"
            )
        return numbers.to_numpy(dtype=float), (), ()
    values = sorted(target.dropna().unique().tolist(), key=_class_order)
    fits = len(values) == 2 if task == "binary" else 2 <= len(values) <= MAX_CLASSES
    if not fits or blanks or (task == "multiclass" and _fractional(target)):
        expected = (
            "exactly two values" if task == "binary" else f"between 2 and {MAX_CLASSES} classes (text or integers)"
        )
        fractions = " with fractions (a numeric target: use task regression)" if _fractional(target) else ""
        raise ScenarioError(
            f"{path}: target column '{column}' must hold {expected} and no blanks for task {task}. "
            f"Got {len(values)} distinct values{' and blanks' if blanks else ''}{fractions}."
        )
    if positive_label is not None:
        values = _positive_last(values, positive_label, path, column, task)
    codes = pd.Categorical(target, categories=values).codes.astype(int)
    return codes, tuple(range(len(values))), tuple(str(value) for value in values)


def _class_order(value: object) -> tuple:
    """Numbers in numeric order, then text ignoring case: 2 before 10, False/0/'no' before True/1/'Yes'."""
    if isinstance(value, (int, float, np.number)):
        return (0, float(value), "", "")
    return (1, 0.0, str(value).casefold(), str(value))


def _positive_last(values: list, positive_label: str, path: Path, column: str, task: str) -> list:
    """The two target values with the one written as ``positive_label`` last (class 1)."""
    named = [value for value in values if str(value) == positive_label]
    if task != "binary":
        raise ScenarioError(f"{path}: data.replay.positive_label applies to task binary only. Got task {task} instead.")
    if not named:
        raise ScenarioError(
            f"{path}: data.replay.positive_label must be one of the values of target column "
            f"'{column}' ({', '.join(map(str, values))}). Got '{positive_label}' instead."
        )
    return [value for value in values if value not in named] + named


def _fractional(target: pd.Series) -> bool:
    numbers = pd.to_numeric(target, errors="coerce").dropna()
    return len(numbers) > 0 and bool((numbers != np.round(numbers)).any())


def infer_contract(features: pd.DataFrame) -> DataContract:
    """Numeric columns keep a generous range around what the file holds; others become categories."""
    columns = []
    for name in features.columns:
        series = features[name]
        if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            low, high = float(series.min()), float(series.max())
            margin = max(high - low, 1.0)
            columns.append(ColumnSpec(str(name), "numeric", low - margin, high + margin))
        else:
            categories = tuple(sorted(series.dropna().astype(str).unique()))
            columns.append(ColumnSpec(str(name), "categorical", categories=categories))
    return DataContract(features=tuple(columns))
