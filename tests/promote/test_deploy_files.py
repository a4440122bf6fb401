"""The Docker, compose, kind and CI files parse and agree with the code (nothing here runs Docker)."""

import re
from pathlib import Path

import yaml

from ctsim.pipeline.components import COMPONENT_IMAGE
from ctsim.store.config import DEFAULT_BUCKET, EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


def load(name):
    return yaml.safe_load((ROOT / name).read_text())


PINNED = re.compile(r"^[\w./-]+:(RELEASE\.\d{4}-\d{2}-\d{2}T[\d-]+Z|v?\d+\.\d+\.\d+)$")


def test_compose_pins_minio_and_creates_the_bucket_once():
    services = load("docker-compose.yml")["services"]
    assert PINNED.match(services["minio"]["image"]) and PINNED.match(services["bucket-init"]["image"])
    init = services["bucket-init"]
    assert f"mc mb --ignore-existing local/{DEFAULT_BUCKET}" in " ".join(init["command"])
    assert init["restart"] == "no" and init["depends_on"]["minio"]["condition"] == "service_healthy"
    env = services["minio"]["environment"]
    assert (env["MINIO_ROOT_USER"], env["MINIO_ROOT_PASSWORD"]) == (EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY)


def test_compose_wires_ctsim_to_minio_through_the_store_variables():
    ctsim = load("docker-compose.yml")["services"]["ctsim"]
    env = ctsim["environment"]
    assert env["CTSIM_S3_ENDPOINT"] == "http://minio:9000" and env["CTSIM_S3_BUCKET"] == DEFAULT_BUCKET
    assert (env["CTSIM_S3_ACCESS_KEY"], env["CTSIM_S3_SECRET_KEY"]) == (EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY)
    assert ctsim["depends_on"]["bucket-init"]["condition"] == "service_completed_successfully"
    assert ctsim["image"] == COMPONENT_IMAGE and ctsim["build"] == "."


def test_the_store_variables_compose_sets_are_the_ones_ctsim_reads():
    from ctsim.store.config import StoreConfig

    env = load("docker-compose.yml")["services"]["ctsim"]["environment"]
    config = StoreConfig.from_env({k: str(v) for k, v in env.items()})
    assert (config.endpoint, config.bucket, config.secure) == ("minio:9000", DEFAULT_BUCKET, False)


def test_kind_config_is_one_pinned_node_named_like_the_cluster_command():
    from ctsim.promote.cluster import DEFAULT_NAME

    config = load("ci/kind-config.yaml")
    assert (config["kind"], config["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    assert config["name"] == DEFAULT_NAME
    (node,) = config["nodes"]
    assert node["role"] == "control-plane" and PINNED.match(node["image"])


def test_dockerfile_builds_ctsim_with_kfp_on_python_311_slim():
    text = (ROOT / "Dockerfile").read_text()
    # python:3.11-slim by default; ci/docker-setup.sh passes a locally built bookworm base where none can be pulled
    assert re.search(r"^ARG BASE_IMAGE=python:3\.11-slim$", text, re.M) and re.search(
        r"^FROM \$\{BASE_IMAGE\}$", text, re.M
    )
    assert re.search(r"pip install[^\n]* -e \.", text) and "import kfp, ctsim.pipeline.tasks" in text
    assert COMPONENT_IMAGE not in text.replace("COMPONENT_IMAGE", "")  # the tag lives in components.py only


def test_ci_workflow_reads_the_image_tag_from_the_code_and_runs_the_promised_steps():
    workflow = load(".github/workflows/kind-e2e.yml")
    steps = workflow["jobs"]["kind-e2e"]["steps"]
    script = "\n".join(step.get("run", "") for step in steps)
    assert "from ctsim.pipeline.components import COMPONENT_IMAGE" in script and COMPONENT_IMAGE not in script
    for command in (
        "docker build",
        "docker compose",
        "ctsim run suite",
        "ctsim cluster up",
        "ctsim promote",
        "--run-now",
        "ctsim cluster down",
    ):
        assert command in script, command
    assert script.index("ctsim cluster up") < script.index("ctsim promote") < script.index("ctsim cluster down")
