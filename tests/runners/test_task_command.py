"""Which kfp.local task commands the fork server may start: exactly kfp's lightweight-component template, with
the interpreter kfp.local put in; the component source and arguments come back unchanged, whatever they hold."""

import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st
from kfp import dsl
from kfp.local.subprocess_task_handler import replace_python_executable

from ctsim.runners.warm import parse_task_command


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def lean(x: int) -> int:
    return x


@dsl.component(base_image="python:3.11", packages_to_install=["lightgbm"])
def installs(x: int) -> int:
    return x


def _command(component, python: str = sys.executable) -> list[str]:
    container = component.pipeline_spec.deployment_spec["executors"][f"exec-{component.name}"]["container"]
    return replace_python_executable(list(container["command"]), python)


@pytest.mark.property
@given(program=st.text(), args=st.lists(st.text(), max_size=6))
def test_the_template_gives_back_program_and_arguments_unchanged(program, args):
    parsed = parse_task_command(_command(lean)[:3] + [program, *args])
    assert parsed is not None and parsed.program == program and parsed.args == tuple(args)


def test_a_command_that_installs_packages_or_uses_another_python_runs_cold():
    assert parse_task_command(_command(lean) + ["--executor_input", "{}"]) is not None
    assert parse_task_command(_command(installs) + ["--executor_input", "{}"]) is None
    assert parse_task_command(_command(lean, "/usr/bin/python3") + ["--executor_input", "{}"]) is None
    assert parse_task_command(["python3", "-c", "print(1)", "x"]) is None
