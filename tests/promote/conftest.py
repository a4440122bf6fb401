"""Fixtures for promote tests: the KFP API double, a controlled kubeconfig, suite records."""

import json
import socket
from pathlib import Path

import pytest
import yaml
from kfp_api_double import KfpApiDouble


@pytest.fixture
def api():
    with KfpApiDouble() as double:
        yield double


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    """No test may see the developer's kubeconfig, KFP endpoint or kfp context file."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-kubeconfig"))
    monkeypatch.delenv("KF_PIPELINES_ENDPOINT", raising=False)
    monkeypatch.chdir(tmp_path)


def write_kubeconfig(path: Path, current: str, names=("kind-ctsim", "prod-eu")) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": current,
                "contexts": [{"name": n, "context": {"cluster": n}} for n in names],
            }
        )
    )
    return path


@pytest.fixture
def kubeconfig_writer():
    """``write_kubeconfig``, for test modules (they cannot import from a conftest)."""
    return write_kubeconfig


@pytest.fixture
def kind_context(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", "kind-ctsim")))


@pytest.fixture
def prod_context(tmp_path, monkeypatch):
    monkeypatch.setenv("KUBECONFIG", str(write_kubeconfig(tmp_path / "kubeconfig", "prod-eu")))


@pytest.fixture(scope="session")
def training_sha(tmp_path_factory) -> str:
    from ctsim.pipeline.compile import compile_pipeline

    return compile_pipeline(tmp_path_factory.mktemp("compiled") / "pipeline.yaml").sha256


def write_suite(
    runs: Path, sha: str, passed: bool = True, stamp: str = "20260302T100000Z", names: tuple[str, ...] = ("baseline",)
) -> Path:
    status = "passed" if passed else "failed"
    record = {
        "schema_version": 1,
        "pipeline_sha256": sha,
        "passed": passed,
        "started": "2026-03-02T10:00:00Z",
        "finished": "2026-03-02T10:05:00Z",
        "scenarios": [
            {"name": name, "status": status, "run_dir": f"runs/{name}-{stamp}", "pipeline_sha256": sha}
            for name in names
        ],
    }
    directory = runs / f"suite-{stamp}"
    directory.mkdir(parents=True)
    (directory / "suite.json").write_text(json.dumps(record))
    return directory


@pytest.fixture
def passing_suite(tmp_path, training_sha):
    return write_suite(tmp_path / "runs", training_sha)


@pytest.fixture
def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"
