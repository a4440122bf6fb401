"""What each pipeline component does, between loading its inputs and saving its outputs.

The KFP components of the library (``library.py``) and of the reference
pipeline (``components.py``) are one-line wrappers around these functions, so
the component source embedded in the compiled YAML stays tiny and the work is
ordinary, testable Python. Components find the object store through
environment variables, as they would on a cluster, and what the simulator
hands the run (contract, gates, training settings) in the run's
``settings.json``; every task writes a step record under the run's prefix,
which is how the simulator (or anyone looking at the bucket) learns what the
run decided.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ctsim.errors import CtsimError, PipelineError, StoreError

if TYPE_CHECKING:
    from ctsim.pipeline.artifacts import ModelArtifact
    from ctsim.pipeline.runsettings import RunSettings
    from ctsim.registry import Registry
    from ctsim.steps.model import ServableModel
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
    _store().put(
        Layout(namespace).step_record(run_id, step),
        json.dumps(record, sort_keys=True).encode(),
        content_type="application/json",
    )


def run_settings(namespace: str, run_id: str) -> RunSettings:
    """What the simulator handed this run (contract, gates, training, window), read from the store."""
    from ctsim.pipeline.runsettings import read_run_settings
    from ctsim.store import Layout

    return read_run_settings(_store(), Layout(namespace), run_id)


def collect_data(namespace: str, run_id: str, first_tick: int, last_tick: int, snapshot_path: str) -> int:
    """Snapshot the labelled rows of a lake window into the run's Dataset artifact.

    Labels are those known at the run's ``as_of_tick`` (feedback arrives late): from the run settings.
    """
    from ctsim import lake
    from ctsim.store import Layout

    with recorded(namespace, run_id, "collect-data") as record:
        as_of_tick = max(last_tick, run_settings(namespace, run_id).as_of_tick)
        store, layout = _store(), Layout(namespace)
        production = lake.read_window(store, layout, "production", first_tick, last_tick)
        feedback = lake.read_window(store, layout, "feedback", first_tick, as_of_tick)
        external = lake.read_window(store, layout, "external", first_tick, last_tick)
        rows = lake.labelled_rows(production, feedback, external)
        rows.to_parquet(snapshot_path, index=False)
        record.update(rows=len(rows), window=[first_tick, last_tick], as_of_tick=as_of_tick)
    return len(rows)


def validate_data(namespace: str, run_id: str, snapshot_path: str) -> tuple[bool, str]:
    """The data gate on the snapshot, with the scenario's contract and data-gate settings."""
    import pandas as pd

    from ctsim.gates.data_gate import check_data

    with recorded(namespace, run_id, "validate-data") as record:
        settings = run_settings(namespace, run_id)
        decision = check_data(pd.read_parquet(snapshot_path), settings.data_contract(), settings.data_gate)
        record.update(decision=decision.to_dict(), summary=decision.summary())
    return decision.passed, decision.summary()


def split_data(
    namespace: str, run_id: str, snapshot_path: str, train_path: str, holdout_path: str, step: str = "split-data"
) -> int:
    """Clean rows (known labels, finite features, no duplicates), then hold out the freshest share."""
    import pandas as pd

    from ctsim.steps.features import clean, split_by_recency

    with recorded(namespace, run_id, step) as record:
        settings = run_settings(namespace, run_id)
        cleaned = clean(pd.read_parquet(snapshot_path), settings.data_contract())
        training, holdout = split_by_recency(cleaned, settings.training.holdout_share)
        training.to_parquet(train_path, index=False)
        holdout.to_parquet(holdout_path, index=False)
        record.update(train_rows=len(training), holdout_rows=len(holdout))
    return len(training)


def engineer_features(namespace: str, run_id: str, train_path: str, features_path: str) -> list[str]:
    """Materialise the model's input matrix, so the training step and humans see the same features."""
    import pandas as pd

    from ctsim.steps.features import feature_frame

    with recorded(namespace, run_id, "engineer-features") as record:
        settings = run_settings(namespace, run_id)
        contract = settings.data_contract()
        # The scenario's training.features (a team's function) when it names one, else ctsim's recipe.
        matrix = feature_frame(pd.read_parquet(train_path), contract, settings.training.features)
        matrix.to_parquet(features_path, index=False)
        columns = [column for column in matrix.columns if column != contract.label]
        record.update(columns=columns)
    return columns


