"""The fault gauntlet end to end, on a store configured with its own credentials and an alert webhook
that carries a token: every fault is survived, the audit finds nothing lost, and no secret is written
anywhere in the run directory."""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from warm_cold import assert_same_story

from ctsim.runners import TaskProcesses
from ctsim.sim import run_scenario
from ctsim.store import EmbeddedS3, StoreConfig
from ctsim.timeline import Alert, PipelineRun, Registered, RolledOut, StaleAliasWrite

pytestmark = pytest.mark.e2e

GAUNTLET = Path(__file__).parents[2] / "scenarios" / "faults" / "fault-gauntlet.yaml"


class _Webhook(BaseHTTPRequestHandler):
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def gauntlet_secrets() -> tuple[str, str, str, str]:
    """Secrets nobody else uses: a store key pair, a webhook token, a signing key."""
    access, secret, token = (secrets.token_hex(12) for _ in range(3))
    return access, secret, token, secrets.token_hex(32)


def _replay_gauntlet(runs_dir: Path, embedded_s3: EmbeddedS3, planted: tuple[str, str, str, str], warm: bool):
    access, secret, token, signing = planted
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Webhook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = StoreConfig(embedded_s3.config.endpoint, access, secret)  # moto takes any key pair
    env = {
        **config.to_env(),
        "CTSIM_ALERT_WEBHOOK": f"http://127.0.0.1:{server.server_port}/hooks/{token}",
        "CTSIM_SIGNING_KEY": signing,
    }
    try:
        with pytest.MonkeyPatch.context() as patch:
            for name, value in env.items():
                patch.setenv(name, value)
            return run_scenario(str(GAUNTLET), runs_dir=runs_dir, tasks=TaskProcesses(warm=warm))
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def gauntlet(tmp_path_factory, embedded_s3: EmbeddedS3, gauntlet_secrets):
    """One (warm) run of the gauntlet with its own secrets."""
    return _replay_gauntlet(tmp_path_factory.mktemp("runs"), embedded_s3, gauntlet_secrets, warm=True), gauntlet_secrets


def test_the_gauntlet_passes_and_the_audit_finds_nothing_lost(gauntlet):
    result, _ = gauntlet

    assert result.verdict.passed, result.verdict.to_dict()
    assert result.audit.ok, result.audit.to_dict()
    audit = json.loads((result.run_dir / "audit.json").read_text())
    assert audit["ok"] and {check["name"] for check in audit["checks"]} == {"lake", "aliases", "history"}


def test_each_fault_fails_its_run_which_alerts_and_is_retried_until_one_succeeds(gauntlet):
    result, _ = gauntlet
    runs = result.timeline.of(PipelineRun)

    assert [(run.tick, run.status) for run in runs[:5]] == [
        (1, "succeeded"),
        (2, "failed"),
        (3, "failed"),
        (4, "failed"),
        (5, "succeeded"),
    ]
    assert [run.trigger for run in runs[2:5]] == ["retry", "retry", "retry"]
    failed_alerts = [e for e in result.timeline.of(Alert) if e.alert == "pipeline-failed"]
    assert {alert.tick for alert in failed_alerts} >= {2, 3, 4}
    assert len(_Webhook.received) >= 3, "every failed run alerts through the webhook"


def test_the_crashed_registration_left_an_incomplete_version_that_was_never_aliased(gauntlet):
    result, _ = gauntlet
    aliases = next(check for check in result.audit.checks if check.name == "aliases")

    assert "incomplete versions" in aliases.detail and "never aliased" in aliases.detail
    registered = [e.version for e in result.timeline.of(Registered)]
    assert len(registered) == len(set(registered)) >= 2


def test_the_stale_writer_is_refused_after_the_rollout(gauntlet):
    result, _ = gauntlet
    rollout = result.timeline.of(RolledOut)
    stale = result.timeline.of(StaleAliasWrite)

    assert rollout and stale
    assert stale[0].refused is True
    assert stale[0].tick == rollout[0].tick


def test_no_secret_is_written_anywhere_in_the_run_directory(gauntlet):
    result, planted = gauntlet
    leaks = [
        (path, secret)
        for path in result.run_dir.rglob("*")
        if path.is_file()
        for secret in planted
        if secret.encode() in path.read_bytes()
    ]

    assert not leaks, leaks


def test_the_gauntlet_replayed_cold_tells_the_warm_replay_s_story(gauntlet, tmp_path, embedded_s3):
    """The register task dies with os._exit(137): it must look killed to kfp.local and to the retry logic,
    in a forked warm task as in a fresh interpreter."""
    warm, planted = gauntlet
    cold = _replay_gauntlet(tmp_path, embedded_s3, planted, warm=False)
    assert_same_story(warm, cold)
    killed = [run for run in warm.timeline.of(PipelineRun) if not run.succeeded]
    assert killed, "the run whose register task died must fail, warm as cold"
    assert any(
        t["task"] == "register-model" and t["status"] == "FAILURE" for run in warm.timeline.runs for t in run["tasks"]
    )
