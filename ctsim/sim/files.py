"""Writing the records a reader trusts (run.json, suite.json, compare.json): whole or not at all."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from ctsim.errors import CtsimError

__all__ = ["write_json_atomic", "write_text_atomic"]


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path``, sync it, then rename it over ``path``.

    A reader sees the old file or the new one, never half of one; a full disk leaves no empty
    record behind and is one CtsimError naming the file.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        with _quietly():
            os.unlink(temporary)
        raise CtsimError(f"cannot write {path}: {exc.strerror or type(exc).__name__}") from None
    except BaseException:
        with _quietly():
            os.unlink(temporary)
        raise


def write_json_atomic(path: Path, document: dict[str, Any] | list[Any]) -> None:
    write_text_atomic(path, json.dumps(document, indent=1))


class _quietly:
    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, value: object, traceback: object) -> bool:
        return isinstance(value, OSError)
