"""The object store against a real S3 server: conditional writes, missing objects, outages, key safety."""

from __future__ import annotations

import hashlib

import pytest
from fixtures_store import race
from hypothesis import given
from hypothesis import strategies as st

from ctsim.errors import ConflictError, MissingObject, SettingError, StoreError, StoreUnavailable
from ctsim.store import Layout, ObjectStore, Retry, StoreConfig, StoredObject, safe_name, sha256_hex, tick_of_key

FAST_RETRY = Retry(attempts=2, first_delay_s=0.05)
RACERS = 12


# conditional writes ----------------------------------------------------------


@pytest.mark.store
@pytest.mark.parametrize("round_", range(3))
def test_racing_put_if_absent_has_exactly_one_winner(object_store: ObjectStore, store_layout: Layout, round_: int):
    key = store_layout.alias(f"race-{round_}")

    def attempt(i: int) -> int | None:
        try:
            object_store.put_if_absent(key, f"writer-{i}".encode())
            return i
        except ConflictError:
            return None

    winners = [i for i in race(RACERS, attempt) if i is not None]

    assert len(winners) == 1, f"expected exactly one winner, got {winners}"
    assert object_store.get(key).data == f"writer-{winners[0]}".encode()


@pytest.mark.store
def test_put_if_absent_refuses_an_existing_key_and_keeps_it(object_store: ObjectStore, store_layout: Layout):
    key = store_layout.alias("champion")
    etag = object_store.put_if_absent(key, b'{"version": "v0001"}')

    with pytest.raises(ConflictError, match="champion.json"):
        object_store.put_if_absent(key, b'{"version": "v0002"}')

    stored = object_store.get(key)
    assert stored.data == b'{"version": "v0001"}'
    assert stored.etag == etag


@pytest.mark.store
def test_put_if_match_with_current_etag_replaces(object_store: ObjectStore, store_layout: Layout):
    key = store_layout.alias("champion")
    first = object_store.put(key, b"one")

    second = object_store.put_if_match(key, b"two", first)

    assert second != first
    assert object_store.get(key).data == b"two"
    assert object_store.get(key).etag == second


@pytest.mark.store
def test_put_if_match_with_stale_etag_conflicts_and_leaves_object_unchanged(
    object_store: ObjectStore, store_layout: Layout
):
    key = store_layout.alias("champion")
    stale = object_store.put(key, b"one")
    current = object_store.put_if_match(key, b"two", stale)

    with pytest.raises(ConflictError, match="champion.json"):
        object_store.put_if_match(key, b"three", stale)

    stored = object_store.get(key)
    assert stored.data == b"two"
    assert stored.etag == current


@pytest.mark.store
def test_put_if_match_on_missing_key_does_not_create_it(object_store: ObjectStore, store_layout: Layout):
    key = store_layout.alias("canary")

    with pytest.raises(StoreError):
        object_store.put_if_match(key, b"x", sha256_hex(b"whatever")[:32])

    assert not object_store.exists(key)


@pytest.mark.store
def test_a_write_above_the_multipart_size_is_one_conditional_put(object_store: ObjectStore, store_layout: Layout):
    # 6 MiB is over minio's 5 MiB part size: put_object would split it into a multipart upload, where
    # If-None-Match on the first request guards nothing. A single PUT's ETag is the body's MD5 (a multipart one
    # ends in "-<parts>"), so the ETag shows the write went out as one request.
    key = store_layout.lake_batch("production", 7)
    first, second = b"a" * (6 * 1024 * 1024), b"b" * (6 * 1024 * 1024)

    etag = object_store.put_if_absent(key, first)

    assert etag == hashlib.md5(first).hexdigest()
    with pytest.raises(ConflictError):
        object_store.put_if_absent(key, second)
    with pytest.raises(ConflictError):
        object_store.put_if_match(key, second, hashlib.md5(second).hexdigest())
    assert object_store.get(key) == StoredObject(first, etag)


# reading ---------------------------------------------------------------------


@pytest.mark.store
def test_missing_key_raises_missing_object_naming_it(object_store: ObjectStore, store_layout: Layout):
    key = store_layout.model("v0001")

    with pytest.raises(MissingObject, match=r"v0001/model\.pkl"):
        object_store.get(key)
    assert object_store.get_or_none(key) is None
    assert object_store.exists(key) is False


@pytest.mark.store
def test_round_trip_preserves_bytes_and_etag(object_store: ObjectStore, store_layout: Layout):
    key = store_layout.model("v0001")
    data = bytes(range(256)) * 64

    etag = object_store.put(key, data)

    stored = object_store.get(key)
    assert stored.data == data
    assert stored.etag == etag
    assert object_store.exists(key)


@pytest.mark.store
def test_list_is_sorted_and_scoped_to_the_prefix(object_store: ObjectStore, store_layout: Layout):
    other = Layout(store_layout.namespace + "x")  # shares a string prefix, not a key prefix
    for tick in (3, 1, 2):
        object_store.put(store_layout.lake_batch("production", tick), b"p")
    object_store.put(store_layout.lake_batch("feedback", 1), b"f")
    object_store.put(other.lake_batch("production", 1), b"o")

    keys = object_store.list(store_layout.lake_source("production"))

    assert keys == [store_layout.lake_batch("production", t) for t in (1, 2, 3)]
    assert [tick_of_key(k) for k in keys] == [1, 2, 3]


# outages ---------------------------------------------------------------------


