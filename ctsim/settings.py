"""Settings objects for gates, triggers, canary and training.

They hold parameters only, are immutable and are validated here, in one
place. A bad value is a ``pydantic.ValidationError`` (a ``ValueError``); the
scenario loader turns it into one message shape:
"The 'max_regression' setting of the model gate must be between 0 and 1. Got 3 instead."
"""

from __future__ import annotations

import re
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ctsim.steps.metrics import metric_spec

# Every name of the metric registry (ctsim/steps/metrics.py); which tasks allow which is checked with the scenario.
Metric = Literal[
    "accuracy", "balanced_accuracy", "f1", "f1_macro", "roc_auc", "roc_auc_ovr", "log_loss", "rmse", "mae", "r2"
]
_REFERENCE = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"


class Settings(BaseModel):
    """Base of every settings object: frozen, no unknown keys."""

    # defer_build: a task process validates one or two of these models; building every schema at import cost
    # each task ~10 ms (a schema is built on first use instead).
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)
    label: ClassVar[str] = "settings"


class DataGateSettings(Settings):
    label: ClassVar[str] = "data gate"

    min_rows: int = Field(100, ge=1)
    max_null_share: float = Field(0.02, ge=0, le=1)
    max_duplicate_share: float = Field(0.05, ge=0, le=1)
    max_out_of_range_share: float = Field(0.02, ge=0, le=1)
    allow_constant_columns: bool = False
    # none: a row missing a feature is not trained on, and max_null_share blocks a batch with many.
    # median: a missing number becomes the training rows' median (a missing category: unknown, all zeros),
    # in training and serving alike; then only missing labels count towards max_null_share.
    impute: Literal["none", "median"] = "none"


# r2 below 0 is worse than predicting the mean; 0.6 would refuse many useful regressors.
_DEFAULT_FLOOR = {"r2": 0.0}


class ModelGateSettings(Settings):
    """The absolute bound is named for the metric's direction, so it always reads the way it acts:
    ``min_value`` (a floor, default 0.6, 0 for r2) for higher-is-better metrics, ``max_value`` (a ceiling, default
    none) for lower-is-better ones (log_loss, rmse, mae). Setting the other one is an error, not ignored.
    ``max_regression`` is how much worse than the champion a candidate may be, in the metric's own units."""

    label: ClassVar[str] = "model gate"

    metric: Metric = "accuracy"
    min_value: float | None = None
    max_value: float | None = None
    max_regression: float = Field(0.01, ge=0)

    @field_validator("min_value", "max_value")
    @classmethod
    def _bound_fits_direction(cls, value: float | None, info: ValidationInfo) -> float | None:
        spec = metric_spec(info.data.get("metric", "accuracy"))
        name = info.field_name
        right, way = ("min_value", "higher") if spec.higher_is_better else ("max_value", "lower")
        if value is not None and name != right:
            raise ValueError(
                f"The '{name}' setting of the model gate does not apply to {spec.name}, where {way} "
                f"is better: use '{right}'. Got {value} instead."
            )
        if value is not None and not spec.low <= value <= spec.high:
            raise ValueError(
                f"The '{name}' setting of the model gate must be between {spec.low:g} and "
                f"{spec.high:g} for {spec.name}. Got {value} instead."
            )
        return value

    @field_validator("max_regression")
    @classmethod
    def _regression_within_range(cls, value: float, info: ValidationInfo) -> float:
        spec = metric_spec(info.data.get("metric", "accuracy"))
        if spec.bounded and value > spec.high - spec.low:
            raise ValueError(
                f"The 'max_regression' setting of the model gate must be at most "
                f"{spec.high - spec.low:g} for {spec.name}. Got {value} instead."
            )
        return value

    @property
    def bound(self) -> float | None:
        """The absolute bound that applies: the floor (default 0.6; 0 for r2), or the ceiling for a
        lower-is-better metric (default None: no ceiling, only the comparison with the champion)."""
        if not metric_spec(self.metric).higher_is_better:
            return self.max_value
        return self.min_value if self.min_value is not None else _DEFAULT_FLOOR.get(self.metric, 0.6)


