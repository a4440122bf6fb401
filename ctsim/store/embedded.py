"""The embedded S3 server: moto's app in its own process on 127.0.0.1.

A separate process (not a thread) so that it can be stopped like a real
outage and so the orchestrator's GIL never slows the pipeline's I/O.

The port is ours from the start: this process binds and listens, then hands
the socket to the server process (``ctsim.store.serve``), so nothing can take
the port between a probe and a bind and be mistaken for the server. The server
dies with the process that started it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from ctsim.errors import StoreUnavailable
from ctsim.store.config import EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY, StoreConfig

STARTUP_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0


class EmbeddedS3:
    """Context manager running moto's S3 server on a loopback port bound here (a free one by default)."""

    def __init__(self, port: int | None = None, host: str = "127.0.0.1"):
        self.host = host
        self._socket = _listening_socket(host, port or 0)
        self.port: int = self._socket.getsockname()[1]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> StoreConfig:
        return StoreConfig(f"127.0.0.1:{self.port}", EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> EmbeddedS3:
        fd = self._socket.fileno()
        command = [sys.executable, "-m", "ctsim.store.serve", str(fd), str(self.port), str(os.getpid())]
        self._process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=(fd,), start_new_session=False
        )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        # The server holds the socket now. Our copy goes, so a dead server means refused connections
        # (a fast, clear StoreUnavailable), not connections queued on a socket nobody serves.
        self._socket.close()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        url = f"http://127.0.0.1:{self.port}/moto-api/"
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise StoreUnavailable(f"the embedded S3 server exited at start (code {self._process.returncode})")
            try:
                with urllib.request.urlopen(url, timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise StoreUnavailable(
            f"the embedded S3 server did not answer on 127.0.0.1:{self.port} within {STARTUP_TIMEOUT_S:.0f} s"
        )

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._socket.close()

    def __enter__(self) -> EmbeddedS3:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _listening_socket(host: str, port: int) -> socket.socket:
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        listener.bind((host, port))
        listener.listen(128)
    except OSError as exc:
        listener.close()
        raise StoreUnavailable(f"cannot bind the embedded S3 server to {host}:{port}: {exc.strerror}") from None
    listener.set_inheritable(True)
    return listener
