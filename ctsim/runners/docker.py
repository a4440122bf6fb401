"""kfp.local's Docker runner, set up so that each task runs in its own container and is believed only on its own word.

How a task's container is started (``local.DockerRunner`` container arguments):

- ``network_mode="host"``: the task reaches the embedded S3 server (and the outage relay) on 127.0.0.1, so
  nothing ctsim starts ever listens beyond the loopback.
- the store's credentials and every other ``CTSIM_*``/``AWS_*`` variable travel as the container's environment
  (the Docker API's ``Env``), never on a command line; read at the start of each pipeline run, because a
  fault scenario arms its failpoint (``CTSIM_FAILPOINT``) for one run at a time.
- ``user`` is the host's uid:gid, so what a task writes under the mounted pipeline root is the host user's.
- the command runs under a small ``sh`` wrapper (mounted read-only) that records the task's exit code in a
  file under the run directory. kfp.local counts a container that was auto-removed before its status was read
  as a success (``run_docker_container`` in kfp/local/docker_task_handler.py), which also skips the retry a
  ``set_retry`` asked for. During a run ctsim swaps that function for ``run_container_exactly``, which keeps the
  container until its exit code is read; and it still counts a task as passed only when its own record says it
  exited 0, and a started task with no record as failed.

The image the container runs is the image the compiled pipeline names (``COMPONENT_IMAGE`` for ctsim's own
components, a team's own image for a container component), built locally by ``ci/docker-setup.sh``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ctsim.errors import RunnerUnavailable

__all__ = [
    "ContainerRecord",
    "DockerTasks",
    "check_engine",
    "confirm_tasks",
    "container_only_images",
    "forwarded_environment",
    "pipeline_images",
    "refuse_container_components",
]

SETUP_HINT = "run ci/docker-setup.sh (or make demo-docker), or use --runner subprocess"
MIN_FREE_MB = 200
FORWARDED_PREFIXES = ("CTSIM_", "AWS_")
WRAPPER_MOUNT = "/ctsim-runner/task.sh"
RECORDS_VAR = "CTSIM_TASK_RECORDS"
_ENGINE_TIMEOUT_S = 10
PYTHON_EXECUTOR = "kfp.dsl.executor_main"

# Runs the task's command, then writes how it ended where the host reads it: a fresh file per container (mktemp;
# with host networking every container has the host's hostname), renamed to *.json once whole. The container id
# comes from the cgroup path where the engine shows it (cgroup v1), else "unknown".
TASK_WRAPPER = """\
# ctsim: run one kfp.local task and record its exit code (kfp.local may not see it: auto-removed containers).
"$@"
code=$?
id=$(sed -n 's|.*/docker[/-]\\([0-9a-f]\\{12\\}\\).*|\\1|p' /proc/self/cgroup 2>/dev/null | head -n 1)
record=$(mktemp "$CTSIM_TASK_RECORDS/task-XXXXXXXXXX") &&
  printf '{"container": "%s", "exit_code": %d}\\n' "${id:-unknown}" "$code" > "$record" && mv "$record" "$record.json"
exit $code
"""


@dataclass(frozen=True)
class ContainerRecord:
    """What one task's container wrote about itself."""

    container: str
    exit_code: int


def forwarded_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables a task's container gets: the pipeline contract's store variables, failpoint and webhook."""
    chosen = {key: value for key, value in environ.items() if key.startswith(FORWARDED_PREFIXES)}
    chosen["HOME"] = "/tmp"  # the host's uid may have no home in the image; matplotlib and pip want one
    return chosen


def _containers(pipeline_yaml: Path) -> list[dict[str, Any]]:
    documents = [doc for doc in yaml.safe_load_all(pipeline_yaml.read_text(encoding="utf-8")) if doc]
    executors = documents[0].get("deploymentSpec", {}).get("executors", {})
    return [executor["container"] for executor in executors.values() if "container" in executor]


def pipeline_images(pipeline_yaml: Path) -> tuple[str, ...]:
    """Every image the compiled pipeline's executors name, in first-use order."""
    return tuple(
        dict.fromkeys(container["image"] for container in _containers(pipeline_yaml) if container.get("image"))
    )


