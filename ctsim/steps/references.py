"""The team's own code, named in a scenario as "pkg.module:name" (training.estimator, training.features).

Resolved when the scenario loads (so a typo is exit 2 before a minute is spent) and again inside the
training task, which runs in the same environment. Importing the module is the only side effect.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from ctsim.errors import SettingError

__all__ = ["call_factory", "load_reference"]


def load_reference(reference: str, setting: str = "estimator") -> Callable[..., Any]:
    """The callable named by ``reference``; a SettingError that says what is wrong otherwise."""
    module_name, _, attribute = reference.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an ImportError, or whatever the team's module raised while importing
        raise SettingError(
            f"The '{setting}' setting of training names module '{module_name}', which cannot be "
            f"imported from here ({type(exc).__name__}: {exc}). Got {reference!r}."
        ) from None
    target = getattr(module, attribute, None)
    if target is None:
        raise SettingError(
            f"The '{setting}' setting of training names '{attribute}', which module "
            f"'{module_name}' does not have. Got {reference!r}."
        )
    if not callable(target):
        raise SettingError(
            f"The '{setting}' setting of training must name a callable. Got {reference!r}, a {type(target).__name__}."
        )
    return target


def call_factory(factory: Callable[..., Any], seed: int) -> Any:
    """``factory(seed=seed)`` when the factory declares a ``seed`` parameter, else ``factory()``."""
    try:
        takes_seed = "seed" in inspect.signature(factory).parameters
    except (TypeError, ValueError):  # a builtin or C class without a signature: call it bare
        takes_seed = False
    return factory(seed=seed) if takes_seed else factory()
