"""What the simulator hands one pipeline run, beside its parameters: ``runs/<run-id>/settings.json``.

The data contract (every column and category), the gates' and training settings would make a task's
command line unbounded, so they travel through the store: the simulator writes them before the run, the
components read them by ``(namespace, run_id)``. The record is sealed with the deployment's signing key
(``ctsim.trust``): it names code a task imports (``training.estimator``, ``training.features``), so a
record written by anyone without the key is refused. Stdlib and pydantic only: every task imports this.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from ctsim.settings import DataGateSettings, ModelGateSettings, TrainingSettings

if TYPE_CHECKING:
    from ctsim.contract import DataContract
    from ctsim.scenario.model import Scenario
    from ctsim.store import Layout, ObjectStore
    from ctsim.trust import SigningKey

SCHEMA_VERSION = 1


class RunSettings(BaseModel):
    """Everything a run's components need that is not a pipeline parameter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = SCHEMA_VERSION
    scenario: str
    contract: dict[str, Any]
    data_gate: DataGateSettings
    model_gate: ModelGateSettings
    training: TrainingSettings
    seed: int = Field(ge=0)
    first_tick: int = Field(ge=0)
    last_tick: int = Field(ge=0)
    as_of_tick: int = Field(ge=0)
    pipeline_sha256: str = ""
    # A scripted bad_model event: the reference pipeline trains on inverted labels; a team's may honour it.
    sabotage: bool = False

    @classmethod
    def of_scenario(
        cls,
        scenario: Scenario,
        contract: dict[str, Any],
        pipeline_sha256: str,
        *,
        first_tick: int = 0,
        last_tick: int = 0,
        as_of_tick: int = 0,
        sabotage: bool = False,
    ) -> RunSettings:
        """A scenario's settings for one run: the simulator's (with the run's window) and the cluster's launch
        document (without one: the trigger check adds it each time it launches)."""
        return cls(
            scenario=scenario.name,
            contract=contract,
            data_gate=scenario.gates.data,
            model_gate=scenario.gates.model,
            training=scenario.training,
            seed=scenario.seed,
            first_tick=first_tick,
            last_tick=last_tick,
            as_of_tick=as_of_tick,
            pipeline_sha256=pipeline_sha256,
            sabotage=sabotage,
        )

    @property
    def metric(self) -> str:
        return self.model_gate.metric

    def data_contract(self) -> DataContract:
        from ctsim.contract import DataContract

        return DataContract.from_dict(self.contract)

    def to_json(self) -> bytes:
        return json.dumps(self.model_dump(mode="json"), sort_keys=True, indent=1).encode()


_PURPOSE = "run-settings"


def write_run_settings(
    store: ObjectStore, layout: Layout, run_id: str, settings: RunSettings, signing_key: SigningKey | None = None
) -> str:
    """Seal and store the run's settings (the key from the environment unless given)."""
    from ctsim.trust import SigningKey, seal

    key = layout.run_settings(run_id)
    store.put(
        key,
        seal(signing_key or SigningKey.required(), settings.to_json(), _PURPOSE),
        content_type="application/octet-stream",
    )
    return key


def read_run_settings(
    store: ObjectStore, layout: Layout, run_id: str, signing_key: SigningKey | None = None
) -> RunSettings:
    """The run's settings, once their seal holds: ``IntegrityError`` for a record the key did not sign."""
    from ctsim.errors import StoreError
    from ctsim.trust import SigningKey, unseal

    key = layout.run_settings(run_id)
    data = unseal(signing_key or SigningKey.required(), store.get(key).data, key, _PURPOSE)
    try:
        return RunSettings.model_validate_json(data)
    except ValueError as exc:
        raise StoreError(f"{key} is not a run settings record of schema {SCHEMA_VERSION}: {exc}") from exc


__all__ = ["SCHEMA_VERSION", "RunSettings", "read_run_settings", "write_run_settings"]
