"""House rules as checks: which room may import what, and every module importable on its own.

The rules (see CONTRIBUTING.md):

* the pure rooms (``gates``, ``drift``, ``triggers``, ``steps``) import no I/O: no network or process
  modules, no file-system modules, and none of ctsim's own I/O rooms;
* only ``ctsim/store/`` imports the S3 client (minio);
* only ``ctsim/pipeline/`` imports ``kfp.dsl`` (the runners use ``kfp.local``/``kfp.components``, which is
  how a compiled pipeline is run, not built);
* only ``ctsim/report/``, ``cli.py`` and ``commands/`` print, with the deliberate exceptions in ``PRINTS``;
* the timeline room (``timeline/``) is pure but for its own file: it imports nothing of ctsim beyond the error
  tree and ``Reason``, and only ``timeline/file.py`` (which reads and writes ``timeline.json``) does I/O.

Imports are read from the source (every ``import`` statement, those inside functions too), so a lazy
import cannot slip past.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ctsim"
PURE_ROOMS = ("gates", "drift", "triggers", "steps")
IO_MODULES = (
    "minio",
    "urllib3",
    "urllib.request",
    "requests",
    "http",
    "socket",
    "boto3",
    "botocore",
    "subprocess",
    "kfp",
    "docker",
    "os",
    "pathlib",
    "shutil",
    "tempfile",
    "ctsim.store",
    "ctsim.lake",
    "ctsim.registry",
    "ctsim.runners",
    "ctsim.sim",
    "ctsim.pipeline",
    "ctsim.promote",
    "ctsim.report",
    "ctsim.commands",
    "ctsim.cli",
    "ctsim.deadline",
    "ctsim.processes",
    "ctsim.failpoints",
)
TIMELINE_FILE = "ctsim/timeline/file.py"  # the timeline room's one module with I/O: timeline.json
TIMELINE_MAY_IMPORT = ("ctsim.errors", "ctsim.reasons", "ctsim.timeline")
# Modules outside report/, cli.py and commands/ whose print is deliberate, with why.
PRINTS = {
    "ctsim/pipeline/tasks.py": "a task's stdout is its log, on kfp.local and on a cluster",
    "ctsim/runners/warm.py": "kfp.local's stdout is the run's log: the warm runner writes a task's output there",
    "ctsim/runners/docker.py": "kfp.local's stdout is the run's log: a task container's output is streamed there",
    "ctsim/runners/forkserver.py": "the fork server's child reports an unexpected failure on its own stderr",
}


def imports(source: str) -> list[tuple[int, str]]:
    """(line, module) for every absolute import, ``from a import b`` counted as both ``a`` and ``a.b``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def prints(source: str) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]


def within(name: str, module: str) -> bool:
    return name == module or name.startswith(module + ".")


