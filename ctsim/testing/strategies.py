"""Hypothesis strategies for ctsim's inputs: compose them in your own property tests.

    from hypothesis import given
    from ctsim.testing.strategies import faulty_batches, data_contracts

Every strategy is a function returning a strategy; each value it produces is
valid for ctsim (settings validate, contracts are well-formed) unless it is
a fault on purpose, and then the ``Fault`` it carries says what was broken.

Metric values lie on a grid of 1e-4 (an accuracy over at most 10,000 rows),
so counterexamples shrink to short decimals like 0.7201. Large frames draw
one seed from hypothesis and fill their cells with numpy: shrinking then
works on the sizes, columns and fault counts, which are what explain a
failure, and the example stays within hypothesis' buffer.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from ctsim.contract import ROW_ID, TICK, ColumnKind, ColumnSpec, DataContract
from ctsim.gates.canary import Observation
from ctsim.scenario.model import Scenario
from ctsim.settings import (
    CanarySettings,
    DataGateSettings,
    DriftTriggerSettings,
    ModelGateSettings,
    PerformanceTriggerSettings,
    ScheduleTriggerSettings,
    TriggerSettings,
    VolumeTriggerSettings,
)
from ctsim.steps.metrics import METRICS as METRIC_REGISTRY
from ctsim.steps.metrics import metric_spec

__all__ = [
    "CRONS",
    "FAULTS",
    "GRID",
    "METRICS",
    "TRIGGERS",
    "Fault",
    "FaultyBatch",
    "MetricSet",
    "ObservationStream",
    "Regression",
    "as_metric",
    "canary_settings",
    "clean_batches",
    "data_contracts",
    "data_gate_settings",
    "drift_trigger_settings",
    "faulty_batches",
    "feasible_faults",
    "metric_sets",
    "metric_values",
    "model_gate_settings",
    "observation_streams",
    "observations",
    "performance_trigger_settings",
    "regressions",
    "row_arrivals",
    "same_distribution_frames",
    "same_distribution_pair",
    "schedule_trigger_settings",
    "simulated_times",
    "small_scenarios",
    "trigger_histories",
    "trigger_settings",
    "volume_trigger_settings",
]

GRID = 10_000
METRICS = ("accuracy", "f1", "roc_auc")
TRIGGERS = ("schedule", "volume", "performance", "drift")
FAULTS = ("nulls", "schema_change", "out_of_range", "duplicates", "constant_column", "too_few_rows")
CRONS = ("0 0 * * 1", "0 0 * * *", "0 * * * *", "*/15 * * * *", "30 2 * * 1-5", "0 9 1 * *", "0 0 29 2 *")
_SEEDS = st.integers(0, 2**32 - 1)
_EXTRA_ROWS = 20


# --- metrics ------------------------------------------------------------------------------------


def metric_values(low: float = 0.0, high: float = 1.0) -> st.SearchStrategy[float]:
    """A metric in [low, high] on the 1e-4 grid."""
    # Rounding first keeps float noise (0.1 * 3 * GRID = 3000.0000000000005) from moving a bound by a step.
    return st.integers(math.ceil(round(low * GRID, 6)), math.floor(round(high * GRID, 6))).map(lambda n: n / GRID)


def as_metric(metric: str, goodness: float) -> float:
    """A value drawn as "goodness" in [0, 1] (higher is better) as ``metric`` reads it: the same number for a
    higher-is-better metric, ``1 - goodness`` for a lower-is-better one (log_loss, rmse, mae), kept on the grid.

    Strategies and properties draw in goodness and map at the end, so "worse by more than the tolerance"
    means the same distance in both directions.
    """
    return goodness if metric_spec(metric).higher_is_better else round(1 - goodness, 4)


@dataclass(frozen=True)
class MetricSet:
    """The candidate's metrics and the champion's (None when there is no champion yet)."""

    candidate: dict[str, float]
    champion: dict[str, float] | None


@st.composite
def metric_sets(
    draw: st.DrawFn, metrics: tuple[str, ...] = METRICS, with_champion: st.SearchStrategy[bool] = st.booleans()
) -> MetricSet:
    """Candidate and (maybe) champion values for every metric the model gate can use."""
    candidate = {name: draw(metric_values()) for name in metrics}
    champion = {name: draw(metric_values()) for name in metrics} if draw(with_champion) else None
    return MetricSet(candidate, champion)


@dataclass(frozen=True)
class Regression:
    """A candidate worse than the champion by ``shortfall``."""

    champion: float
    candidate: float

    @property
    def shortfall(self) -> float:
        return self.champion - self.candidate


@st.composite
def regressions(draw: st.DrawFn, tolerance: float = 0.0, floor: float = 0.0) -> Regression:
    """Champion and candidate where the candidate is worse by *more than* ``tolerance``.

    The candidate stays at or above ``floor`` (a gate's absolute minimum blocks
    anything lower anyway). Half the draws land within 0.01 of the tolerance,
    where a gate that is only a little too lenient lets models through; every
    draw shrinks towards one grid step over the tolerance and the lowest champion.
    """
    over = math.floor(round(tolerance * GRID, 6)) + 1  # smallest shortfall strictly above the tolerance
    lowest = math.ceil(floor * GRID)
    if over + lowest > GRID:
        return draw(st.nothing())  # no such pair exists on [0, 1]
    top = GRID - lowest
    shortfall = draw(st.integers(over, min(top, over + GRID // 100)) | st.integers(over, top))
    champion = draw(st.integers(lowest + shortfall, GRID))
    return Regression(champion / GRID, (champion - shortfall) / GRID)


# --- settings within their valid ranges ----------------------------------------------------------


def _shares(exclude_zero: bool = False) -> st.SearchStrategy[float]:
    return st.integers(1 if exclude_zero else 0, GRID).map(lambda n: n / GRID)


def data_gate_settings(max_min_rows: int = 500) -> st.SearchStrategy[DataGateSettings]:
    return st.builds(
        DataGateSettings,
        min_rows=st.integers(1, max_min_rows),
        max_null_share=_shares(),
        max_duplicate_share=_shares(),
        max_out_of_range_share=_shares(),
        allow_constant_columns=st.booleans(),
    )


@st.composite
def model_gate_settings(draw: st.DrawFn, metrics: tuple[str, ...] = tuple(METRIC_REGISTRY)) -> ModelGateSettings:
    """Any metric of the registry with the bound of its direction: min_value, or max_value (maybe none)."""
    metric = draw(st.sampled_from(metrics))
    bound = (
        {"min_value": draw(metric_values())}
        if metric_spec(metric).higher_is_better
        else {"max_value": draw(st.none() | metric_values())}
    )
    return ModelGateSettings.model_validate({"metric": metric, "max_regression": draw(metric_values()), **bound})


@st.composite
def canary_settings(draw: st.DrawFn, max_failure_threshold: int = 10, max_deadline: int = 50) -> CanarySettings:
    max_weight = draw(st.integers(1, 100))
    return CanarySettings(
        step_weight=draw(st.integers(1, max_weight)),
        max_weight=max_weight,
        failure_threshold=draw(st.integers(1, max_failure_threshold)),
        max_regression=draw(metric_values()),
        min_samples=draw(st.integers(1, 500)),
        progress_deadline_ticks=draw(st.integers(1, max_deadline)),
    )


@st.composite
def schedule_trigger_settings(draw: st.DrawFn) -> ScheduleTriggerSettings:
    """Common crons, or 'minute hour * * weekday' with drawn fields."""
    composed = st.builds(
        lambda m, h, d: f"{m} {h} * * {d}",
        st.integers(0, 59),
        st.integers(0, 23),
        st.sampled_from(["*", "0", "1", "3", "1-5", "6,0"]),
    )
    return ScheduleTriggerSettings(cron=draw(st.sampled_from(CRONS) | composed))


def volume_trigger_settings(max_rows: int = 100_000) -> st.SearchStrategy[VolumeTriggerSettings]:
    return st.builds(VolumeTriggerSettings, min_new_rows=st.integers(1, max_rows))


def performance_trigger_settings() -> st.SearchStrategy[PerformanceTriggerSettings]:
    return st.builds(
        PerformanceTriggerSettings,
        max_drop=_shares(exclude_zero=True),
        window_ticks=st.integers(1, 50),
        min_samples=st.integers(1, 10_000),
    )


def drift_trigger_settings() -> st.SearchStrategy[DriftTriggerSettings]:
    methods = st.sampled_from(["auto", "ks", "wasserstein", "psi", "jensenshannon", "chisquare"])
    return st.builds(
        DriftTriggerSettings,
        method=methods,
        threshold=st.none() | _shares(exclude_zero=True),
        drift_share=_shares(exclude_zero=True),
        window_ticks=st.integers(1, 10),
    )


def trigger_settings() -> st.SearchStrategy[TriggerSettings]:
    return st.builds(
        TriggerSettings,
        schedule=st.none() | schedule_trigger_settings(),
        volume=st.none() | volume_trigger_settings(),
        performance=st.none() | performance_trigger_settings(),
        drift=st.none() | drift_trigger_settings(),
        cooldown_ticks=st.integers(0, 20),
    )


# --- data contracts and batches -----------------------------------------------------------------


@st.composite
def data_contracts(draw: st.DrawFn, max_numeric: int = 4, max_categorical: int = 2) -> DataContract:
    """Two or more numeric features (bounded or not) and a few categorical ones (listed categories or free)."""
    numeric = []
    for i in range(draw(st.integers(2, max(2, max_numeric)))):
        low = draw(st.none() | st.integers(-1000, 1000))
        high = None if low is None else low + draw(st.integers(1, 1000))
        numeric.append(
            ColumnSpec(f"x{i}", "numeric", None if low is None else float(low), None if high is None else float(high))
        )
    categorical = []
    for i in range(draw(st.integers(0, max_categorical))):
        categories = draw(st.just(()) | st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=4, unique=True))
        categorical.append(ColumnSpec(f"c{i}", "categorical", categories=tuple(categories)))
    return DataContract(features=tuple(numeric + categorical))


def _clean_frame(contract: DataContract, rows: int, rng: np.random.Generator) -> pd.DataFrame:
    """Rows that pass every data-gate rule: distinct, in range, no nulls, every column has two or more values."""
    columns: dict[str, object] = {ROW_ID: [f"r{i:06d}" for i in range(rows)], TICK: 0}
    for spec in contract.features:
        if spec.kind == "numeric":
            columns[spec.name] = _distinct_numbers(spec, rows, rng)
        else:
            choices = spec.categories or tuple(f"v{k}" for k in range(3))
            columns[spec.name] = rng.permutation(np.resize(np.array(choices, dtype=object), rows))
    if contract.task == "regression":  # any finite number is a valid regression label
        columns[contract.label] = rng.normal(10.0, 3.0, rows)
    else:
        columns[contract.label] = rng.permutation(np.resize(np.array(contract.labels), rows))
    return pd.DataFrame(columns, index=range(rows))


def _distinct_numbers(spec: ColumnSpec, rows: int, rng: np.random.Generator) -> np.ndarray:
    """One value per row in its own slot of the column's range: all distinct and in bounds."""
    low = spec.minimum if spec.minimum is not None else (spec.maximum - 1000 if spec.maximum is not None else -500.0)
    high = spec.maximum if spec.maximum is not None else low + 1000
    slots = rng.permutation(rows) + rng.uniform(0.1, 0.9, rows)
    return low + (high - low) * slots / max(rows, 1)


