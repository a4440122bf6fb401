"""The scenario language: what a scenario file may say, validated with pydantic v2.

Every model is frozen and forbids unknown keys; the loader turns validation
errors into ``file:line: key: message``.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Annotated, ClassVar, Literal

from dateutil.relativedelta import relativedelta
from pydantic import Field, field_validator, model_validator

from ctsim.contract import PIPELINE_STEPS, Task
from ctsim.settings import (
    CanarySettings,
    DataGateSettings,
    ModelGateSettings,
    Settings,
    TrainingSettings,
    TriggerSettings,
)

TriggerKind = Literal["schedule", "volume", "performance", "drift"]
_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_CALENDAR = re.compile(r"^\s*(\d+)\s*(mo|y)\s*$")
_NOMINAL_MONTH = timedelta(days=30)
_TASK_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,127}$")


class Clock(Settings):
    label: ClassVar[str] = "clock"

    start: datetime = datetime(2026, 1, 5)
    tick: timedelta = timedelta(days=1)
    ticks: int = Field(30, ge=1, le=5000)
    # A calendar tick ("1mo", "3mo", "1y") steps by whole months; ``tick`` then holds its nominal
    # length (30 days a month), used only where one fixed duration is needed (a Kubeflow interval).
    tick_months: int = Field(0, ge=0, le=1200)

    @model_validator(mode="before")
    @classmethod
    def _calendar_tick(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        value = data.get("tick")
        if isinstance(value, str) and (match := _CALENDAR.match(value)):
            months = int(match.group(1)) * (12 if match.group(2) == "y" else 1)
            if months < 1:
                raise ValueError(f"The 'tick' setting of the clock must be positive. Got {value!r} instead.")
            return {**data, "tick": months * _NOMINAL_MONTH, "tick_months": months}
        return data

    @field_validator("tick", mode="before")
    @classmethod
    def _parse_tick(cls, value: object) -> object:
        if isinstance(value, str) and (match := _DURATION.match(value)):
            return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if isinstance(value, str):
            raise ValueError(
                "The 'tick' setting of the clock must be a duration like 30m, 6h, 1d, 1w or a calendar "
                f"period like 1mo, 3mo, 1y. Got {value!r} instead."
            )
        return value

    @field_validator("tick")
    @classmethod
    def _positive_tick(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError(f"The 'tick' setting of the clock must be positive. Got {value} instead.")
        return value

    @property
    def tick_label(self) -> str:
        """The tick as a scenario writes it (``1mo``, ``1y``, ``1w``, ``1d``, ``6h``, ``30m``), for messages."""
        if self.tick_months:
            return f"{self.tick_months // 12}y" if self.tick_months % 12 == 0 else f"{self.tick_months}mo"
        for unit, size in (("w", timedelta(weeks=1)), ("d", timedelta(days=1)), ("h", timedelta(hours=1))):
            if self.tick % size == timedelta(0):
                return f"{self.tick // size}{unit}"
        return f"{self.tick / timedelta(minutes=1):g}m"

    def time_of(self, tick: int) -> datetime:
        if self.tick_months:
            return self.start + relativedelta(months=tick * self.tick_months)
        return self.start + tick * self.tick

    def length_of(self, tick: int) -> timedelta:
        """How long tick ``tick`` lasts: ``tick``, or its calendar months' true length."""
        return self.time_of(tick + 1) - self.time_of(tick)


class Growth(Settings):
    label: ClassVar[str] = "volume growth"

    kind: Literal["constant", "linear", "exponential"] = "constant"
    rate: float = Field(0.0, ge=-0.5, le=10)

    def scale(self, tick: int) -> float:
        """How many times the base volume tick ``tick`` carries (inf when it overflows a float)."""
        if self.kind == "linear":
            return max(0.0, 1 + self.rate * tick)
        if self.kind == "exponential":
            try:
                return (1 + self.rate) ** tick
            except OverflowError:
                return math.inf
        return 1.0

    def log_scale(self, tick: int) -> float:
        """``log(scale(tick))``, exact where ``scale`` overflows (-inf for a volume that shrank to nothing)."""
        if self.kind == "exponential":
            return tick * math.log1p(self.rate) if self.rate > -1 else -math.inf
        scale = self.scale(tick)
        return math.log(scale) if scale > 0 else -math.inf


