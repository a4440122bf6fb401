"""The pytest plugin's fixtures on the real embedded S3 server, and the registry properties users get from them.

These tests use the plugin exactly as a user does: the ``pytest11`` entry
point is active in this session too, so ``ctsim_store`` and ``ctsim_registry``
come from ``ctsim.testing.plugin``, not from tests/conftest.py.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fixtures_store import register_version
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ctsim.errors import ConflictError
from ctsim.testing.helpers import new_registry

pytestmark = [pytest.mark.store, pytest.mark.property]
pytest_plugins = ["pytester"]

# Each example talks to a real server over HTTP: a handful of examples is already many requests.
STORE_EXAMPLES = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_plugin_fixtures_come_from_the_entry_point(request, ctsim_registry, ctsim_store) -> None:
    plugin = request.config.pluginmanager.get_plugin("ctsim")
    assert plugin is not None and plugin.__name__ == "ctsim.testing.plugin"
    assert ctsim_registry.store is ctsim_store
    assert ctsim_registry.versions() == []  # a fresh namespace per test


def test_each_test_gets_its_own_namespace(ctsim_registry, ctsim_store) -> None:
    other = new_registry(ctsim_store)
    register_version(ctsim_registry, 0)
    assert other.layout.namespace != ctsim_registry.layout.namespace
    assert other.versions() == []


@STORE_EXAMPLES
@given(writers=st.integers(2, 5), rounds=st.integers(1, 3))
def test_concurrent_champion_moves_have_one_winner_per_round_and_no_lost_update(ctsim_store, writers, rounds) -> None:
    registry = new_registry(ctsim_store)
    candidates = [register_version(registry, tick) for tick in range(writers + 1)]
    seen = registry.set_alias("champion", candidates[0], expected=None, tick=0, reason="bootstrap")
    winners = []
    for round_ in range(1, rounds + 1):
        barrier = threading.Barrier(writers)

        def attempt(i: int, seen=seen, round_=round_, barrier=barrier):
            barrier.wait()
            try:
                return registry.set_alias("champion", candidates[i + 1], expected=seen, tick=round_, reason=f"w{i}")
            except ConflictError:
                return None

        with ThreadPoolExecutor(writers) as pool:
            results = [r for r in pool.map(attempt, range(writers)) if r is not None]
        assert len(results) == 1, f"round {round_}: {len(results)} winners"
        seen = results[0]
        winners.append(seen.version)
        assert registry.alias("champion") == seen  # exactly one champion, the winner's
    moves = [e["version"] for e in registry.events() if e["event"] == "alias-set" and e["alias"] == "champion"]
    assert moves == [candidates[0], *winners]  # every accepted move is recorded, none lost


@STORE_EXAMPLES
@given(outcomes=st.lists(st.sampled_from(["promote", "rollback"]), min_size=1, max_size=4))
def test_rollback_restores_the_champion_byte_for_byte_and_rollout_keeps_previous(ctsim_store, outcomes) -> None:
    registry = new_registry(ctsim_store)
    champion = register_version(registry, 0)
    registry.set_alias("champion", champion, expected=None, tick=0, reason="bootstrap")
    for tick, outcome in enumerate(outcomes, start=1):
        before = registry.store.get(registry.layout.alias("champion"))
        previous = registry.alias("previous")
        candidate = register_version(registry, tick)
        registry.start_canary(candidate, tick=tick)
        if outcome == "rollback":
            registry.rollback_canary(tick=tick, reason="canary failed")
            after = registry.store.get(registry.layout.alias("champion"))
            assert (after.data, after.etag) == (before.data, before.etag)
            assert registry.alias("previous") == previous
        else:
            registry.promote_canary(tick=tick)
            assert registry.alias("previous").version == champion
            champion = candidate
        assert registry.alias("champion").version == champion
        assert registry.alias("canary") is None
        registry.load(champion)  # the champion is always a verified, loadable version


def readme_example() -> str:
    """The first python block of the README's "Property tests for your own gates" section."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Property tests for your own gates", 1)[1]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


def test_the_readme_example_runs_as_a_user_test_module(pytester) -> None:
    """A fresh pytest session on the README's code: the entry point supplies ``ctsim_store``."""
    pytester.makepyfile(test_user=readme_example())
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
