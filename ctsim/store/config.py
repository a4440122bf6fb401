"""Where the object store is and how to log in.

Credentials come from the environment (or the embedded server's fixed
ones), never from code or scenario files, and never appear in a repr.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

ENDPOINT_VAR = "CTSIM_S3_ENDPOINT"
ACCESS_KEY_VAR = "CTSIM_S3_ACCESS_KEY"
SECRET_KEY_VAR = "CTSIM_S3_SECRET_KEY"
BUCKET_VAR = "CTSIM_S3_BUCKET"
SECURE_VAR = "CTSIM_S3_SECURE"
SHOWN_VAR = "CTSIM_S3_SHOWN_ENDPOINT"  # set by ctsim for its task processes when they go through a relay

# KFP's own conventions, so the local layout matches a cluster's.
DEFAULT_BUCKET = "mlpipeline"
EMBEDDED_ACCESS_KEY = "minio"
EMBEDDED_SECRET_KEY = "minio123"
# Inside a KFP pod (KFP sets KFP_POD_NAME) with no endpoint configured, the store is the cluster's own
# artifact store, as installed by KFP's standalone manifests; the keys come from its secret.
KFP_POD_VAR = "KFP_POD_NAME"
CLUSTER_ENDPOINT = "minio-service.kubeflow:9000"


@dataclass(frozen=True)
class StoreConfig:
    endpoint: str
    access_key: str = field(repr=False)
    secret_key: str = field(repr=False)
    bucket: str = DEFAULT_BUCKET
    secure: bool = False
    # The endpoint to name in messages when this config reaches it through a relay (the outage relay's
    # random port means nothing to the user).
    shown_as: str = field(default="", compare=False)

    @property
    def shown_endpoint(self) -> str:
        return self.shown_as or self.endpoint

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> StoreConfig | None:
        """The configured external store, or None when CTSIM_S3_ENDPOINT is unset (outside a KFP pod)."""
        env = os.environ if environ is None else environ
        endpoint = env.get(ENDPOINT_VAR, "").strip() or (CLUSTER_ENDPOINT if env.get(KFP_POD_VAR) else "")
        if not endpoint:
            return None
        secure = endpoint.startswith("https://") or env.get(SECURE_VAR, "").lower() in ("1", "true", "yes")
        return cls(
            endpoint=endpoint.removeprefix("http://").removeprefix("https://").rstrip("/"),
            access_key=env.get(ACCESS_KEY_VAR, EMBEDDED_ACCESS_KEY),
            secret_key=env.get(SECRET_KEY_VAR, EMBEDDED_SECRET_KEY),
            bucket=env.get(BUCKET_VAR, DEFAULT_BUCKET),
            secure=secure,
            shown_as=env.get(SHOWN_VAR, "").strip(),
        )

    def to_env(self) -> dict[str, str]:
        """Variables a pipeline component reads to find this store, as on a cluster: ctsim's own, and the
        standard AWS ones so a team's boto3, s3fs or pandas code reaches the same store unchanged."""
        return {
            ENDPOINT_VAR: self.endpoint,
            ACCESS_KEY_VAR: self.access_key,
            SECRET_KEY_VAR: self.secret_key,
            BUCKET_VAR: self.bucket,
            SECURE_VAR: "true" if self.secure else "false",
            SHOWN_VAR: self.shown_endpoint,
            "AWS_ENDPOINT_URL": f"{'https' if self.secure else 'http'}://{self.endpoint}",
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def secrets(self) -> tuple[str, ...]:
        """Values that must never be written to a report or run directory."""
        return (self.access_key, self.secret_key)