class Generator(Settings):
    label: ClassVar[str] = "data generator"

    numeric_features: int = Field(6, ge=1, le=64)
    informative_features: int = Field(3, ge=1, le=64)
    categorical: bool = True
    separation: float = Field(1.4, gt=0, le=20)
    rows_per_tick: int = Field(400, ge=1, le=2_000_000)
    growth: Growth = Growth()
    positive_share: float = Field(0.5, gt=0, lt=1)
    n_classes: int = Field(3, ge=2, le=12, description="classes drawn when the scenario's task is multiclass")
    noise: float = Field(1.0, ge=0, le=100, description="std of the regression target's noise")
    label_delay_ticks: int = Field(1, ge=0, le=1000)
    feedback_share: float = Field(1.0, gt=0, le=1)
    external_rows_per_tick: int = Field(0, ge=0, le=2_000_000)

    @model_validator(mode="after")
    def _informative_within_features(self) -> Generator:
        if self.informative_features > self.numeric_features:
            raise ValueError(
                f"The 'informative_features' setting of the data generator must be at most "
                f"numeric_features ({self.numeric_features}). Got {self.informative_features} instead."
            )
        return self


class Replay(Settings):
    label: ClassVar[str] = "replay"

    path: str
    time_column: str
    target_column: str
    label_delay_ticks: int = Field(1, ge=0, le=1000)
    # time: a row replays on the tick whose interval [time_of(t), time_of(t+1)) holds its timestamp
    # (ticks without rows are empty). rows: the file in time order, cut into clock.ticks equal slices.
    slicing: Literal["time", "rows"] = "time"
    # binary only: the target value that is class 1 (as written in the file); else numbers in numeric
    # order and text ignoring case, so {2, 10} makes 10 positive and {"Yes", "no"} makes "Yes" positive
    positive_label: str | None = None
    # a text feature with more distinct values than max_categories (an id, a free-text field) is dropped,
    # hashed into HASH_BUCKETS categories, or kept as it is; a warning names it either way
    high_cardinality: Literal["drop", "hash", "keep"] = "drop"
    max_categories: int = Field(100, ge=2, le=100_000)


class DataSpec(Settings):
    label: ClassVar[str] = "data"

    generator: Generator | None = None
    replay: Replay | None = None

    @model_validator(mode="after")
    def _one_source(self) -> DataSpec:
        if self.generator is not None and self.replay is not None:
            raise ValueError("The data section must have either 'generator' or 'replay', not both.")
        if self.generator is None and self.replay is None:
            object.__setattr__(self, "generator", Generator())
        return self

    @property
    def source(self) -> Generator | Replay:
        """The one source of a validated spec (``_one_source`` sets the default generator when none is given)."""
        source = self.replay or self.generator
        assert source is not None, "a validated data section has a generator or a replay"
        return source

    @property
    def label_delay_ticks(self) -> int:
        return self.source.label_delay_ticks


class _Event(Settings):
    label: ClassVar[str] = "event"

    at: int = Field(ge=0)
    ticks: int | None = Field(None, ge=1, description="how long it lasts; None = until the end")

    def active(self, tick: int) -> bool:
        return tick >= self.at and (self.ticks is None or tick < self.at + self.ticks)