def violations(relative: str, source: str) -> list[str]:
    """What breaks the house rules in the module at ``relative`` (a path like ``ctsim/gates/data.py``)."""
    parts = Path(relative).parts
    room = parts[1] if len(parts) > 2 else parts[-1]
    found = []
    for line, name in imports(source):
        if room in PURE_ROOMS and any(within(name, io) for io in IO_MODULES):
            found.append(f"{relative}:{line}: the pure room {room}/ imports {name}")
        if within(name, "minio") and room != "store":
            found.append(f"{relative}:{line}: only store/ may import the S3 client, not {room}")
        if within(name, "kfp.dsl") and room != "pipeline":
            found.append(f"{relative}:{line}: only pipeline/ may import kfp.dsl, not {room}")
        if room == "timeline" and within(name, "ctsim") and not any(within(name, ok) for ok in TIMELINE_MAY_IMPORT):
            found.append(f"{relative}:{line}: the timeline room imports {name} (only the error tree and Reason)")
        if room == "timeline" and relative != TIMELINE_FILE and any(within(name, io) for io in IO_MODULES):
            found.append(f"{relative}:{line}: the timeline room does I/O only in timeline/file.py, not with {name}")
    if room not in ("report", "cli.py", "commands") and relative not in PRINTS:
        found += [f"{relative}:{line}: prints (only report/, cli.py and commands/ print)" for line in prints(source)]
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_every_module_keeps_the_house_rules():
    found = [
        problem
        for path in modules()
        for problem in violations(path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8"))
    ]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "relative, source, broken",
    [
        ("ctsim/gates/x.py", "def f():\n    import minio\n", "the pure room gates/ imports minio"),
        ("ctsim/steps/x.py", "from ctsim.store import ObjectStore\n", "the pure room steps/ imports ctsim.store"),
        ("ctsim/drift/x.py", "from urllib3 import PoolManager\n", "the pure room drift/ imports urllib3"),
        ("ctsim/triggers/x.py", "import os.path\n", "the pure room triggers/ imports os.path"),
        ("ctsim/registry/x.py", "from minio import Minio\n", "only store/ may import the S3 client, not registry"),
        ("ctsim/runners/x.py", "from kfp import dsl\n", "only pipeline/ may import kfp.dsl, not runners"),
        ("ctsim/sim/x.py", "import kfp.dsl\n", "only pipeline/ may import kfp.dsl, not sim"),
        ("ctsim/sim/x.py", "print('hi')\n", "prints"),
        ("ctsim/timeline/x.py", "from ctsim.sim import run_scenario\n", "the timeline room imports ctsim.sim"),
        ("ctsim/timeline/events.py", "import os\n", "the timeline room does I/O only in timeline/file.py"),
    ],
)
def test_the_checks_catch_each_kind_of_violation(relative, source, broken):
    assert any(broken in problem for problem in violations(relative, source))


@pytest.mark.parametrize(
    "relative, source",
    [
        ("ctsim/store/x.py", "from minio import Minio\n"),
        ("ctsim/pipeline/x.py", "from kfp import dsl\n"),
        ("ctsim/runners/x.py", "from kfp import local\n"),
        ("ctsim/gates/x.py", "from ctsim.reasons import Reason\nimport math\n"),
        ("ctsim/report/x.py", "print('report')\n"),
        ("ctsim/timeline/file.py", "import os\nfrom pathlib import Path\nfrom ctsim.errors import TimelineError\n"),
        ("ctsim/timeline/events.py", "from ctsim.reasons import Reason\nfrom pydantic import ConfigDict\n"),
    ],
)
def test_what_the_rules_allow(relative, source):
    assert violations(relative, source) == []


# Every module alone --------------------------------------------------------------------------------------
# One interpreter preloads the third-party libraries, then forks a child per module: each child starts with
# no ctsim module loaded, so an import cycle or a missing import shows up as it would in a fresh interpreter.
_IMPORT_EACH = """
import importlib, os, sys, traceback
for heavy in ("numpy", "pandas", "pydantic", "sklearn", "sklearn.linear_model", "scipy.stats", "yaml", "kfp", "kfp.dsl",
              "kfp.local", "minio", "urllib3", "moto", "hypothesis", "evidently", "optuna", "rich"):
    try:
        importlib.import_module(heavy)
    except ImportError:
        pass
assert not [m for m in sys.modules if m == "ctsim" or m.startswith("ctsim.")]
failed, running = [], {}


def reap():
    pid, status = os.wait()
    if status != 0:
        failed.append(running[pid])
    del running[pid]


for name in sys.argv[1:]:
    if len(running) >= 3:  # a few children at a time: the machine is shared
        reap()
    pid = os.fork()
    if pid == 0:
        try:
            importlib.import_module(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    running[pid] = name
while running:
    reap()
print("FAILED " + " ".join(failed) if failed else "OK")
"""


def module_names() -> list[str]:
    names = []
    for path in modules():
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks a child per module")
def test_every_module_imports_alone():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", _IMPORT_EACH, *module_names()],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=ROOT,
    )
    assert done.stdout.strip() == "OK", done.stdout + done.stderr[-4000:]
