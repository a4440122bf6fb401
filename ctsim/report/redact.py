"""Secrets never reach a report: every string a report writes goes through one ``Redactor`` first.

The secrets are the object store's keys (``CTSIM_S3_ACCESS_KEY``, ``CTSIM_S3_SECRET_KEY``, or the values of a
``StoreConfig`` passed in) and the alert webhook (``CTSIM_ALERT_WEBHOOK``): its whole URL, and each path segment,
query value and user-info part long enough to be a token. Values shorter than ``MIN_SECRET_LENGTH`` are ignored,
because masking every ``a`` or ``ab`` would shred the report while protecting nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

# The names are repeated here (not imported from ctsim.store) so report/ depends on the timeline and verdict only.
SECRET_VARS = ("CTSIM_S3_ACCESS_KEY", "CTSIM_S3_SECRET_KEY", "CTSIM_SIGNING_KEY")
WEBHOOK_VAR = "CTSIM_ALERT_WEBHOOK"
MASK = "***"
MIN_SECRET_LENGTH = 4
_TOKEN_LENGTH = 8  # path segments / query values at least this long in a webhook URL are treated as tokens


@dataclass(frozen=True)
class Redactor:
    secrets: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, extra: Iterable[str] = ()) -> Redactor:
        env = os.environ if environ is None else environ
        values = [env.get(name, "") for name in SECRET_VARS]
        values += webhook_secrets(env.get(WEBHOOK_VAR, ""))
        return cls.of([*values, *extra])

    @classmethod
    def of(cls, values: Iterable[str]) -> Redactor:
        kept = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH}
        # Longest first, so a URL is masked whole before its token is masked inside it.
        return cls(tuple(sorted(kept, key=lambda v: (-len(v), v))))

    def text(self, value: str) -> str:
        for secret in self.secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value

    def value(self, value: Any) -> Any:
        """The same structure with every string (keys included) redacted."""
        if not self.secrets:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.value(v) for v in value)
        return value


def webhook_secrets(url: str) -> list[str]:
    """The URL itself and the parts of it that carry a token (Slack-style paths, ?token=, user:password@)."""
    url = url.strip()
    if not url:
        return []
    parts = urlsplit(url)
    found = [url]
    if parts.password:
        found.append(parts.password)
    if parts.username:
        found.append(parts.username)
    found += [unquote(s) for s in parts.path.split("/") if len(s) >= _TOKEN_LENGTH]
    found += [v for _, v in parse_qsl(parts.query) if len(v) >= _TOKEN_LENGTH]
    found += [s for s in re.split(r"[/?&=#:@]", url) if len(s) >= _TOKEN_LENGTH and "." not in s]
    return found
