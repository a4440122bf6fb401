"""Optional dependencies: which extra brings which package, and one clear error when it is missing.

    plot      matplotlib   --plot on run, report and compare
    testing   hypothesis   ctsim verify-gates, ctsim.testing (strategies, profiles, the pytest plugin's profiles)
    docker    docker       --runner docker

The check runs at the edge, before any work: ``ctsim run --plot x.png`` without matplotlib stops
at once with exit 2 instead of after a minute of simulation.
"""

from __future__ import annotations

import importlib.util

from ctsim.errors import MissingExtra

EXTRAS = {"plot": "matplotlib", "testing": "hypothesis", "docker": "docker"}


def require(extra: str, feature: str) -> None:
    """Raise MissingExtra naming ``pip install 'ctsim[extra]'`` when the extra's package is not importable."""
    module = EXTRAS[extra]
    if importlib.util.find_spec(module) is None:
        raise MissingExtra(f"{feature} needs {module}, which is not installed: pip install 'ctsim[{extra}]'")
