"""An API double of the Kubeflow Pipelines v2beta1 REST API: not KFP, a stand-in for the few endpoints ctsim uses.

A real HTTP server (``http.server`` in a thread on 127.0.0.1, a free port) so
``kfp.Client`` goes through its whole HTTP stack. It implements: healthz;
pipelines list / upload / upload_version; pipeline versions list; experiments
list / create; recurring runs list / create / disable; runs create / get.

Every request is recorded. JSON bodies are checked against the
``kfp_server_api`` models the real server's clients are generated from: no
keys the model does not know, deserialisable into the model, and the fields
the real server requires present; a violation answers HTTP 400 and is kept in
``violations`` so a test can assert there were none. Uploads must be a
multipart ``uploadfile`` holding a compiled pipeline spec.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import kfp_server_api
import yaml

API = "/apis/v2beta1"


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any = None  # parsed JSON, or {"uploadfile_sha256": ...} for uploads


@dataclass
class State:
    pipelines: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)  # version id -> uploaded bytes
    experiments: dict[str, Any] = field(default_factory=dict)
    recurring_runs: dict[str, Any] = field(default_factory=dict)
    runs: dict[str, Any] = field(default_factory=dict)


class BadRequest(Exception):
    pass


class KfpApiDouble:
    """Start with ``with KfpApiDouble() as api:``; ``api.url`` is the host to give ``kfp.Client``."""

    def __init__(self, status_override: int | None = None):
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.state = State()
        self.status_override = status_override  # e.g. 401 to play an API behind authentication
        self._client = kfp_server_api.ApiClient()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> KfpApiDouble:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- what tests look at -------------------------------------------------
    def calls(self, method: str, suffix: str) -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path == API + suffix]

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    # --- the server ---------------------------------------------------------
    def _handler(self):
        double = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output quiet
                pass

            def do_GET(self) -> None:
                double._serve(self, "GET")

            def do_POST(self) -> None:
                double._serve(self, "POST")

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        parsed = urlparse(handler.path)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        record = Recorded(method, parsed.path, query)
        with self._lock:
            self.requests.append(record)
            try:
                if self.status_override:
                    status, payload = self.status_override, {"error": "denied by the API double", "code": 16}
                else:
                    status, payload = self._route(method, parsed.path, query, raw, handler.headers, record)
            except BadRequest as exc:
                self.violations.append(f"{method} {parsed.path}: {exc}")
                status, payload = 400, {"error": str(exc), "code": 3}
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _route(self, method, path, query, raw, headers, record) -> tuple[int, Any]:
        parts = path.removeprefix(API).strip("/").split("/")
        if method == "GET" and parts == ["healthz"]:
            return 200, {"commit_sha": "api-double", "tag_name": "2.17.3", "multi_user": False}
        if method == "GET" and parts == ["pipelines"]:
            return 200, self._listing("pipelines", self.state.pipelines.values(), query)
        if method == "POST" and parts == ["pipelines", "upload"]:
            return 200, self._upload_pipeline(query, raw, headers, record)
        if method == "POST" and parts == ["pipelines", "upload_version"]:
            return 200, self._upload_version(query, raw, headers, record)
        if method == "GET" and len(parts) == 3 and parts[0] == "pipelines" and parts[2] == "versions":
            versions = [v for v in self.state.versions.values() if v.pipeline_id == parts[1]]
            return 200, self._listing("pipeline_versions", versions, query)
        if method == "GET" and parts == ["experiments"]:
            return 200, self._listing("experiments", self.state.experiments.values(), query)
        if method == "POST" and parts == ["experiments"]:
            return 200, self._create_experiment(raw, record)
        if method == "GET" and parts == ["recurringruns"]:
            runs = [
                r
                for r in self.state.recurring_runs.values()
                if not query.get("experiment_id") or r.experiment_id == query["experiment_id"]
            ]
            return 200, self._listing("recurringRuns", runs, query)
        if method == "POST" and parts == ["recurringruns"]:
            return 200, self._create_recurring_run(raw, record)
        if method == "POST" and len(parts) == 2 and parts[0] == "recurringruns" and parts[1].endswith(":disable"):
            run = self.state.recurring_runs.get(parts[1].removesuffix(":disable"))
            if run is None:
                return 404, {"error": f"no recurring run {parts[1]}", "code": 5}
            run.mode = "DISABLE"
            return 200, {}
        if method == "POST" and parts == ["runs"]:
            return 200, self._create_run(raw, record)
        if method == "GET" and len(parts) == 2 and parts[0] == "runs" and parts[1] in self.state.runs:
            run = self.state.runs[parts[1]]
            run.state = "SUCCEEDED"  # runs in the double finish as soon as they are looked at
            return 200, self._json(run)
        return 404, {"error": f"the API double does not implement {method} {path}", "code": 5}

    # --- handlers -----------------------------------------------------------
    def _upload_pipeline(self, query, raw, headers, record) -> Any:
        name = query.get("name") or query.get("display_name")
        if not name:
            raise BadRequest("upload needs a name")
        if any(p.display_name == name for p in self.state.pipelines.values()):
            raise BadRequest(f"a pipeline named {name!r} already exists")
        spec = self._uploaded_spec(raw, headers, record)
        pipeline = kfp_server_api.V2beta1Pipeline(
            pipeline_id=_id(), display_name=name, description=query.get("description")
        )
        self.state.pipelines[pipeline.pipeline_id] = pipeline
        self._add_version(pipeline.pipeline_id, name, spec)  # as KFP does: the first version takes the pipeline's name
        return self._json(pipeline)

    def _upload_version(self, query, raw, headers, record) -> Any:
        name, pipeline_id = query.get("name"), query.get("pipelineid")
        if not name or pipeline_id not in self.state.pipelines:
            raise BadRequest(f"upload_version needs a name and an existing pipelineid, got {name!r}, {pipeline_id!r}")
        if any(v.display_name == name and v.pipeline_id == pipeline_id for v in self.state.versions.values()):
            raise BadRequest(f"pipeline {pipeline_id} already has a version named {name!r}")
        spec = self._uploaded_spec(raw, headers, record)
        return self._json(self._add_version(pipeline_id, name, spec))

    def _add_version(self, pipeline_id: str, name: str, spec: bytes) -> Any:
        version = kfp_server_api.V2beta1PipelineVersion(
            pipeline_id=pipeline_id, pipeline_version_id=_id(), display_name=name
        )
        self.state.versions[version.pipeline_version_id] = version
        self.state.uploads[version.pipeline_version_id] = spec
        return version

    def _create_experiment(self, raw, record) -> Any:
        body = self._validated(raw, "V2beta1Experiment", required=("display_name",), record=record)
        if any(e.display_name == body.display_name for e in self.state.experiments.values()):
            raise BadRequest(f"an experiment named {body.display_name!r} already exists")
        body.experiment_id = _id()
        self.state.experiments[body.experiment_id] = body
        return self._json(body)

    def _create_recurring_run(self, raw, record) -> Any:
        body = self._validated(raw, "V2beta1RecurringRun", required=("display_name", "trigger", "mode"), record=record)
        self._check_pipeline_reference(body)
        if body.experiment_id not in self.state.experiments:
            raise BadRequest(f"unknown experiment_id {body.experiment_id!r}")
        cron, periodic = body.trigger.cron_schedule, body.trigger.periodic_schedule
        if (cron is None) == (periodic is None):
            raise BadRequest("a trigger needs exactly one of cron_schedule and periodic_schedule")
        if cron is not None and len((cron.cron or "").split()) != 6:
            raise BadRequest(f"KFP cron must have six fields (seconds first), got {cron.cron!r}")
        if periodic is not None and not int(periodic.interval_second or 0) > 0:
            raise BadRequest("periodic_schedule.interval_second must be positive")
        if body.mode not in ("ENABLE", "DISABLE"):
            raise BadRequest(f"mode must be ENABLE or DISABLE, got {body.mode!r}")
        body.recurring_run_id = _id()
        self.state.recurring_runs[body.recurring_run_id] = body
        return self._json(body)

    def _create_run(self, raw, record) -> Any:
        body = self._validated(raw, "V2beta1Run", required=("display_name",), record=record)
        self._check_pipeline_reference(body)
        body.run_id, body.state = _id(), "PENDING"
        self.state.runs[body.run_id] = body
        return self._json(body)

    # --- validation ---------------------------------------------------------
    def _validated(self, raw: bytes, model: str, required: tuple[str, ...], record: Recorded) -> Any:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise BadRequest(f"body is not JSON: {exc}") from None
        record.body = data
        known = set(getattr(kfp_server_api, model).attribute_map.values())
        unknown = sorted(set(data) - known)
        if unknown:
            raise BadRequest(f"{model} has no field(s) {unknown}")
        try:
            body = self._client.deserialize(_Raw(raw), model)
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"body does not deserialize into {model}: {exc}") from None
        missing = [name for name in required if getattr(body, name) in (None, "")]
        if missing:
            raise BadRequest(f"{model} is missing required field(s) {missing}")
        return body

    def _check_pipeline_reference(self, body: Any) -> None:
        ref = body.pipeline_version_reference
        if (
            ref is None
            or ref.pipeline_version_id not in self.state.versions
            or self.state.versions[ref.pipeline_version_id].pipeline_id != ref.pipeline_id
        ):
            raise BadRequest("pipeline_version_reference must name an uploaded pipeline and one of its versions")
        params = (body.runtime_config.parameters if body.runtime_config else None) or {}
        declared = _declared_inputs(self.state.uploads[ref.pipeline_version_id])
        undeclared = sorted(set(params) - declared)
        if undeclared:
            raise BadRequest(f"runtime_config.parameters not declared by the pipeline: {undeclared}")

    def _uploaded_spec(self, raw: bytes, headers, record: Recorded) -> bytes:
        content_type = headers.get("Content-Type", "")
        if not content_type.startswith("multipart/form-data"):
            raise BadRequest(f"upload must be multipart/form-data, got {content_type!r}")
        message = email.message_from_bytes(
            f"Content-Type: {content_type}\r\n\r\n".encode() + raw, policy=email.policy.HTTP
        )
        files = {
            part.get_param("name", header="content-disposition"): part.get_payload(decode=True)
            for part in message.iter_parts()
        }
        if "uploadfile" not in files:
            raise BadRequest(f"upload needs a part named uploadfile, got {sorted(files)}")
        spec = files["uploadfile"]
        try:
            document = _pipeline_spec(spec)
            document["pipelineInfo"]["name"]
        except (yaml.YAMLError, TypeError, KeyError, ValueError) as exc:
            raise BadRequest(f"uploadfile is not a compiled pipeline spec: {exc}") from None
        record.body = {"uploadfile_sha256": hashlib.sha256(spec).hexdigest()}
        return spec

    # --- serialisation ------------------------------------------------------
    def _json(self, model: Any) -> Any:
        return self._client.sanitize_for_serialization(model)

    def _listing(self, key: str, items, query: dict[str, str]) -> dict[str, Any]:
        items = [item for item in items if _matches(item, query.get("filter"))]
        size = int(query.get("page_size") or 100)
        start = int(query.get("page_token") or 0)
        page = items[start : start + size]
        result: dict[str, Any] = {key: [self._json(item) for item in page], "total_size": len(items)}
        if start + size < len(items):
            result["next_page_token"] = str(start + size)
        return result


class _Raw:
    def __init__(self, data: bytes):
        self.data = data


def _id() -> str:
    return str(uuid.uuid4())


def _matches(item: Any, filter_json: str | None) -> bool:
    """The filter kfp.Client sends: EQUALS predicates on display_name."""
    if not filter_json:
        return True
    for predicate in json.loads(filter_json).get("predicates", []):
        if predicate.get("operation") not in ("EQUALS", 1) or predicate.get("key") not in ("display_name", "name"):
            raise BadRequest(f"the API double only filters on display_name EQUALS, got {predicate}")
        if getattr(item, "display_name", None) != predicate.get("stringValue", predicate.get("string_value")):
            return False
    return True


def _pipeline_spec(spec: bytes) -> dict[str, Any]:
    """The pipeline spec of an upload: one YAML document, optionally followed by a platform spec
    (``platforms: kubernetes: ...``, what kfp-kubernetes adds), as KFP's API server accepts."""
    documents = list(yaml.safe_load_all(spec))
    if not 1 <= len(documents) <= 2 or (len(documents) == 2 and set(documents[1] or {}) != {"platforms"}):
        raise ValueError(f"expected a pipeline spec and at most one platform spec, got {len(documents)} documents")
    return documents[0]


def _declared_inputs(spec: bytes) -> set[str]:
    document = _pipeline_spec(spec)
    return set(document.get("root", {}).get("inputDefinitions", {}).get("parameters", {}))
