"""Shared test set-up: hypothesis profiles and the real embedded S3 server.

Profiles: ``ci`` (derandomized, so CI is repeatable), ``dev`` (default) and
``nightly`` (many more examples); pick one with CTSIM_HYPOTHESIS_PROFILE.
"""

import pytest

from ctsim.testing import profiles

profiles.load()  # the profiles users get too, defined once in ctsim.testing.profiles

# Real S3 server fixtures (session-scoped server, one namespace per test).
from fixtures_store import embedded_s3, object_store, outage_relay, registry, store_layout  # noqa: E402,F401

DOCKER_TESTS = "tests/docker/"


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """Under pytest-xdist (``make test`` runs two workers) a test file runs whole on one worker, so a module's
    shared replays run once, not once per worker; the Docker tests (tests/docker) all run on one worker, so one
    engine is set up and a dockerd the tests started is stopped only when they are all done. (xdist's own
    ``--dist loadgroup`` would say this with marks, but it cannot regroup pytest 9's test ids.)"""
    from xdist.scheduler import LoadFileScheduling

    class OneFileOneWorker(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return DOCKER_TESTS if path.startswith(DOCKER_TESTS) else path

    return OneFileOneWorker(config, log)
