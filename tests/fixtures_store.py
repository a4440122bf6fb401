"""Fixtures for tests that talk to a real S3 server over HTTP on 127.0.0.1.

One embedded server (``python -m moto.server`` in a subprocess) serves the
whole session; every test gets its own ``Layout`` with a fresh namespace, so
tests never see each other's objects. Import the fixtures from conftest.py; test modules
import the helpers at the end (``race``, ``register_version``, ``eventually``) directly.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from ctsim.registry import Registry
from ctsim.store import EmbeddedS3, Layout, ObjectStore, OutageRelay, Retry
from ctsim.trust import SigningKey

__all__ = [
    "embedded_s3",
    "eventually",
    "object_store",
    "outage_relay",
    "race",
    "register_version",
    "registry",
    "store_layout",
]

# Outage tests must fail fast: two attempts, 50 ms apart.
FAST_RETRY = Retry(attempts=2, first_delay_s=0.05)


@pytest.fixture(scope="session")
def embedded_s3() -> Iterator[EmbeddedS3]:
    with EmbeddedS3() as server:
        yield server


@pytest.fixture(scope="session")
def object_store(embedded_s3: EmbeddedS3) -> ObjectStore:
    store = ObjectStore(embedded_s3.config)
    store.ensure_bucket()
    return store


@pytest.fixture
def store_layout() -> Layout:
    return Layout(f"test-{uuid.uuid4().hex}")


@pytest.fixture
def registry(object_store: ObjectStore, store_layout: Layout) -> Registry:
    return Registry(object_store, store_layout, SigningKey.generate())


@pytest.fixture
def outage_relay(embedded_s3: EmbeddedS3, object_store: ObjectStore) -> Iterator[OutageRelay]:
    """A relay in front of the session's server; the test may take it down. Always stopped afterwards."""
    relay = OutageRelay(embedded_s3.config).start()
    try:
        yield relay
    finally:
        relay.stop()


# helpers ---------------------------------------------------------------------------
def race(n: int, attempt: Callable[[int], object]) -> list:
    """Run ``attempt(i)`` on n threads released together; returns each thread's result."""
    barrier = threading.Barrier(n)

    def run(i: int):
        barrier.wait()
        return attempt(i)

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


def register_version(registry: Registry, tick: int) -> str:
    """Register a small stand-in model as created at ``tick``; returns its version."""
    return registry.register(
        {"tick": tick},
        metric="accuracy",
        metrics={"accuracy": 0.9},
        run_id=f"run-{tick}",
        pipeline_sha256="p" * 64,
        data_snapshot={},
        created_tick=tick,
    ).version


def eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Whether ``condition()`` holds within ``timeout`` seconds (polled every 10 ms)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()
