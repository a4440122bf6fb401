"""No object-store key or webhook token reaches any report: terminal, JSON, JUnit, plot, live view."""

import io
import json
import string

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from ctsim.cli import main
from ctsim.report import LiveView, Redactor, load_run, render_record
from ctsim.report.redact import MASK, webhook_secrets

ACCESS, SECRET = "AKIAPLANTEDACCESS42", "s3cr3t/PLANTED+key=="
TOKEN = "T000/B000/XXXXplantedWEBHOOKtoken"
WEBHOOK = f"https://hooks.example.invalid/services/{TOKEN}?token=qwertyuiop123"


def plant(run_dir, *secrets):
    """Put the secrets where a careless component might: event messages, a step name, a reason, a run's error."""
    path = run_dir / "timeline.json"
    data = json.loads(path.read_text())
    leak = " ".join(secrets)
    for event in data["events"]:
        event["message"] = f"{leak} {event['message']}"
    run = next(e for e in data["events"] if e["kind"] == "pipeline-run")
    run["data"]["steps"].append(leak)  # a string nested in a list
    gate = next(e for e in data["events"] if e["kind"] == "gate-pass")
    gate["data"]["reasons"][0]["rule"] += f" {leak}"  # a reason's rule: nested in an object
    data["runs"][0]["error"] = f"connect failed with key {leak}"
    path.write_text(json.dumps(data))
    verdict = json.loads((run_dir / "verdict.json").read_text())
    verdict["results"][0]["detail"] += f" {leak}"
    (run_dir / "verdict.json").write_text(json.dumps(verdict))


def secret_env(monkeypatch):
    monkeypatch.setenv("CTSIM_S3_ACCESS_KEY", ACCESS)
    monkeypatch.setenv("CTSIM_S3_SECRET_KEY", SECRET)
    monkeypatch.setenv("CTSIM_ALERT_WEBHOOK", WEBHOOK)


def test_secrets_planted_in_a_timeline_never_reach_terminal_json_or_junit(run_copy, tmp_path, monkeypatch, capsys):
    secret_env(monkeypatch)
    run_dir = run_copy()
    plant(run_dir, ACCESS, SECRET, TOKEN, "qwertyuiop123")
    out_json, out_xml, out_svg = tmp_path / "r.json", tmp_path / "r.xml", tmp_path / "r.svg"
    code = main(["report", str(run_dir), "--json", str(out_json), "--junit", str(out_xml), "--plot", str(out_svg)])
    assert code == 0
    terminal = capsys.readouterr().out
    written = {
        "terminal": terminal,
        "json": out_json.read_text(),
        "junit": out_xml.read_text(),
        "svg": out_svg.read_text(),
    }
    for where, text in written.items():
        for secret in (ACCESS, SECRET, TOKEN, "qwertyuiop123", "XXXXplantedWEBHOOKtoken"):
            assert secret not in text, f"{secret!r} leaked into the {where} output"
    assert MASK in written["json"], "the planted text is still there, masked"
    assert "error" in json.loads(written["json"])["pipeline_runs"][0]


def test_the_planted_secret_would_show_without_redaction(run_copy):
    """The leak test above can fail: the same planted run, rendered with no secrets known, shows them."""
    run_dir = run_copy()
    plant(run_dir, ACCESS)
    console = Console(record=True, width=120, file=io.StringIO())
    render_record(console, load_run(run_dir), Redactor())
    assert ACCESS in console.export_text()
    assert ACCESS in (run_dir / "timeline.json").read_text()


def test_live_view_redacts_its_lines(monkeypatch):
    secret_env(monkeypatch)
    console = Console(file=io.StringIO(), width=120)
    view = LiveView(console)
    view.update("step", {"step": f"pipeline run-001 ({ACCESS})"})
    view.update("event", {"tick": 1, "kind": "rollback", "message": f"rolled back, webhook {WEBHOOK}"})
    text = console.file.getvalue()
    assert ACCESS not in text and TOKEN not in text and "rolled back" in text


def test_webhook_secrets_cover_url_path_token_query_and_userinfo():
    found = webhook_secrets("https://bot:hunter2pass@chat.example.invalid/hook/abcdefgh12345?key=zyxwvuts987")
    assert {"hunter2pass", "abcdefgh12345", "zyxwvuts987"} <= set(found)
    assert webhook_secrets("") == []


def test_short_values_are_not_treated_as_secrets():
    assert Redactor.of(["", "ab", "abc"]).secrets == ()
    assert Redactor.from_env({"CTSIM_S3_ACCESS_KEY": "abcd"}).text("key abcd!") == f"key {MASK}!"


alnum = st.text(string.ascii_letters + string.digits + "/+=_-", min_size=4, max_size=30)


@given(st.lists(alnum, min_size=1, max_size=4), st.text(max_size=40), st.text(max_size=40))
def test_no_secret_survives_redaction_wherever_it_sits(secrets, before, after):
    redactor = Redactor.of(secrets)
    text = before + "".join(secrets) + after + secrets[0]
    document = {"message": text, "list": [text, {text: text}]}
    cleaned = redactor.value(document)
    strings = [cleaned["message"], cleaned["list"][0], *cleaned["list"][1].keys(), *cleaned["list"][1].values()]
    for secret in secrets:
        assert secret not in redactor.text(text)
        assert all(secret not in value for value in strings)
