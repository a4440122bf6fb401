"""promote against a KFP API whose health check answers but whose other endpoints stall or drip:
one ClusterError line within the deadline, never a hang (the API double's stalling cousin)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ctsim.errors import ClusterError
from ctsim.promote import deploy
from ctsim.promote.deploy import HEALTHZ, apply_plan, connect
from ctsim.promote.workflow import prepare


def stalling_api(mode: str) -> Iterator[str]:
    stop = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.startswith(HEALTHZ):
                body = b'{"multi_user": false}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            if mode == "silent":
                stop.wait(30)
                return
            self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Drip: ")
            while not stop.is_set():  # a byte at a time: no read timeout ever fires
                self.wfile.write(b"a")
                self.wfile.flush()
                time.sleep(0.1)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    return prepare("baseline", tmp_path_factory.mktemp("promote"))


@pytest.mark.parametrize("mode", ["silent", "drip"])
def test_promote_gives_up_on_a_stalling_api_at_its_deadline(prepared, monkeypatch, mode: str):
    monkeypatch.setattr(deploy, "API_DEADLINE_S", 1.5)
    for host in stalling_api(mode):
        client = connect(host)
        started = time.monotonic()
        with pytest.raises(ClusterError) as caught:
            apply_plan(client, prepared.plan(host, "test", "test"))
        assert time.monotonic() - started < 4.0
        assert host in str(caught.value) and "within 1.5 s" in str(caught.value)
        assert "\n" not in str(caught.value)