@pytest.mark.store
def test_outage_makes_every_call_unavailable_and_recovery_restores_data(outage_relay, store_layout: Layout):
    store = ObjectStore(outage_relay.config, FAST_RETRY)
    key = store_layout.model("v0001")
    etag = store.put(key, b"before the outage")

    outage_relay.go_down()
    assert outage_relay.is_down
    calls = {
        "get": lambda: store.get(key),
        "put": lambda: store.put(key, b"during the outage"),
        "put_if_absent": lambda: store.put_if_absent(store_layout.alias("champion"), b"{}"),
        "put_if_match": lambda: store.put_if_match(key, b"during the outage", etag),
        "list": lambda: store.list(store_layout.registry),
        "exists": lambda: store.exists(key),
    }
    for name, call in calls.items():
        with pytest.raises(StoreUnavailable, match=outage_relay.config.shown_endpoint):
            call()
            pytest.fail(f"{name} succeeded while the store was down")

    outage_relay.come_back()
    assert not outage_relay.is_down
    stored = store.get(key)
    assert stored.data == b"before the outage"
    assert stored.etag == etag
    assert not store.exists(store_layout.alias("champion"))
    assert store.list(store_layout.registry) == [key]


@pytest.mark.store
def test_unavailable_error_names_the_object_and_chains_the_cause(outage_relay, store_layout: Layout):
    store = ObjectStore(outage_relay.config, FAST_RETRY)
    key = store_layout.record("v0007")
    outage_relay.go_down()

    with pytest.raises(StoreUnavailable) as caught:
        store.get(key)

    assert key in str(caught.value)
    assert caught.value.__cause__ is not None


def test_retry_delays_are_bounded_and_grow():
    assert list(Retry(attempts=4, first_delay_s=0.1, factor=2.0).delays()) == pytest.approx([0.1, 0.2, 0.4])
    assert list(FAST_RETRY.delays()) == [0.05]
    assert list(Retry(attempts=1).delays()) == []


# names and layout ------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    ["", "..", "a/b", "/abs", "../escape", "a..b", ".hidden", "-dash", "a b", "a\\b", "x" * 129, "tab\t", "new\nline"],
)
def test_safe_name_rejects_names_that_could_escape(bad: str):
    with pytest.raises(SettingError, match="namespace"):
        safe_name(bad, "namespace")
    with pytest.raises(ValueError):
        Layout(bad)


@pytest.mark.parametrize("good", ["a", "run-1", "v0001", "A.b_c-d", "x" * 128])
def test_safe_name_accepts_plain_names(good: str):
    assert safe_name(good, "name") == good
    assert Layout(good).namespace == good


@pytest.mark.parametrize("method", ["alias", "model", "record", "run", "version_dir"])
@pytest.mark.parametrize("bad", ["..", "../champion", "a/b", ""])
def test_layout_rejects_unsafe_names_in_every_key(method: str, bad: str):
    with pytest.raises(SettingError):
        getattr(Layout("ns"), method)(bad)


def test_layout_rejects_unknown_lake_source():
    with pytest.raises(SettingError, match="lake source"):
        Layout("ns").lake_batch("../production", 1)


@pytest.mark.property
@given(st.text(max_size=40))
def test_accepted_names_never_escape_their_prefix(name: str):
    try:
        safe_name(name, "name")
    except SettingError:
        return
    layout = Layout("ns")
    assert name and "/" not in name and ".." not in name and "\\" not in name
    assert layout.alias(name) == f"v2/artifacts/ns/registry/aliases/{name}.json"


# config ----------------------------------------------------------------------


def test_store_config_repr_never_shows_credentials():
    config = StoreConfig("s3.example:9000", access_key="AKIA-visible-nowhere", secret_key="s3cr3t-Value-123")

    for text in (repr(config), str(config), f"{config}", f"{config!r}", repr([config]), repr({"c": config})):
        assert "s3cr3t-Value-123" not in text
        assert "AKIA-visible-nowhere" not in text
    assert "s3.example:9000" in repr(config)
    assert config.secrets() == ("AKIA-visible-nowhere", "s3cr3t-Value-123")


def test_store_config_from_env_strips_scheme_and_reads_credentials():
    config = StoreConfig.from_env(
        {
            "CTSIM_S3_ENDPOINT": "https://s3.example:9000/",
            "CTSIM_S3_ACCESS_KEY": "ak",
            "CTSIM_S3_SECRET_KEY": "sk",
            "CTSIM_S3_BUCKET": "b",
        }
    )

    assert config == StoreConfig("s3.example:9000", "ak", "sk", "b", secure=True)
    assert StoreConfig.from_env({}) is None
    assert StoreConfig.from_env({"CTSIM_S3_ENDPOINT": "  "}) is None
    assert StoreConfig.from_env(config.to_env()) == config


@pytest.mark.store
def test_embedded_server_config_hides_its_secret(embedded_s3):
    config = embedded_s3.config

    assert config.secret_key not in repr(config)
    assert config.endpoint == f"127.0.0.1:{embedded_s3.port}"


def test_inside_a_kfp_pod_without_an_endpoint_the_store_is_the_cluster_s_own_with_the_secret_s_keys():
    config = StoreConfig.from_env(
        {
            "KFP_POD_NAME": "ctsim-run-abc-123",
            "CTSIM_S3_ACCESS_KEY": "from-secret",
            "CTSIM_S3_SECRET_KEY": "also-from-secret",
        }
    )

    assert config is not None
    assert config.endpoint == "minio-service.kubeflow:9000" and config.bucket == "mlpipeline"
    assert (config.access_key, config.secret_key) == ("from-secret", "also-from-secret")
    assert StoreConfig.from_env({"KFP_POD_NAME": "p", "CTSIM_S3_ENDPOINT": "minio:9000"}).endpoint == "minio:9000"
