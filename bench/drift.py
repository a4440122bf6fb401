"""The drift check against lake size: incremental sketches vs scipy's exact recomputation.

For each reference size the reference arrives tick by tick (batches of ``new_rows``) and
is sketched as it lands, as the simulator does (``ctsim.drift.reference.TickSketches``);
then one drift check of a fresh ``new_rows`` batch is timed against the merged sketch
(``drift_decision_from_sketches``) and against the full frames (``drift_decision``:
scipy's Wasserstein on every reference row). The current batch has shifts from none to
large, two of them near the 0.1 threshold, so agreement is tested where it is hardest.
"""

from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np
import pandas as pd

from bench.plan import Plan
from bench.stats import median, ratio
from ctsim.drift.reference import TickSketches
from ctsim.settings import DriftTriggerSettings
from ctsim.triggers import drift_decision, drift_decision_from_sketches

__all__ = ["SHIFTS", "TOLERANCE", "run_drift", "shifts_for"]

# Mean shifts (in reference stds) of the current batch, per feature, cycled over the features.
SHIFTS = (0.0, 0.0, 0.05, 0.08, 0.12, 0.2, 0.5, 1.0)
# Stated tolerance: sketch and exact statistics differ by at most this much (normed Wasserstein,
# threshold 0.1); a feature whose exact statistic is within it of the threshold may be decided
# either way, every other feature must be decided the same.
TOLERANCE = 0.005


def shifts_for(features: int) -> list[float]:
    return [SHIFTS[i % len(SHIFTS)] for i in range(features)]


def _frame(rng: np.random.Generator, rows: int, shifts: list[float]) -> pd.DataFrame:
    return pd.DataFrame({f"x{i}": rng.normal(shift, 1.0, rows) for i, shift in enumerate(shifts)})


def _timed(call, repeats: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return median(times), result


def one_size(plan: Plan, lake_rows: int, seed: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    kinds = {f"x{i}": "numeric" for i in range(plan.features)}
    settings = DriftTriggerSettings(method="auto")
    ticks = max(1, lake_rows // plan.new_rows)
    batches = [_frame(rng, lake_rows // ticks, [0.0] * plan.features) for _ in range(ticks)]
    sketches = TickSketches(kinds)
    update_times = []
    for tick, batch in enumerate(batches):
        started = time.perf_counter()
        sketches.add(tick, batch)
        update_times.append(time.perf_counter() - started)
    started = time.perf_counter()
    reference_sketch = sketches.window(0, ticks - 1)
    merge_seconds = time.perf_counter() - started
    current = _frame(rng, plan.new_rows, shifts_for(plan.features))
    sketch_seconds, sketched = _timed(
        lambda: drift_decision_from_sketches(settings, reference_sketch, current), plan.drift_repeats
    )
    reference = pd.concat(batches, ignore_index=True)
    del batches
    gc.collect()
    exact_seconds, exact = _timed(lambda: drift_decision(settings, reference, current, kinds), plan.exact_repeats)
    return {
        "lake_rows": len(reference),
        "new_rows": len(current),
        "features": plan.features,
        "sketch_check_seconds": sketch_seconds,
        "exact_check_seconds": exact_seconds,
        "speedup": ratio(exact_seconds, sketch_seconds),
        "sketch_update_seconds_per_tick": median(update_times),
        "merge_seconds": merge_seconds,
        **agreement(exact.reasons[1:], sketched.reasons[1:], exact.fired, sketched.fired),
    }


def agreement(exact_reasons, sketch_reasons, exact_fired: bool, sketch_fired: bool) -> dict[str, Any]:
    """Compare per-feature statistics and decisions; only features clear of the threshold must agree."""
    differences, disagreements, borderline = [], 0, 0
    for exact, sketched in zip(exact_reasons, sketch_reasons, strict=True):
        differences.append(abs(exact.observed - sketched.observed))
        if abs(exact.observed - exact.threshold) <= TOLERANCE:
            borderline += 1
        elif exact.ok != sketched.ok:
            disagreements += 1
    return {
        "max_statistic_difference": max(differences) if differences else 0.0,
        "feature_disagreements": disagreements,
        "borderline_features": borderline,
        "decision_exact": exact_fired,
        "decision_sketch": sketch_fired,
        "decisions_agree": exact_fired == sketch_fired and disagreements == 0,
        "within_tolerance": bool(differences) and max(differences) <= TOLERANCE,
    }


def run_drift(plan: Plan) -> list[dict[str, Any]]:
    results = []
    for lake_rows in plan.lake_rows:
        results.append(one_size(plan, lake_rows))
        gc.collect()
    return results
