"""Shared test set-up: hypothesis profiles and the real embedded S3 server.

Profiles: ``ci`` (derandomized, so CI is repeatable), ``dev`` (default) and
``nightly`` (many more examples); pick one with CTSIM_HYPOTHESIS_PROFILE.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", derandomize=True, max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow], print_blob=True)
settings.register_profile("dev", max_examples=50, deadline=None, print_blob=True)
settings.register_profile("nightly", max_examples=2000, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("CTSIM_HYPOTHESIS_PROFILE", "dev"))

# Real S3 server fixtures (session-scoped server, one namespace per test).
from fixtures_store import embedded_s3, object_store, outage_relay, registry, store_layout  # noqa: E402,F401