def _rows_for(settings: DataGateSettings) -> st.SearchStrategy[int]:
    lowest = max(2, settings.min_rows)
    return st.integers(lowest, lowest + _EXTRA_ROWS)


@st.composite
def clean_batches(
    draw: st.DrawFn, contract: DataContract, settings: DataGateSettings = DataGateSettings()
) -> pd.DataFrame:
    """A batch the data gate must pass: at least ``min_rows`` distinct, complete, in-range rows."""
    return _clean_frame(contract, draw(_rows_for(settings)), np.random.default_rng(draw(_SEEDS)))


@dataclass(frozen=True)
class Fault:
    """What was broken: the fault, the column (if one), how many cells or rows, and the gate rule it breaks."""

    kind: str
    column: str | None
    count: int
    rule: str
    detail: str = ""

    def __str__(self) -> str:
        where = f" in {self.column}" if self.column else ""
        detail = f", {self.detail}" if self.detail else ""
        return f"{self.kind}{where} ({self.count} rows{detail}) must break '{self.rule}'"


@dataclass(frozen=True, eq=False)
class FaultyBatch:
    """A batch with one injected fault that breaks the data-gate settings it was drawn for."""

    frame: pd.DataFrame = field(repr=False)
    fault: Fault

    def __repr__(self) -> str:
        return f"FaultyBatch({len(self.frame)} rows, {self.fault})"

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        """Hypothesis prints falsifying examples with this: the short form, never the whole frame."""
        printer.text(repr(self))


