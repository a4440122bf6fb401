"""Files ctsim ships inside the package (so a wheel holds them), found through importlib.resources.

    scenarios/          the shipped scenarios (``ctsim scenarios``), ``faults/`` among them
    fixtures/           data files the shipped scenarios replay (``river-phishing`` reads ``phishing.csv``)
    kind-config.yaml    the kind cluster config of ``ctsim cluster up``

In a clone, the top-level ``scenarios``, ``fixtures/phishing.csv`` and ``ci/kind-config.yaml`` are symlinks
to these files, so there is one copy and both the documented paths and the installed package find it.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def shipped(relative: str) -> Path:
    """The filesystem path of a shipped file or folder (pip installs packages unzipped, so there always is one)."""
    return Path(str(resources.files(__name__).joinpath(relative)))


SCENARIOS = shipped("scenarios")
KIND_CONFIG = shipped("kind-config.yaml")
