"""The model registry on a real S3 server: verified versions, conditional aliases, canary moves."""

from __future__ import annotations

import json
import pickle

import pytest
from fixtures_store import race

from ctsim.errors import ConflictError, IntegrityError, MissingObject
from ctsim.registry import ModelRecord, Registry
from ctsim.store import ObjectStore, sha256_hex

pytestmark = pytest.mark.store

THREADS = 8


def register(registry: Registry, model: object = None, tick: int = 0, accuracy: float = 0.9) -> ModelRecord:
    return registry.register(
        {"model": model, "tick": tick} if model is None else model,
        metric="accuracy",
        metrics={"accuracy": accuracy},
        run_id=f"run-{tick}",
        pipeline_sha256="p" * 64,
        data_snapshot={"ticks": [0, tick]},
        created_tick=tick,
    )


def corrupt(store: ObjectStore, record: ModelRecord) -> None:
    store.put(record.artifact_key, pickle.dumps({"model": "swapped"}, protocol=5))


# versions --------------------------------------------------------------------


def test_register_then_verify_and_load(registry: Registry):
    model = {"weights": [1.0, 2.0, 3.0]}

    record = register(registry, model, tick=3, accuracy=0.87)

    assert record.version == "v0001"
    assert registry.verify("v0001") == record
    assert registry.record("v0001") == record
    assert registry.load("v0001") == model
    assert record.artifact_sha256 == sha256_hex(registry.store.get(record.artifact_key).data)
    assert record.score == pytest.approx(0.87)
    assert registry.versions() == ["v0001"]
    assert registry.events()[-1] == {"event": "registered", "version": "v0001", "tick": 3, "run_id": "run-3"}


def test_versions_are_numbered_in_order(registry: Registry):
    versions = [register(registry, tick=t).version for t in range(3)]

    assert versions == ["v0001", "v0002", "v0003"]
    assert registry.versions() == versions


def test_concurrent_registers_get_distinct_versions(registry: Registry):
    records = race(THREADS, lambda i: register(registry, {"writer": i}, tick=i))

    versions = [r.version for r in records]
    assert len(set(versions)) == THREADS
    assert sorted(versions) == registry.versions() == [f"v{n:04d}" for n in range(1, THREADS + 1)]
    for i, record in enumerate(records):
        assert registry.load(record.version) == {"writer": i}
    registered = [e["version"] for e in registry.events() if e["event"] == "registered"]
    assert sorted(registered) == sorted(versions)


@pytest.mark.parametrize("check", ["verify", "load"])
def test_tampered_artifact_is_refused(registry: Registry, check: str):
    record = register(registry, {"model": "good"})
    corrupt(registry.store, record)

    with pytest.raises(IntegrityError, match=r"v0001/model\.pkl"):
        getattr(registry, check)("v0001")


def test_missing_artifact_is_an_integrity_error(registry: Registry):
    record = register(registry)
    registry.store.delete(record.artifact_key)

    with pytest.raises(IntegrityError, match="missing"):
        registry.load(record.version)


def test_alias_to_a_tampered_version_is_refused_and_not_written(registry: Registry):
    good = register(registry, {"model": "good"})
    bad = register(registry, {"model": "bad"})
    champion = registry.set_alias("champion", good.version, expected=None, tick=1, reason="first")
    before = registry.store.get(registry.layout.alias("champion"))
    corrupt(registry.store, bad)

    with pytest.raises(IntegrityError):
        registry.set_alias("champion", bad.version, expected=champion, tick=2, reason="should be refused")
    with pytest.raises(IntegrityError):
        registry.set_alias("canary", bad.version, expected=None, tick=2, reason="should be refused")
    with pytest.raises(IntegrityError):
        registry.start_canary(bad.version, tick=2)

    assert registry.store.get(registry.layout.alias("champion")) == before
    assert registry.alias("canary") is None
    assert not any(e.get("version") == bad.version and e["event"] == "alias-set" for e in registry.events())


def test_alias_to_an_unregistered_version_is_refused(registry: Registry):
    with pytest.raises(MissingObject):
        registry.set_alias("champion", "v0042", expected=None, tick=0, reason="no such version")
    assert registry.alias("champion") is None


# aliases ---------------------------------------------------------------------


def test_set_alias_round_trips(registry: Registry):
    register(registry)

    pointer = registry.set_alias("champion", "v0001", expected=None, tick=4, reason="bootstrap")

    assert registry.alias("champion") == pointer
    assert json.loads(registry.store.get(registry.layout.alias("champion")).data) == {
        "version": "v0001",
        "tick": 4,
        "reason": "bootstrap",
    }


def test_creating_an_existing_alias_conflicts(registry: Registry):
    register(registry)
    register(registry)
    first = registry.set_alias("champion", "v0001", expected=None, tick=0, reason="first")

    with pytest.raises(ConflictError):
        registry.set_alias("champion", "v0002", expected=None, tick=1, reason="blind write")

    assert registry.alias("champion") == first


