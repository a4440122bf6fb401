"""The pytest plugin (entry point ``pytest11: ctsim``): fixtures for users' own property tests.

    ctsim_store_config   session   where the store is: $CTSIM_S3_ENDPOINT, else an embedded S3 server
                                   (moto in its own process on 127.0.0.1), started on first use
    ctsim_store          session   an ObjectStore on it, bucket created
    ctsim_registry       test      a Registry in a fresh namespace of that store
    ctsim_run_scenario   test      run(scenario) -> RunResult: a shipped name, a path or a Scenario object,
                                   replayed on that store with run directories under tmp_path

The plugin is installed into every pytest session of an environment that has ctsim, so it is polite:

- The names carry a ``ctsim_`` prefix so they never clash with a project's own fixtures. Nothing heavy is
  imported and no server starts until a test asks for one of them.
- It registers ctsim's hypothesis profiles as ``ctsim-ci``, ``ctsim-dev``, ``ctsim-nightly`` (no profile of
  the project's or hypothesis' own is replaced) and only when hypothesis is installed (``ctsim[testing]``).
- ``CTSIM_HYPOTHESIS_PROFILE`` loads one of them only when the session has not chosen a profile already:
  an explicit ``--hypothesis-profile`` or a ``settings.load_profile`` in the project's conftest wins, and
  the report header says which profile is in force and why.
- A ``CTSIM_HYPOTHESIS_PROFILE`` that names no ctsim profile is a usage error (one line, exit code 4).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ctsim.runners import RunnerKind

# Profiles hypothesis itself may have in force without anyone choosing: its start-up default, and the
# ``ci`` profile it loads on its own when it detects a CI machine.
_NOT_A_CHOICE = ("default", "ci")
_NOTE = pytest.StashKey[str]()


def pytest_configure(config: pytest.Config) -> None:
    if importlib.util.find_spec("hypothesis") is None:
        return  # ctsim without its [testing] extra: nothing to register, the fixtures still work
    from ctsim.errors import SettingError
    from ctsim.testing import profiles

    wanted = os.environ.get(profiles.ENV_VAR, "").strip()
    try:
        chosen = profiles.selected(wanted) if wanted else None
    except SettingError as exc:
        raise pytest.UsageError(str(exc)) from None
    profiles.register()
    if chosen is not None:
        config.stash[_NOTE] = _apply(config, chosen)


def _apply(config: pytest.Config, chosen: str) -> str:
    """Load ctsim's profile ``chosen`` unless the session already chose one; say what happened."""
    from hypothesis import settings

    from ctsim.testing import profiles

    flag = config.getoption("hypothesis_profile", default=None)
    current = settings.get_current_profile_name()
    if flag:
        return f"ctsim: {profiles.ENV_VAR}={chosen} ignored, --hypothesis-profile={flag} was given"
    if current == profiles.registered_name(chosen):
        return f"ctsim: hypothesis profile {current!r} (from {profiles.ENV_VAR})"
    if current not in _NOT_A_CHOICE:
        return f"ctsim: {profiles.ENV_VAR}={chosen} ignored, the project loaded hypothesis profile {current!r}"
    profiles.load(chosen)
    return f"ctsim: hypothesis profile {profiles.registered_name(chosen)!r} (from {profiles.ENV_VAR})"


def pytest_report_header(config: pytest.Config) -> str | None:
    return config.stash.get(_NOTE, None)


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

    def run(scenario: Any, runner: RunnerKind = "subprocess") -> Any:
        from ctsim.scenario.model import Scenario
        from ctsim.sim import run_scenario
        from ctsim.testing.helpers import write_scenario

        if isinstance(scenario, Scenario):
            scenario = write_scenario(scenario, tmp_path / "scenarios")
        return run_scenario(str(scenario), runs_dir=tmp_path / "runs", runner=runner, store=ctsim_store_config)

    return run