@st.composite
def faulty_batches(
    draw: st.DrawFn,
    contract: DataContract,
    settings: DataGateSettings = DataGateSettings(),
    kinds: tuple[str, ...] = FAULTS,
) -> FaultyBatch:
    """A batch with one fault from ``kinds`` big enough to break ``settings``.

    Faults that these settings cannot see are never drawn (a constant column
    when constant columns are allowed, nulls when max_null_share is 1).
    """
    feasible = feasible_faults(contract, settings, kinds)
    if not feasible:
        return draw(st.nothing())
    kind = draw(st.sampled_from(feasible))
    rows = draw(_too_few_rows(settings) if kind == "too_few_rows" else _rows_for(settings))
    rng = np.random.default_rng(draw(_SEEDS))
    frame = _clean_frame(contract, rows, rng)
    return _INJECTORS[kind].inject(draw, frame, contract, settings, rng)


def feasible_faults(
    contract: DataContract, settings: DataGateSettings = DataGateSettings(), kinds: tuple[str, ...] = FAULTS
) -> list[str]:
    """The faults of ``kinds`` that can break ``settings`` (none can when every rule allows everything)."""
    return [kind for kind in kinds if _INJECTORS[kind].feasible(contract, settings)]


def _too_few_rows(settings: DataGateSettings) -> st.SearchStrategy[int]:
    return st.integers(max(1, settings.min_rows - _EXTRA_ROWS), settings.min_rows - 1)


