"""Drift statistics (Evidently's defaults) and incremental reference sketches. Pure: no I/O, no clock.

Per-tick sketches for a simulation loop live in ``ctsim.drift.reference``.
"""

from ctsim.drift.sketch import (
    DEFAULT_SKETCH_BINS,
    CategoricalSketch,
    HistogramSketch,
    Sketch,
    dataset_sketch_drift,
    merge_sketches,
    sample_edges,
    sketch_drift,
    sketch_frame,
    update_sketches,
)
from ctsim.drift.stats import DatasetDrift, FeatureDrift, dataset_drift, feature_drift

__all__ = [
    "DEFAULT_SKETCH_BINS",
    "CategoricalSketch",
    "DatasetDrift",
    "FeatureDrift",
    "HistogramSketch",
    "Sketch",
    "dataset_drift",
    "dataset_sketch_drift",
    "feature_drift",
    "merge_sketches",
    "sample_edges",
    "sketch_drift",
    "sketch_frame",
    "update_sketches",
]
