"""The shipped real-data scenarios against their independent references (fixtures/reference_served_accuracy.py).

`ctsim compare` replays each stream under the built-in weekly schedule through the real pipeline on
kfp.local; the reference recomputes the served accuracy with pandas and scikit-learn alone. They
must agree within 0.005.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ctsim.cli import main

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("scenario", "stream"), [("nannyml-employment", "employment"), ("nannyml-california", "california")]
)
def test_ctsim_compare_matches_the_independent_served_accuracy(tmp_path, scenario, stream):
    reference = subprocess.run(
        [sys.executable, str(ROOT / "fixtures" / "reference_served_accuracy.py"), stream],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    expected = float(reference.stdout.split()[-1])
    code = main(
        ["compare", scenario, "--policy", "schedule", "--policy", "none", "-j", "2", "--runs-dir", str(tmp_path)]
    )
    assert code == 0
    (record,) = tmp_path.glob("compare-*/compare.json")
    policies = {p["policy"]: p["metrics"] for p in json.loads(record.read_text())["policies"]}
    assert policies["schedule"]["retrains"] == 2
    assert abs(policies["schedule"]["auc"] - expected) <= 0.005