def container_only_images(pipeline_yaml: Path) -> tuple[str, ...]:
    """Images of executors that are not lightweight Python components (kfp.local's subprocess runner refuses them)."""

    def is_python(container: dict[str, Any]) -> bool:  # kfp's own test: the executor module is named in the command
        return any(PYTHON_EXECUTOR in str(part) for part in (*container.get("command", ()), *container.get("args", ())))

    return tuple(
        dict.fromkeys(
            container.get("image", "?") for container in _containers(pipeline_yaml) if not is_python(container)
        )
    )


def refuse_container_components(pipeline_yaml: Path) -> None:
    """RunnerUnavailable before anything runs when the subprocess runner is asked to run container components."""
    images = container_only_images(pipeline_yaml)
    if images:
        raise RunnerUnavailable(
            f"the pipeline has container components (image {', '.join(images)}), which only "
            f"--runner docker can run; kfp.local's subprocess runner runs Python components only"
        )


def _with_tag(image: str) -> str:
    return image if ":" in image.rsplit("/", 1)[-1] else f"{image}:latest"


def run_container_exactly(
    client: Any, image: str, command: list[str], volumes: dict[str, Any], **container_run_args: Any
) -> int:
    """kfp.local's ``run_docker_container`` without its race: the container is removed only after its exit
    code is read, so a failed attempt is a failure (and retried when the task says so), never a guessed 0."""
    import docker

    container = client.containers.run(
        image=_with_tag(image),
        command=command,
        detach=True,
        stdout=True,
        stderr=True,
        volumes=volumes,
        auto_remove=False,
        **container_run_args,
    )
    try:
        for line in container.logs(stream=True):
            print(line.decode(errors="replace"), end="")
        return int(container.wait()["StatusCode"])
    finally:
        with contextlib.suppress(docker.errors.APIError):
            container.remove(force=True)


@contextlib.contextmanager
def exact_exit_codes() -> Iterator[None]:
    """kfp.local's Docker task handler runs its containers with ``run_container_exactly`` inside this block."""
    from kfp.local import docker_task_handler

    original = docker_task_handler.run_docker_container
    docker_task_handler.run_docker_container = run_container_exactly
    try:
        yield
    finally:
        docker_task_handler.run_docker_container = original


def check_engine() -> Any:
    """A docker client whose engine answers, or RunnerUnavailable saying what is missing and how to get it."""
    try:
        import docker
    except ImportError as exc:  # pragma: no cover - docker is a runtime dependency
        raise RunnerUnavailable(
            f"--runner docker needs the 'docker' Python package; pip install 'docker>=7' ({SETUP_HINT})"
        ) from exc
    try:
        client = docker.from_env(timeout=_ENGINE_TIMEOUT_S)
        client.ping()
        return client
    except Exception as exc:  # docker-py raises DockerException, requests errors, FileNotFoundError ...
        if (
            shutil.which("dockerd") is None
            and not Path("/var/run/docker.sock").exists()
            and "DOCKER_HOST" not in os.environ
        ):
            raise RunnerUnavailable(
                f"--runner docker needs a Docker engine and none is installed here: {SETUP_HINT}"
            ) from exc
        raise RunnerUnavailable(
            f"--runner docker needs a Docker engine; one is installed but not answering "
            f"(start it: dockerd &, or systemctl start docker): {SETUP_HINT}"
        ) from exc


def check_images(client: Any, images: Iterable[str]) -> dict[str, str]:
    """Image id of each image, or RunnerUnavailable naming the first missing one (nothing is pulled: no registry)."""
    import docker

    found = {}
    for image in images:
        try:
            found[image] = client.images.get(_with_tag(image)).id
        except docker.errors.ImageNotFound as exc:
            raise RunnerUnavailable(
                f"the image {image} is not in the local Docker image store: build it "
                "(ci/docker-setup.sh builds the component image; a team image: "
                f"docker build -t {image} ...)"
            ) from exc
        except docker.errors.APIError as exc:
            raise RunnerUnavailable(
                f"the Docker engine failed while looking up the image {image}: {exc.explanation}"
            ) from exc
    return found


def check_disk(client: Any, *paths: Path) -> None:
    """RunnerUnavailable when the run directory's or the engine's disk has under MIN_FREE_MB left."""
    root = Path(client.info().get("DockerRootDir", "/var/lib/docker"))
    for path in (*paths, root):
        existing = next((p for p in (path, *path.parents) if p.exists()), None)
        if existing is None:
            continue
        free_mb = shutil.disk_usage(existing).free // 2**20
        if free_mb < MIN_FREE_MB:
            raise RunnerUnavailable(
                f"disk full: {free_mb} MB free under {existing}, --runner docker needs at least "
                f"{MIN_FREE_MB} MB; free some space (docker system prune, or remove old runs/)"
            )


