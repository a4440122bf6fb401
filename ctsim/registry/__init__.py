"""The model registry on the object store.

A version is complete when its ``record.json`` exists: the artifact is written
first, read back and checked against its sha256, and only then is the record
created. Aliases (champion, canary, previous) are small JSON objects moved
with conditional writes, so of two writers exactly one wins.

Trust: a record carries an HMAC of itself and of its artifact, made with the
deployment's signing key (``ctsim.trust``), which the bucket never holds. A
model is unpickled only after its record's signature, the record's version,
the artifact's sha256 and the artifact's own signature all check out, so
nothing a bucket writer puts there can run as code in ctsim. An alias is only
a pointer: whoever can write the bucket can point it at another *signed*
version (a rollback), never at bytes the key did not sign.
"""

from __future__ import annotations

import json
import pickle
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ctsim import failpoints
from ctsim.errors import ConflictError, IntegrityError, MissingObject
from ctsim.store import Layout, ObjectStore, sha256_hex
from ctsim.trust import SigningKey, load_model

__all__ = ["ALIASES", "AliasPointer", "ModelRecord", "Registry"]

ALIASES = ("champion", "canary", "previous")
_MAX_CLAIM_ATTEMPTS = 50


@dataclass(frozen=True)
class ModelRecord:
    version: str
    artifact_sha256: str
    artifact_key: str
    metric: str
    metrics: dict[str, float]
    run_id: str
    pipeline_sha256: str
    data_snapshot: dict[str, Any] = field(default_factory=dict)
    created_tick: int = 0
    artifact_signature: str = ""  # HMAC of the artifact bytes ("artifact" purpose)
    signature: str = ""  # HMAC of every other field ("record" purpose)

    @property
    def score(self) -> float:
        return float(self.metrics.get(self.metric, float("nan")))

    def signed_bytes(self) -> bytes:
        """What the record's signature covers: every field but the signature, canonically."""
        fields = asdict(self)
        fields.pop("signature")
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()

    def signed(self, key: SigningKey) -> ModelRecord:
        return replace(self, signature=key.sign(self.signed_bytes(), "record"))

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> ModelRecord:
        try:
            return cls(**json.loads(data))
        except (ValueError, TypeError) as exc:
            raise IntegrityError(
                f"a registry record is not a ctsim record ({type(exc).__name__}); refusing it"
            ) from None


@dataclass(frozen=True)
class AliasPointer:
    alias: str
    version: str
    etag: str