def train_model(namespace: str, run_id: str, features_path: str, model: ModelArtifact) -> str:
    """Fit the reference candidate; the incremental strategy continues from the verified champion."""
    import pandas as pd

    from ctsim.pipeline.artifacts import save_model
    from ctsim.steps.training import train

    with recorded(namespace, run_id, "train-model") as record:
        settings = run_settings(namespace, run_id)
        registry = _registry(namespace)
        incremental = settings.training.strategy == "incremental"
        champion = registry.alias("champion") if incremental else None
        warm = _continuable(registry, champion.version) if champion else None
        fitted = train(
            pd.read_parquet(features_path),
            settings.data_contract(),
            settings.training,
            seed=settings.seed,
            through_tick=settings.as_of_tick,
            warm_start=warm,
            sabotage=settings.sabotage,
        )
        save_model(fitted, model)
        record.update(
            strategy=settings.training.strategy,
            warm_start=champion.version if champion else None,
            sabotaged=settings.sabotage,
        )
    return settings.training.strategy


def evaluate_model(
    namespace: str, run_id: str, model: ModelArtifact, holdout_path: str
) -> tuple[bool, float, float, str, str]:
    """Score candidate and champion on the same fresh holdout and apply the model gate."""
    import pandas as pd

    from ctsim.gates.model_gate import check_model
    from ctsim.pipeline.artifacts import load_model
    from ctsim.steps.training import score

    with recorded(namespace, run_id, "evaluate-model") as record:
        settings = run_settings(namespace, run_id)
        gate, contract = settings.model_gate, settings.data_contract()
        holdout = pd.read_parquet(holdout_path)

        def on_holdout(fitted: object) -> float:
            return score(fitted, holdout, contract.label, gate.metric, task=contract.task, classes=contract.labels)

        candidate_score = on_holdout(load_model(model))
        registry = _registry(namespace)
        champion = registry.alias("champion")
        champion_score = on_holdout(registry.load(champion.version)) if champion else None
        decision = check_model(candidate_score, champion_score, gate)
        record.update(
            decision=decision.to_dict(),
            summary=decision.summary(),
            candidate=candidate_score,
            champion=champion_score,
            champion_version=champion.version if champion else "",
            holdout_rows=len(holdout),
        )
    nan = float("nan")
    return (
        decision.passed,
        candidate_score,
        nan if champion_score is None else champion_score,
        champion.version if champion else "",
        decision.summary(),
    )


def register_model(namespace: str, run_id: str, model: ModelArtifact, candidate_score: float) -> str:
    """Register the candidate's verified bytes as the next version (never unpickled here)."""
    from ctsim.pipeline.artifacts import read_model_bytes

    with recorded(namespace, run_id, "register-model") as record:
        settings = run_settings(namespace, run_id)
        registered = _registry(namespace).register_artifact(
            read_model_bytes(model),
            metric=settings.metric,
            metrics={settings.metric: candidate_score},
            run_id=run_id,
            pipeline_sha256=settings.pipeline_sha256,
            data_snapshot={
                "first_tick": settings.first_tick,
                "last_tick": settings.last_tick,
                "as_of_tick": settings.as_of_tick,
            },
            created_tick=settings.as_of_tick,
        )
        record.update(version=registered.version, artifact_sha256=registered.artifact_sha256)
    return registered.version


def start_canary(namespace: str, run_id: str, version: str) -> str:
    """Hand the version to the deployment: the canary alias, or champion when there is none yet."""
    with recorded(namespace, run_id, "start-canary") as record:
        tick = run_settings(namespace, run_id).as_of_tick
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
        store.put(
            layout.alert(run_id, seq), json.dumps(alert, sort_keys=True).encode(), content_type="application/json"
        )
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
                "POST", url, body=json.dumps(alert).encode(), headers=headers
            )
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


def _registry(namespace: str) -> Registry:
    from ctsim.registry import Registry
    from ctsim.store import Layout

    return Registry(_store(), Layout(namespace))


def _continuable(registry: Registry, version: str) -> ServableModel:
    """The champion the incremental strategy continues: only a model ctsim's train step wrote has what it needs."""
    from ctsim.steps.model import ServableModel

    champion = registry.load(version)
    if not isinstance(champion, ServableModel):
        raise PipelineError(
            f"the incremental strategy continues the champion, but {version} is a "
            f"{type(champion).__name__}, not a model ctsim's train step wrote (a ServableModel)"
        )
    return champion


__all__ = [
    "collect_data",
    "engineer_features",
    "evaluate_model",
    "finish_run",
    "raise_alert",
    "register_model",
    "run_settings",
    "split_data",
    "start_canary",
    "train_model",
    "validate_data",
]
