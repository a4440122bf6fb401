"""`ctsim cluster`: the command plan is data; missing tools give one clear line and exit 2."""

import os
import stat
from pathlib import Path

import pytest

from ctsim.cli import main
from ctsim.promote import cluster


def test_up_plan_creates_kind_installs_pinned_kfp_waits_and_port_forwards():
    steps = cluster.up_plan("demo", image="img:1")
    argvs = [step.argv for step in steps]
    assert argvs[0][:5] == ("kind", "create", "cluster", "--name", "demo")
    config = argvs[0][argvs[0].index("--config") + 1]
    assert config.endswith("kind-config.yaml") and Path(config).is_file()  # package data, there in a wheel too
    applied = [a[a.index("-k") + 1] for a in argvs if "apply" in a]
    assert applied == [
        f"github.com/kubeflow/pipelines/manifests/kustomize/cluster-scoped-resources?ref={cluster.KFP_VERSION}",
        f"github.com/kubeflow/pipelines/manifests/kustomize/env/platform-agnostic?ref={cluster.KFP_VERSION}",
    ]
    assert all(a[1:3] == ("--context", "kind-demo") for a in argvs if a[0] == "kubectl")
    waits = [i for i, a in enumerate(argvs) if "wait" in a]
    assert waits and all(i > argvs.index(next(a for a in argvs if "apply" in a)) for i in waits)
    assert ("kind", "load", "docker-image", "img:1", "--name", "demo") in argvs
    assert steps[-1].background and "port-forward" in steps[-1].argv and "8888:8888" in steps[-1].argv
    assert [s.background for s in steps].count(True) == 1


def test_kfp_manifests_match_the_kfp_sdk_release():
    from importlib.metadata import version

    assert cluster.KFP_VERSION.split(".")[:2] == version("kfp").split(".")[:2]


def test_down_plan_deletes_the_named_cluster():
    assert [s.argv for s in cluster.down_plan("demo")] == [("kind", "delete", "cluster", "--name", "demo")]


def test_missing_tools_are_named_in_order():
    present = {"kubectl"}
    assert cluster.missing_tools(cluster.up_plan(), lambda tool: tool if tool in present else None) == [
        "docker",
        "kind",
    ]


def fake_tool(directory, name):
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)


@pytest.mark.parametrize(
    "present, missing",
    [((), "docker, kind, kubectl"), (("docker", "kind"), "kubectl"), (("kind", "kubectl"), "docker")],
)
def test_cluster_up_without_the_tools_says_which_and_exits_2(tmp_path, monkeypatch, capsys, present, missing):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in present:
        fake_tool(bin_dir, tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    assert main(["cluster", "up"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{missing} not found on PATH" in err


def test_cluster_down_without_kind_exits_2(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert main(["cluster", "down"]) == 2
    assert "not found on PATH" in capsys.readouterr().err


def test_a_failing_step_stops_the_plan_with_one_line(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kind").write_text("#!/bin/sh\nexit 3\n")
    (bin_dir / "kind").chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir) + os.pathsep + os.environ.get("PATH", ""))
    from ctsim.errors import ClusterError

    with pytest.raises(ClusterError, match=r"'create the kind cluster' failed \(exit 3\)"):
        cluster.execute(cluster.up_plan(), log=lambda line: None)


def test_dry_run_prints_every_command_and_runs_none(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path))  # nothing installed: a dry run must not care
    assert main(["cluster", "up", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "kind create cluster --name ctsim" in out and "platform-agnostic" in out and "port-forward" in out
