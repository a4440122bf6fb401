"""Faults against the real S3 server: a process killed while registering, a torn artifact write,
a stale alias writer, the store going down when a pipeline step starts."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
import timeline_events as ev
from fixtures_store import eventually, register_version

from ctsim import failpoints
from ctsim.errors import CtsimError, IntegrityError
from ctsim.registry import Registry
from ctsim.scenario.model import FaultEvent
from ctsim.sim.audit import audit_run
from ctsim.sim.faults import FaultPlan
from ctsim.store import EmbeddedS3, Layout, ObjectStore, OutageRelay, Retry
from ctsim.timeline import Timeline

pytestmark = pytest.mark.store


def champion_timeline(*versions: str) -> Timeline:
    timeline = Timeline("s", 1, "accuracy")
    for version in versions:
        timeline.add(ev.registered(0, version))
    timeline.add(ev.first_champion(0, versions[0]))
    return timeline


def test_a_process_killed_after_writing_the_artifact_leaves_an_incomplete_version_nobody_can_alias(
    embedded_s3: EmbeddedS3, registry: Registry, store_layout: Layout
):
    first = register_version(registry, 0)
    registry.set_alias("champion", first, expected=None, tick=0, reason="first")
    script = textwrap.dedent(f"""
        from ctsim.registry import Registry
        from ctsim.store import Layout, ObjectStore, StoreConfig
        registry = Registry(ObjectStore(StoreConfig.from_env()), Layout({store_layout.namespace!r}))
        registry.register({{"tick": 1}}, metric="accuracy", metrics={{"accuracy": 0.9}}, run_id="run-1",
                          pipeline_sha256="p" * 64, data_snapshot={{}}, created_tick=1)
        print("survived")
    """)
    env = {
        **embedded_s3.config.to_env(),
        **registry.key.to_env(),
        failpoints.ENV: failpoints.CRASH_AFTER_ARTIFACT,
        "PATH": "",
    }

    crashed = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)

    assert crashed.returncode == 137, crashed.stderr
    assert "survived" not in crashed.stdout
    assert registry.incomplete_versions() == ["v0002"]
    assert registry.versions() == ["v0001"]
    with pytest.raises(CtsimError):
        registry.set_alias("canary", "v0002", expected=None, tick=1, reason="must not happen")
    assert registry.load(registry.alias("champion").version) == {"tick": 0}
    assert register_version(registry, 2) == "v0003"
    audit = audit_run(registry.store, store_layout, {}, 0, champion_timeline("v0001", "v0003"), registry.key)
    assert audit.ok, audit.to_dict()
    assert "v0002" in audit.summary() and "never aliased" in audit.summary()


def test_a_torn_artifact_write_is_caught_by_the_read_back_and_left_unrecorded(
    registry: Registry, monkeypatch: pytest.MonkeyPatch
):
    first = register_version(registry, 0)
    registry.set_alias("champion", first, expected=None, tick=0, reason="first")
    monkeypatch.setenv(failpoints.ENV, failpoints.TORN_ARTIFACT_WRITE)

    with pytest.raises(IntegrityError, match="read back differently"):
        register_version(registry, 1)

    monkeypatch.delenv(failpoints.ENV)
    assert registry.versions() == ["v0001"]
    assert registry.incomplete_versions() == ["v0002"]
    assert registry.load("v0001") == {"tick": 0}


def test_a_stale_writer_is_refused_once_the_champion_has_moved(registry: Registry):
    plan = FaultPlan([FaultEvent(kind="fault", at=1, fault="stale_alias_writer")])
    registry.set_alias("champion", register_version(registry, 0), expected=None, tick=0, reason="first")

    assert plan.stale_write(0, registry) is None  # not armed yet
    assert plan.stale_write(1, registry) is None  # armed: reads the pointer
    assert plan.stale_write(2, registry) is None  # champion unchanged: nothing to do
    registry.start_canary(register_version(registry, 2), tick=2)
    registry.promote_canary(tick=3)
    attempt = plan.stale_write(3, registry)

    assert attempt is not None and attempt.refused, attempt
    assert registry.alias("champion").version == "v0002"
    assert plan.stale_write(4, registry) is None  # it goes off once


def test_a_run_fault_goes_off_once_at_the_first_run_at_or_after_its_tick():
    plan = FaultPlan(
        [
            FaultEvent(kind="fault", at=3, fault="torn_artifact_write"),
            FaultEvent(kind="fault", at=1, fault="crash_during_registration"),
        ]
    )

    assert plan.next_run_fault(0) is None
    assert plan.next_run_fault(5).fault == "crash_during_registration"
    assert plan.next_run_fault(5).fault == "torn_artifact_write"
    assert plan.next_run_fault(9) is None


def test_a_failpoint_is_armed_only_around_its_run(
    monkeypatch: pytest.MonkeyPatch, outage_relay: OutageRelay, tmp_path: Path
):
    monkeypatch.delenv(failpoints.ENV, raising=False)
    plan = FaultPlan([])
    fault = FaultEvent(kind="fault", at=0, fault="crash_during_registration")

    with plan.around_run(fault, outage_relay, tmp_path / "run.log"):
        assert failpoints.armed(failpoints.CRASH_AFTER_ARTIFACT)
    assert not failpoints.armed(failpoints.CRASH_AFTER_ARTIFACT)


def test_the_store_goes_down_when_the_step_starts_and_comes_back_when_the_run_ends(
    outage_relay: OutageRelay, store_layout: Layout, tmp_path: Path
):
    store = ObjectStore(outage_relay.config, Retry(attempts=2, first_delay_s=0.05))
    store.put(store_layout.registry + "probe", b"up")
    log = tmp_path / "run.log"
    log.write_text("11:00:00.000 - INFO - Executing task \x1b[96m'collect-data'\x1b[0m\n")
    fault = FaultEvent(kind="fault", at=0, fault="store_down_during_step", step="train-model", seconds=60)

    with FaultPlan([]).around_run(fault, outage_relay, log):
        time.sleep(0.2)
        up_before_the_step = not outage_relay.is_down
        with log.open("a") as handle:
            handle.write("11:00:01.000 - INFO - Executing task \x1b[96m'train-model'\x1b[0m\n")
        down_during_the_step = eventually(lambda: outage_relay.is_down)
        with pytest.raises(CtsimError):
            store.get(store_layout.registry + "probe")

    assert up_before_the_step and down_during_the_step
    assert not outage_relay.is_down
    assert store.get(store_layout.registry + "probe").data == b"up"


def test_a_step_outage_never_leaves_the_store_down_even_if_the_step_never_starts(
    outage_relay: OutageRelay, tmp_path: Path
):
    fault = FaultEvent(kind="fault", at=0, fault="store_down_during_step", step="start-canary", seconds=1)
    done = threading.Event()

    with FaultPlan([]).around_run(fault, outage_relay, tmp_path / "never-written.log"):
        done.set()

    assert done.is_set() and not outage_relay.is_down
