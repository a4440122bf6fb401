"""Shared test set-up: hypothesis profiles and the real embedded S3 server.

Profiles: ``ci`` (derandomized, so CI is repeatable), ``dev`` (default) and
``nightly`` (many more examples); pick one with CTSIM_HYPOTHESIS_PROFILE.
"""

from ctsim.testing import profiles

profiles.load()  # the profiles users get too, defined once in ctsim.testing.profiles

# Real S3 server fixtures (session-scoped server, one namespace per test).
from fixtures_store import embedded_s3, object_store, outage_relay, registry, store_layout  # noqa: E402,F401