def _smallest_count_above(share: float, rows: int) -> int:
    """The fewest rows whose share of ``rows`` is strictly above ``share`` (rows + 1 if none)."""
    count = math.floor(share * rows)
    while count <= rows and count / rows <= share:
        count += 1
    return count


def _count_above(draw: st.DrawFn, share: float, rows: int, most: int) -> int:
    return draw(st.integers(_smallest_count_above(share, rows), most))


def _is_text(series: pd.Series) -> bool:
    """A text column: ``object`` in pandas 2, the ``str`` dtype in pandas 3 (neither numeric nor bool)."""
    return not (pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype))


def _pick_rows(rng: np.random.Generator, frame: pd.DataFrame, count: int) -> np.ndarray:
    return np.sort(rng.choice(len(frame), size=count, replace=False))


class _Injector:
    def feasible(self, contract: DataContract, settings: DataGateSettings) -> bool:
        return True

    def inject(self, draw, frame, contract, settings, rng) -> FaultyBatch:  # pragma: no cover - interface
        raise NotImplementedError


class _Nulls(_Injector):
    def feasible(self, contract, settings):
        return settings.max_null_share < 1

    def inject(self, draw, frame, contract, settings, rng):
        column = draw(st.sampled_from([*contract.feature_names, contract.label]))
        count = _count_above(draw, settings.max_null_share, len(frame), len(frame))
        text = _is_text(frame[column])
        if not text:
            frame[column] = frame[column].astype(float)  # integer labels cannot hold NaN
        frame.loc[_pick_rows(rng, frame, count), column] = None if text else math.nan
        return FaultyBatch(frame, Fault("nulls", column, count, "null_share"))


class _OutOfRange(_Injector):
    def feasible(self, contract, settings):
        bounded = any(
            spec.minimum is not None or spec.maximum is not None or spec.categories for spec in contract.features
        )
        return settings.max_out_of_range_share < 1 and (bounded or contract.task != "regression")

    def inject(self, draw, frame, contract, settings, rng):
        rows = len(frame)
        bounded = [
            spec
            for spec in contract.features
            if spec.minimum is not None or spec.maximum is not None or spec.categories
        ]
        # a regression label is unbounded: nothing is out of its range
        labels = [contract.label] if contract.task != "regression" else []
        column = draw(st.sampled_from([*(spec.name for spec in bounded), *labels]))
        spec = next((spec for spec in contract.features if spec.name == column), None)
        value, detail = _outside(spec, contract)
        count = _count_above(draw, settings.max_out_of_range_share, rows, rows)
        frame[column] = frame[column].astype(object if isinstance(value, str) else frame[column].dtype)
        frame.loc[_pick_rows(rng, frame, count), column] = value
        return FaultyBatch(frame, Fault("out_of_range", column, count, "out_of_range_share", detail))


