"""The simulated deployment: serve each tick's traffic, score it when labels arrive, run the canary.

Canary rows are also scored by the champion in shadow, so the canary analysis
compares both models on the same labelled requests (a paired comparison that
needs far fewer samples than comparing two different slices of traffic).

A served model is any object with ``predict(DataFrame)`` (and ``predict_proba``
when the metric needs probabilities); what is kept per request is what the
metric scores (``ctsim.steps.training.model_output``): a label, a number, a
probability, or a row of class probabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ctsim.contract import ROW_ID
from ctsim.errors import CtsimError
from ctsim.gates import CanaryDecision, CanaryState, Observation, Phase, advance, promotion_result, start
from ctsim.registry import Registry
from ctsim.settings import CanarySettings
from ctsim.steps.metrics import metric_value
from ctsim.steps.training import model_output, truth_of

__all__ = ["CanaryTrial", "Deployment", "LiveMetrics"]


@dataclass(frozen=True)
class LiveMetrics:
    """What the labels that arrived this tick say about the models that served those rows."""

    samples: int
    served_metric: float | None  # what users got (champion and canary traffic together)
    champion_samples: int
    champion_metric: float | None  # the champion on the rows it served
    canary: Observation  # canary vs champion-in-shadow on the canary's rows


@dataclass(frozen=True)
class CanaryTrial:
    """Sample-weighted canary and champion metrics over a canary's whole life, on the same requests."""

    samples: int = 0
    canary_sum: float = 0.0
    champion_sum: float = 0.0

    def add(self, observation: Observation) -> CanaryTrial:
        if not observation.samples or observation.canary_metric is None or observation.champion_metric is None:
            return self
        n = observation.samples
        return CanaryTrial(
            self.samples + n,
            self.canary_sum + n * observation.canary_metric,
            self.champion_sum + n * observation.champion_metric,
        )

    def means(self) -> tuple[float | None, float | None]:
        if not self.samples:
            return None, None
        return self.canary_sum / self.samples, self.champion_sum / self.samples