class CanarySettings(Settings):
    label: ClassVar[str] = "canary"

    step_weight: int = Field(20, ge=1, le=100)
    max_weight: int = Field(60, ge=1, le=100)
    failure_threshold: int = Field(2, ge=1, le=100)
    # In the metric's units (worse than the champion by more fails). Canary and trigger settings do not know the
    # metric (a policies file holds triggers alone), so both keep the range of a share: at most 1.
    max_regression: float = Field(0.03, ge=0, le=1)
    min_samples: int = Field(50, ge=1)
    progress_deadline_ticks: int = Field(10, ge=1, le=10_000)

    @model_validator(mode="after")
    def _weights_ordered(self) -> CanarySettings:
        if self.step_weight > self.max_weight:
            raise ValueError(
                f"The 'step_weight' setting of the canary must be at most max_weight ({self.max_weight}). "
                f"Got {self.step_weight} instead."
            )
        return self


class ScheduleTriggerSettings(Settings):
    label: ClassVar[str] = "schedule trigger"

    cron: str = "0 0 * * 1"

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str) -> str:
        from croniter import croniter  # here, not at the top: pipeline tasks import settings and never need it

        if not croniter.is_valid(value) or len(value.split()) != 5:
            raise ValueError(
                f"The 'cron' setting of the schedule trigger must be a five-field cron expression "
                f"(minute hour day month weekday). Got {value!r} instead."
            )
        return value


class VolumeTriggerSettings(Settings):
    label: ClassVar[str] = "volume trigger"

    min_new_rows: int = Field(5000, ge=1)


class PerformanceTriggerSettings(Settings):
    label: ClassVar[str] = "performance trigger"

    max_drop: float = Field(0.05, gt=0, le=1)  # worsening in the metric's direction and units
    window_ticks: int = Field(2, ge=1, le=1000)
    min_samples: int = Field(100, ge=1)
    # holdout: the champion's offline score on its run's freshest rows. live: the champion's own live metric
    # over its first window_ticks labelled ticks (with at least min_samples rows), what traffic looked like
    # when it took over; no decision until those ticks are in.
    reference: Literal["holdout", "live"] = "holdout"


DriftMethod = Literal[
    "auto", "auto_two_sample", "ks", "wasserstein", "psi", "jensenshannon", "chisquare", "chisquare_gof", "z"
]


class DriftTriggerSettings(Settings):
    label: ClassVar[str] = "drift trigger"

    method: DriftMethod = "auto"
    # None means the method's usual default (Evidently's): KS/chi-square/Z p < 0.05,
    # normed Wasserstein / Jensen-Shannon >= 0.1, PSI >= 0.1.
    threshold: float | None = Field(None, gt=0, le=10)
    drift_share: float = Field(0.5, gt=0, le=1)
    window_ticks: int = Field(1, ge=1, le=1000)


class TriggerSettings(Settings):
    label: ClassVar[str] = "triggers"

    schedule: ScheduleTriggerSettings | None = None
    volume: VolumeTriggerSettings | None = None
    performance: PerformanceTriggerSettings | None = None
    drift: DriftTriggerSettings | None = None
    cooldown_ticks: int = Field(2, ge=0, le=10_000)


class TrainingSettings(Settings):
    label: ClassVar[str] = "training"

    strategy: Literal["full", "window", "incremental"] = "full"
    window_ticks: int = Field(7, ge=1, le=10_000)
    # logistic/sgd: scikit-learn's LogisticRegression/SGDClassifier for classification; ridge/sgd: Ridge/SGDRegressor
    # for regression. A scenario with task regression that does not name a model gets ridge.
    model: Literal["logistic", "sgd", "ridge"] = "logistic"
    holdout_share: float = Field(0.2, gt=0, lt=1)
    # The team's own code, as "pkg.module:name" importable where ctsim runs. estimator: a factory returning a
    # scikit-learn-compatible estimator (fit/predict, predict_proba for probability metrics), called as
    # factory(seed=<scenario seed>) when it declares a 'seed' parameter, else factory(); it replaces 'model'.
    # features: a function DataFrame -> DataFrame, from the raw feature columns to the estimator's input.
    estimator: str | None = None
    features: str | None = None

    @field_validator("estimator", "features")
    @classmethod
    def _reference_shape(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not re.match(_REFERENCE, value):
            raise ValueError(
                f"The '{info.field_name}' setting of training must be 'pkg.module:name' (a module "
                f"importable where ctsim runs, a colon, a name in it). Got {value!r} instead."
            )
        return value

    @model_validator(mode="after")
    def _incremental_needs_partial_fit(self) -> TrainingSettings:
        if self.strategy == "incremental" and self.model != "sgd" and self.estimator is None:
            raise ValueError(
                "The 'model' setting of training must be 'sgd' when strategy is 'incremental' "
                f"(only it supports partial_fit). Got {self.model!r} instead."
            )
        return self