class Registry:
    """Versions and aliases of one namespace. ``key`` signs and verifies; when omitted it is the
    key configured in the environment (``CTSIM_SIGNING_KEY``), as a pipeline task finds it."""

    def __init__(self, store: ObjectStore, layout: Layout, key: SigningKey | None = None):
        self.store = store
        self.layout = layout
        self.key = key or SigningKey.required()

    # versions ---------------------------------------------------------------
    def register(
        self,
        model: object,
        *,
        metric: str,
        metrics: dict[str, float],
        run_id: str,
        pipeline_sha256: str,
        data_snapshot: dict[str, Any],
        created_tick: int,
    ) -> ModelRecord:
        """Store a model as the next version: claim the number, write, verify, then record."""
        return self.register_artifact(
            pickle.dumps(model, protocol=5),
            metric=metric,
            metrics=metrics,
            run_id=run_id,
            pipeline_sha256=pipeline_sha256,
            data_snapshot=data_snapshot,
            created_tick=created_tick,
        )

    def register_artifact(
        self,
        artifact: bytes,
        *,
        metric: str,
        metrics: dict[str, float],
        run_id: str,
        pipeline_sha256: str,
        data_snapshot: dict[str, Any],
        created_tick: int,
    ) -> ModelRecord:
        """``register`` for a model already pickled (protocol 5), so registering never unpickles it."""
        version = self._claim_version()
        key = self.layout.model(version)
        self.store.put(key, failpoints.torn(failpoints.TORN_ARTIFACT_WRITE, artifact))
        failpoints.crash_if_armed(failpoints.CRASH_AFTER_ARTIFACT)
        digest = sha256_hex(artifact)
        if sha256_hex(self.store.get(key).data) != digest:
            raise IntegrityError(
                f"{key} read back differently from what was written; version {version} left unrecorded"
            )
        record = ModelRecord(
            version,
            digest,
            key,
            metric,
            metrics,
            run_id,
            pipeline_sha256,
            data_snapshot,
            created_tick,
            artifact_signature=self.key.sign(artifact, "artifact"),
        ).signed(self.key)
        self.store.put_if_absent(self.layout.record(version), record.to_json())
        self._append_event({"event": "registered", "version": version, "tick": created_tick, "run_id": run_id})
        return record

    def record(self, version: str) -> ModelRecord:
        """The version's record, after checking it is signed by this deployment's key and is about ``version``."""
        key = self.layout.record(version)
        record = ModelRecord.from_json(self.store.get(key).data)
        self.key.verify(record.signed_bytes(), record.signature, "record", f"registry record {key}")
        if record.version != version:
            raise IntegrityError(f"registry record {key} is about {record.version!r}, not {version!r}; refusing it")
        return record

    def versions(self) -> list[str]:
        prefix = self.layout.registry + "versions/"
        return sorted(
            {key[len(prefix) :].split("/")[0] for key in self.store.list(prefix) if key.endswith("/record.json")}
        )

    def incomplete_versions(self) -> list[str]:
        """Versions claimed but never recorded: what a run that died while registering leaves behind."""
        prefix = self.layout.registry + "versions/"
        claimed = {key[len(prefix) :].split("/")[0] for key in self.store.list(prefix) if key.endswith("/claim")}
        return sorted(claimed - set(self.versions()))

    def verify(self, version: str) -> ModelRecord:
        """The version's record, after checking its artifact is present and intact."""
        record = self.record(version)
        self._verified_bytes(record)
        return record

    def load(self, version: str) -> object:
        """Unpickle a model, but only after its signed record vouches for exactly these bytes."""
        record = self.record(version)
        return load_model(
            self.key,
            self._verified_bytes(record),
            record.artifact_signature,
            f"artifact {record.artifact_key} of {version}",
        )

    def _verified_bytes(self, record: ModelRecord) -> bytes:
        try:
            data = self.store.get(record.artifact_key).data
        except MissingObject as exc:
            raise IntegrityError(f"artifact of {record.version} is missing: {record.artifact_key}") from exc
        actual = sha256_hex(data)
        if actual != record.artifact_sha256:
            raise IntegrityError(
                f"artifact {record.artifact_key} has sha256 {actual[:12]}…, "
                f"its record says {record.artifact_sha256[:12]}…; refusing to load it"
            )
        self.key.verify(
            data, record.artifact_signature, "artifact", f"artifact {record.artifact_key} of {record.version}"
        )
        return data

    def _claim_version(self) -> str:
        number = len(self.versions()) + 1
        for _ in range(_MAX_CLAIM_ATTEMPTS):
            version = f"v{number:04d}"
            try:
                self.store.put_if_absent(self.layout.version_dir(version) + "claim", b"{}")
                return version
            except ConflictError:
                number += 1
        raise ConflictError(f"could not claim a version number after {_MAX_CLAIM_ATTEMPTS} attempts")

    # aliases ----------------------------------------------------------------
    def alias(self, name: str) -> AliasPointer | None:
        """Where ``name`` points, or None when it was never set or has been cleared."""
        stored = self.store.get_or_none(self.layout.alias(name))
        version = _alias_version(stored.data, name) if stored is not None else None
        return AliasPointer(name, version, stored.etag) if stored is not None and version else None

    def set_alias(
        self, name: str, version: str, *, expected: AliasPointer | None, tick: int, reason: str
    ) -> AliasPointer:
        """Point ``name`` at a verified version, only if the alias is still as the caller last saw it
        (``expected=None``: unset or cleared)."""
        self.verify(version)
        body = json.dumps({"version": version, "tick": tick, "reason": reason}, sort_keys=True).encode()
        key = self.layout.alias(name)
        if expected is not None:
            etag = self.store.put_if_match(key, body, expected.etag)
        else:
            current = self.store.get_or_none(key)
            if current is None:
                etag = self.store.put_if_absent(key, body)
            elif _alias_version(current.data, name) is None:
                etag = self.store.put_if_match(key, body, current.etag)  # over the cleared marker, if still there
            else:
                raise ConflictError(f"alias {name!r} is already set in {self.layout.registry}")
        self._append_event({"event": "alias-set", "alias": name, "version": version, "tick": tick, "reason": reason})
        return AliasPointer(name, version, etag)

    def clear_alias(self, pointer: AliasPointer, *, tick: int, reason: str) -> None:
        """Clear the alias only if it is still ``pointer``: a conditional write of a cleared marker, never a
        check-then-delete (which could drop a move made between the check and the delete)."""
        body = json.dumps({"version": None, "tick": tick, "reason": reason}, sort_keys=True).encode()
        self.store.put_if_match(self.layout.alias(pointer.alias), body, pointer.etag)
        self._append_event(
            {
                "event": "alias-cleared",
                "alias": pointer.alias,
                "version": pointer.version,
                "tick": tick,
                "reason": reason,
            }
        )

    # canary moves -----------------------------------------------------------
    def start_canary(self, version: str, *, tick: int) -> AliasPointer:
        """Make ``version`` the canary; fails with ConflictError if a canary is already running."""
        return self.set_alias("canary", version, expected=None, tick=tick, reason="gate passed")

    def promote_canary(self, *, tick: int) -> str:
        """Full rollout: previous <- champion, champion <- canary, canary cleared. Returns the new champion."""
        canary = self._require("canary")
        champion = self.alias("champion")
        if champion is not None:
            self.set_alias(
                "previous", champion.version, expected=self.alias("previous"), tick=tick, reason="replaced by rollout"
            )
        self.set_alias("champion", canary.version, expected=champion, tick=tick, reason="canary succeeded")
        self.clear_alias(canary, tick=tick, reason="rolled out")
        return canary.version

    def rollback_canary(self, *, tick: int, reason: str) -> str:
        """Abort the canary: the champion is not touched. Returns the rejected version."""
        canary = self._require("canary")
        self.clear_alias(canary, tick=tick, reason=reason)
        return canary.version

    def _require(self, name: str) -> AliasPointer:
        pointer = self.alias(name)
        if pointer is None:
            raise MissingObject(f"alias {name!r} is not set in {self.layout.registry}")
        return pointer

    # history ----------------------------------------------------------------
    def events(self) -> list[dict[str, Any]]:
        keys = self.store.list(self.layout.registry + "events/")
        return [json.loads(self.store.get(key).data) for key in keys]

    def _append_event(self, event: dict[str, Any]) -> None:
        seq = len(self.store.list(self.layout.registry + "events/"))
        body = json.dumps(event, sort_keys=True).encode()
        for _ in range(_MAX_CLAIM_ATTEMPTS):
            try:
                self.store.put_if_absent(self.layout.event(seq), body)
                return
            except ConflictError:
                seq += 1
        raise ConflictError("could not append to the registry's event log")


def _alias_version(data: bytes, name: str) -> str | None:
    """The version an alias object names; None for a cleared alias."""
    try:
        version = json.loads(data).get("version")
    except (ValueError, AttributeError):
        raise IntegrityError(f"alias {name!r} is not a ctsim alias object; refusing it") from None
    if version is not None and not isinstance(version, str):
        raise IntegrityError(f"alias {name!r} names a version that is not text; refusing it")
    return version or None
