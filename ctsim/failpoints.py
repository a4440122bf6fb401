"""Failpoints: named places where a fault scenario can make ctsim's own code fail for real.

The simulator arms one failpoint for one pipeline run through the environment
(``CTSIM_FAILPOINT``), which kfp.local's task processes inherit; the code at
that place then crashes its process (``os._exit``, as a ``kill -9`` would) or
tears its write. This is how a scenario replays "the register step died
half-way" against the real pipeline and the real store, deterministically.
Unarmed, a failpoint costs one dictionary lookup.
"""

from __future__ import annotations

import os

ENV = "CTSIM_FAILPOINT"

CRASH_AFTER_ARTIFACT = "register:crash-after-artifact"
TORN_ARTIFACT_WRITE = "register:torn-artifact-write"
FAILPOINTS = (CRASH_AFTER_ARTIFACT, TORN_ARTIFACT_WRITE)

_KILLED_EXIT_CODE = 137  # what a process killed with SIGKILL reports


def armed(name: str) -> bool:
    return os.environ.get(ENV) == name


def crash_if_armed(name: str) -> None:
    """Die on the spot, without cleanup or flushing, like a killed process."""
    if armed(name):
        os._exit(_KILLED_EXIT_CODE)


def torn(name: str, data: bytes) -> bytes:
    """The bytes a torn write leaves behind (the first half) when armed, else ``data``."""
    return data[: len(data) // 2] if armed(name) else data
