"""Every store operation ends within its total deadline and names the endpoint the user configured.

The hostile endpoints are real TCP servers on 127.0.0.1: one drips header bytes forever (a
per-read timeout never fires), one answers with something that is not S3, one accepts and
says nothing.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

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
    connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))


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


@pytest.mark.parametrize("call", [lambda store: store.list("some/"), lambda store: store.put("some/key", b"x")],
                         ids=["list", "put"])
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
