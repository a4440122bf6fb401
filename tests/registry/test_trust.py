"""The attacker can write the bucket but does not hold the signing key: no payload of theirs ever runs.

Every attack is played against the real S3 server over HTTP. The payload is a pickle whose
unpickling creates a marker file, so "did not run" is checked on disk, not assumed.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctsim.errors import CtsimError, IntegrityError, SettingError
from ctsim.registry import ModelRecord, Registry
from ctsim.store import ObjectStore, sha256_hex
from ctsim.trust import SigningKey, load_model, seal, unseal

pytestmark = pytest.mark.store


class Payload:
    """Unpickling this creates ``marker``: the attacker's code running."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def payload_bytes(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker), protocol=5)


def champion(registry: Registry) -> str:
    version = registry.register(
        {"model": "honest"},
        metric="accuracy",
        metrics={"accuracy": 0.9},
        run_id="r",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=0,
    ).version
    registry.set_alias("champion", version, expected=None, tick=0, reason="first")
    return version


def rewrite_record(registry: Registry, version: str, **changes: object) -> None:
    key = registry.layout.record(version)
    fields = json.loads(registry.store.get(key).data)
    fields.update(changes)
    registry.store.put(key, json.dumps(fields).encode())


def refused_without_running(registry: Registry, version: str, marker: Path) -> None:
    with pytest.raises(IntegrityError):
        registry.load(version)
    assert not marker.exists(), "the attacker's pickle ran"


def test_a_replaced_artifact_with_a_rewritten_sha256_is_refused_and_never_unpickled(registry: Registry, tmp_path: Path):
    version = champion(registry)
    marker = tmp_path / "pwned"
    evil = payload_bytes(marker)
    registry.store.put(registry.layout.model(version), evil)
    rewrite_record(registry, version, artifact_sha256=sha256_hex(evil))

    refused_without_running(registry, version, marker)


def test_a_record_repointed_at_another_object_is_refused(registry: Registry, tmp_path: Path):
    version = champion(registry)
    marker = tmp_path / "pwned"
    evil = payload_bytes(marker)
    planted = registry.layout.registry + "planted.pkl"
    registry.store.put(planted, evil)
    rewrite_record(registry, version, artifact_key=planted, artifact_sha256=sha256_hex(evil))

    refused_without_running(registry, version, marker)


def test_a_forged_version_signed_with_another_key_behind_a_forged_alias_is_refused(
    registry: Registry, object_store: ObjectStore, tmp_path: Path
):
    champion(registry)
    marker = tmp_path / "pwned"
    # The attacker runs ctsim's own code with a key of their own against the same namespace.
    attacker = Registry(object_store, registry.layout, SigningKey.generate())
    forged = attacker.register(
        Payload(marker),
        metric="accuracy",
        metrics={"accuracy": 1.0},
        run_id="x",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=1,
    ).version
    alias_key = registry.layout.alias("champion")
    registry.store.put(alias_key, json.dumps({"version": forged, "tick": 1, "reason": "forged"}).encode())

    refused_without_running(registry, registry.alias("champion").version, marker)
    with pytest.raises(IntegrityError):
        registry.set_alias("canary", forged, expected=None, tick=1, reason="must not happen")


def test_a_genuine_record_copied_under_another_version_is_refused(registry: Registry, tmp_path: Path):
    first = champion(registry)
    second = registry.register(
        {"model": "second"},
        metric="accuracy",
        metrics={"accuracy": 0.8},
        run_id="r2",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=1,
    ).version
    registry.store.put(registry.layout.record(second), registry.store.get(registry.layout.record(first)).data)

    with pytest.raises(IntegrityError, match="is about"):
        registry.load(second)


def test_an_unsigned_legacy_record_is_refused(registry: Registry, tmp_path: Path):
    version = champion(registry)
    rewrite_record(registry, version, signature="")
    refused_without_running(registry, version, tmp_path / "never")


@pytest.mark.property
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    target=st.sampled_from(["record", "artifact"]), position=st.floats(0, 1, exclude_max=True), flip=st.integers(1, 255)
)
def test_a_flipped_byte_in_a_record_or_artifact_never_loads_anything_but_the_signed_model(
    registry: Registry, target: str, position: float, flip: int
):
    # Each example registers a version of its own, so sharing the namespace is harmless.
    version = registry.register(
        {"model": "honest", "weights": list(range(20))},
        metric="accuracy",
        metrics={"accuracy": 0.9},
        run_id="r",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=0,
    ).version
    key = registry.layout.record(version) if target == "record" else registry.layout.model(version)
    data = bytearray(registry.store.get(key).data)
    data[int(position * len(data))] ^= flip
    registry.store.put(key, bytes(data))

    try:
        loaded = registry.load(version)
    except CtsimError:
        return
    # Only a flip the JSON parser cannot see (whitespace into other whitespace) may pass, and it changes nothing.
    assert target == "record" and loaded == {"model": "honest", "weights": list(range(20))}


