"""Passing a model between two tasks of one run: pickle it, and vouch for the bytes.

``save_model`` writes the pickle to the ``Output[Model]``'s path and puts its sha256 in the artifact's
metadata; ``load_model`` unpickles only bytes that match it. The metadata travels through KFP's own
executor output (MLMD on a cluster), not through the object store, so swapping the file in the bucket
between two tasks is caught before anything is unpickled. Standard library only: every task imports it.
"""

from __future__ import annotations

import hashlib
import pickle
from typing import Any, Protocol

from ctsim.errors import IntegrityError

SHA256_KEY = "sha256"


class ModelArtifact(Protocol):
    """What a KFP ``Model`` artifact offers a component: a local path and a metadata dict."""

    path: str
    metadata: dict[str, Any]


def save_model(model: object, artifact: ModelArtifact) -> str:
    """Pickle ``model`` to ``artifact.path`` and record the bytes' sha256 in its metadata; returns the sha256."""
    data = pickle.dumps(model, protocol=5)
    with open(artifact.path, "wb") as handle:
        handle.write(data)
    digest = hashlib.sha256(data).hexdigest()
    artifact.metadata[SHA256_KEY] = digest
    artifact.metadata["model_class"] = f"{type(model).__module__}.{type(model).__qualname__}"
    return digest


def read_model_bytes(artifact: ModelArtifact) -> bytes:
    """The artifact's pickled bytes, once they match the sha256 its producer recorded."""
    expected = artifact.metadata.get(SHA256_KEY) if isinstance(artifact.metadata, dict) else None
    if not isinstance(expected, str):
        raise IntegrityError(
            f"the model artifact {artifact.path} carries no sha256 in its metadata: write it with "
            f"ctsim.kfp.save_model(model, artifact) so the next task can check what it loads"
        )
    with open(artifact.path, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != expected:
        raise IntegrityError(
            f"the model artifact {artifact.path} does not match the sha256 its producer recorded; "
            f"refusing to unpickle it"
        )
    return data


def load_model(artifact: ModelArtifact) -> Any:
    """Unpickle the model a task of this run saved with ``save_model``, after checking its bytes."""
    return pickle.loads(read_model_bytes(artifact))  # noqa: S301 (bytes verified against the producer's sha256)


__all__ = ["ModelArtifact", "load_model", "read_model_bytes", "save_model"]
