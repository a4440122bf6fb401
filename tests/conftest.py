"""Shared test set-up: hypothesis profiles and the real embedded S3 server.

Profiles: ``ci`` (derandomized, so CI is repeatable), ``dev`` (default) and
``nightly`` (many more examples); pick one with CTSIM_HYPOTHESIS_PROFILE.
"""

from ctsim.testing import profiles

profiles.load()  # the profiles users get too, defined once in ctsim.testing.profiles

# Real S3 server fixtures (session-scoped server, one namespace per test).
from fixtures_store import embedded_s3, object_store, outage_relay, registry, store_layout  # noqa: E402,F401


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (``make test`` runs two workers, --dist loadgroup) a test file runs whole on one worker,
    so a module's shared replays run once, not once per worker; every Docker test runs on the same worker,
    so one engine is set up and a dockerd the tests started is stopped only when they are all done."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    import pytest

    for item in items:
        group = "docker" if item.get_closest_marker("docker") else item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group(group))
