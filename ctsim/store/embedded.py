"""The embedded S3 server: moto's standalone server in its own process on 127.0.0.1.

A separate process (not a thread) so that it can be stopped like a real
outage and so the orchestrator's GIL never slows the pipeline's I/O.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from ctsim.errors import StoreUnavailable
from ctsim.store.config import EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY, StoreConfig

STARTUP_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class EmbeddedS3:
    """Context manager running ``python -m moto.server`` on a free loopback port."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def config(self) -> StoreConfig:
        return StoreConfig(f"127.0.0.1:{self.port}", EMBEDDED_ACCESS_KEY, EMBEDDED_SECRET_KEY)

    def start(self) -> "EmbeddedS3":
        command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
        self._process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self._wait_ready()
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
        self.stop()
        raise StoreUnavailable(f"the embedded S3 server did not answer on 127.0.0.1:{self.port} within {STARTUP_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def __enter__(self) -> "EmbeddedS3":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
