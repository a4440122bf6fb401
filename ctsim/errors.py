"""ctsim's one error tree.

    CtsimError
    ├── ScenarioError (ValueError)      a scenario file or setting is invalid: file, line, key, what was expected
    │   └── PipelineContractError       the scenario's pipeline cannot be imported or breaks the pipeline contract
    ├── SettingError (ValueError)       a setting object got a value outside its contract
    ├── StoreError                      the S3 object store failed; names the bucket/key that failed
    │   ├── StoreUnavailable            the endpoint refused or dropped the connection
    │   ├── MissingObject               the named object does not exist
    │   └── ConflictError               a conditional write lost (If-Match / If-None-Match)
    ├── IntegrityError                  an artifact's sha256 does not match its registry record
    ├── PipelineError                   the KFP pipeline could not be compiled or run
    ├── RunnerUnavailable               the requested runner cannot work here (e.g. no Docker engine)
    ├── PromotionRefused                no passing scenario suite for this pipeline's sha256 (exit 1)
    ├── ClusterError                    a cluster, its API or a tool it needs (docker, kind, kubectl) is unreachable
    ├── MissingExtra                    a feature needs an optional dependency: names the extra to install
    └── TimelineError (ValueError)      a timeline.json is malformed, of another schema, or names an unknown event kind

Adapters translate third-party errors at the boundary (``from exc``); the CLI
catches only ``CtsimError``.
"""

from __future__ import annotations


class CtsimError(Exception):
    """Root of every error ctsim raises on purpose."""

    exit_code = 2


class ScenarioError(CtsimError, ValueError):
    """A scenario document is invalid; the message names file, line and key."""


class PipelineContractError(ScenarioError):
    """The pipeline a scenario names cannot be loaded, or lacks what the pipeline contract requires."""


class SettingError(CtsimError, ValueError):
    """A settings value is outside its documented range."""


class StoreError(CtsimError):
    """The object store failed while reading or writing a named object."""


class StoreUnavailable(StoreError):
    """The object store endpoint did not answer."""


class MissingObject(StoreError):
    """The named object does not exist in the store."""


class ConflictError(StoreError):
    """A conditional write was refused because another writer got there first."""


class IntegrityError(CtsimError):
    """An artifact's checksum does not match the record that vouches for it."""


class PipelineError(CtsimError):
    """The pipeline could not be compiled or executed."""

    exit_code = 1


class RunnerUnavailable(CtsimError):
    """The requested pipeline runner cannot work on this machine."""


class PromotionRefused(CtsimError):
    """The promotion gate found no passing scenario suite for this exact pipeline."""

    exit_code = 1


class ClusterError(CtsimError):
    """A cluster, its KFP API, its kube context or a tool it needs cannot be used."""


class MissingExtra(CtsimError):
    """A feature needs a package of an optional extra (``ctsim[plot]``, ``ctsim[testing]``, ``ctsim[docker]``)."""


class TimelineError(CtsimError, ValueError):
    """A timeline (``timeline.json``) is malformed, of another schema version, or names an unknown event kind."""
