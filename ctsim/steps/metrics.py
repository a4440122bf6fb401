"""The one metric registry: name -> how to score it, which way is better, what it needs, which tasks allow it.

Every place that judges a model (model gate, canary analysis, performance
trigger, serving's live metrics, policy comparison, reports) asks this module
which way is "better", so a lower-is-better metric (log loss, RMSE, MAE) is
never read as if higher were better.

What a scorer receives: the true labels (or numbers) and the model's output,
which is ``predict(rows)`` when the metric does not need probabilities and
``predict_proba(rows)`` when it does (for binary tasks, the positive class's
column only; for multiclass, the full matrix). Pure: scikit-learn's metrics are
imported when a score is computed, so settings can name metrics without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "METRICS",
    "TASKS",
    "Direction",
    "MetricSpec",
    "Task",
    "metric_label",
    "metric_names",
    "metric_spec",
    "metric_value",
    "worsening",
]

Task = Literal["binary", "multiclass", "regression"]
Direction = Literal["higher", "lower"]
TASKS: tuple[Task, ...] = ("binary", "multiclass", "regression")
_CLASSIFICATION = frozenset({"binary", "multiclass"})

# (truth, output, classes) -> value; numpy and scikit-learn are imported inside, when a score is computed.
Scorer = Callable[[Any, Any, tuple], float]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    direction: Direction
    needs_proba: bool
    tasks: frozenset[str]
    low: float = -math.inf  # the values the metric can take, for validating gate thresholds
    high: float = math.inf
    scorer: Scorer | None = None

    @property
    def higher_is_better(self) -> bool:
        return self.direction == "higher"

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.low) and math.isfinite(self.high)

    def worsening(self, reference: float, value: float) -> float:
        """How much worse ``value`` is than ``reference`` (negative when it is better)."""
        return reference - value if self.higher_is_better else value - reference

    def at_least_as_good(self, value: float, threshold: float) -> bool:
        """``value`` meets ``threshold`` in this metric's direction; NaN never does."""
        return value >= threshold if self.higher_is_better else value <= threshold

    def allowing(self, reference: float, slack: float) -> float:
        """The worst value still within ``slack`` of ``reference``."""
        return reference - slack if self.higher_is_better else reference + slack

    @property
    def comparison(self) -> str:
        return ">=" if self.higher_is_better else "<="

    @property
    def label(self) -> str:
        """How reports name the metric: its name and, for lower-is-better, that lower is better."""
        return self.name if self.higher_is_better else f"{self.name} (lower is better)"


# --- scorers -----------------------------------------------------------------------------------------


def _accuracy(truth, output, classes) -> float:
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(truth, output))


def _balanced_accuracy(truth, output, classes) -> float:
    import numpy as np
    from sklearn.metrics import balanced_accuracy_score

    if len(np.unique(truth)) < 2:
        return float("nan")  # one class present: recall of the absent classes is undefined
    return float(balanced_accuracy_score(truth, output))


def _f1(truth, output, classes) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, output, zero_division=0))


def _f1_macro(truth, output, classes) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, output, average="macro", labels=list(classes) or None, zero_division=0))


def _roc_auc(truth, output, classes) -> float:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(truth, output)) if len(np.unique(truth)) == 2 else float("nan")


def _roc_auc_ovr(truth, output, classes) -> float:
    import numpy as np
    from sklearn.metrics import roc_auc_score

    if output.ndim == 1:  # binary: the positive class's probability
        return _roc_auc(truth, output, classes)
    present = np.unique(truth)
    if len(present) < output.shape[1]:
        return float("nan")  # one-vs-rest needs every class in the sample
    return float(roc_auc_score(truth, output, multi_class="ovr", labels=list(classes) or None))


def _log_loss(truth, output, classes) -> float:
    import numpy as np
    from sklearn.metrics import log_loss

    labels = list(classes) if classes else sorted(np.unique(truth).tolist())
    return float(log_loss(truth, output, labels=labels))


def _rmse(truth, output, classes) -> float:
    import numpy as np

    return float(np.sqrt(np.mean((np.asarray(truth, dtype=float) - np.asarray(output, dtype=float)) ** 2)))


def _mae(truth, output, classes) -> float:
    import numpy as np

    return float(np.mean(np.abs(np.asarray(truth, dtype=float) - np.asarray(output, dtype=float))))


def _r2(truth, output, classes) -> float:
    from sklearn.metrics import r2_score

    return float(r2_score(truth, output)) if len(truth) >= 2 else float("nan")


def _spec(
    name: str,
    direction: Direction,
    needs_proba: bool,
    tasks: frozenset[str],
    scorer: Scorer,
    low: float = 0.0,
    high: float = 1.0,
) -> MetricSpec:
    return MetricSpec(name, direction, needs_proba, tasks, low, high, scorer)


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        _spec("accuracy", "higher", False, _CLASSIFICATION, _accuracy),
        _spec("balanced_accuracy", "higher", False, _CLASSIFICATION, _balanced_accuracy),
        _spec("f1", "higher", False, frozenset({"binary"}), _f1),
        _spec("f1_macro", "higher", False, _CLASSIFICATION, _f1_macro),
        _spec("roc_auc", "higher", True, frozenset({"binary"}), _roc_auc),
        _spec("roc_auc_ovr", "higher", True, _CLASSIFICATION, _roc_auc_ovr),
        _spec("log_loss", "lower", True, _CLASSIFICATION, _log_loss, high=math.inf),
        _spec("rmse", "lower", False, frozenset({"regression"}), _rmse, high=math.inf),
        _spec("mae", "lower", False, frozenset({"regression"}), _mae, high=math.inf),
        _spec("r2", "higher", False, frozenset({"regression"}), _r2, low=-math.inf),
    )
}


def metric_names(task: str | None = None) -> tuple[str, ...]:
    return tuple(name for name, spec in METRICS.items() if task is None or task in spec.tasks)


def metric_spec(name: str) -> MetricSpec:
    try:
        return METRICS[name]
    except KeyError:
        raise ValueError(f"unknown metric {name!r}; expected one of {', '.join(METRICS)}") from None


def worsening(metric: str, reference: float, value: float) -> float:
    return metric_spec(metric).worsening(reference, value)


def metric_value(metric: str, truth: Any, output: Any, classes: tuple = ()) -> float:
    """The metric of ``output`` (predictions, or probabilities when the metric needs them); NaN on no rows."""
    import numpy as np

    if len(truth) == 0:
        return float("nan")
    spec = metric_spec(metric)
    assert spec.scorer is not None
    return spec.scorer(np.asarray(truth), np.asarray(output), tuple(classes))


def metric_label(name: str) -> str:
    """How reports name a metric: as is, with "(lower is better)" when lower is better; unknown names as is."""
    spec = METRICS.get(name)
    return spec.label if spec is not None else name
