"""A local kind cluster with Kubeflow Pipelines standalone: the plan is data, running it is a thin loop.

``up_plan`` / ``down_plan`` return the exact commands (argv lists) in order;
``missing_tools`` says which of docker, kind and kubectl are not on PATH;
``execute`` runs a plan and stops at the first failure with one clear line.
The KFP manifests are pinned to the backend release that matches the kfp SDK
ctsim depends on (2.17.x), so the API the SDK speaks is the API the cluster serves.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ctsim import _data
from ctsim.errors import ClusterError

KFP_VERSION = "2.17.3"
MANIFESTS = "github.com/kubeflow/pipelines/manifests/kustomize"
CLUSTER_SCOPED = f"{MANIFESTS}/cluster-scoped-resources?ref={KFP_VERSION}"
PLATFORM_AGNOSTIC = f"{MANIFESTS}/env/platform-agnostic?ref={KFP_VERSION}"
KIND_CONFIG = _data.KIND_CONFIG  # package data; ci/kind-config.yaml in a clone links to it
DEFAULT_NAME = "ctsim"
API_PORT = 8888
TOOLS = ("docker", "kind", "kubectl")


@dataclass(frozen=True)
class Step:
    what: str
    argv: tuple[str, ...]
    background: bool = False  # the port-forward keeps running after `cluster up` returns


def context_of(name: str) -> str:
    return f"kind-{name}"


def up_plan(
    name: str = DEFAULT_NAME, kind_config: Path = KIND_CONFIG, image: str | None = None, wait_seconds: int = 900
) -> list[Step]:
    """Create the kind cluster, install KFP, wait until it serves, port-forward its API to 127.0.0.1:8888."""
    kubectl = ("kubectl", "--context", context_of(name))
    steps = [
        Step(
            "create the kind cluster",
            ("kind", "create", "cluster", "--name", name, "--config", str(kind_config), "--wait", "120s"),
        ),
        Step("install KFP cluster-scoped resources", (*kubectl, "apply", "-k", CLUSTER_SCOPED)),
        Step(
            "wait for the KFP CRDs",
            (*kubectl, "wait", "--for", "condition=established", "--timeout=120s", "crd/applications.app.k8s.io"),
        ),
        Step("install KFP standalone (platform-agnostic)", (*kubectl, "apply", "-k", PLATFORM_AGNOSTIC)),
        Step(
            "wait for every KFP deployment",
            (
                *kubectl,
                "-n",
                "kubeflow",
                "wait",
                "--for=condition=Available",
                f"--timeout={wait_seconds}s",
                "deployment",
                "--all",
            ),
        ),
    ]
    if image:
        steps.append(
            Step("load the component image into the cluster", ("kind", "load", "docker-image", image, "--name", name))
        )
    steps.append(
        Step(
            "port-forward the KFP API",
            (*kubectl, "-n", "kubeflow", "port-forward", "svc/ml-pipeline", f"{API_PORT}:{API_PORT}"),
            background=True,
        )
    )
    return steps


def down_plan(name: str = DEFAULT_NAME) -> list[Step]:
    return [Step("delete the kind cluster", ("kind", "delete", "cluster", "--name", name))]


def missing_tools(steps: Sequence[Step], which=shutil.which) -> list[str]:
    """Tools the plan needs that are not on PATH (docker always: kind runs its nodes in Docker)."""
    needed = {"docker"} | {step.argv[0] for step in steps}
    return [tool for tool in TOOLS if tool in needed and which(tool) is None]


def require_tools(steps: Sequence[Step]) -> None:
    missing = missing_tools(steps)
    if missing:
        raise ClusterError(
            f"{', '.join(missing)} not found on PATH: `ctsim cluster` needs Docker, kind and kubectl "
            "(https://kind.sigs.k8s.io/docs/user/quick-start/); nothing was started"
        )


def execute(steps: Sequence[Step], log) -> subprocess.Popen | None:
    """Run the steps in order; returns the background process (the port-forward), if any."""
    background = None
    for step in steps:
        log(f"{step.what}: {' '.join(step.argv)}")
        if step.background:
            background = subprocess.Popen(
                step.argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
            continue
        try:
            completed = subprocess.run(step.argv, check=False)
        except OSError as exc:
            raise ClusterError(f"could not run {step.argv[0]}: {exc}") from None
        if completed.returncode != 0:
            raise ClusterError(f"'{step.what}' failed (exit {completed.returncode}): {' '.join(step.argv)}")
    return background