class Deployment:
    def __init__(
        self,
        registry: Registry,
        settings: CanarySettings,
        metric: str,
        seed: int,
        *,
        task: str = "binary",
        classes: tuple = (),
    ):
        self.registry = registry
        self.settings = settings
        self.metric = metric
        self.task = task
        self.classes = classes
        self.seed = seed
        self.champion: str | None = None
        self.canary: str | None = None
        self.state = CanaryState()
        self._models: dict[str, Any] = {}
        self._served: list[pd.DataFrame] = []
        self.trial = CanaryTrial()

    # who serves -------------------------------------------------------------
    def load_aliases(self) -> None:
        """Follow the registry: the champion alias decides who serves."""
        champion = self.registry.alias("champion")
        self.champion = champion.version if champion else None

    def model(self, version: str) -> Any:
        if version not in self._models:
            self._models[version] = self.registry.load(version)  # sha256-verified
        return self._models[version]

    @property
    def canary_active(self) -> bool:
        return self.state.phase in (Phase.PROGRESSING, Phase.PROMOTING)

    def start_canary(self, version: str) -> CanaryDecision:
        self.model(version)
        self.canary = version
        self.trial = CanaryTrial()
        self.state, decision = start(self.state, self.settings)
        return decision

    # traffic ----------------------------------------------------------------
    def serve(self, tick: int, rows: pd.DataFrame) -> int:
        """Predict every request; returns how many the canary served."""
        if self.champion is None or len(rows) == 0:
            return 0
        shadow = self._output(self.champion, rows)
        output = shadow.copy()
        versions = np.full(len(rows), self.champion, dtype=object)
        on_canary = np.zeros(len(rows), dtype=bool)
        if self.canary_active and self.canary is not None:
            rng = np.random.default_rng([self.seed, tick, 3])
            on_canary = rng.random(len(rows)) < self.state.weight / 100
            if on_canary.any():
                output[on_canary] = self._output(self.canary, rows[on_canary])
            versions[on_canary] = self.canary
        self._served.append(
            pd.DataFrame(
                {
                    ROW_ID: rows[ROW_ID].to_numpy(),
                    "tick": tick,
                    "version": versions,
                    "output": _column(output),
                    "shadow": _column(shadow),
                    "on_canary": on_canary,
                }
            )
        )
        return int(on_canary.sum())

    def observe(self, feedback: pd.DataFrame, label: str) -> LiveMetrics:
        """Join arriving labels with what was served; forget rows once scored."""
        if not self._served or len(feedback) == 0:
            return LiveMetrics(0, None, 0, None, Observation(0, None, None, self.metric))
        pending = pd.concat(self._served, ignore_index=True)
        scored = pending.merge(feedback[[ROW_ID, label]].drop_duplicates(ROW_ID), on=ROW_ID, how="inner")
        self._served = [pending[~pending[ROW_ID].isin(scored[ROW_ID])]]
        truth = truth_of(scored[label], self.task)
        output, shadow = _values(scored["output"]), _values(scored["shadow"])
        by_champion = scored["version"].to_numpy() == self.champion
        canary_rows = scored["on_canary"].to_numpy() & (scored["version"].to_numpy() == self.canary)
        return LiveMetrics(
            samples=len(scored),
            served_metric=self._score(truth, output),
            champion_samples=int(by_champion.sum()),
            champion_metric=self._score(truth[by_champion], output[by_champion]),
            canary=Observation(
                int(canary_rows.sum()),
                self._score(truth[canary_rows], output[canary_rows]),
                self._score(truth[canary_rows], shadow[canary_rows]),
                self.metric,
            ),
        )

    def _output(self, version: str, rows: pd.DataFrame) -> np.ndarray:
        return model_output(self.model(version), rows, self.metric, self.task)

    def _score(self, truth: np.ndarray, output: np.ndarray) -> float | None:
        return metric_value(self.metric, truth, output, self.classes) if len(truth) else None

    # canary moves -------------------------------------------------------------
    def analyse(self, observation: Observation, tick: int) -> list[CanaryDecision]:
        """One analysis step; carries out rollback or full rollout in the registry."""
        self.trial = self.trial.add(observation)
        self.state, decision = advance(self.state, observation, self.settings)
        decisions = [decision]
        if decision.action == "rollback":
            self.registry.rollback_canary(tick=tick, reason=str(decision.reason))
            self.canary = None
        elif decision.action == "promote":
            decisions.append(self._promote(tick))
        return decisions

    def _promote(self, tick: int) -> CanaryDecision:
        """Full rollout in the registry. Only ctsim's errors (store, conflict, integrity) are a failed promotion;
        anything else is a bug and propagates."""
        version = self.canary
        try:
            self.champion = self.registry.promote_canary(tick=tick)
            succeeded, detail = True, f"champion is now {self.champion}"
        except CtsimError as exc:
            succeeded = self._settle_interrupted_promotion(tick, version, f"promotion failed: {type(exc).__name__}")
            detail = (
                f"champion is now {self.champion} ({type(exc).__name__} after the champion moved: {exc})"
                if succeeded
                else f"{type(exc).__name__}: {exc}"
            )
        self.state, decision = promotion_result(self.state, succeeded, detail)
        self.canary = None
        return decision

    def _settle_interrupted_promotion(self, tick: int, version: str | None, reason: str) -> bool:
        """After a rollout stopped half-way, follow the registry; returns whether the promotion took effect.

        The champion write is the rollout's commit point (``Registry.promote_canary`` writes previous, then
        champion, then clears canary): if the champion alias names the canary, the promotion happened and only
        the canary alias is left to clear; otherwise it did not, and the canary is rolled back. When the store
        is still unreachable the deployment keeps what it knew, and the end-of-run audit reports a canary alias
        left naming the champion (``check_aliases``)."""
        try:
            self.load_aliases()
            committed = version is not None and self.champion == version
            canary = self.registry.alias("canary")
            if canary is not None and committed:
                self.registry.clear_alias(canary, tick=tick, reason="rolled out")
            elif canary is not None:
                self.registry.rollback_canary(tick=tick, reason=reason)
        except CtsimError:
            pass
        return version is not None and self.champion == version


def _column(values: np.ndarray) -> Any:
    """One cell per request: a matrix of class probabilities is kept as one array per row."""
    return pd.Series(list(values), dtype=object) if values.ndim == 2 else values


def _values(column: pd.Series) -> np.ndarray:
    """A stored output column back as an array: rows of class probabilities become a matrix."""
    values = column.to_numpy()
    if values.dtype == object and len(values) and isinstance(values[0], np.ndarray):
        return np.stack(values)
    return values
