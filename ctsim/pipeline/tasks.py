"""What each pipeline component does, between loading its inputs and saving its outputs.

The KFP components in ``components.py`` are one-line wrappers around these
functions, so the component source embedded in the compiled YAML stays tiny
and the work is ordinary, testable Python. Components find the object store
through environment variables, as they would on a cluster; every task writes
a step record under the run's prefix, which is how the simulator (or anyone
looking at the bucket) learns what the run decided.
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Iterator

from ctsim.errors import CtsimError, StoreError

if TYPE_CHECKING:
    from ctsim.contract import DataContract
    from ctsim.registry import Registry
    from ctsim.store import ObjectStore

# Each component runs in a fresh interpreter, and its imports are most of a task's
# cost (`python -X importtime`: pandas ~0.3-0.5 s, the minio SDK ~0.2 s, pydantic
# settings ~0.15 s, scikit-learn ~1 s). So this module imports only the standard
# library at the top, and each task imports what it uses: the canary and exit-handler
# tasks never load pandas, only train and evaluate load scikit-learn.

WEBHOOK_VAR = "CTSIM_ALERT_WEBHOOK"


def _store() -> ObjectStore:
    from ctsim.store import ObjectStore, StoreConfig

    config = StoreConfig.from_env()
    if config is None:
        raise StoreError("CTSIM_S3_ENDPOINT is not set: a pipeline component cannot find the object store")
    return ObjectStore(config)


@contextmanager
def recorded(namespace: str, run_id: str, step: str) -> Iterator[dict[str, Any]]:
    """Time the step's own work and store what it reports as the step record."""
    from ctsim.store import Layout

    record: dict[str, Any] = {"step": step}
    started = time.perf_counter()
    yield record
    record["seconds"] = round(time.perf_counter() - started, 4)
    _store().put(Layout(namespace).step_record(run_id, step), json.dumps(record, sort_keys=True).encode(),
                 content_type="application/json")


def collect_data(namespace: str, run_id: str, first_tick: int, last_tick: int, as_of_tick: int, snapshot_path: str) -> int:
    """Snapshot the labelled rows of a lake window into the run's Dataset artifact."""
    from ctsim import lake
    from ctsim.store import Layout

    with recorded(namespace, run_id, "collect-data") as record:
        store, layout = _store(), Layout(namespace)
        production = lake.read_window(store, layout, "production", first_tick, last_tick)
        feedback = lake.read_window(store, layout, "feedback", first_tick, as_of_tick)
        external = lake.read_window(store, layout, "external", first_tick, last_tick)
        rows = lake.labelled_rows(production, feedback, external)
        rows.to_parquet(snapshot_path, index=False)
        record.update(rows=len(rows), window=[first_tick, last_tick], as_of_tick=as_of_tick)
    return len(rows)


def validate_data(namespace: str, run_id: str, snapshot_path: str, contract_json: str, gate_json: str) -> tuple[bool, str]:
    import pandas as pd

    from ctsim.gates.data_gate import check_data
    from ctsim.settings import DataGateSettings

    with recorded(namespace, run_id, "validate-data") as record:
        decision = check_data(pd.read_parquet(snapshot_path), _contract(contract_json),
                              DataGateSettings.model_validate_json(gate_json))
        record.update(decision=decision.to_dict(), summary=decision.summary())
    return decision.passed, decision.summary()


def preprocess(namespace: str, run_id: str, snapshot_path: str, contract_json: str, training_json: str,
               train_path: str, holdout_path: str) -> int:
    import pandas as pd

    from ctsim.settings import TrainingSettings
    from ctsim.steps.features import clean, split_by_recency

    with recorded(namespace, run_id, "preprocess") as record:
        cleaned = clean(pd.read_parquet(snapshot_path), _contract(contract_json))
        training, holdout = split_by_recency(cleaned, TrainingSettings.model_validate_json(training_json).holdout_share)
        training.to_parquet(train_path, index=False)
        holdout.to_parquet(holdout_path, index=False)
        record.update(train_rows=len(training), holdout_rows=len(holdout))
    return len(training)


