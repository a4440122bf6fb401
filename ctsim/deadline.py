"""A total deadline on every network operation (S3, the KFP API), not only a timeout per socket read.

A per-read timeout never fires against an endpoint that drips a byte a second. So each
operation (all its attempts, the request, the response body) runs under a deadline; a
watchdog thread shuts down the sockets of any operation still running past it, which
makes the blocked read fail at once, for HTTP and HTTPS alike.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["Operation", "deadline_pool_manager", "operation"]

_TICK_S = 0.05


@dataclass
class Operation:
    deadline: float
    connections: list[Any] = field(default_factory=list)
    expired: bool = False

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


class _Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: dict[int, Operation] = {}
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def operation(self, seconds: float) -> Iterator[Operation]:
        current = Operation(time.monotonic() + seconds)
        ident = threading.get_ident()
        with self._lock:
            outer = self._running.get(ident)
            self._running[ident] = current
            if self._thread is None:
                self._thread = threading.Thread(target=self._watch, name="ctsim-store-deadline", daemon=True)
                self._thread.start()
        try:
            yield current
        finally:
            with self._lock:
                if outer is None:
                    self._running.pop(ident, None)
                else:
                    self._running[ident] = outer

    def attach(self, connection: Any) -> None:
        """Watch ``connection`` for this thread's operation; no new request starts once it is out of time."""
        with self._lock:
            current = self._running.get(threading.get_ident())
            if current is not None:
                if current.expired or current.remaining() <= 0:
                    current.expired = True
                    raise TimeoutError("the operation's deadline has passed")
                current.connections.append(connection)

    def _watch(self) -> None:
        while True:
            time.sleep(_TICK_S)
            now = time.monotonic()
            with self._lock:
                late = [op for op in self._running.values() if not op.expired and now >= op.deadline]
                for op in late:
                    op.expired = True
            for op in late:
                for connection in op.connections:
                    _cut(getattr(connection, "sock", None))


def _cut(sock: socket.socket | None) -> None:
    if sock is None:
        return
    with contextlib.suppress(OSError, ValueError):
        sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
operation = _WATCHDOG.operation


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _WATCHDOG.attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _WATCHDOG.attach(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


def deadline_pool_manager(connect_s: float, read_s: float, maxsize: int = 8) -> urllib3.PoolManager:
    """A PoolManager whose connections the watchdog can cut when their operation runs out of time."""
    manager = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_s, read=read_s),
        retries=urllib3.Retry(total=0, raise_on_status=False),
        maxsize=maxsize,
    )
    manager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
    return manager
