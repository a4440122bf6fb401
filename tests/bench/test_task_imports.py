"""Pipeline tasks start lean: kfp.local runs each in a fresh interpreter, so a heavy import at the
top of ``ctsim.pipeline.tasks`` is paid by every task of every run (see bench/startup.py)."""

import json
import os
import subprocess
import sys

import pytest

HEAVY = ("pandas", "pyarrow", "minio", "pydantic", "sklearn", "scipy", "croniter")


def _modules_after(statement: str) -> set[str]:
    probe = f"import sys, json\n{statement}\nprint(json.dumps(sorted(m.split('.')[0] for m in sys.modules)))"
    env = {**os.environ, "_KFP_RUNTIME": "true"}
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


def test_importing_the_tasks_module_loads_no_heavy_library():
    assert not _modules_after("import ctsim.pipeline.tasks") & set(HEAVY)


def test_the_exit_handler_of_a_successful_run_needs_nothing_heavy():
    loaded = _modules_after("from ctsim.pipeline import tasks\ntasks.finish_run('ns', 'run-001', 'SUCCEEDED', '')")
    assert not loaded & set(HEAVY)


@pytest.mark.parametrize("module", ["ctsim.registry", "ctsim.gates.data_gate"])
def test_store_and_gate_tasks_do_not_load_scikit_learn_or_croniter(module):
    assert not _modules_after(f"import ctsim.pipeline.tasks, {module}") & {"sklearn", "croniter"}
