"""Every store operation ends within its total deadline and names the endpoint the user configured.

The hostile endpoints are real TCP servers on 127.0.0.1: one drips header bytes forever (a
per-read timeout never fires), one answers with something that is not S3, one accepts and
says nothing.
"""

from __future__ import annotations

import base64
import hashlib
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ctsim.errors import StoreError, StoreUnavailable
from ctsim.store import EmbeddedS3, ObjectStore, OutageRelay, StoreConfig
from ctsim.store.client import NO_RETRY, Retry

pytestmark = pytest.mark.store


def serve(handle: Callable[[socket.socket], None]) -> Iterator[str]:
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def loop() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            threading.Thread(target=_guarded, args=(handle, connection, stop), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        listener.close()


def _guarded(handle, connection: socket.socket, stop: threading.Event) -> None:
    with connection:
        try:
            connection.recv(65536)
            handle(connection, stop)
        except OSError:
            pass


def drip(connection: socket.socket, stop: threading.Event) -> None:
    connection.sendall(b"HTTP/1.1 200 OK\r\nX-Drip: ")
    while not stop.is_set():
        connection.sendall(b"a")
        time.sleep(0.1)


def silent(connection: socket.socket, stop: threading.Event) -> None:
    stop.wait(30)


def not_s3(connection: socket.socket, stop: threading.Event) -> None:
    body = b"<html>hello, I am a web page</html>"
    connection.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )


@pytest.fixture
def dripping() -> Iterator[str]:
    yield from serve(drip)


@pytest.fixture
def silent_endpoint() -> Iterator[str]:
    yield from serve(silent)


@pytest.fixture
def web_page() -> Iterator[str]:
    yield from serve(not_s3)


@pytest.mark.parametrize("retry", [NO_RETRY, Retry(attempts=10, first_delay_s=0.2)], ids=["once", "with-retries"])
def test_an_endpoint_that_drips_header_bytes_is_given_up_on_at_the_total_deadline(dripping: str, retry: Retry):
    store = ObjectStore(StoreConfig(dripping, "k", "s"), retry=retry, deadline_s=1.5)
    started = time.monotonic()

    with pytest.raises(StoreUnavailable) as caught:
        store.get("some/key")

    assert time.monotonic() - started < 3.0
    assert dripping in str(caught.value) and "within 1.5 s" in str(caught.value)


def test_a_conditional_write_to_a_dripping_endpoint_is_given_up_on_at_the_total_deadline(dripping: str):
    store = ObjectStore(StoreConfig(dripping, "k", "s"), retry=Retry(attempts=10, first_delay_s=0.2), deadline_s=1.5)
    started = time.monotonic()

    with pytest.raises(StoreUnavailable) as caught:
        store.put_if_absent("some/key", b"x" * 100_000)

    assert time.monotonic() - started < 3.0
    assert dripping in str(caught.value) and "writing" in str(caught.value)


def test_a_silent_endpoint_is_given_up_on_at_the_total_deadline(silent_endpoint: str):
    store = ObjectStore(StoreConfig(silent_endpoint, "k", "s"), retry=NO_RETRY, deadline_s=1.0)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        store.list("prefix/")
    assert time.monotonic() - started < 2.5


@pytest.mark.parametrize(
    "call", [lambda store: store.list("some/"), lambda store: store.put("some/key", b"x")], ids=["list", "put"]
)
def test_a_reply_that_is_not_s3_is_one_store_error_naming_the_endpoint(web_page: str, call):
    store = ObjectStore(StoreConfig(web_page, "k", "s"), retry=NO_RETRY, deadline_s=5)
    with pytest.raises(StoreError) as caught:
        call(store)
    assert web_page in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("endpoint", ["http://", "host:notaport", "a b:9000", "host:99999/path"])
def test_a_malformed_endpoint_is_one_store_error(endpoint: str):
    with pytest.raises(StoreError, match="host\\[:port\\]"):
        ObjectStore(StoreConfig(endpoint, "k", "s"))


@pytest.mark.parametrize("bucket", ["UPPER", "a", "bad_bucket!", "x" * 70])
def test_an_invalid_bucket_name_is_one_store_error(embedded_s3: EmbeddedS3, bucket: str):
    config = embedded_s3.config
    store = ObjectStore(StoreConfig(config.endpoint, config.access_key, config.secret_key, bucket), retry=NO_RETRY)
    with pytest.raises(StoreError) as caught:
        store.ensure_bucket()
    assert "\n" not in str(caught.value)


def test_errors_through_the_outage_relay_name_the_configured_endpoint(embedded_s3: EmbeddedS3):
    relay = OutageRelay(embedded_s3.config).start()
    relay_config = relay.config
    try:
        relay.go_down()
        store = ObjectStore(relay_config, retry=NO_RETRY, deadline_s=2)
        with pytest.raises(StoreUnavailable) as caught:
            store.get("x")
    finally:
        relay.stop()
    relay_port = relay_config.endpoint.rsplit(":", 1)[1]
    assert embedded_s3.config.endpoint in str(caught.value)
    assert f":{relay_port}" not in str(caught.value)
    assert StoreConfig.from_env(relay_config.to_env()).shown_endpoint == embedded_s3.config.endpoint


def test_a_healthy_store_is_unaffected_by_the_deadline(object_store: ObjectStore):
    store = ObjectStore(object_store.config, deadline_s=5)
    store.put("deadline/ok", b"x" * 100_000)
    assert store.get("deadline/ok").data == b"x" * 100_000


class _FlakyS3(BaseHTTPRequestHandler):
    """Answers the bucket-location lookup like S3 and refuses the first ``failures`` PUTs with a bare 503."""

    failures = 0
    puts: list[dict[str, str]] = []

    def do_GET(self) -> None:  # GetBucketLocation, which minio asks before it signs
        self._reply(200, b"<LocationConstraint>us-east-1</LocationConstraint>", {"Content-Type": "application/xml"})

    def do_PUT(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        type(self).puts.append(dict(self.headers))
        if len(self.puts) <= self.failures:
            self._reply(503, b"", {})
        else:
            self._reply(200, b"", {"ETag": '"0123abcd"'})

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {**headers, "Content-Length": str(len(body))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def flaky_s3() -> Iterator[tuple[str, type[_FlakyS3]]]:
    handler = type("Handler", (_FlakyS3,), {"puts": [], "failures": 1})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_a_write_sends_its_condition_and_checksum_as_is_and_is_retried_after_a_server_error(flaky_s3):
    endpoint, handler = flaky_s3
    store = ObjectStore(StoreConfig(endpoint, "k", "s"), retry=Retry(attempts=3, first_delay_s=0.05), deadline_s=5)

    assert store.put_if_absent("lake/key", b"payload") == "0123abcd"

    assert len(handler.puts) == 2  # the 503 was retried, as minio's own ServerError is
    for sent in handler.puts:
        assert sent["If-None-Match"] == "*" and sent["Content-Type"] == "application/json"
        assert sent["Content-MD5"] == base64.b64encode(hashlib.md5(b"payload").digest()).decode()
        assert not any(name.lower().startswith("x-amz-meta-") for name in sent)


def test_a_write_the_server_keeps_refusing_is_unavailable_naming_the_object(flaky_s3):
    endpoint, handler = flaky_s3
    handler.failures = 10
    store = ObjectStore(StoreConfig(endpoint, "k", "s"), retry=Retry(attempts=3, first_delay_s=0.05), deadline_s=5)

    with pytest.raises(StoreUnavailable, match="writing mlpipeline/lake/key"):
        store.put("lake/key", b"payload")
    assert len(handler.puts) == 3
