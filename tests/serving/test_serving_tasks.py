"""Serving any model object for any task: live metrics in the metric's direction, canary on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import team_code

from ctsim.contract import ROW_ID
from ctsim.registry import Registry
from ctsim.serving import Deployment
from ctsim.settings import CanarySettings

pytestmark = pytest.mark.store


def _register(registry: Registry, model: object, tick: int) -> str:
    return registry.register(
        model,
        metric="m",
        metrics={},
        run_id=f"run-{tick}",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=tick,
    ).version


def _traffic(n: int, classes: int, seed: int) -> pd.DataFrame:
    answer = np.random.default_rng(seed).integers(0, classes, n)
    return pd.DataFrame({ROW_ID: [f"r{i}" for i in range(n)], "answer": answer, "label": answer})


def test_a_multiclass_canary_with_a_worse_log_loss_fails_its_check(registry: Registry):
    champion = _register(registry, team_code.Oracle("answer", classes=3), 0)
    registry.set_alias("champion", champion, expected=None, tick=0, reason="first")
    canary = _register(registry, team_code.ConstantProba([1 / 3, 1 / 3, 1 / 3]), 1)
    settings = CanarySettings(step_weight=50, max_weight=50, min_samples=10)
    deployment = Deployment(registry, settings, "log_loss", seed=0, task="multiclass", classes=(0, 1, 2))
    deployment.load_aliases()
    deployment.start_canary(canary)
    rows = _traffic(400, 3, seed=1)

    served_by_canary = deployment.serve(5, rows.drop(columns=["label"]))
    live = deployment.observe(rows[[ROW_ID, "label"]], "label")

    assert 100 < served_by_canary < 300 and live.samples == 400
    assert live.canary.samples == served_by_canary and live.canary.metric == "log_loss"
    assert live.canary.canary_metric == pytest.approx(np.log(3))
    sharp = team_code.Oracle("answer", classes=3).predict_proba(rows.iloc[:1])[0]
    assert live.champion_metric == pytest.approx(-np.log(sharp.max()))  # the champion on its own rows
    assert live.canary.champion_metric == pytest.approx(live.champion_metric)  # in shadow, on the canary's rows
    # what users got: log loss is a mean over rows, so the served metric mixes both models by their share
    share = served_by_canary / 400
    assert live.served_metric == pytest.approx(share * np.log(3) + (1 - share) * live.champion_metric)
    (decision,) = deployment.analyse(live.canary, tick=5)
    assert decision.action == "fail-check"
    assert decision.reason.rule == "canary log_loss <= champion + max_regression"


def test_a_team_regressor_with_predict_only_is_served_and_scored_on_rmse(registry: Registry):
    champion = _register(registry, team_code.Oracle("answer"), 0)
    registry.set_alias("champion", champion, expected=None, tick=0, reason="first")
    deployment = Deployment(registry, CanarySettings(), "rmse", seed=0, task="regression")
    deployment.load_aliases()
    rows = _traffic(50, 10, seed=2).astype({"answer": float, "label": float})
    rows["label"] += np.where(np.arange(50) % 2 == 0, 2.0, -2.0)  # every prediction off by 2

    deployment.serve(0, rows.drop(columns=["label"]))
    live = deployment.observe(rows[[ROW_ID, "label"]], "label")

    assert live.champion_samples == 50 and live.champion_metric == pytest.approx(2.0)
    assert live.served_metric == pytest.approx(2.0)
