"""Apply a promotion plan to a KFP API with ``kfp.Client``: create or reuse, never duplicate.

Every object is looked up by name first (pipeline, version named after the
spec hash, experiment, recurring run), so promoting the same pipeline twice
changes nothing the second time. Connection and authentication failures
become one ``ClusterError`` line; kfp's own chatter (it prints links) is kept
off the terminal, since only the CLI prints.
"""

from __future__ import annotations

import contextlib
import io
import json
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ctsim.deadline import deadline_pool_manager
from ctsim.deadline import operation as deadline_operation
from ctsim.errors import ClusterError, CtsimError
from ctsim.promote.plan import PipelinePlan, PromotionPlan, RecurringRunPlan, run_prefixes

HEALTHZ = "/apis/v2beta1/healthz"
PREFLIGHT_TIMEOUT = 5.0
API_CONNECT_TIMEOUT_S = 5.0
API_READ_TIMEOUT_S = 30.0
API_DEADLINE_S = 120.0  # one block of KFP API calls (a whole promotion), however slowly the server answers


@dataclass(frozen=True)
class Action:
    verb: str  # "created", "reused" or "disabled"
    what: str
    name: str
    ident: str

    def line(self) -> str:
        return f"{self.verb:<8} {self.what:<14} {self.name}  ({self.ident})"


def preflight(host: str) -> None:
    """One quick GET of the health endpoint, so an unreachable host fails in seconds with one clear line."""
    url = host.rstrip("/") + HEALTHZ
    try:
        with urllib.request.urlopen(url, timeout=PREFLIGHT_TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):
            raise ClusterError(
                f"the KFP API at {host} refused access (HTTP {exc.code}): check your credentials "
                "or use the port-forward from `ctsim cluster up`"
            ) from None
        raise ClusterError(
            f"the KFP API at {host} answered HTTP {exc.code} on {HEALTHZ}: is this a KFP endpoint?"
        ) from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ClusterError(
            f"cannot reach the KFP API at {host} ({reason}); start the cluster and its port-forward "
            "with `ctsim cluster up`, or pass the right --host"
        ) from None


@contextlib.contextmanager
def translated(host: str, deadline_s: float | None = None) -> Iterator[None]:
    """kfp/kfp_server_api/urllib3 failures as one ClusterError line; kfp's prints swallowed. The whole block
    runs within ``deadline_s`` (default ``API_DEADLINE_S``): a server that stalls or drips is cut off."""
    import kfp_server_api
    import urllib3

    limit = API_DEADLINE_S if deadline_s is None else deadline_s
    try:
        with deadline_operation(limit) as running, contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            late = ClusterError(
                f"the KFP API at {host} did not finish within {limit:g} s (it answers too slowly or not at all)"
            )
            try:
                yield
            except (
                urllib3.exceptions.HTTPError,
                OSError,
                TimeoutError,
                ValueError,
                kfp_server_api.ApiException,
            ) as exc:
                if running.expired:
                    raise late from None
                raise exc
            if running.expired:  # a reply cut at the deadline may have looked complete
                raise late
    except CtsimError:
        raise
    except kfp_server_api.ApiException as exc:
        if exc.status in (401, 403):
            raise ClusterError(
                f"the KFP API at {host} refused access (HTTP {exc.status}): check your credentials"
            ) from None
        detail = _first_line(exc.body) or exc.reason
        raise ClusterError(f"the KFP API at {host} failed (HTTP {exc.status}): {detail}") from None
    except (urllib3.exceptions.HTTPError, OSError, TimeoutError) as exc:
        raise ClusterError(f"talking to the KFP API at {host} failed: {_first_line(str(exc))}") from None
    except ValueError as exc:  # kfp.Client's own checks, e.g. two pipelines with the same name
        raise ClusterError(f"the KFP API at {host}: {_first_line(str(exc))}") from None


def connect(host: str):
    """A ``kfp.Client`` for ``host`` after a quick reachability check."""
    import kfp

    preflight(host)
    with translated(host):
        client = kfp.Client(host=host)
    _bound_every_call(client)
    return client


def _bound_every_call(client: Any) -> None:
    """Give kfp's REST client connect and read timeouts and sockets the deadline watchdog can cut
    (kfp.Client sets neither: a call to a stalled server waits for ever)."""
    rest = getattr(getattr(getattr(client, "_run_api", None), "api_client", None), "rest_client", None)
    if rest is not None and type(getattr(rest, "pool_manager", None)).__name__ == "PoolManager":  # not a proxy
        rest.pool_manager = deadline_pool_manager(connect_s=API_CONNECT_TIMEOUT_S, read_s=API_READ_TIMEOUT_S)


