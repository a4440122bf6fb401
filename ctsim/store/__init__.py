"""The S3 object store: connecting, key layout, atomic and conditional writes, checksums."""

from ctsim.store.client import NO_RETRY, ObjectStore, Retry, StoredObject, sha256_hex
from ctsim.store.config import StoreConfig
from ctsim.store.embedded import EmbeddedS3
from ctsim.store.layout import Layout, safe_name, tick_of_key
from ctsim.store.outage import OutageRelay

__all__ = [
    "EmbeddedS3",
    "Layout",
    "NO_RETRY",
    "ObjectStore",
    "OutageRelay",
    "Retry",
    "StoreConfig",
    "StoredObject",
    "safe_name",
    "sha256_hex",
    "tick_of_key",
]
