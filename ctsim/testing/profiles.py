"""Hypothesis profiles for ctsim's property tests and for users' own.

    ci        derandomized: the same examples on every run, so CI is repeatable
    dev       the default: 50 random examples per property
    nightly   2000 examples per property, for a scheduled deep search

Pick one with the environment variable ``CTSIM_HYPOTHESIS_PROFILE``. They are registered with hypothesis
under ``ctsim-ci``, ``ctsim-dev`` and ``ctsim-nightly`` so they never replace a profile of the same short
name that hypothesis (its own ``ci``) or a user's project registered.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

from ctsim.errors import SettingError

__all__ = ["DEFAULT", "ENV_VAR", "PROFILES", "active", "load", "registered_name", "register", "selected"]

ENV_VAR = "CTSIM_HYPOTHESIS_PROFILE"
DEFAULT = "dev"
PROFILES = ("ci", "dev", "nightly")


def registered_name(name: str) -> str:
    """The name hypothesis knows ctsim's profile ``name`` by (``ci`` -> ``ctsim-ci``)."""
    return f"ctsim-{name}"


def register() -> None:
    """Register the three profiles with hypothesis (idempotent: re-registering replaces).

    Each starts from hypothesis' own defaults, never from whichever profile is
    loaded at the time, so registering again after loading ``ci`` leaves ``dev`` random.
    """
    base = settings.get_profile("default")
    settings.register_profile(
        registered_name("ci"),
        base,
        derandomize=True,
        max_examples=100,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
        print_blob=True,
    )
    settings.register_profile(registered_name("dev"), base, max_examples=50, deadline=None, print_blob=True)
    settings.register_profile(
        registered_name("nightly"),
        base,
        max_examples=2000,
        deadline=None,
        print_blob=True,
        suppress_health_check=[HealthCheck.too_slow],
    )


def selected(name: str | None = None, default: str = DEFAULT) -> str:
    """The profile name asked for: ``name``, else ``$CTSIM_HYPOTHESIS_PROFILE``, else ``default``."""
    chosen = name or os.environ.get(ENV_VAR, "").strip() or default
    if chosen not in PROFILES:
        raise SettingError(f"The '{ENV_VAR}' setting must be one of {', '.join(PROFILES)}. Got {chosen!r} instead.")
    return chosen


def load(name: str | None = None, default: str = DEFAULT) -> str:
    """Register the profiles and make the selected one hypothesis' default; returns its name."""
    chosen = selected(name, default)
    register()
    settings.load_profile(registered_name(chosen))
    return chosen


def active(name: str | None = None, default: str = DEFAULT) -> settings:
    """The selected profile's settings object, without changing hypothesis' global default."""
    chosen = selected(name, default)
    register()
    return settings.get_profile(registered_name(chosen))