def _outside(spec: ColumnSpec | None, contract: DataContract) -> tuple[object, str]:
    """A value the contract does not allow in this column, and how to say so."""
    if spec is None:
        value = max(contract.labels) + 1
        return value, f"label {value}"
    if spec.categories:
        return "__unknown__", "category '__unknown__'"
    if spec.maximum is not None:
        return spec.maximum + 1.0, f"{spec.maximum + 1.0} > maximum {spec.maximum}"
    assert spec.minimum is not None, f"column {spec.name!r} has no bound: _OutOfRange only picks bounded columns"
    return spec.minimum - 1.0, f"{spec.minimum - 1.0} < minimum {spec.minimum}"


class _Duplicates(_Injector):
    def feasible(self, contract, settings):
        # Feasible at the fewest rows drawn means feasible at every size drawn.
        rows = max(2, settings.min_rows)
        return _smallest_count_above(settings.max_duplicate_share, rows) <= rows - 1

    def inject(self, draw, frame, contract, settings, rng):
        count = _count_above(draw, settings.max_duplicate_share, len(frame), len(frame) - 1)
        copies = 1 + _pick_rows(rng, frame.iloc[1:], count)  # never row 0, the original
        for column in (*contract.feature_names, contract.label):
            frame.loc[copies, column] = frame.at[0, column]
        return FaultyBatch(frame, Fault("duplicates", None, count, "duplicate_share", "copies of row 0"))


class _Constant(_Injector):
    def feasible(self, contract, settings):
        return not settings.allow_constant_columns and bool(contract.features)

    def inject(self, draw, frame, contract, settings, rng):
        column = draw(st.sampled_from(contract.feature_names))
        frame[column] = frame[column].iloc[0]
        return FaultyBatch(frame, Fault("constant_column", column, len(frame), "constant feature columns"))


class _SchemaChange(_Injector):
    CHANGES = ("missing", "unexpected", "renamed", "retyped")

    def inject(self, draw, frame, contract, settings, rng):
        numeric = [spec.name for spec in contract.features if spec.kind == "numeric"]
        change = draw(st.sampled_from([c for c in self.CHANGES if c != "retyped" or numeric]))
        rows = len(frame)
        if change == "missing":
            column = draw(st.sampled_from([*contract.feature_names, contract.label]))
            return FaultyBatch(
                frame.drop(columns=[column]),
                Fault("schema_change", column, rows, "schema: missing columns", "column dropped"),
            )
        if change == "unexpected":
            frame["surprise"] = 1.0
            return FaultyBatch(
                frame, Fault("schema_change", "surprise", rows, "schema: unexpected columns", "column added")
            )
        column = draw(st.sampled_from(numeric if change == "retyped" else list(contract.feature_names)))
        if change == "renamed":
            return FaultyBatch(
                frame.rename(columns={column: f"{column}_v2"}),
                Fault("schema_change", column, rows, "schema: missing columns", f"renamed to {column}_v2"),
            )
        frame[column] = frame[column].map(lambda value: f"{value:.3f}")
        return FaultyBatch(
            frame,
            Fault("schema_change", column, rows, "schema: numeric columns with non-numeric dtype", "numbers as text"),
        )


class _TooFewRows(_Injector):
    def feasible(self, contract, settings):
        return settings.min_rows > 1

    def inject(self, draw, frame, contract, settings, rng):
        return FaultyBatch(
            frame, Fault("too_few_rows", None, len(frame), "rows >= min_rows", f"min_rows is {settings.min_rows}")
        )


_INJECTORS: dict[str, _Injector] = {
    "nulls": _Nulls(),
    "schema_change": _SchemaChange(),
    "out_of_range": _OutOfRange(),
    "duplicates": _Duplicates(),
    "constant_column": _Constant(),
    "too_few_rows": _TooFewRows(),
}


