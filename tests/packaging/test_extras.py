"""Optional dependencies: a feature whose extra is missing says which extra to install, exit 2, before any work."""

from __future__ import annotations

import importlib.util

import pytest

from ctsim.cli import main
from ctsim.errors import MissingExtra
from ctsim.extras import EXTRAS, require


@pytest.fixture
def without(monkeypatch):
    """Make ``find_spec`` report a package as not installed (the import system's answer to a missing extra)."""
    real = importlib.util.find_spec

    def hide(*modules: str) -> None:
        monkeypatch.setattr(
            importlib.util,
            "find_spec",
            lambda name, *a, **k: None if name.split(".")[0] in modules else real(name, *a, **k),
        )

    return hide


@pytest.mark.parametrize("extra", sorted(EXTRAS))
def test_require_names_the_extra_to_install(without, extra):
    without(EXTRAS[extra])
    with pytest.raises(
        MissingExtra,
        match=rf"needs {EXTRAS[extra]}, which is not installed: "
        rf"pip install 'ctsim\[{extra}\]'",
    ):
        require(extra, "this feature")


def test_installed_extras_pass():
    for extra in EXTRAS:
        if importlib.util.find_spec(EXTRAS[extra]) is not None:
            require(extra, "this feature")


@pytest.mark.parametrize(
    "argv, extra",
    [
        (["run", "scenario", "baseline", "--plot", "p.png"], "plot"),
        (["compare", "baseline", "--plot", "p.svg"], "plot"),
        (["verify-gates", "baseline"], "testing"),
    ],
)
def test_the_cli_stops_at_once_with_one_line_and_exit_2(without, tmp_path, monkeypatch, capsys, argv, extra):
    monkeypatch.chdir(tmp_path)
    without(EXTRAS[extra])
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"pip install 'ctsim[{extra}]'" in err and "Traceback" not in err  # brackets kept
    assert list(tmp_path.iterdir()) == [], "nothing was run or written"


def test_the_runtime_dependencies_leave_the_extras_out():
    """The component image installs the runtime set: no plotting, no hypothesis, no docker-py, no pytest."""
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    runtime = {dep.split("[")[0].split(">")[0].split("<")[0].split("=")[0].strip() for dep in project["dependencies"]}
    assert not runtime & {"matplotlib", "hypothesis", "docker", "pytest"}
    extras = project["optional-dependencies"]
    assert {"plot", "testing", "docker", "all"} <= set(extras)
    (everything,) = extras["all"]
    assert {"plot", "testing", "docker"} <= set(everything.removeprefix("ctsim[").removesuffix("]").split(","))