def test_concurrent_alias_moves_have_one_winner_and_no_lost_update(registry: Registry):
    for tick in range(THREADS + 1):
        register(registry, tick=tick)
    seen = registry.set_alias("champion", "v0001", expected=None, tick=0, reason="bootstrap")

    def attempt(i: int):
        try:
            return registry.set_alias("champion", f"v{i + 2:04d}", expected=seen, tick=1, reason=f"writer {i}")
        except ConflictError:
            return None

    results = race(THREADS, attempt)

    winners = [r for r in results if r is not None]
    assert len(winners) == 1, f"expected one winner, got {winners}"
    final = registry.alias("champion")
    assert final == winners[0]
    body = json.loads(registry.store.get(registry.layout.alias("champion")).data)
    assert body["version"] == winners[0].version
    assert body["reason"] == f"writer {int(winners[0].version[1:]) - 2}"
    moves = [e for e in registry.events() if e["event"] == "alias-set" and e["tick"] == 1]
    assert [e["version"] for e in moves] == [winners[0].version]


def test_stale_pointer_cannot_overwrite_a_newer_alias(registry: Registry):
    for tick in range(3):
        register(registry, tick=tick)
    stale = registry.set_alias("champion", "v0001", expected=None, tick=0, reason="bootstrap")
    newer = registry.set_alias("champion", "v0002", expected=stale, tick=1, reason="promoted")

    with pytest.raises(ConflictError):
        registry.set_alias("champion", "v0003", expected=stale, tick=2, reason="late writer")

    assert registry.alias("champion") == newer


# canary moves ----------------------------------------------------------------


def test_only_one_canary_at_a_time(registry: Registry):
    register(registry)
    register(registry)
    registry.start_canary("v0001", tick=1)

    with pytest.raises(ConflictError):
        registry.start_canary("v0002", tick=2)

    assert registry.alias("canary").version == "v0001"


def test_promote_canary_shifts_previous_champion_and_clears_canary(registry: Registry):
    for tick in range(3):
        register(registry, tick=tick)
    registry.set_alias("champion", "v0001", expected=None, tick=0, reason="bootstrap")
    registry.start_canary("v0002", tick=1)
    assert registry.promote_canary(tick=2) == "v0002"
    registry.start_canary("v0003", tick=3)

    assert registry.promote_canary(tick=4) == "v0003"

    assert registry.alias("champion").version == "v0003"
    assert registry.alias("previous").version == "v0002"
    assert registry.alias("canary") is None
    assert json.loads(registry.store.get(registry.layout.alias("canary")).data)["version"] is None  # cleared marker
    tail = [(e["event"], e["alias"], e["version"]) for e in registry.events()[-3:]]
    assert tail == [
        ("alias-set", "previous", "v0002"),
        ("alias-set", "champion", "v0003"),
        ("alias-cleared", "canary", "v0003"),
    ]


def test_first_promotion_without_a_champion_leaves_previous_unset(registry: Registry):
    register(registry)
    registry.start_canary("v0001", tick=0)

    assert registry.promote_canary(tick=1) == "v0001"

    assert registry.alias("champion").version == "v0001"
    assert registry.alias("previous") is None
    assert registry.alias("canary") is None


def test_rollback_leaves_champion_byte_for_byte_identical(registry: Registry):
    register(registry)
    register(registry)
    registry.set_alias("champion", "v0001", expected=None, tick=0, reason="bootstrap")
    before = registry.store.get(registry.layout.alias("champion"))
    registry.start_canary("v0002", tick=1)

    assert registry.rollback_canary(tick=2, reason="canary accuracy 0.61 < champion 0.90 - 0.03") == "v0002"

    after = registry.store.get(registry.layout.alias("champion"))
    assert after.data == before.data
    assert after.etag == before.etag
    assert registry.alias("canary") is None
    assert registry.alias("previous") is None
    assert registry.events()[-1] == {
        "event": "alias-cleared",
        "alias": "canary",
        "version": "v0002",
        "tick": 2,
        "reason": "canary accuracy 0.61 < champion 0.90 - 0.03",
    }


def test_promote_or_rollback_without_a_canary_is_missing(registry: Registry):
    register(registry)
    registry.set_alias("champion", "v0001", expected=None, tick=0, reason="bootstrap")
    before = registry.store.get(registry.layout.alias("champion"))

    with pytest.raises(MissingObject, match="canary"):
        registry.promote_canary(tick=1)
    with pytest.raises(MissingObject, match="canary"):
        registry.rollback_canary(tick=1, reason="nothing to roll back")

    assert registry.store.get(registry.layout.alias("champion")) == before


def test_event_log_is_gapless_and_in_order(registry: Registry):
    register(registry)
    registry.start_canary("v0001", tick=1)
    registry.promote_canary(tick=2)

    keys = registry.store.list(registry.layout.registry + "events/")

    assert keys == [registry.layout.event(seq) for seq in range(len(keys))]
    assert [e["event"] for e in registry.events()] == ["registered", "alias-set", "alias-set", "alias-cleared"]
