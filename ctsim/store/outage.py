"""A loopback TCP relay in front of the store that can go down on purpose.

Scenario outages must look real to every client, including the pipeline's
subprocesses: while the relay is down it accepts and immediately drops every
connection and cuts the ones in flight, exactly what a crashed endpoint does.
It works in front of any endpoint (embedded, MinIO, SeaweedFS).
"""

from __future__ import annotations

import selectors
import socket
import threading

from ctsim.store.config import StoreConfig

_CHUNK = 64 * 1024


class OutageRelay:
    def __init__(self, upstream: StoreConfig):
        self.upstream = upstream
        host, _, port = upstream.endpoint.partition(":")
        self._target = (host, int(port or (443 if upstream.secure else 80)))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._down = threading.Event()
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._accept_loop, name="ctsim-outage-relay", daemon=True)

    @property
    def config(self) -> StoreConfig:
        port = self._listener.getsockname()[1]
        return StoreConfig(
            f"127.0.0.1:{port}",
            self.upstream.access_key,
            self.upstream.secret_key,
            self.upstream.bucket,
            self.upstream.secure,
            shown_as=self.upstream.shown_endpoint,
        )

    @property
    def is_down(self) -> bool:
        return self._down.is_set()

    def start(self) -> OutageRelay:
        self._thread.start()
        return self

    def go_down(self) -> None:
        self._down.set()
        with self._lock:
            for sock in list(self._open):
                _close(sock)
            self._open.clear()

    def come_back(self) -> None:
        self._down.clear()

    def stop(self) -> None:
        self._stopped.set()
        self.go_down()
        _close(self._listener)
        self._thread.join(timeout=2)

    def _accept_loop(self) -> None:
        while not self._stopped.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._down.is_set():
                _close(client)
                continue
            threading.Thread(target=self._relay, args=(client,), daemon=True).start()

    def _relay(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self._target, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            self._open.update((client, upstream))
        _pump(client, upstream)
        with self._lock:
            self._open.difference_update((client, upstream))
        _close(client)
        _close(upstream)


def _pump(a: socket.socket, b: socket.socket) -> None:
    """Copy bytes both ways until either side closes."""
    # Keyed by file descriptor: the selector hands back the descriptor, typed, where its fileobj is any file-like.
    pairs = {a.fileno(): (a, b), b.fileno(): (b, a)}
    with selectors.DefaultSelector() as selector:
        for sock, _ in pairs.values():
            sock.setblocking(True)
            selector.register(sock, selectors.EVENT_READ)
        while True:
            try:
                events = selector.select(timeout=30)
            except (OSError, ValueError):
                return
            if not events:
                return
            for key, _ in events:
                source, sink = pairs[key.fd]
                try:
                    data = source.recv(_CHUNK)
                    if not data:
                        return
                    sink.sendall(data)
                except OSError:
                    return


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