def confirm_tasks(attempts: tuple[tuple[str, str], ...], records: tuple[ContainerRecord, ...]) -> str:
    """Why the run must count as failed, from the tasks' own records; empty when kfp.local's word holds.

    ``attempts`` are kfp.local's task attempts in start order, each (task, status), status '' when it never
    finished; a task retried under ``set_retry`` has one attempt per container. kfp.local runs one task at a
    time, so the i-th record written is the i-th attempt's. An attempt kfp.local counted as failed is already
    failed (and retried where the pipeline says so); one it counted as a success must have a record saying 0.
    A record count that does not match the attempts is itself a failure: a container ended without its record.
    """
    if len(records) != len(attempts):
        return (
            f"{len(attempts)} task containers started but {len(records)} recorded how they ended: "
            f"a container ended before its task did"
        )
    for (task, status), record in zip(attempts, records):
        if status == "SUCCESS" and record.exit_code != 0:
            return (
                f"task '{task}' exited with code {record.exit_code} in container {record.container}, "
                f"but kfp.local counted it as a success"
            )
    return ""


class DockerTasks:
    """The DockerRunner of one simulation, its per-run task records and the run directory's ``docker.json``."""

    def __init__(self, pipeline_yaml: Path, run_dir: Path):
        from kfp import local

        client = check_engine()
        try:
            self.images = check_images(client, pipeline_images(pipeline_yaml))
            check_disk(client, run_dir)
        finally:
            client.close()
        self.run_dir = run_dir
        self.containers_dir = run_dir / "containers"
        self.containers_dir.mkdir(parents=True, exist_ok=True)
        wrapper = self.containers_dir / "task.sh"
        wrapper.write_text(TASK_WRAPPER, encoding="utf-8")
        self.containers: dict[str, int] = {}
        self.runner = local.DockerRunner(
            network_mode="host",
            user=f"{os.getuid()}:{os.getgid()}",
            entrypoint=["/bin/sh", WRAPPER_MOUNT],
            mounts=[_bind(wrapper.resolve(), WRAPPER_MOUNT, read_only=True)],
            environment={},
        )

    def records_dir(self, run_id: str) -> Path:
        return self.containers_dir / run_id

    def before_run(self, run_id: str, environ: Mapping[str, str]) -> None:
        """Point the containers of this pipeline run at their records folder, with this run's environment."""
        records = self.records_dir(run_id).resolve()
        records.mkdir(parents=True, exist_ok=True)
        args = self.runner.container_run_args
        args["environment"] = {**forwarded_environment(environ), RECORDS_VAR: str(records)}
        args["mounts"] = [mount for mount in args["mounts"] if mount["Target"] == WRAPPER_MOUNT]
        args["mounts"].append(_bind(records, str(records), read_only=False))

    def records(self, run_id: str) -> tuple[ContainerRecord, ...]:
        files = sorted(self.records_dir(run_id).glob("*.json"), key=lambda path: (path.stat().st_mtime_ns, path.name))
        return tuple(map(_read_record, files))

    def after_run(self, run_id: str, attempts: tuple[tuple[str, str], ...]) -> str:
        """Why the run failed according to its containers ('' if it did not); updates docker.json."""
        records = self.records(run_id)
        self.containers[run_id] = len(records)
        summary = {
            "images": self.images,
            "containers": sum(self.containers.values()),
            "runs": self.containers,
            "network_mode": "host",
        }
        partial = self.run_dir / "docker.json.tmp"
        partial.write_text(json.dumps(summary, indent=1), encoding="utf-8")
        partial.replace(self.run_dir / "docker.json")
        return confirm_tasks(attempts, records)


def _read_record(path: Path) -> ContainerRecord:
    """A container's record; one that cannot be read counts as a failed exit (-1), never as a success."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ContainerRecord(str(data["container"]), int(data["exit_code"]))
    except (OSError, ValueError, KeyError, TypeError):
        return ContainerRecord(path.stem, -1)


def _bind(source: Path, target: str, read_only: bool) -> Any:
    from docker.types import Mount

    return Mount(target, str(source), type="bind", read_only=read_only)
