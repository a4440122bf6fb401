"""The embedded server's port is ours from before the server starts: nobody can take it in between."""

from __future__ import annotations

import errno
import socket

import pytest

from ctsim.errors import StoreUnavailable
from ctsim.store import EmbeddedS3, ObjectStore

pytestmark = pytest.mark.store


def test_the_port_is_bound_before_the_server_process_exists_and_stays_ours():
    server = EmbeddedS3()  # bound and listening now, server not started yet
    try:
        with socket.socket() as squatter, pytest.raises(OSError) as caught:
            squatter.bind(("127.0.0.1", server.port))
        assert caught.value.errno == errno.EADDRINUSE
        server.start()
        with socket.socket() as squatter, pytest.raises(OSError):
            squatter.bind(("127.0.0.1", server.port))
        store = ObjectStore(server.config)
        store.ensure_bucket()
        store.put("k", b"v")
        assert store.get("k").data == b"v"
    finally:
        server.stop()


def test_a_port_already_taken_is_one_clear_error():
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        with pytest.raises(StoreUnavailable, match="cannot bind the embedded S3 server"):
            EmbeddedS3(port=squatter.getsockname()[1])
