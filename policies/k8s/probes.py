"""Probe policies."""

from __future__ import annotations

from collections.abc import Iterator

from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.k8s import K8sManifest
from linter.policy import CheckContext, policy
from linter.workload import containers, is_job

SECTION = "Infrastructure"


def _missing(ctx: CheckContext, manifest: K8sManifest, key: str, what: str) -> Iterator[Finding]:
    for obj in manifest.objects:
        if is_job(obj):
            continue
        for c in containers(obj):
            if not isinstance(c.data.get(key), dict):
                yield ctx.finding(
                    c.name_loc(),
                    f"Container `{c.name}` of {obj.label} has no {what} probe.",
                )


@policy(
    id="k8s-missing-readiness-probe",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container has no readiness probe",
    fix="Add a `readinessProbe` (e.g. `httpGet: {path: /ready, port: http}`) so traffic only "
    "reaches pods that can serve it.",
    tags=("reliability",),
    section=SECTION,
)
def missing_readiness(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports long-running containers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod) without a
    `readinessProbe`. Jobs, CronJobs and init containers are exempt.

    ## Why is this bad
    Without a readiness probe a pod receives traffic from its Service as soon as the process
    starts, before it can serve, and keeps receiving it while it is overloaded or shutting down.

    ## Example
    ```yaml
    containers:
      - name: api            # fails: no readinessProbe
        image: ghcr.io/acme/api:1.4.2
    ```
    Passes:
    ```yaml
    containers:
      - name: api
        image: ghcr.io/acme/api:1.4.2
        readinessProbe:
          httpGet: {path: /ready, port: 8080}
    ```
    """
    return _missing(ctx, manifest, "readinessProbe", "readiness")


@policy(
    id="k8s-missing-liveness-probe",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container has no liveness probe",
    fix="Add a `livenessProbe` that fails only when the process is wedged (e.g. `httpGet: "
    "{path: /healthz, port: http}`), distinct from the readiness probe.",
    tags=("reliability",),
    section=SECTION,
)
def missing_liveness(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports long-running containers without a `livenessProbe`. Jobs, CronJobs and init
    containers are exempt.

    ## Why is this bad
    A deadlocked or wedged process keeps its pod "Running" forever; Kubernetes only restarts it
    when a liveness probe fails.

    ## Example
    ```yaml
    containers:
      - name: api            # fails: no livenessProbe
        image: ghcr.io/acme/api:1.4.2
    ```
    Passes:
    ```yaml
    containers:
      - name: api
        livenessProbe:
          httpGet: {path: /healthz, port: 8080}
    ```
    """
    return _missing(ctx, manifest, "livenessProbe", "liveness")