def apply_plan(client: Any, plan: PromotionPlan) -> list[Action]:
    """Create what is missing, reuse what exists; returns what was done, in order."""
    actions: list[Action] = []
    with translated(plan.host):
        versions = {"training": _ensure_version(client, plan.training, actions)}
        versions["trigger-check"] = _ensure_version(client, plan.trigger_check, actions)
        experiment_id = _ensure_experiment(client, plan.experiment, actions)
        existing = _recurring_runs(client, experiment_id)
        for run in plan.recurring_runs:
            _ensure_recurring_run(client, experiment_id, run, versions[run.pipeline], existing, actions)
        _disable_superseded(client, plan, existing, actions)
    return actions


def _ensure_version(client: Any, pipeline: PipelinePlan, actions: list[Action]) -> tuple[str, str]:
    pipeline_id = client.get_pipeline_id(pipeline.name)
    if pipeline_id is None:
        created = client.upload_pipeline(
            pipeline.package, pipeline_name=pipeline.name, description=f"{pipeline.name}, promoted by ctsim promote"
        )
        pipeline_id = created.pipeline_id
        actions.append(Action("created", "pipeline", pipeline.name, pipeline_id))
    else:
        actions.append(Action("reused", "pipeline", pipeline.name, pipeline_id))
    version_id = find_version(client, pipeline_id, pipeline.version)
    if version_id is None:
        version = client.upload_pipeline_version(
            pipeline.package, pipeline.version, pipeline_id=pipeline_id, description=f"spec sha256 {pipeline.sha256}"
        )
        version_id = version.pipeline_version_id
        actions.append(Action("created", "version", pipeline.version, version_id))
    else:
        actions.append(Action("reused", "version", pipeline.version, version_id))
    return pipeline_id, version_id


def find_version(client: Any, pipeline_id: str, name: str) -> str | None:
    found = client.list_pipeline_versions(pipeline_id, page_size=10, filter=_name_filter(name))
    matches = [v for v in found.pipeline_versions or [] if v.display_name == name]
    return matches[0].pipeline_version_id if matches else None


def _ensure_experiment(client: Any, name: str, actions: list[Action]) -> str:
    found = client.list_experiments(page_size=10, filter=_name_filter(name))
    matches = [e for e in found.experiments or [] if e.display_name == name]
    if matches:
        actions.append(Action("reused", "experiment", name, matches[0].experiment_id))
        return matches[0].experiment_id
    experiment = client.create_experiment(name, description="ctsim promoted pipelines")
    actions.append(Action("created", "experiment", name, experiment.experiment_id))
    return experiment.experiment_id


def _recurring_runs(client: Any, experiment_id: str) -> dict[str, Any]:
    """The experiment's recurring runs by name."""
    found, token = {}, ""
    while True:
        page = client.list_recurring_runs(page_token=token, page_size=100, experiment_id=experiment_id)
        found.update({r.display_name: r for r in page.recurring_runs or []})
        token = page.next_page_token or ""
        if not token:
            return found


def _disable_superseded(client: Any, plan: PromotionPlan, existing: dict[str, Any], actions: list[Action]) -> None:
    """Runs an earlier promotion of this scenario created for another pipeline hash: one version schedules at a time."""
    planned = {run.name for run in plan.recurring_runs}
    for name, run in sorted(existing.items()):
        if name not in planned and name.startswith(run_prefixes(plan.scenario)) and run.mode != "DISABLE":
            client.disable_recurring_run(run.recurring_run_id)
            actions.append(Action("disabled", "recurring run", name, run.recurring_run_id))


def _ensure_recurring_run(
    client: Any,
    experiment_id: str,
    run: RecurringRunPlan,
    version: tuple[str, str],
    existing: dict[str, Any],
    actions: list[Action],
) -> None:
    if run.name in existing:
        actions.append(Action("reused", "recurring run", run.name, existing[run.name].recurring_run_id))
        return
    pipeline_id, version_id = version
    created = client.create_recurring_run(
        experiment_id,
        run.name,
        description=run.why,
        cron_expression=run.cron,
        interval_second=run.interval_second,
        max_concurrency=1,
        no_catchup=True,
        params=run.parameters,
        pipeline_id=pipeline_id,
        version_id=version_id,
    )
    actions.append(Action("created", "recurring run", run.name, created.recurring_run_id))


def _name_filter(name: str) -> str:
    return json.dumps({"predicates": [{"operation": "EQUALS", "key": "display_name", "stringValue": name}]})


def _first_line(text: Any) -> str:
    return str(text or "").strip().splitlines()[0][:300] if str(text or "").strip() else ""
