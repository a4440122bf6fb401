"""The data contract: which columns a batch must have and what values they may hold.

Shared by the scenario (which declares or infers it), the data gate (which
checks batches against it), the drift checks (which need each column's kind)
and the pipeline steps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

ColumnKind = Literal["numeric", "categorical"]
Task = Literal["binary", "multiclass", "regression"]

# Columns every lake batch carries besides the features; never model inputs.
ROW_ID = "row_id"
TICK = "tick"
EVENT_TIME = "event_time"
META_COLUMNS = (ROW_ID, TICK, EVENT_TIME)


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: ColumnKind
    minimum: float | None = None
    maximum: float | None = None
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class DataContract:
    """``labels`` are the class codes the label column may hold (0..k-1; none for regression, whose label is
    any finite number); ``class_names`` are what those codes stood for in a replayed file, for reports."""

    features: tuple[ColumnSpec, ...]
    label: str = "label"
    labels: tuple[int, ...] = (0, 1)
    task: Task = "binary"
    class_names: tuple[str, ...] = ()
    impute: Literal["none", "median"] = "none"  # the data gate's choice for missing feature values

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.features)

    @property
    def kinds(self) -> dict[str, ColumnKind]:
        return {column.name: column.kind for column in self.features}

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DataContract:
        features = tuple(
            ColumnSpec(**{**column, "categories": tuple(column.get("categories", ()))}) for column in data["features"]
        )
        return cls(
            features=features,
            label=data.get("label", "label"),
            labels=tuple(data.get("labels", (0, 1))),
            task=data.get("task", "binary"),
            class_names=tuple(data.get("class_names", ())),
            impute=data.get("impute", "none"),
        )


# The pipeline's steps as kfp.local names its tasks, in DAG order (the @dsl.pipeline is the one definition;
# this list is what the simulator and scenarios refer to, and a test keeps the two in step).
PIPELINE_STEPS = (
    "collect-data",
    "validate-data",
    "preprocess",
    "engineer-features",
    "train-model",
    "evaluate-model",
    "register-model",
    "start-canary",
)
