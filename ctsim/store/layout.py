"""Key layout in the bucket, in one place.

Mirrors KFP's conventions: bucket ``mlpipeline``; model artifacts and run
records under ``v2/artifacts/``. Every run lives under its own namespace so
runs never collide and nothing a scenario names can escape its prefix.

    lake/<namespace>/<source>/tick=<tick>/part-<n>.parquet
    v2/artifacts/<namespace>/registry/versions/<version>/model.pkl
    v2/artifacts/<namespace>/registry/versions/<version>/record.json
    v2/artifacts/<namespace>/registry/aliases/<alias>.json
    v2/artifacts/<namespace>/registry/events/<seq>.json
    v2/artifacts/<namespace>/runs/<run-id>/settings.json       what the simulator hands the run (contract, gates, ...)
    v2/artifacts/<namespace>/runs/<run-id>/steps/<step>.json
    v2/artifacts/<namespace>/runs/<run-id>/alerts/<n>.json
    v2/artifacts/<namespace>/lake-segments/<source>/ticks=<first>-<last>/<sha256>.parquet   read cache of the lake
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ctsim.errors import SettingError

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
SOURCES = ("production", "feedback", "external")


def safe_name(value: str, what: str) -> str:
    """Reject names that could escape a prefix or a directory (``..``, ``/``, empty)."""
    if not isinstance(value, str) or not _SAFE_NAME.fullmatch(value) or ".." in value:  # fullmatch: '$' allows '\n'
        raise SettingError(
            f"The {what} must be letters, digits, '.', '_' or '-' (no '/' or '..'). Got {str(value)[:80]!r} instead."
        )
    return value


@dataclass(frozen=True)
class Layout:
    namespace: str

    def __post_init__(self) -> None:
        safe_name(self.namespace, "namespace")

    # lake
    @property
    def lake(self) -> str:
        return f"lake/{self.namespace}/"

    def lake_source(self, source: str) -> str:
        if source not in SOURCES:
            raise SettingError(f"The lake source must be one of {', '.join(SOURCES)}. Got {source!r} instead.")
        return f"{self.lake}{source}/"

    def lake_batch(self, source: str, tick: int, part: int = 0) -> str:
        return f"{self.lake_source(source)}tick={tick:05d}/part-{part:04d}.parquet"

    def lake_segment(self, source: str, first_tick: int, last_tick: int, digest: str) -> str:
        """A derived copy of a run of lake batches (``lake.read_window``'s cache), named by what it holds.

        Outside ``lake/``: the lake holds only what the scenario produced (the audit checks it)."""
        self.lake_source(source)
        return (
            f"v2/artifacts/{self.namespace}/lake-segments/{source}/"
            f"ticks={first_tick:05d}-{last_tick:05d}/{safe_name(digest, 'segment digest')}.parquet"
        )

    # registry
    @property
    def registry(self) -> str:
        return f"v2/artifacts/{self.namespace}/registry/"

    def version_dir(self, version: str) -> str:
        return f"{self.registry}versions/{safe_name(version, 'model version')}/"

    def model(self, version: str) -> str:
        return self.version_dir(version) + "model.pkl"

    def record(self, version: str) -> str:
        return self.version_dir(version) + "record.json"

    def alias(self, name: str) -> str:
        return f"{self.registry}aliases/{safe_name(name, 'alias')}.json"

    def event(self, seq: int) -> str:
        return f"{self.registry}events/{seq:06d}.json"

    # run records
    def run(self, run_id: str) -> str:
        return f"v2/artifacts/{self.namespace}/runs/{safe_name(run_id, 'run id')}/"

    def run_settings(self, run_id: str) -> str:
        return f"{self.run(run_id)}settings.json"

    def step_record(self, run_id: str, step: str) -> str:
        return f"{self.run(run_id)}steps/{safe_name(step, 'step name')}.json"

    def alert(self, run_id: str, seq: int) -> str:
        return f"{self.run(run_id)}alerts/{seq:04d}.json"


def tick_of_key(key: str) -> int | None:
    """The tick a lake key belongs to, or None for keys that are not lake batches."""
    match = re.search(r"/tick=(\d+)/", key)
    return int(match.group(1)) if match else None
