"""Recorded run directories (copied from real runs) and helpers shared by the report tests."""

import shutil
from pathlib import Path

import pytest

from ctsim.report import load_run

FIXTURES = Path(__file__).parent / "fixtures"
SUDDEN_DRIFT = FIXTURES / "sudden-drift-20261126T112834822705Z"
CANARY_REGRESSION = FIXTURES / "canary-regression-20261126T113012743268Z"


@pytest.fixture
def sudden_drift():
    return load_run(SUDDEN_DRIFT)


@pytest.fixture
def run_copy(tmp_path):
    """A writable copy of a recorded run directory (to plant secrets or an audit.json)."""

    def copy(source: Path = SUDDEN_DRIFT) -> Path:
        target = tmp_path / "runs" / source.name
        shutil.copytree(source, target)
        return target

    return copy