@st.composite
def same_distribution_frames(
    draw: st.DrawFn,
    kinds: Mapping[str, ColumnKind],
    reference_rows: tuple[int, int] = (100, 1500),
    current_rows: tuple[int, int] = (50, 500),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current frames drawn from one distribution per column: data without drift."""
    rng = np.random.default_rng(draw(_SEEDS))
    return same_distribution_pair(rng, kinds, reference_rows, current_rows)


def same_distribution_pair(
    rng: np.random.Generator,
    kinds: Mapping[str, ColumnKind],
    reference_rows: tuple[int, int] = (100, 1500),
    current_rows: tuple[int, int] = (50, 500),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One reference and one current window from one distribution (sizes drawn from the inclusive ranges).

    Numeric columns are Gaussians with a drawn mean and spread; categorical ones
    a drawn mix of three to five categories. The default sizes cover both regimes
    of the drift trigger's 'auto' method (up to and above 1000 reference rows).
    """
    samplers = {name: _column_sampler(kind, rng) for name, kind in kinds.items()}
    n_ref, n_cur = (
        int(rng.integers(reference_rows[0], reference_rows[1] + 1)),
        int(rng.integers(current_rows[0], current_rows[1] + 1)),
    )
    return (
        pd.DataFrame({name: sample(n_ref) for name, sample in samplers.items()}),
        pd.DataFrame({name: sample(n_cur) for name, sample in samplers.items()}),
    )


def _column_sampler(kind: str, rng: np.random.Generator):
    if kind == "numeric":
        loc, scale = rng.uniform(-5, 5), rng.uniform(0.5, 3)
        return lambda n: rng.normal(loc, scale, n)
    categories = list("abcde")[: int(rng.integers(3, 6))]
    weights = rng.dirichlet(np.ones(len(categories)) * 2)
    return lambda n: rng.choice(categories, n, p=weights)


# --- histories over simulated time --------------------------------------------------------------


@st.composite
def simulated_times(
    draw: st.DrawFn, tick: timedelta | None = None, max_ticks: int = 40, start: datetime | None = None
) -> list[datetime]:
    """Increasing tick times: every ``tick`` from a drawn start, or irregular steps of 1 minute to 3 weeks."""
    first = start or draw(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
    count = draw(st.integers(1, max_ticks))
    if tick is not None:
        return [first + i * tick for i in range(count + 1)]
    steps = draw(st.lists(st.integers(1, 21 * 24 * 60), min_size=count, max_size=count))
    times = [first]
    for minutes in steps:
        times.append(times[-1] + timedelta(minutes=minutes))
    return times


def row_arrivals(max_ticks: int = 40, max_rows: int = 10_000) -> st.SearchStrategy[list[int]]:
    """New labelled rows per tick."""
    return st.lists(st.integers(0, max_rows), min_size=1, max_size=max_ticks)


def trigger_histories(
    triggers: tuple[str, ...] = TRIGGERS, max_ticks: int = 60
) -> st.SearchStrategy[list[tuple[frozenset[str], bool]]]:
    """Per tick: which triggers fired, and whether a run or canary was busy."""
    fired = st.frozensets(st.sampled_from(triggers), max_size=len(triggers))
    return st.lists(st.tuples(fired, st.booleans()), max_size=max_ticks)


# --- canary observations --------------------------------------------------------------------------


def observations(settings: CanarySettings | None = None, metric: str = "accuracy") -> st.SearchStrategy[Observation]:
    """One tick of canary traffic.

    Without settings: any samples and any metric (None and NaN included).
    With settings: a mix of passing, failing and no-data ticks for exactly
    those settings, so every row of the canary's table gets exercised.
    """
    if settings is None:
        value = st.none() | st.just(math.nan) | st.floats(0, 1)
        return st.builds(
            Observation,
            samples=st.integers(0, 1000),
            canary_metric=value,
            champion_metric=value,
            metric=st.just(metric),
        )
    return st.one_of(_passing(settings, metric), _failing(settings, metric), _no_data(settings, metric))


def _enough(settings: CanarySettings) -> st.SearchStrategy[int]:
    return st.integers(settings.min_samples, settings.min_samples + 200)


@st.composite
def _passing(draw: st.DrawFn, settings: CanarySettings, metric: str) -> Observation:
    champion = draw(metric_values())
    canary = draw(metric_values(max(0.0, champion - settings.max_regression), 1.0))
    return Observation(draw(_enough(settings)), as_metric(metric, canary), as_metric(metric, champion), metric)


@st.composite
def _failing(draw: st.DrawFn, settings: CanarySettings, metric: str) -> Observation:
    """The canary below champion - max_regression by at least one grid step (impossible if that is below 0)."""
    lowest_champion = settings.max_regression + 1 / GRID
    if lowest_champion > 1:
        return draw(_no_data(settings, metric))
    champion = draw(metric_values(lowest_champion, 1.0))
    canary = draw(metric_values(0.0, champion - settings.max_regression - 1 / GRID))
    return Observation(draw(_enough(settings)), as_metric(metric, canary), as_metric(metric, champion), metric)


@st.composite
def _no_data(draw: st.DrawFn, settings: CanarySettings, metric: str) -> Observation:
    if settings.min_samples > 1 and draw(st.booleans()):
        return Observation(
            draw(st.integers(0, settings.min_samples - 1)), draw(metric_values()), draw(metric_values()), metric
        )
    missing = draw(st.sampled_from([None, math.nan]))
    return Observation(draw(_enough(settings)), missing, draw(metric_values()), metric)


class ObservationStream(tuple[Observation, ...]):
    """One canary observation per tick, shown compactly as samples@canary/champion."""

    def __repr__(self) -> str:
        return (
            "ObservationStream["
            + ", ".join(f"{o.samples}@{_metric(o.canary_metric)}/{_metric(o.champion_metric)}" for o in self)
            + "]"
        )

    def _repr_pretty_(self, printer, cycle: bool) -> None:
        printer.text(repr(self))


def _metric(value: float | None) -> str:
    return "None" if value is None else f"{value:.4g}"


def observation_streams(
    settings: CanarySettings | None = None, max_ticks: int = 40, metric: str = "accuracy", min_ticks: int = 0
) -> st.SearchStrategy[ObservationStream]:
    return st.lists(observations(settings, metric), min_size=min_ticks, max_size=max_ticks).map(ObservationStream)


# --- whole scenarios --------------------------------------------------------------------------------


@st.composite
def small_scenarios(draw: st.DrawFn, max_ticks: int = 7) -> Scenario:
    """Valid, small ``Scenario`` objects: a few daily ticks of a few hundred rows, one trigger, maybe one event.

    Small enough that a run takes well under a minute, varied enough to retrain,
    gate, canary and sometimes block (drift, a sabotaged model, bad data).
    """
    ticks = draw(st.integers(5, max(5, max_ticks)))
    rows = draw(st.integers(150, 300))
    numeric = draw(st.integers(2, 4))
    trigger = draw(st.sampled_from(["volume", "schedule"]))
    triggers = (
        {"volume": {"min_new_rows": draw(st.integers(rows, 2 * rows))}}
        if trigger == "volume"
        else {"schedule": {"cron": "0 0 * * *"}}
    )
    event = draw(st.sampled_from(["none", "drift", "bad_model", "bad_data"]))
    at = draw(st.integers(2, ticks - 1))
    events = {
        "none": [],
        "drift": [{"kind": "drift", "at": at, "shift": draw(st.sampled_from([1.5, 2.0, 3.0]))}],
        "bad_model": [{"kind": "bad_model", "at": at, "mode": "sabotage"}],
        "bad_data": [{"kind": "bad_data", "at": at, "fault": draw(st.sampled_from(["nulls", "duplicates"]))}],
    }[event]
    step = draw(st.sampled_from([50, 100]))
    return Scenario.model_validate(
        {
            "name": f"small-{trigger}-{event}",
            "seed": draw(st.integers(0, 1000)),
            "clock": {"start": "2026-03-02T00:00:00", "tick": "1d", "ticks": ticks},
            "data": {
                "generator": {
                    "numeric_features": numeric,
                    "informative_features": draw(st.integers(1, numeric)),
                    "rows_per_tick": rows,
                    "label_delay_ticks": 1,
                }
            },
            "bootstrap_tick": 1,
            "events": events,
            "triggers": {**triggers, "cooldown_ticks": draw(st.integers(1, 2))},
            "gates": {
                "data": {"min_rows": draw(st.integers(50, rows))},
                "model": {"min_value": draw(metric_values(0.55, 0.7)), "max_regression": draw(metric_values(0, 0.03))},
            },
            "canary": {
                "step_weight": step,
                "max_weight": 100 if step == 100 else draw(st.sampled_from([50, 100])),
                "failure_threshold": draw(st.integers(1, 2)),
                "max_regression": draw(metric_values(0.02, 0.05)),
                "min_samples": 20,
                "progress_deadline_ticks": 4,
            },
            "training": {"strategy": "window", "window_ticks": 2},
        }
    )
