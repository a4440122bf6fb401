"""ctsim's public component library for a team's own ``@dsl.pipeline`` (see docs/pipeline-contract.md).

    from ctsim.kfp import collect_data, validate_data, split_data, evaluate_model, register_model, start_canary
    from ctsim.kfp import raise_alert, exit_handler, on_cluster, save_model, load_model, run_settings

Importing this module imports ``kfp``; inside a component body, import only what the body uses.
"""

from ctsim.pipeline.artifacts import load_model, save_model
from ctsim.pipeline.library import (COMPONENT_IMAGE, collect_data, ctsim_component, evaluate_model, exit_handler,
                                    finish_run, on_cluster, raise_alert, register_model, split_data, start_canary,
                                    validate_data, with_store_secret)
from ctsim.pipeline.tasks import run_settings

__all__ = ["COMPONENT_IMAGE", "collect_data", "ctsim_component", "evaluate_model", "exit_handler", "finish_run",
           "load_model", "on_cluster", "raise_alert", "register_model", "run_settings", "save_model", "split_data",
           "start_canary", "validate_data", "with_store_secret"]
