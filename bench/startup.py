"""What a pipeline task pays before its step starts: a fresh interpreter and its imports.

kfp.local starts one ``python -m kfp.dsl.executor_main`` per task, so these
costs recur for every task of every run. Each figure is the median wall time of
a fresh ``python -c "import ..."`` (with ``_KFP_RUNTIME=true``, as in a task).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from bench.stats import median

__all__ = ["IMPORT_SETS", "run_startup"]

# What each kind of task imports (see ctsim/pipeline/tasks.py).
IMPORT_SETS: dict[str, str] = {
    "bare interpreter": "pass",
    "kfp executor": "import kfp.dsl.executor_main; from kfp import dsl",
    "ctsim tasks module": "import kfp.dsl.executor_main; import ctsim.pipeline.tasks",
    "store task (canary, register)": "import kfp.dsl.executor_main; import ctsim.pipeline.tasks, ctsim.registry",
    "data task (collect, validate)": (
        "import kfp.dsl.executor_main; import ctsim.pipeline.tasks, ctsim.registry, ctsim.lake, ctsim.gates.data_gate"
    ),
    "model task (train, evaluate)": (
        "import kfp.dsl.executor_main; import ctsim.pipeline.tasks, ctsim.registry, ctsim.lake, ctsim.steps.training"
    ),
}


def _once(statement: str) -> float:
    env = {**os.environ, "_KFP_RUNTIME": "true"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=env, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def run_startup(repeats: int) -> list[dict[str, Any]]:
    return [
        {"what": name, "seconds": median(_once(statement) for _ in range(repeats))}
        for name, statement in IMPORT_SETS.items()
    ]
