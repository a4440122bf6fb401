"""The gates room's public API: what ``__all__`` promises is importable, and nothing else is exported by accident."""

from __future__ import annotations

import ctsim.gates
from ctsim.gates import canary, data_gate, model_gate


def test_package_all_names_resolve() -> None:
    assert sorted(ctsim.gates.__all__) == sorted(set(ctsim.gates.__all__))
    for name in ctsim.gates.__all__:
        assert getattr(ctsim.gates, name) is not None


def test_package_reexports_every_module_public_name_that_callers_need() -> None:
    wanted = {
        "check_data",
        "check_model",
        "start",
        "advance",
        "promotion_result",
        "Phase",
        "CanaryState",
        "Observation",
        "CanaryDecision",
    }
    assert wanted <= set(ctsim.gates.__all__)


def test_module_all_names_resolve() -> None:
    for module in (canary, data_gate, model_gate):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_phase_values_are_the_documented_strings() -> None:
    assert [phase.value for phase in canary.Phase] == ["idle", "progressing", "promoting", "succeeded", "rolled-back"]
