"""The pytest plugin (entry point ``pytest11: ctsim``): fixtures for users' own property tests.

    ctsim_store_config   session   where the store is: $CTSIM_S3_ENDPOINT, else an embedded S3 server
                                   (moto in its own process on 127.0.0.1), started on first use
    ctsim_store          session   an ObjectStore on it, bucket created
    ctsim_registry       test      a Registry in a fresh namespace of that store
    ctsim_run_scenario   test      run(scenario) -> RunResult: a shipped name, a path or a Scenario object,
                                   replayed on that store with run directories under tmp_path

The names carry a ``ctsim_`` prefix so they never clash with a project's own
fixtures. Nothing heavy is imported and no server starts until a test asks
for one of them, so installing ctsim costs other test sessions nothing. With
``CTSIM_HYPOTHESIS_PROFILE`` set, the named ctsim profile (ci, dev, nightly)
is loaded for the session.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    from ctsim.testing.profiles import ENV_VAR

    if os.environ.get(ENV_VAR, "").strip():
        from ctsim.testing import profiles

        profiles.load()


@pytest.fixture(scope="session")
def ctsim_store_config() -> Iterator[Any]:
    from ctsim.sim import store_session

    with store_session() as config:
        yield config


@pytest.fixture(scope="session")
def ctsim_store(ctsim_store_config: Any) -> Any:
    from ctsim.store import ObjectStore

    store = ObjectStore(ctsim_store_config)
    store.ensure_bucket()
    return store


@pytest.fixture
def ctsim_registry(ctsim_store: Any) -> Any:
    from ctsim.testing.helpers import new_registry

    return new_registry(ctsim_store)


@pytest.fixture
def ctsim_run_scenario(ctsim_store_config: Any, ctsim_store: Any, tmp_path: Path) -> Callable[..., Any]:
    """``run(scenario, runner="subprocess")``: replay a scenario on the session's store; returns its RunResult."""

    def run(scenario: Any, runner: str = "subprocess") -> Any:
        from ctsim.scenario.model import Scenario
        from ctsim.sim import run_scenario
        from ctsim.testing.helpers import write_scenario

        if isinstance(scenario, Scenario):
            scenario = write_scenario(scenario, tmp_path / "scenarios")
        return run_scenario(str(scenario), runs_dir=tmp_path / "runs", runner=runner, store=ctsim_store_config)

    return run
