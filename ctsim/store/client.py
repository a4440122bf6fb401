"""The only place that talks S3: the minio SDK behind a small, typed surface.

Every failure becomes a ctsim error naming the object (``... while reading
mlpipeline/lake/...``) and the endpoint the user configured. Unavailability is
retried with bounded exponential backoff, all within one total deadline per
operation; precondition failures of conditional writes become ConflictError.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar
from xml.etree.ElementTree import ParseError

import urllib3
from minio import Minio
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError

from ctsim.deadline import deadline_pool_manager
from ctsim.deadline import operation as deadline_operation
from ctsim.errors import ConflictError, MissingObject, StoreError, StoreUnavailable
from ctsim.store.config import StoreConfig

T = TypeVar("T")

CONNECT_TIMEOUT_S = 2.0
READ_TIMEOUT_S = 20.0
DEADLINE_S = 60.0  # one operation, every attempt and the whole body included
_ENDPOINT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?")

# A presigned URL never leaves this process and is used at once; S3 allows signed requests 15 minutes of clock
# skew, and so does this validity (a shorter one would fail against a server whose clock runs a little ahead).
_PRESIGNED_FOR = timedelta(minutes=15)

_MISSING_CODES = {"NoSuchKey", "NoSuchBucket", "NoSuchObject"}
_CONFLICT_CODES = {"PreconditionFailed", "ConditionalRequestConflict"}


@dataclass(frozen=True)
class Retry:
    """Bounded backoff for an unavailable store: attempts, first delay, growth."""

    attempts: int = 4
    first_delay_s: float = 0.2
    factor: float = 2.0

    def delays(self) -> Iterator[float]:
        delay = self.first_delay_s
        for _ in range(self.attempts - 1):
            yield delay
            delay *= self.factor


NO_RETRY = Retry(attempts=1)


@dataclass(frozen=True)
class StoredObject:
    data: bytes
    etag: str


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ObjectStore:
    """A bucket on an S3 endpoint."""

    def __init__(self, config: StoreConfig, retry: Retry = Retry(), deadline_s: float = DEADLINE_S):
        self.config = config
        self.bucket = config.bucket
        self.retry = retry
        self.deadline_s = deadline_s
        self._http = http = deadline_pool_manager(connect_s=CONNECT_TIMEOUT_S, read_s=READ_TIMEOUT_S)
        if not _ENDPOINT.fullmatch(config.endpoint) or int(config.endpoint.rpartition(":")[2] or 0) > 65535:
            raise StoreError(f"The object store endpoint must be host[:port]. Got {config.shown_endpoint!r} instead.")
        try:
            self._client = Minio(
                config.endpoint,
                access_key=config.access_key,
                secret_key=config.secret_key,
                secure=config.secure,
                http_client=http,
            )
        except ValueError as exc:
            raise StoreError(
                f"The object store endpoint must be host[:port]. Got {config.shown_endpoint!r} instead ({exc})."
            ) from None

    def ensure_bucket(self) -> None:
        def create() -> None:
            if not self._client.bucket_exists(self.bucket):
                self._client.make_bucket(self.bucket)

        self._call(create, f"creating bucket {self.bucket}")

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> str:
        """Write an object (S3 PUTs are atomic: readers see all of it or none). Returns its ETag."""
        return self._put(key, data, {"Content-Type": content_type})

    def put_if_absent(self, key: str, data: bytes, content_type: str = "application/json") -> str:
        """Create an object only if no object has that key; ConflictError otherwise."""
        return self._put(key, data, {"Content-Type": content_type, "If-None-Match": "*"})

    def put_if_match(self, key: str, data: bytes, etag: str, content_type: str = "application/json") -> str:
        """Replace an object only if it still has ``etag``; ConflictError otherwise."""
        return self._put(key, data, {"Content-Type": content_type, "If-Match": _quoted(etag)})

    def get(self, key: str) -> StoredObject:
        def fetch() -> StoredObject:
            response = self._client.get_object(self.bucket, key)
            try:
                return StoredObject(response.read(), response.headers.get("etag", "").strip('"'))
            finally:
                response.close()
                response.release_conn()

        return self._call(fetch, f"reading {self.bucket}/{key}")

    def get_or_none(self, key: str) -> StoredObject | None:
        try:
            return self.get(key)
        except MissingObject:
            return None

    def exists(self, key: str) -> bool:
        try:
            self._call(lambda: self._client.stat_object(self.bucket, key), f"checking {self.bucket}/{key}")
        except MissingObject:
            return False
        return True

    def listing(self, prefix: str) -> list[tuple[str, str]]:
        """Every ``(key, etag)`` under ``prefix``, sorted by key: one LIST, no GET."""

        def entries() -> list[tuple[str, str]]:
            found = self._client.list_objects(self.bucket, prefix=prefix, recursive=True)
            return sorted((str(obj.object_name), (obj.etag or "").strip('"')) for obj in found)

        return self._call(entries, f"listing {self.bucket}/{prefix}")

    def list(self, prefix: str) -> list[str]:  # after ``listing``: inside the class, ``list`` names this method
        """Every key under ``prefix``, sorted."""
        return [key for key, _ in self.listing(prefix)]

    def delete(self, key: str) -> None:
        self._call(lambda: self._client.remove_object(self.bucket, key), f"deleting {self.bucket}/{key}")

    def _put(self, key: str, data: bytes, headers: dict[str, str]) -> str:
        """One PUT request carrying ``headers`` verbatim, whatever the size of ``data``.

        minio's ``put_object`` cannot do this: it renames any header it does not know into user metadata
        (``If-None-Match`` would become ``X-Amz-Meta-If-None-Match``, and the write would be unconditional),
        and above 5 MiB it turns the write into a multipart upload, several requests where S3 offers one atomic
        PUT. So minio signs a presigned PUT URL (its public API for handing a request to another HTTP client)
        and the request goes out on this store's own deadline-watched connection pool, inside ``_call``'s
        deadline and retries like every other operation. The body's MD5 (what minio itself sends over HTTPS)
        lets the server refuse a body damaged on the way.
        """

        def write() -> str:
            url = self._client.presigned_put_object(self.bucket, key, expires=_PRESIGNED_FOR)
            checksum = base64.b64encode(hashlib.md5(data, usedforsecurity=False).digest()).decode()
            response = self._http.request("PUT", url, body=data, headers={**headers, "Content-MD5": checksum})
            etag = response.headers.get("etag")
            if response.status == 200 and etag:  # S3 always names what it stored; a web page answers 200 too
                return str(etag).strip('"')
            raise _refusal(response)

        return self._call(write, f"writing {self.bucket}/{key}")

    def _call(self, operation: Callable[[], T], what: str) -> T:
        """Run one operation with bounded retries, all of it within ``deadline_s`` (see ``deadline``)."""
        delays = self.retry.delays()
        where = f"object store at {self.config.shown_endpoint}"
        with deadline_operation(self.deadline_s) as running:
            while True:
                try:
                    result = operation()
                    if running.expired:  # cut mid-reply: what came back may be partial
                        raise TimeoutError("the operation's deadline has passed")
                    return result
                except S3Error as exc:
                    raise _translate_s3(exc, what) from exc
                except ValueError as exc:  # minio's own checks: a bucket name S3 cannot take, a reply not S3's
                    raise StoreError(f"{where} failed {what}: {exc}") from None
                except (urllib3.exceptions.HTTPError, OSError, MinioException, ParseError) as exc:
                    if running.expired or running.remaining() <= 0:
                        raise StoreUnavailable(
                            f"{where} did not finish {what} within {self.deadline_s:g} s (a slow or stalled endpoint)"
                        ) from exc
                    if isinstance(exc, (ParseError, InvalidResponseError)):
                        raise StoreError(
                            f"{where} answered {what} with something that is not S3 "
                            f"({_reason(exc)}); is CTSIM_S3_ENDPOINT an S3 server?"
                        ) from None
                    delay = next(delays, None)
                    if delay is None:
                        raise StoreUnavailable(f"{where} unavailable while {what}: {_reason(exc)}") from exc
                    time.sleep(min(delay, max(0.0, running.remaining())))


def _reason(exc: BaseException) -> str:
    """Why a call failed, in a few words: the type, and for minio's own errors (a reply not from S3) its first line."""
    if isinstance(exc, MinioException) and not isinstance(exc, S3Error):
        first = (str(exc).strip().splitlines() or [""])[0][:120]
        return f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return type(exc).__name__


def _refusal(response: urllib3.BaseHTTPResponse) -> MinioException:
    """The error a refused PUT stands for, as minio itself would raise it (so ``_call`` treats it the same way)."""
    content_type = str(response.headers.get("content-type", ""))
    if response.data and "application/xml" in content_type.split(";"):
        return S3Error.fromxml(response)  # PreconditionFailed, NoSuchKey, AccessDenied, ...: S3 said why
    if response.status >= 500:
        return ServerError(f"server failed with HTTP status code {response.status}", response.status)
    return InvalidResponseError(response.status, content_type, response.data.decode(errors="replace") or None)


def _translate_s3(exc: S3Error, what: str) -> StoreError:
    if exc.code in _MISSING_CODES:
        return MissingObject(f"no such object while {what}")
    if exc.code in _CONFLICT_CODES:
        return ConflictError(f"another writer got there first while {what} ({exc.code})")
    return StoreError(f"S3 error {exc.code} while {what}: {exc.message}")


def _quoted(etag: str) -> str:
    return '"' + etag.strip('"') + '"'
