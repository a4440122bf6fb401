"""The pytest plugin in a throwaway project of its own: it registers, it never overrides the project's choice.

Each case runs pytest in a fresh subprocess (hypothesis' profile state is process-global), with the plugin
loaded the way a user gets it: through the ``pytest11`` entry point of the installed ctsim.
"""

from __future__ import annotations

import os
import re

import pytest

pytest_plugins = ["pytester"]

ENV_VAR = "CTSIM_HYPOTHESIS_PROFILE"

# The project's own profile, registered in its conftest the way hypothesis' docs show.
PROJECT_CONFTEST = """
from hypothesis import settings
settings.register_profile("mine", max_examples=7)
"""

# What the project's tests see: the profile in force, reported through an assertion on its settings.
REPORT_TEST = """
from hypothesis import settings

def test_report():
    print("PROFILE", settings.get_current_profile_name(), settings.default.max_examples,
          settings.default.derandomize)
"""


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    # The subprocess imports ctsim from this worktree (PYTHONPATH) and loads the plugin by its entry point.
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.delenv("CI", raising=False)  # hypothesis loads its own "ci" profile on CI machines
    pytester.makeconftest(PROJECT_CONFTEST)
    pytester.makepyfile(test_report=REPORT_TEST)
    return pytester


def seen(result: pytest.RunResult) -> tuple[str, int, bool]:
    (found,) = re.findall(r"PROFILE (\S+) (\d+) (True|False)", result.stdout.str())
    name, examples, derandomize = found
    return name, int(examples), derandomize == "True"


def run(project: pytest.Pytester, *args: str) -> pytest.RunResult:
    return project.runpytest_subprocess("-s", "-p", "no:cacheprovider", *args)


def test_the_variable_loads_ctsim_profile_when_the_project_chose_none(project, monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, "ci")
    result = run(project)
    assert result.ret == 0
    assert seen(result) == ("ctsim-ci", 100, True)
    result.stdout.fnmatch_lines(["ctsim: hypothesis profile 'ctsim-ci' (from CTSIM_HYPOTHESIS_PROFILE)"])


def test_an_explicit_hypothesis_profile_flag_wins_over_the_variable(project, monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, "ci")
    result = run(project, "--hypothesis-profile=mine")
    assert result.ret == 0
    assert seen(result) == ("mine", 7, False)
    result.stdout.fnmatch_lines(["*CTSIM_HYPOTHESIS_PROFILE=ci ignored, --hypothesis-profile=mine was given*"])


def test_a_profile_the_project_loads_in_its_conftest_wins_over_the_variable(project, monkeypatch) -> None:
    project.makeconftest(PROJECT_CONFTEST + 'settings.load_profile("mine")\n')
    monkeypatch.setenv(ENV_VAR, "nightly")
    result = run(project)
    assert result.ret == 0
    assert seen(result) == ("mine", 7, False)
    result.stdout.fnmatch_lines(["*CTSIM_HYPOTHESIS_PROFILE=nightly ignored, the project loaded*'mine'*"])


def test_without_the_variable_the_project_keeps_hypothesis_defaults(project) -> None:
    result = run(project)
    assert result.ret == 0
    assert seen(result) == ("default", 100, False)
    assert "ctsim:" not in result.stdout.str()


def test_ctsim_registers_its_profiles_without_replacing_a_project_profile_of_the_same_short_name(project) -> None:
    project.makeconftest('from hypothesis import settings\nsettings.register_profile("ci", max_examples=3)\n')
    project.makepyfile(
        test_report="""
from hypothesis import settings

def test_profiles():
    assert settings.get_profile("ci").max_examples == 3          # the project's own, untouched
    assert settings.get_profile("ctsim-ci").derandomize is True  # ctsim's, next to it
    assert settings.get_profile("ctsim-nightly").max_examples == 2000
"""
    )
    assert run(project).ret == 0


def test_a_bad_profile_name_is_one_usage_error_not_an_internal_error(project, monkeypatch) -> None:
    monkeypatch.setenv(ENV_VAR, "hourly")
    result = run(project)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.errlines if line.strip()]
    assert errors == [
        "ERROR: The 'CTSIM_HYPOTHESIS_PROFILE' setting must be one of ci, dev, nightly. Got 'hourly' instead."
    ]
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


def test_the_fixtures_are_offered_to_the_project(project) -> None:
    result = run(project, "--fixtures")
    assert result.ret == 0
    text = result.stdout.str()
    assert all(name in text for name in ("ctsim_store_config", "ctsim_store", "ctsim_registry", "ctsim_run_scenario"))
