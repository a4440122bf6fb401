"""A rollout that fails half-way never leaves the deployment and the registry disagreeing."""

from __future__ import annotations

import pytest

from fixtures_store import register_version
from ctsim.gates import CanaryState, Phase
from ctsim.registry import Registry
from ctsim.serving import Deployment
from ctsim.settings import CanarySettings

pytestmark = pytest.mark.store


def test_a_rollout_refused_by_the_registry_keeps_the_champion_and_clears_the_canary(registry: Registry):
    champion = register_version(registry, 0)
    registry.set_alias("champion", champion, expected=None, tick=0, reason="first")
    canary = register_version(registry, 1)
    registry.start_canary(canary, tick=1)
    registry.store.put(registry.record(canary).artifact_key, b"bit rot")  # the rollout's verify will refuse it
    deployment = Deployment(registry, CanarySettings(), "accuracy", seed=0)
    deployment.load_aliases()
    deployment.canary = canary
    deployment.state = CanaryState(Phase.PROMOTING, weight=100, iterations=3)  # the analysis said: promote

    decision = deployment._promote(tick=2)

    assert decision.action == "promotion-failed"
    assert "IntegrityError" in str(decision.reason)
    assert deployment.champion == champion and deployment.canary is None
    assert registry.alias("champion").version == champion
    assert registry.alias("canary") is None
    cleared = [e for e in registry.events() if e["event"] == "alias-cleared"]
    assert cleared[-1]["version"] == canary and cleared[-1]["reason"].startswith("promotion failed")
