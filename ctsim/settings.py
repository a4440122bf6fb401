"""Settings objects for gates, triggers, canary and training.

They hold parameters only, are immutable and are validated here, in one
place. A bad value is a ``pydantic.ValidationError`` (a ``ValueError``); the
scenario loader turns it into one message shape:
"The 'max_regression' setting of the model gate must be between 0 and 1. Got 3 instead."
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Metric = Literal["accuracy", "f1", "roc_auc"]


class Settings(BaseModel):
    """Base of every settings object: frozen, no unknown keys."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    label: ClassVar[str] = "settings"


class DataGateSettings(Settings):
    label: ClassVar[str] = "data gate"

    min_rows: int = Field(100, ge=1)
    max_null_share: float = Field(0.02, ge=0, le=1)
    max_duplicate_share: float = Field(0.05, ge=0, le=1)
    max_out_of_range_share: float = Field(0.02, ge=0, le=1)
    allow_constant_columns: bool = False


class ModelGateSettings(Settings):
    label: ClassVar[str] = "model gate"

    metric: Metric = "accuracy"
    min_value: float = Field(0.6, ge=0, le=1)
    max_regression: float = Field(0.01, ge=0, le=1)


class CanarySettings(Settings):
    label: ClassVar[str] = "canary"

    step_weight: int = Field(20, ge=1, le=100)
    max_weight: int = Field(60, ge=1, le=100)
    failure_threshold: int = Field(2, ge=1, le=100)
    max_regression: float = Field(0.03, ge=0, le=1)
    min_samples: int = Field(50, ge=1)
    progress_deadline_ticks: int = Field(10, ge=1, le=10_000)

    @model_validator(mode="after")
    def _weights_ordered(self) -> "CanarySettings":
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

    max_drop: float = Field(0.05, gt=0, le=1)
    window_ticks: int = Field(2, ge=1, le=1000)
    min_samples: int = Field(100, ge=1)


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
    model: Literal["logistic", "sgd"] = "logistic"
    holdout_share: float = Field(0.2, gt=0, lt=1)

    @model_validator(mode="after")
    def _incremental_needs_partial_fit(self) -> "TrainingSettings":
        if self.strategy == "incremental" and self.model != "sgd":
            raise ValueError(
                "The 'model' setting of training must be 'sgd' when strategy is 'incremental' "
                f"(only it supports partial_fit). Got {self.model!r} instead."
            )
        return self
