"""Which cluster promote may touch: it never targets a cluster it was not explicitly pointed at.

The rule (``check_target``, pure):

* ``--context NAME`` given: that context is the target, whatever its name
  (naming it is the explicit consent), and it must exist in the kubeconfig.
* no ``--context``: the current kube context must be a kind context
  (``kind-*``, what ``ctsim cluster up`` creates); anything else, say a
  production cluster you happen to be logged into, is refused.
* no kube context at all: fine only with an explicit ``--host`` (or
  ``KF_PIPELINES_ENDPOINT``), since the URL itself is then the explicit target.

The reader takes the current context from the kubeconfig file(s) named by
``KUBECONFIG`` (or ``~/.kube/config``) with yaml, so kubectl is not needed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from ctsim.errors import ClusterError

KIND_PREFIX = "kind-"


@dataclass(frozen=True)
class KubeConfig:
    current: str | None
    contexts: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Target:
    context: str | None
    reason: str


def check_target(kube: KubeConfig | None, requested: str | None, host_given: bool) -> Target:
    """The context promote may use, or ClusterError saying why not and what to pass."""
    if requested:
        if kube is None or requested not in kube.contexts:
            where = kube.source if kube else "no kubeconfig found"
            raise ClusterError(f"kube context {requested!r} not found ({where}); see `kubectl config get-contexts`")
        return Target(requested, f"kube context {requested} (named with --context)")
    current = kube.current if kube else None
    if current is None:
        if host_given:
            return Target(None, "no kube context; the API host was given explicitly")
        raise ClusterError(
            "no kube context and no KFP host: pass --host URL (or set KF_PIPELINES_ENDPOINT), "
            "or create a cluster with `ctsim cluster up`"
        )
    if not current.startswith(KIND_PREFIX):
        raise ClusterError(
            f"refusing to promote to kube context {current!r}: it is not a kind context; "
            f"name it explicitly with --context {current} if you mean it"
        )
    return Target(current, f"kind context {current}")


def read_kubeconfig(environ: dict[str, str] | None = None) -> KubeConfig | None:
    """The merged current context and context names, or None when there is no kubeconfig file."""
    env = os.environ if environ is None else environ
    named = env.get("KUBECONFIG", "")
    paths = [Path(p) for p in named.split(os.pathsep) if p] if named else [Path.home() / ".kube" / "config"]
    current, contexts, sources = None, [], []
    for path in paths:
        document = _load(path)
        if document is None:
            continue
        sources.append(str(path))
        current = current or document.get("current-context") or None  # the first file that sets it wins, as kubectl
        contexts += [str(c["name"]) for c in document.get("contexts") or [] if isinstance(c, dict) and c.get("name")]
    if not sources:
        return None
    return KubeConfig(current, tuple(contexts), ", ".join(sources))


def _load(path: Path) -> dict | None:
    if not path.is_file():
        return None
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ClusterError(f"cannot read kubeconfig {path}: {exc}".splitlines()[0]) from exc
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ClusterError(f"kubeconfig {path} is not a mapping")
    return document