def engineer_features(namespace: str, run_id: str, train_path: str, contract_json: str, features_path: str) -> list[str]:
    """Materialise the model's input matrix, so the training step and humans see the same features."""
    import pandas as pd

    from ctsim.steps.features import FeatureRecipe, engineer

    with recorded(namespace, run_id, "engineer-features") as record:
        contract = _contract(contract_json)
        recipe = FeatureRecipe.from_contract(contract)
        rows = pd.read_parquet(train_path)
        matrix = pd.DataFrame(engineer(rows, recipe), columns=list(recipe.output_columns))
        matrix[contract.label] = rows[contract.label].to_numpy()
        matrix.to_parquet(features_path, index=False)
        record.update(columns=list(recipe.output_columns))
    return list(recipe.output_columns)


def train_model(namespace: str, run_id: str, features_path: str, contract_json: str, training_json: str, seed: int,
                through_tick: int, sabotage: bool, model_path: str) -> str:
    """Fit the candidate; the incremental strategy continues from the verified champion."""
    import pandas as pd

    from ctsim.settings import TrainingSettings
    from ctsim.steps.training import train
    from ctsim.trust import SigningKey, write_sealed_model

    with recorded(namespace, run_id, "train-model") as record:
        settings = TrainingSettings.model_validate_json(training_json)
        registry = _registry(namespace)
        champion = registry.alias("champion")
        warm = registry.load(champion.version) if champion and settings.strategy == "incremental" else None
        model = train(pd.read_parquet(features_path), _contract(contract_json), settings, seed=seed,
                      through_tick=through_tick, warm_start=warm, sabotage=sabotage)
        # Sealed with the run's key: evaluate and register refuse a file anyone else wrote.
        write_sealed_model(SigningKey.required(), model, model_path)
        record.update(strategy=settings.strategy, warm_start=champion.version if warm else None, sabotaged=sabotage)
    return settings.strategy


def evaluate_model(namespace: str, run_id: str, model_path: str, holdout_path: str, contract_json: str,
                   gate_json: str) -> tuple[bool, float, float, str, str]:
    """Score candidate and champion on the same fresh holdout and apply the model gate."""
    import pandas as pd

    from ctsim.gates.model_gate import check_model
    from ctsim.settings import ModelGateSettings
    from ctsim.steps.training import score
    from ctsim.trust import SigningKey, read_sealed_model

    with recorded(namespace, run_id, "evaluate-model") as record:
        settings = ModelGateSettings.model_validate_json(gate_json)
        label = _contract(contract_json).label
        holdout = pd.read_parquet(holdout_path)
        candidate = read_sealed_model(SigningKey.required(), model_path)  # verified: sealed by train
        candidate_score = score(candidate, holdout, label, settings.metric)
        registry = _registry(namespace)
        champion = registry.alias("champion")
        champion_score = score(registry.load(champion.version), holdout, label, settings.metric) if champion else None
        decision = check_model(candidate_score, champion_score, settings)
        record.update(decision=decision.to_dict(), summary=decision.summary(), candidate=candidate_score,
                      champion=champion_score, champion_version=champion.version if champion else "",
                      holdout_rows=len(holdout))
    nan = float("nan")
    return (decision.passed, candidate_score, nan if champion_score is None else champion_score,
            champion.version if champion else "", decision.summary())


