"""ctsim's public component library for a team's own ``@dsl.pipeline`` (see docs/pipeline-contract.md).

    from ctsim.kfp import collect_data, validate_data, split_data, evaluate_model, register_model, start_canary
    from ctsim.kfp import raise_alert, exit_handler, on_cluster, ctsim_component
    from ctsim.kfp import save_model, load_model, run_settings        # inside your own component bodies

The helpers import no KFP SDK code, so a component body can use them: at run time KFP's executor loads a
reduced ``kfp.dsl`` (``_KFP_RUNTIME``) in which the pipeline-building classes do not exist. The components
are loaded on first use, when a pipeline is being defined.
"""

from __future__ import annotations

import importlib
from typing import Any

# Explicit re-exports (``x as x``): the helpers are eager, the components lazy (see ``__getattr__``).
from ctsim.pipeline.artifacts import load_model as load_model
from ctsim.pipeline.artifacts import save_model as save_model
from ctsim.pipeline.tasks import run_settings as run_settings

_LIBRARY = (
    "COMPONENT_IMAGE",
    "collect_data",
    "components_on",
    "ctsim_component",
    "evaluate_model",
    "exit_handler",
    "finish_run",
    "on_cluster",
    "raise_alert",
    "register_model",
    "split_data",
    "start_canary",
    "validate_data",
    "with_store_secret",
)

__all__ = sorted([*_LIBRARY, "load_model", "run_settings", "save_model"])


def __getattr__(name: str) -> Any:
    if name in _LIBRARY:
        return getattr(importlib.import_module("ctsim.pipeline.library"), name)
    raise AttributeError(f"module 'ctsim.kfp' has no attribute {name!r}")