def test_the_honest_path_still_loads(registry: Registry):
    version = champion(registry)
    assert registry.load(version) == {"model": "honest"}


# between the simulator and a run's tasks ---------------------------------------------------
@pytest.mark.store
def test_run_settings_sealed_by_the_simulator_are_read_back_by_the_tasks(object_store, store_layout):
    from ctsim.pipeline.runsettings import read_run_settings, write_run_settings

    key = SigningKey.generate()
    settings = _run_settings()
    write_run_settings(object_store, store_layout, "r1", settings, key)
    assert read_run_settings(object_store, store_layout, "r1", key) == settings


@pytest.mark.store
@pytest.mark.parametrize("forge", ["plain json", "other key", "payload swapped"])
def test_run_settings_rewritten_in_the_bucket_are_refused(object_store, store_layout, forge: str):
    """The settings name code a task imports (training.estimator): a bucket writer must not choose it."""
    from ctsim.pipeline.runsettings import read_run_settings, write_run_settings

    key = SigningKey.generate()
    write_run_settings(object_store, store_layout, "r1", _run_settings(), key)
    evil = _run_settings(estimator="os:getcwd").to_json()
    object_key = store_layout.run_settings("r1")
    if forge == "plain json":
        object_store.put(object_key, evil)
    elif forge == "other key":
        object_store.put(object_key, seal(SigningKey.generate(), evil, "run-settings"))
    else:
        genuine = object_store.get(object_key).data
        object_store.put(object_key, genuine[: genuine.index(b"\n", 16) + 1] + evil)
    with pytest.raises(IntegrityError):
        read_run_settings(object_store, store_layout, "r1", key)


def _run_settings(estimator: str | None = None):
    from ctsim.pipeline.runsettings import RunSettings
    from ctsim.settings import DataGateSettings, ModelGateSettings, TrainingSettings

    training = TrainingSettings(estimator=estimator) if estimator else TrainingSettings()
    return RunSettings(
        scenario="s",
        contract={"features": [], "label": "label"},
        data_gate=DataGateSettings(),
        model_gate=ModelGateSettings(),
        training=training,
        seed=1,
        first_tick=0,
        last_tick=2,
        as_of_tick=2,
    )


def test_signatures_are_bound_to_their_purpose():
    key = SigningKey.generate()
    blob = seal(key, b"data", purpose="task-model")
    with pytest.raises(IntegrityError):
        unseal(key, blob, "x", purpose="artifact")
    with pytest.raises(IntegrityError):
        load_model(key, b"data", key.sign(b"data", "record"), "x")


# the key itself ------------------------------------------------------------------------
def test_the_key_comes_from_the_environment_or_a_key_file_and_never_shows(tmp_path: Path):
    secret = bytes(range(32))
    key_file = tmp_path / "key"
    key_file.write_text(secret.hex() + "\n")

    from_var = SigningKey.from_env({"CTSIM_SIGNING_KEY": secret.hex()})
    from_file = SigningKey.from_env({"CTSIM_SIGNING_KEY_FILE": str(key_file)})

    assert from_var == from_file == SigningKey(secret)
    assert SigningKey.from_env({}) is None
    assert secret.hex() not in repr(from_var)
    with pytest.raises(IntegrityError, match="no signing key"):
        SigningKey.required({})


@pytest.mark.parametrize("value", ["not-hex", "abcd"])
def test_a_bad_key_is_one_clear_setting_error(value: str):
    with pytest.raises(SettingError, match="signing key") as caught:
        SigningKey.from_env({"CTSIM_SIGNING_KEY": value})
    assert "\n" not in str(caught.value)


def test_a_record_from_json_that_is_not_a_record_is_an_integrity_error():
    with pytest.raises(IntegrityError):
        ModelRecord.from_json(b'{"version": "v1", "unexpected": 1}')
    with pytest.raises(IntegrityError):
        ModelRecord.from_json(b"\xff not json")


# clearing an alias races with moving it: the move is never lost -------------------------
def test_a_clear_racing_a_move_never_loses_the_move(registry: Registry):
    from fixtures_store import race

    from ctsim.errors import ConflictError

    first = champion(registry)
    second = registry.register(
        {"model": "second"},
        metric="accuracy",
        metrics={"accuracy": 0.8},
        run_id="r2",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=1,
    ).version
    for round_ in range(15):
        pointer = registry.set_alias("canary", first, expected=registry.alias("canary"), tick=round_, reason="start")

        def attempt(i: int, pointer=pointer, round_=round_) -> str:  # this round's, bound now
            try:
                if i == 0:
                    registry.clear_alias(pointer, tick=round_, reason="rollback")
                    return "cleared"
                registry.set_alias("canary", second, expected=pointer, tick=round_, reason="move")
                return "moved"
            except ConflictError:
                return "lost"

        outcome = sorted(race(2, attempt))
        assert outcome in (["cleared", "lost"], ["lost", "moved"]), outcome
        now = registry.alias("canary")
        assert (now is None) == ("cleared" in outcome)
        assert now is None or now.version == second
