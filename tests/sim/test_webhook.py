"""The alert webhook: user-info in the URL works (Basic auth), and a stalled receiver costs at most the deadline."""

from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ctsim.pipeline import tasks


def receiver(stall: bool = False):
    received: list[dict] = []
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": json.loads(body)})
            if stall:
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
                while not stop.is_set():
                    self.wfile.write(b"a")
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received, stop


def test_a_webhook_url_with_user_info_delivers_with_basic_auth(monkeypatch, capsys):
    server, received, stop = receiver()
    try:
        monkeypatch.setenv(tasks.WEBHOOK_VAR, f"http://alerts:s%3Acret@127.0.0.1:{server.server_port}/hooks/abc?x=1")
        tasks.post_webhook({"kind": "gate", "message": "blocked", "run_id": "r1"})
    finally:
        stop.set()
        server.shutdown()
        server.server_close()

    [request] = received
    assert request["path"] == "/hooks/abc?x=1"
    assert request["auth"] == "Basic " + base64.b64encode(b"alerts:s:cret").decode()
    assert request["body"] == {"kind": "gate", "message": "blocked", "run_id": "r1"}
    assert "failed" not in capsys.readouterr().out


def test_a_stalled_webhook_costs_at_most_the_deadline_and_prints_no_url(monkeypatch, capsys):
    monkeypatch.setattr(tasks, "WEBHOOK_DEADLINE_S", 1.0)
    server, received, stop = receiver(stall=True)
    url = f"http://user:topsecret@127.0.0.1:{server.server_port}/hooks/token123456"
    try:
        monkeypatch.setenv(tasks.WEBHOOK_VAR, url)
        started = time.monotonic()
        tasks.post_webhook({"kind": "k", "message": "m", "run_id": "r"})
        seconds = time.monotonic() - started
    finally:
        stop.set()
        server.shutdown()
        server.server_close()

    out = capsys.readouterr().out
    assert seconds < 6.0  # the stalled server never answers: without the deadline this never returns
    assert "alert webhook failed" in out
    assert "topsecret" not in out and "token123456" not in out


@pytest.mark.parametrize("url", ["http://[bad", "ftp://x/y", "not a url"])
def test_a_malformed_webhook_url_is_reported_not_raised(monkeypatch, capsys, url: str):
    monkeypatch.setenv(tasks.WEBHOOK_VAR, url)
    tasks.post_webhook({"kind": "k", "message": "m", "run_id": "r"})
    assert "alert webhook failed" in capsys.readouterr().out