class DriftEvent(_Event):
    label: ClassVar[str] = "drift event"

    kind: Literal["drift"]
    shape: Literal["sudden", "gradual", "recurring"] = "sudden"
    features: tuple[str, ...] | None = None
    shift: float = Field(2.0, ge=-20, le=20)
    ramp_ticks: int = Field(5, ge=1)
    period_ticks: int = Field(8, ge=2)

    def intensity(self, tick: int) -> float:
        """0 before the drift, 1 at full shift; the shape decides the path between."""
        if not self.active(tick):
            return 0.0
        elapsed = tick - self.at
        if self.shape == "gradual":
            return min(1.0, (elapsed + 1) / self.ramp_ticks)
        if self.shape == "recurring":
            return 1.0 if (elapsed // (self.period_ticks // 2)) % 2 == 0 else 0.0
        return 1.0


class ConceptDriftEvent(_Event):
    label: ClassVar[str] = "concept drift event"

    kind: Literal["concept_drift"]


class LabelShiftEvent(_Event):
    label: ClassVar[str] = "label shift event"

    kind: Literal["label_shift"]
    positive_share: float = Field(0.8, gt=0, lt=1)


class BadDataEvent(_Event):
    label: ClassVar[str] = "bad data event"

    kind: Literal["bad_data"]
    ticks: int | None = Field(1, ge=1)
    fault: Literal["nulls", "schema_change", "out_of_range", "duplicates"]
    share: float = Field(0.3, gt=0, le=1)
    column: str | None = None


class BadModelEvent(_Event):
    label: ClassVar[str] = "bad model event"

    kind: Literal["bad_model"]
    ticks: int | None = Field(1, ge=1)
    mode: Literal["sabotage", "label_noise", "label_flip"] = "sabotage"
    share: float = Field(1.0, gt=0, le=1)


class OutageEvent(_Event):
    label: ClassVar[str] = "outage event"

    kind: Literal["outage"]
    ticks: int | None = Field(1, ge=1)


class TrafficSpikeEvent(_Event):
    label: ClassVar[str] = "traffic spike event"

    kind: Literal["traffic_spike"]
    ticks: int | None = Field(1, ge=1)
    factor: float = Field(3.0, gt=0, le=100)


class FaultEvent(_Event):
    """A fault replayed against the real pipeline and store, armed at ``at`` for the next pipeline run.

    store_down_during_step: the store stops answering when ``step`` starts, for ``seconds`` (or until the
    run ends); crash_during_registration: the register step's process dies after writing the artifact;
    torn_artifact_write: the register step's artifact write is torn; stale_alias_writer: a second
    writer reads the champion alias at ``at`` and tries to move it back once it has changed.
    """

    label: ClassVar[str] = "fault event"

    kind: Literal["fault"]
    fault: Literal["store_down_during_step", "crash_during_registration", "torn_artifact_write", "stale_alias_writer"]
    step: str = "train-model"
    seconds: float = Field(30.0, gt=0, le=600)

    @field_validator("step")
    @classmethod
    def _task_name(cls, step: str) -> str:
        # Which tasks exist depends on the pipeline: checked against its DAG when the pipeline is prepared.
        if not _TASK_NAME.match(step):
            raise ValueError(
                f"The 'step' setting of the fault event must be a pipeline task name (lower-case letters, "
                f"digits and '-', e.g. {PIPELINE_STEPS[4]}). Got {step!r} instead."
            )
        return step


Event = Annotated[
    DriftEvent
    | ConceptDriftEvent
    | LabelShiftEvent
    | BadDataEvent
    | BadModelEvent
    | OutageEvent
    | TrafficSpikeEvent
    | FaultEvent,
    Field(discriminator="kind"),
]

Window = tuple[Annotated[int, Field(ge=0)], Annotated[int, Field(ge=0)]]


class _Expectation(Settings):
    label: ClassVar[str] = "expectation"


class TriggerFires(_Expectation):
    expect: Literal["trigger_fires"]
    trigger: TriggerKind
    within: Window


class TriggerNever(_Expectation):
    expect: Literal["trigger_never"]
    trigger: TriggerKind


class GateBlocks(_Expectation):
    expect: Literal["gate_blocks"]
    gate: Literal["data", "model"]
    within: Window


class Rollback(_Expectation):
    expect: Literal["rollback"]
    happens: bool = True
    within: Window | None = None


class Promotions(_Expectation):
    expect: Literal["promotions"]
    at_least: int = Field(1, ge=0)
    at_most: int | None = Field(None, ge=0)


class NoWorsePromotion(_Expectation):
    expect: Literal["no_worse_promotion"]
    tolerance: float = Field(0.02, ge=0, le=1)


class FinalChampionMetric(_Expectation):
    """``at_least`` for a higher-is-better metric, ``at_most`` for a lower-is-better one (rmse, log_loss)."""

    expect: Literal["final_champion_metric"]
    at_least: float | None = Field(None, ge=0, le=1)
    at_most: float | None = Field(None, ge=0)
    window_ticks: int = Field(3, ge=1)

    @model_validator(mode="after")
    def _one_bound(self) -> FinalChampionMetric:
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError(
                "a final_champion_metric expectation needs exactly one of 'at_least' (a higher-is-better "
                "metric) or 'at_most' (a lower-is-better one)."
            )
        return self


Expectation = Annotated[
    TriggerFires | TriggerNever | GateBlocks | Rollback | Promotions | NoWorsePromotion | FinalChampionMetric,
    Field(discriminator="expect"),
]


class Gates(Settings):
    label: ClassVar[str] = "gates"

    data: DataGateSettings = DataGateSettings()
    model: ModelGateSettings = ModelGateSettings()


_PARAMETER_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_PIPELINE_FUNCTION = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$")


class Scenario(Settings):
    label: ClassVar[str] = "scenario"

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    description: str = ""
    seed: int = Field(0, ge=0, le=2**32 - 1)
    # The pipeline under test: "package.module:function" of a @dsl.pipeline, or a compiled IR YAML file
    # (relative to the scenario file); None is ctsim's reference pipeline.
    pipeline: str | None = Field(None, max_length=512)
    # The team's own pipeline parameters, passed to every run beside the ones ctsim passes.
    # Small scalars only: each travels on the task's command line.
    parameters: dict[str, str | bool | int | float] = Field(default_factory=dict)
    task: Task = "binary"
    clock: Clock = Clock()
    data: DataSpec = DataSpec()
    bootstrap_tick: int = Field(2, ge=0, description="first training, before any trigger can fire")
    events: tuple[Event, ...] = ()
    triggers: TriggerSettings = TriggerSettings()
    gates: Gates = Gates()
    canary: CanarySettings = CanarySettings()
    training: TrainingSettings = TrainingSettings()
    expectations: tuple[Expectation, ...] = ()

    @field_validator("pipeline")
    @classmethod
    def _pipeline_reference(cls, value: str | None) -> str | None:
        if (
            value is None
            or _PIPELINE_FUNCTION.match(value)
            or (value.endswith((".yaml", ".yml")) and value.isprintable())
        ):
            return value
        raise ValueError(
            "The 'pipeline' setting of the scenario must be 'package.module:function' (a @dsl.pipeline) "
            f"or a path to a compiled pipeline ending in .yaml. Got {value!r} instead."
        )

    @field_validator("parameters", mode="before")
    @classmethod
    def _small_scalar_parameters(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError(
                f"The 'parameters' setting of the scenario must be a mapping of name to value. Got {value!r} instead."
            )
        if len(value) > 64:
            raise ValueError(
                f"The 'parameters' setting of the scenario must have at most 64 entries. Got {len(value)} instead."
            )
        for name, item in value.items():
            if not isinstance(name, str) or not _PARAMETER_NAME.match(name):
                raise ValueError(f"A pipeline parameter name must be a Python identifier. Got {name!r} instead.")
            if isinstance(item, str) and len(item) > 1024 or not isinstance(item, (str, bool, int, float)):
                raise ValueError(
                    f"The pipeline parameter '{name}' must be a string (at most 1024 characters), a number "
                    f"or a boolean. Got {str(item)[:80]!r} instead."
                )
        return value

    @model_validator(mode="after")
    def _regression_model(self) -> Scenario:
        # ctsim's default model is a classifier; a regression scenario that names none gets ridge regression.
        if self.task == "regression" and "model" not in self.training.model_fields_set:
            object.__setattr__(self, "training", self.training.model_copy(update={"model": "ridge"}))
        return self

    def events_of(self, kind: type[_Event]) -> list:
        return [event for event in self.events if isinstance(event, kind)]
