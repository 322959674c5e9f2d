"""Probe policies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from linter.index import RepoIndex
from linter.k8s_graph import K8sGraph, k8s_graph
from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.k8s import K8sManifest, K8sObject
from linter.policy import CheckContext, policy
from linter.positions import value_loc
from linter.workload import Container, containers, is_job

SECTION = "Infrastructure"


def _senders(services: list[str]) -> str:
    """``Service/a sends``, ``Service/a and Service/b send``, ``Service/a, … and 2 more send``."""
    if len(services) == 1:
        return f"{services[0]} sends"
    if len(services) <= 3:
        return f"{', '.join(services[:-1])} and {services[-1]} send"
    return f"{', '.join(services[:3])} and {len(services) - 3} more send"


def _missing(
    ctx: CheckContext,
    objects: Iterable[K8sObject],
    key: str,
    what: str,
    graph: K8sGraph | None = None,
) -> Iterator[Finding]:
    for obj in objects:
        if is_job(obj):
            continue
        services: list[str] = []
        if graph is not None:  # once each: many files of a repo may define the same Service
            services = list(dict.fromkeys(s.label for s in graph.services_selecting(obj)))
        for c in containers(obj):
            if not isinstance(c.data.get(key), dict):
                if services:
                    yield ctx.finding(
                        c.name_loc(),
                        f"Container `{c.name}` of {obj.label} has no {what} probe although "
                        f"{_senders(services)} it traffic.",
                        severity=Severity.HIGH,
                    )
                else:
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
    scope="repo",
)
def missing_readiness(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports long-running containers (Deployment, StatefulSet, DaemonSet, ReplicaSet, Pod) without a
    `readinessProbe`. Jobs, CronJobs and init containers are exempt. When a Service of the scan
    selects the pods, the finding is raised to high severity and names the Service.

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
    graph = k8s_graph(index)
    return _missing(ctx, graph.objects, "readinessProbe", "readiness", graph)


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
    return _missing(ctx, manifest.objects, "livenessProbe", "liveness")


PROBES = ("readinessProbe", "livenessProbe", "startupProbe")
HANDLERS = ("httpGet", "tcpSocket", "grpc", "exec")


def _handler(probe: Any) -> tuple[str, Any] | None:
    if not isinstance(probe, dict):
        return None
    for h in HANDLERS:
        if h in probe:
            return h, probe[h]
    return None


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@policy(
    id="k8s-identical-probes",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Readiness and liveness probes are identical",
    fix="Make the liveness probe check only that the process is alive (`/healthz`), and the "
    "readiness probe that it can serve (`/ready`, dependencies included).",
    tags=("reliability",),
    section=SECTION,
)
def identical_probes(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers whose `livenessProbe` uses the same handler (same `httpGet`,
    `tcpSocket`, `grpc` or `exec`) as their `readinessProbe`.

    ## Why is this bad
    When a dependency (database, downstream API) is slow, an identical liveness probe fails
    together with the readiness probe and Kubernetes restarts every pod at once: a brief
    brown-out becomes a full outage and a restart storm.

    ## Example
    ```yaml
    readinessProbe:
      httpGet: {path: /health, port: 8080}
    livenessProbe:
      httpGet: {path: /health, port: 8080}     # fails: same check
    ```
    Passes:
    ```yaml
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
    livenessProbe:
      httpGet: {path: /healthz, port: 8080}
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj):
            ready = _handler(c.data.get("readinessProbe"))
            live = _handler(c.data.get("livenessProbe"))
            if ready is None or live is None:
                continue
            if ready[0] == live[0] and _plain(ready[1]) == _plain(live[1]):
                yield ctx.finding(
                    c.key_loc("livenessProbe"),
                    f"Liveness and readiness probes of container `{c.name}` of {obj.label} are "
                    f"identical ({live[0]}).",
                )


def _declared_ports(c: Container) -> tuple[set[str], set[int]] | None:
    ports = c.data.get("ports")
    if not isinstance(ports, list) or not ports:
        return None
    names: set[str] = set()
    numbers: set[int] = set()
    for p in ports:
        if not isinstance(p, dict):
            continue
        if isinstance(p.get("name"), str):
            names.add(p["name"])
        num = p.get("containerPort")
        if isinstance(num, int) and not isinstance(num, bool):
            numbers.add(int(num))
    return names, numbers


@policy(
    id="k8s-probe-port-mismatch",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Probe targets a port the container does not declare",
    fix="Point the probe at a port listed in the container's `ports` (by its name or "
    "`containerPort`), or declare the port.",
    tags=("reliability",),
    section=SECTION,
)
def probe_port_mismatch(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports `httpGet`, `tcpSocket` and `grpc` probes (readiness, liveness, startup) whose
    `port` is a name that no entry of the container's `ports` carries, or a number that is not
    one of its `containerPort`s (numbers are only checked when the container lists ports).

    ## Why is this bad
    A named port that does not exist makes the pod fail validation or the probe error forever;
    a probe on the wrong number never succeeds, so the pod is never ready (or is restarted in a
    loop) — usually after a port change in one place only.

    ## Example
    ```yaml
    ports:
      - name: http
        containerPort: 8080
    readinessProbe:
      httpGet: {path: /ready, port: web}     # fails: no port named web
    livenessProbe:
      tcpSocket: {port: 9090}                # fails: 9090 is not declared
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            declared = _declared_ports(c)
            for probe_key in PROBES:
                handler = _handler(c.data.get(probe_key))
                if handler is None or handler[0] == "exec" or not isinstance(handler[1], dict):
                    continue
                body = handler[1]
                port = body.get("port")
                if port is None:
                    continue
                loc = value_loc(c.obj.source, body, "port", c.logical) or c.key_loc(probe_key)
                if isinstance(port, str) and not port.isdigit():
                    if "{{" in port or "$" in port:
                        continue
                    names = declared[0] if declared else set()
                    if port not in names:
                        yield ctx.finding(
                            loc,
                            f"{probe_key} of container `{c.name}` of {obj.label} uses port "
                            f"`{port}`, which the container does not declare.",
                        )
                elif declared is not None and isinstance(port, int | str):
                    if isinstance(port, bool):
                        continue
                    number = int(port)
                    if number not in declared[1]:
                        shown = ", ".join(str(n) for n in sorted(declared[1])) or "none"
                        yield ctx.finding(
                            loc,
                            f"{probe_key} of container `{c.name}` of {obj.label} uses port "
                            f"{number}, not one of the container's ports ({shown}).",
                        )
