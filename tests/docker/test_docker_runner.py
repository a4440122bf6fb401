"""Tasks in real containers on a real engine: a failing task fails its run, secrets stay off command lines,
a missing image is one clear error, and a shipped scenario tells the same story as under the subprocess runner."""

import json

import pytest
from kfp import compiler, dsl

from ctsim.errors import RunnerUnavailable
from ctsim.pipeline.components import COMPONENT_IMAGE
from ctsim.runners import LocalRunner
from ctsim.sim import run_scenario
from ctsim.sim.environment import scoped_environment

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_ready")]


@dsl.container_component
def exits_with(code: int):
    return dsl.ContainerSpec(image=COMPONENT_IMAGE, command=["sh", "-c", 'exit "$0"'], args=[code])


@dsl.pipeline
def one_exit(code: int):
    exits_with(code=code)


@dsl.pipeline
def two_steps(second_code: int):
    first = exits_with(code=0)
    exits_with(code=second_code).after(first)


@dsl.container_component
def fails_first_time():
    # A marker beside the run's records (the one host folder every container of the run mounts) remembers attempt 1.
    return dsl.ContainerSpec(
        image=COMPONENT_IMAGE,
        command=["sh", "-c", 'm="$CTSIM_TASK_RECORDS/attempted"; if [ -e "$m" ]; then exit 0; fi; touch "$m"; exit 5'],
    )


@dsl.pipeline
def retried():
    fails_first_time().set_retry(num_retries=1, backoff_duration="0s")


# The secret reaches the task as environment and appears on no process's command line in its container
# (compared with the shell's own `case`, so the check itself puts the secret on no command line either).
SECRET_CHECK = (
    'test -n "$CTSIM_S3_SECRET_KEY" && test "$AWS_SECRET_ACCESS_KEY" = "$CTSIM_S3_SECRET_KEY" || exit 2; '
    'lines=$(cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "); '
    'case "$lines" in *"$CTSIM_S3_SECRET_KEY"*) exit 1;; esac'
)


@dsl.container_component
def secret_in_environment_only():
    return dsl.ContainerSpec(image=COMPONENT_IMAGE, command=["sh", "-c", SECRET_CHECK])


@dsl.container_component
def secret_also_on_its_command_line(secret: str):
    return dsl.ContainerSpec(image=COMPONENT_IMAGE, command=["sh", "-c", SECRET_CHECK], args=[secret])


@dsl.pipeline
def secret_check():
    secret_in_environment_only()


@dsl.pipeline
def leaky_secret_check(secret: str):  # the check's own control: it must catch a secret passed as an argument
    secret_also_on_its_command_line(secret=secret)


@dsl.container_component
def from_an_absent_image():
    return dsl.ContainerSpec(image="ctsim-test/never-built:0.0.1", command=["true"])


@dsl.pipeline
def absent_image():
    from_an_absent_image()


def _runner(pipeline, tmp_path) -> LocalRunner:
    path = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    return LocalRunner(path, tmp_path / "run", "docker")


@pytest.mark.parametrize("code", [1, 3, 137])
def test_a_task_that_exits_non_zero_at_once_fails_its_run(tmp_path, code):
    outcome = _runner(one_exit, tmp_path).run("r1", {"code": code})
    assert not outcome.succeeded
    # kfp.local itself saw the failure: its auto-removed container's exit code is no longer guessed as 0
    assert [task.status for task in outcome.tasks] == ["FAILURE"]
    record = json.loads(next((tmp_path / "run" / "containers" / "r1").glob("*.json")).read_text())
    assert record["exit_code"] == code


def test_each_container_of_a_run_has_its_own_record_and_the_failing_task_is_named(tmp_path):
    outcome = _runner(two_steps, tmp_path).run("r1", {"second_code": 4})
    records = sorted(
        json.loads(path.read_text())["exit_code"] for path in (tmp_path / "run" / "containers" / "r1").glob("*.json")
    )
    assert records == [0, 4]
    assert not outcome.succeeded and "exits-with-2" in outcome.error


def test_a_task_retried_to_success_passes_with_one_container_per_attempt(tmp_path):
    outcome = _runner(retried, tmp_path).run("r1", {})
    assert outcome.succeeded, outcome.error
    assert [task.status for task in outcome.tasks] == ["FAILURE", "SUCCESS"]
    records = sorted((tmp_path / "run" / "containers" / "r1").glob("*.json"), key=lambda path: path.stat().st_mtime_ns)
    assert [json.loads(path.read_text())["exit_code"] for path in records] == [5, 0]


def test_a_task_that_exits_0_passes_and_is_counted_as_one_container(tmp_path):
    runner = _runner(one_exit, tmp_path)
    first, second = runner.run("r1", {"code": 0}), runner.run("r2", {"code": 0})
    assert first.succeeded and second.succeeded, (first.error, second.error)
    summary = json.loads((tmp_path / "run" / "docker.json").read_text())
    assert summary["containers"] == 2 and summary["runs"] == {"r1": 1, "r2": 1}
    assert summary["images"][COMPONENT_IMAGE].startswith("sha256:")


@pytest.mark.parametrize("leaky", [False, True])
def test_store_credentials_reach_the_container_as_environment_not_argv(tmp_path, leaky):
    secret = "s3cr3t-only-in-env"
    runner = _runner(leaky_secret_check if leaky else secret_check, tmp_path)
    with scoped_environment({"CTSIM_S3_SECRET_KEY": secret, "AWS_SECRET_ACCESS_KEY": secret}):
        outcome = runner.run("r1", {"secret": secret} if leaky else {})
    assert outcome.succeeded is not leaky, outcome.error
    if not leaky:
        assert secret not in (tmp_path / "run" / "logs" / "r1.log").read_text()


def test_a_missing_image_is_one_line_naming_it_and_how_to_build_it(tmp_path):
    with pytest.raises(RunnerUnavailable) as caught:
        _runner(absent_image, tmp_path)
    message = str(caught.value)
    assert "\n" not in message and "ctsim-test/never-built:0.0.1" in message and "docker build" in message


@pytest.mark.e2e
def test_a_shipped_scenario_in_containers_tells_the_subprocess_story(tmp_path):
    in_containers = run_scenario("bad-model", runs_dir=tmp_path / "docker", runner="docker")
    in_processes = run_scenario("bad-model", runs_dir=tmp_path / "subprocess")
    assert in_containers.verdict.passed and in_processes.verdict.passed
    assert in_containers.timeline.deterministic_view() == in_processes.timeline.deterministic_view()
    summary = json.loads((in_containers.run_dir / "docker.json").read_text())
    logs = (in_containers.run_dir / "logs").glob("*.log")
    started = sum(text.count("Executing task") for text in (log.read_text() for log in logs))
    assert summary["containers"] == started > 0  # one container per task, every one accounted for
    assert set(summary["images"]) == {COMPONENT_IMAGE}
    assert json.loads((in_containers.run_dir / "run.json").read_text())["runner"] == "docker"


def test_setup_refuses_an_image_it_cannot_build_in_one_line_exit_2():
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "ci" / "docker-setup.sh"
    env = {**os.environ, "CTSIM_BASE_IMAGE": "ctsim-test/never-built:0.0.1", "PYTHON": sys.executable}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "docker-setup: the base image ctsim-test/never-built:0.0.1 is not in the local image store (and nothing is "
        "pulled here): build it, or unset CTSIM_BASE_IMAGE"
    ]
