"""A rollout that fails half-way never leaves the deployment and the registry disagreeing."""

from __future__ import annotations

import pytest
from fixtures_store import register_version

from ctsim.gates import CanaryState, Phase
from ctsim.registry import Registry
from ctsim.serving import Deployment
from ctsim.settings import CanarySettings
from ctsim.sim.audit import check_aliases
from ctsim.store import ObjectStore
from ctsim.trust import SigningKey

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


# A rollout stopped half-way by the real store going away (the outage relay in front of the real S3 server) --------
def _promoting(registry: Registry) -> tuple[Deployment, str, str]:
    champion = register_version(registry, 0)
    registry.set_alias("champion", champion, expected=None, tick=0, reason="first")
    canary = register_version(registry, 1)
    registry.start_canary(canary, tick=1)
    deployment = Deployment(registry, CanarySettings(), "accuracy", seed=0)
    deployment.load_aliases()
    deployment.canary = canary
    deployment.state = CanaryState(Phase.PROMOTING, weight=100, iterations=3)
    return deployment, champion, canary


@pytest.fixture
def relayed(outage_relay, store_layout) -> Registry:
    return Registry(ObjectStore(outage_relay.config), store_layout, SigningKey.generate())


def test_a_rollout_cut_after_the_champion_write_counts_as_done_and_clears_the_canary(
    relayed, outage_relay, monkeypatch
):
    deployment, _, canary = _promoting(relayed)
    clear = relayed.clear_alias
    cuts = []

    def cut_once(pointer, **kwargs):  # the store is down for exactly the rollout's last write
        if cuts:
            return clear(pointer, **kwargs)
        cuts.append(pointer)
        outage_relay.go_down()
        try:
            return clear(pointer, **kwargs)
        finally:
            outage_relay.come_back()

    monkeypatch.setattr(relayed, "clear_alias", cut_once)
    decision = deployment._promote(tick=2)

    assert cuts and decision.action == "rollout"  # the champion write is the commit point
    assert deployment.champion == canary == relayed.alias("champion").version and deployment.canary is None
    assert relayed.alias("canary") is None
    assert [e["reason"] for e in relayed.events() if e["event"] == "alias-cleared"] == ["rolled out"]


def test_a_rollout_cut_for_good_after_the_champion_write_is_caught_by_the_audit(relayed, outage_relay, monkeypatch):
    deployment, _, canary = _promoting(relayed)
    set_alias = relayed.set_alias

    def down_after_champion(name, version, **kwargs):
        pointer = set_alias(name, version, **kwargs)
        if name == "champion":
            outage_relay.go_down()  # and it stays down past the rollout
        return pointer

    monkeypatch.setattr(relayed, "set_alias", down_after_champion)
    decision = deployment._promote(tick=2)
    outage_relay.come_back()

    assert decision.action == "promotion-failed" and "StoreUnavailable" in str(decision.reason)
    pointers = {alias: relayed.alias(alias).version for alias in ("champion", "canary")}
    assert pointers == {"champion": canary, "canary": canary}  # half-applied in the store ...
    check = check_aliases(pointers, {}, [], set())
    assert not check.ok and "a rollout stopped before clearing it" in check.detail  # ... and the audit says so


def test_a_bug_during_the_rollout_is_not_a_failed_promotion(registry: Registry, monkeypatch):
    deployment, _, _ = _promoting(registry)
    monkeypatch.setattr(registry, "promote_canary", lambda **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        deployment._promote(tick=2)