def register_model(namespace: str, run_id: str, model_path: str, metric: str, candidate_score: float,
                   pipeline_sha256: str, first_tick: int, last_tick: int, as_of_tick: int) -> str:
    from ctsim.trust import SigningKey, read_sealed_payload

    with recorded(namespace, run_id, "register-model") as record:
        # The train step's sealed pickle, verified and registered as bytes: unpickling would import
        # scikit-learn (~1 s) for nothing.
        artifact = read_sealed_payload(SigningKey.required(), model_path)
        registered = _registry(namespace).register_artifact(
            artifact, metric=metric, metrics={metric: candidate_score}, run_id=run_id, pipeline_sha256=pipeline_sha256,
            data_snapshot={"first_tick": first_tick, "last_tick": last_tick, "as_of_tick": as_of_tick},
            created_tick=as_of_tick)
        record.update(version=registered.version, artifact_sha256=registered.artifact_sha256)
    return registered.version


def start_canary(namespace: str, run_id: str, version: str, tick: int) -> str:
    """Hand the version to the deployment: the canary alias, or champion when there is none yet."""
    with recorded(namespace, run_id, "start-canary") as record:
        registry = _registry(namespace)
        if registry.alias("champion") is None:
            registry.set_alias("champion", version, expected=None, tick=tick, reason="first model")
            record.update(alias="champion", version=version)
            return "champion"
        registry.start_canary(version, tick=tick)
        record.update(alias="canary", version=version)
    return "canary"


def raise_alert(namespace: str, run_id: str, kind: str, message: str) -> None:
    """Record an alert in the run's prefix and POST it to the webhook when one is configured."""
    alert = {"kind": kind, "message": message, "run_id": run_id}
    try:
        from ctsim.store import Layout

        store, layout = _store(), Layout(namespace)
        seq = len(store.list(layout.run(run_id) + "alerts/"))
        store.put(layout.alert(run_id, seq), json.dumps(alert, sort_keys=True).encode(), content_type="application/json")
    except CtsimError as exc:
        # The store may be the thing that broke: the alert must still get out.
        print(f"ALERT ({kind}) could not be stored: {exc}")
    post_webhook(alert)
    print(f"ALERT ({kind}): {message}")


WEBHOOK_DEADLINE_S = 10.0


def post_webhook(alert: dict[str, Any]) -> None:
    """POST the alert as JSON, all of it within WEBHOOK_DEADLINE_S. ``https://user:password@host/...`` works:
    the user-info becomes a Basic Authorization header. Failures print their kind only (the URL holds tokens)."""
    url = os.environ.get(WEBHOOK_VAR, "").strip()
    if not url:
        return
    from urllib.parse import unquote, urlsplit, urlunsplit

    import urllib3

    from ctsim.deadline import deadline_pool_manager, operation

    headers = {"Content-Type": "application/json"}
    try:
        parts = urlsplit(url)
        if parts.username is not None:
            credentials = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            headers.update(urllib3.util.make_headers(basic_auth=credentials))
            url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        with operation(WEBHOOK_DEADLINE_S) as running:
            response = deadline_pool_manager(connect_s=3.0, read_s=5.0, maxsize=1).request(
                "POST", url, body=json.dumps(alert).encode(), headers=headers)
        if running.expired:
            print(f"alert webhook failed: no answer within {WEBHOOK_DEADLINE_S:g} s")
        elif response.status >= 400:
            print(f"alert webhook failed: HTTP {response.status}")
    except (urllib3.exceptions.HTTPError, OSError, ValueError) as exc:
        print(f"alert webhook failed: {type(exc).__name__}")


def finish_run(namespace: str, run_id: str, state: str, error: str) -> None:
    """The exit handler: alert on any failure of the run."""
    if state != "SUCCEEDED":
        raise_alert(namespace, run_id, "pipeline-failed", f"pipeline run {run_id} ended {state}: {error}".strip())


def _contract(contract_json: str) -> DataContract:
    from ctsim.contract import DataContract

    return DataContract.from_dict(json.loads(contract_json))


def _registry(namespace: str) -> Registry:
    from ctsim.registry import Registry
    from ctsim.store import Layout

    return Registry(_store(), Layout(namespace))


__all__ = ["collect_data", "engineer_features", "evaluate_model", "finish_run", "preprocess", "raise_alert",
           "register_model", "start_canary", "train_model", "validate_data"]
