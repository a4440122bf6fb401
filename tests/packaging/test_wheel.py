"""The wheel is complete: built from this tree, installed into a fresh venv outside the repository, it runs.

Slow (a venv and the runtime dependencies: minutes, from PyPI or pip's cache), so marked ``slow`` and ``e2e``.
The venv gets only the runtime dependencies, pinned by ci/constraints.txt: that also proves the simulator
runs without any extra, and that a feature needing one names it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ctsim.scenario.loader import shipped_names

pytestmark = [pytest.mark.slow, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
INSTALL_DEADLINE = 1200  # seconds for building the wheel and installing it with its dependencies


def sh(args: list[str | Path], cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PYTHONNOUSERSITE"] = "1"
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, Path]:
    """(venv bin folder, an empty working folder far from the repository)."""
    base = tmp_path_factory.mktemp("wheel")
    built = sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", ROOT, "-w", base / "dist"], base, 300)
    assert built.returncode == 0, built.stderr
    (wheel,) = (base / "dist").glob("ctsim-*.whl")
    made = sh([sys.executable, "-m", "venv", base / "venv"], base, 120)
    assert made.returncode == 0, made.stderr
    bin_dir = base / "venv" / "bin"
    added = sh(
        [bin_dir / "python", "-m", "pip", "install", "-q", "-c", ROOT / "ci" / "constraints.txt", wheel],
        base,
        INSTALL_DEADLINE,
    )
    assert added.returncode == 0, added.stderr[-2000:]
    work = base / "elsewhere"
    work.mkdir()
    return bin_dir, work


def test_the_installed_package_is_not_the_repository(installed):
    bin_dir, work = installed
    where = sh([bin_dir / "python", "-c", "import ctsim; print(ctsim.__file__)"], work, 60)
    assert where.returncode == 0 and str(bin_dir.parent) in where.stdout and str(ROOT) not in where.stdout


def test_ctsim_scenarios_lists_every_shipped_scenario(installed):
    bin_dir, work = installed
    listed = sh([bin_dir / "ctsim", "scenarios"], work, 120)
    assert listed.returncode == 0, listed.stderr
    assert [line.split()[0] for line in listed.stdout.splitlines() if line.strip()] == shipped_names()
    assert "faults/fault-gauntlet" in shipped_names() and "river-phishing" in shipped_names()


def test_shipped_data_and_the_kind_config_resolve_inside_the_package(installed):
    bin_dir, work = installed
    checked = sh([bin_dir / "ctsim", "validate", "river-phishing"], work, 120)  # replays fixtures/phishing.csv
    assert checked.returncode == 0, checked.stderr
    plan = sh([bin_dir / "ctsim", "cluster", "up", "--dry-run"], work, 120)
    config = next(word for word in plan.stdout.split() if word.endswith("kind-config.yaml"))
    assert Path(config).is_file() and str(bin_dir.parent) in config


def test_a_feature_of_an_extra_names_the_extra(installed):
    bin_dir, work = installed
    refused = sh([bin_dir / "ctsim", "run", "scenario", "baseline", "--plot", "p.png"], work, 120)
    assert refused.returncode == 2 and "pip install 'ctsim[plot]'" in refused.stderr
    assert list(work.iterdir()) == []


def test_ctsim_run_scenario_baseline_passes_from_the_wheel(installed):
    bin_dir, work = installed
    env_path = f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"  # kfp.local's task processes use this python
    ran = subprocess.run(
        [str(bin_dir / "ctsim"), "run", "scenario", "baseline"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")},
            "PATH": env_path,
            "PYTHONNOUSERSITE": "1",
        },
    )
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert "verdict PASSED" in ran.stdout
    assert any((work / "runs").glob("baseline-*/timeline.json"))
