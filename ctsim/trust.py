"""Who may make ctsim run code: whoever holds the signing key, never whoever can write the bucket.

Models are pickles (a team's LightGBM, its own classes: anything with ``predict``), and
unpickling runs code. So every pickle ctsim loads must carry an HMAC-SHA256 made with a
key the bucket never holds: ``CTSIM_SIGNING_KEY`` (hex, at least 32 bytes) or a file
named by ``CTSIM_SIGNING_KEY_FILE``. When neither is set, the simulator makes a random
key for the run and hands it to its task processes through their environment: never on
a command line, never in the store or the run directory.

Signatures are bound to a *purpose* (``record``, ``artifact``, ``task-model``), so a
signature made for one kind of object cannot vouch for another. ``load_model`` is the
one place a signed pickle becomes an object.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ctsim.errors import IntegrityError, SettingError

__all__ = ["KEY_FILE_VAR", "KEY_VAR", "SigningKey", "load_model", "seal", "unseal"]

KEY_VAR = "CTSIM_SIGNING_KEY"
KEY_FILE_VAR = "CTSIM_SIGNING_KEY_FILE"
MIN_KEY_BYTES = 32
# A sealed file: this magic, the hex signature, a newline, then the payload.
_SEAL_MAGIC = b"CTSIM-SEALED-1\n"
_SIGNATURE_HEX = 64


@dataclass(frozen=True)
class SigningKey:
    """An HMAC key; its bytes never appear in a repr, a message or a file ctsim writes."""

    secret: bytes = field(repr=False)

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_KEY_BYTES:
            raise SettingError(
                f"The signing key must be at least {MIN_KEY_BYTES} bytes. Got {len(self.secret)} instead."
            )

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(secrets.token_bytes(MIN_KEY_BYTES))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> SigningKey | None:
        """The configured key (``CTSIM_SIGNING_KEY`` hex, else the file ``CTSIM_SIGNING_KEY_FILE``), or None."""
        env = os.environ if environ is None else environ
        text = env.get(KEY_VAR, "").strip()
        source = KEY_VAR
        if not text and env.get(KEY_FILE_VAR, "").strip():
            source = env[KEY_FILE_VAR].strip()
            try:
                text = Path(source).read_text(encoding="ascii").strip()
            except (OSError, UnicodeDecodeError) as exc:
                raise SettingError(
                    f"The signing key file {KEY_FILE_VAR} names cannot be read: {type(exc).__name__}"
                ) from None
        if not text:
            return None
        try:
            return cls(bytes.fromhex(text))
        except ValueError:
            raise SettingError(
                f"The signing key in {source if source == KEY_VAR else KEY_FILE_VAR} must be hex "
                f"(at least {MIN_KEY_BYTES} bytes, e.g. `python -c 'import secrets; "
                "print(secrets.token_hex(32))'`)."
            ) from None

    @classmethod
    def required(cls, environ: Mapping[str, str] | None = None) -> SigningKey:
        """The configured key; a task process without one refuses to load or vouch for any model."""
        key = cls.from_env(environ)
        if key is None:
            raise IntegrityError(
                f"no signing key: set {KEY_VAR} (hex) or {KEY_FILE_VAR}; ctsim loads no model it cannot verify"
            )
        return key

    def to_env(self) -> dict[str, str]:
        """What a task process needs to verify and sign, passed by environment (never argv)."""
        return {KEY_VAR: self.secret.hex()}

    def sign(self, data: bytes, purpose: str) -> str:
        return hmac.new(self.secret, purpose.encode() + b"\0" + data, hashlib.sha256).hexdigest()

    def verify(self, data: bytes, signature: str, purpose: str, what: str) -> None:
        """IntegrityError unless ``signature`` is this key's signature of ``data`` for ``purpose``."""
        if not isinstance(signature, str) or not hmac.compare_digest(self.sign(data, purpose), signature):
            raise IntegrityError(
                f"{what} is not signed by this deployment's key; refusing to load it "
                "(written by someone without the key, or by a run with another key)"
            )


def load_model(key: SigningKey, data: bytes, signature: str, what: str, purpose: str = "artifact") -> object:
    """The one verified path from bytes to a model: check the signature, then unpickle."""
    key.verify(data, signature, purpose, what)
    return pickle.loads(data)  # noqa: S301 - verified above: only bytes this deployment signed


def seal(key: SigningKey, payload: bytes, purpose: str = "task-model") -> bytes:
    """``payload`` with its signature in front: a file that vouches for itself between two tasks."""
    return _SEAL_MAGIC + key.sign(payload, purpose).encode() + b"\n" + payload


def unseal(key: SigningKey, blob: bytes, what: str, purpose: str = "task-model") -> bytes:
    """The payload of a sealed blob, after checking its signature; IntegrityError for anything else."""
    head = len(_SEAL_MAGIC)
    if not blob.startswith(_SEAL_MAGIC) or blob[head + _SIGNATURE_HEX : head + _SIGNATURE_HEX + 1] != b"\n":
        raise IntegrityError(f"{what} is not a sealed ctsim model; refusing to load it")
    signature = blob[head : head + _SIGNATURE_HEX].decode("ascii", errors="replace")
    payload = blob[head + _SIGNATURE_HEX + 1 :]
    key.verify(payload, signature, purpose, what)
    return payload
