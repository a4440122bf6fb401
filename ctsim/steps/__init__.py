"""The pure work of each pipeline step: frames and models in, frames, models and decisions out.

Submodules are imported on first use so a component that only cleans data
never pays for importing scikit-learn.
"""

import importlib

_HOMES = {
    "FeatureRecipe": "features",
    "CustomFeatures": "features",
    "clean": "features",
    "engineer": "features",
    "feature_frame": "features",
    "features_for": "features",
    "split_by_recency": "features",
    "ServableModel": "model",
    "score": "training",
    "train": "training",
    "model_output": "training",
    "metric_value": "metrics",
    "metric_spec": "metrics",
    "METRICS": "metrics",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'ctsim.steps' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ctsim.steps.{_HOMES[name]}"), name)
