"""Availability: replicas, autoscaling, disruption budgets, spreading and rollout settings."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.index import RepoIndex
from linter.k8s_graph import HPA_KIND, get_path, k8s_graph, replicas
from linter.model import ArtifactKind, Confidence, Finding, Severity
from linter.parsers.k8s import K8sManifest, K8sObject
from linter.policy import CheckContext, policy
from linter.positions import value_loc
from linter.workload import containers

SECTION = "Infrastructure"
SCALED_KINDS = ("Deployment", "StatefulSet")


def _spec_value_loc(obj: K8sObject, key: str) -> Any:
    spec = obj.data.get("spec")
    return (
        value_loc(obj.source, spec, key, f"{obj.label} › spec") if isinstance(spec, dict) else None
    )


@policy(
    id="k8s-single-replica",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Workload runs a single replica",
    fix="Run at least 2 replicas (`replicas: 2`, or an HPA with `minReplicas: 2`) so a node "
    "drain or a crash does not take the service down.",
    tags=("reliability",),
    section=SECTION,
    scope="repo",
    options={
        "type": "object",
        "properties": {
            "min-replicas": {
                "type": "integer",
                "minimum": 1,
                "description": "Fewest replicas that pass (default 2).",
            }
        },
    },
    defaults={"min-replicas": 2},
)
def single_replica(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports Deployments and StatefulSets whose `replicas` is below `min-replicas` (default 2;
    an unset `replicas` means 1). A workload that an HorizontalPodAutoscaler targets is judged
    by the HPA's `minReplicas` instead (reported on that line).

    ## Why is this bad
    With one replica every deploy, node drain, eviction or crash is an outage.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 1      # fails
    ```
    """
    floor = int(ctx.options.get("min-replicas", 2))
    graph = k8s_graph(index)
    for obj in graph.of_kind(*SCALED_KINDS):
        hpas = graph.hpas_targeting(obj)
        if hpas:
            for h in hpas:
                min_r = get_path(h.data, "spec", "minReplicas")
                min_r = 1 if min_r is None else min_r
                if isinstance(min_r, int) and not isinstance(min_r, bool) and min_r < floor:
                    loc = _spec_value_loc(h, "minReplicas") or h.kind_loc()
                    yield ctx.finding(
                        loc,
                        f"{h.label} lets {obj.label} scale down to {min_r} replica(s) "
                        f"(minimum {floor}).",
                    )
            continue
        count = replicas(obj)
        if count is None or count >= floor:
            continue
        loc = _spec_value_loc(obj, "replicas") or obj.kind_loc()
        yield ctx.finding(loc, f"{obj.label} runs {count} replica(s) (minimum {floor}).")


@policy(
    id="k8s-missing-hpa",
    kinds={ArtifactKind.K8S},
    severity=Severity.LOW,
    summary="Workload has no HorizontalPodAutoscaler",
    fix="Add a HorizontalPodAutoscaler (CPU ~70 %, memory ~80 %) with `minReplicas: 2` "
    "targeting the workload.",
    tags=("reliability", "scalability"),
    section=SECTION,
    scope="repo",
)
def missing_hpa(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports Deployments and StatefulSets that no HorizontalPodAutoscaler (and no KEDA
    `ScaledObject`) of the scanned files targets, matched by kind, name and namespace.

    ## Why is this bad
    A fixed replica count is sized for yesterday's traffic: a spike saturates the pods and
    a quiet night wastes them.

    ## Example
    ```yaml
    kind: Deployment
    metadata: {name: api}      # fails: no HPA with scaleTargetRef {kind: Deployment, name: api}
    ```
    """
    graph = k8s_graph(index)
    for obj in graph.of_kind(*SCALED_KINDS):
        if graph.hpas_targeting(obj) or graph.scaled_by_keda(obj):
            continue
        yield ctx.finding(obj.kind_loc(), f"{obj.label} has no HorizontalPodAutoscaler.")


@policy(
    id="k8s-hpa-dangling",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="HorizontalPodAutoscaler targets a workload that does not exist",
    fix="Fix `scaleTargetRef` (kind, name, apiVersion) to name a workload of the same namespace.",
    tags=("reliability",),
    section=SECTION,
    scope="repo",
    confidence=Confidence.MEDIUM,
)
def hpa_dangling(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports HorizontalPodAutoscalers whose `scaleTargetRef` names a kind/name that no object
    of the scanned files has (in the same namespace). Targets of kinds that are not part of
    core Kubernetes (Argo Rollouts, custom resources) are only checked when such objects exist.
    Medium confidence: the target may be deployed from outside the scanned files.

    ## Why is this bad
    A dangling HPA scales nothing: the workload it was meant for runs at a fixed size, and
    nobody notices until the traffic spike — usually after a rename.

    ## Example
    ```yaml
    kind: HorizontalPodAutoscaler
    spec:
      scaleTargetRef:
        kind: Deployment
        name: api-server       # fails: the Deployment is called api
    ```
    """
    graph = k8s_graph(index)
    known_kinds = {o.kind for o in graph.objects}
    for h in graph.of_kind(HPA_KIND):
        ref = get_path(h.data, "spec", "scaleTargetRef")
        if not isinstance(ref, dict):
            continue
        kind, name = ref.get("kind"), ref.get("name")
        if not isinstance(kind, str) or not isinstance(name, str) or "{{" in name:
            continue
        core = kind in SCALED_KINDS or kind in ("ReplicaSet", "ReplicationController")
        if not core and kind not in known_kinds:
            continue
        if graph.find(kind, name, h) is not None:
            continue
        loc = value_loc(h.source, ref, "name", f"{h.label} › spec.scaleTargetRef") or h.kind_loc()
        yield ctx.finding(loc, f"{h.label} targets {kind}/{name}, which is not in the scan.")


def _utilization_resources(hpa: K8sObject) -> list[str]:
    spec = hpa.data.get("spec")
    if not isinstance(spec, dict):
        return []
    out: list[str] = []
    if isinstance(spec.get("targetCPUUtilizationPercentage"), int):
        out.append("cpu")
    metrics = spec.get("metrics")
    if isinstance(metrics, list):
        for m in metrics:
            for key in ("resource", "containerResource"):
                res = get_path(m, key)
                if not isinstance(res, dict):
                    continue
                target = res.get("target")
                utilization = (
                    isinstance(target, dict) and target.get("type") == "Utilization"
                ) or ("targetAverageUtilization" in res)
                name = res.get("name")
                if utilization and name in ("cpu", "memory") and name not in out:
                    out.append(str(name))
    return out


@policy(
    id="k8s-hpa-without-requests",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Utilisation-based HPA targets containers without resource requests",
    fix="Set `resources.requests` for the resource the HPA scales on in every container of the "
    "target workload.",
    tags=("reliability", "scalability"),
    section=SECTION,
    scope="repo",
)
def hpa_without_requests(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    For each HorizontalPodAutoscaler that scales on CPU or memory *utilisation*, reports the
    containers of its target workload that have no request for that resource (a limit counts:
    Kubernetes defaults the request to it). The finding is on the container; the HPA is a
    related location.

    ## Why is this bad
    Utilisation is usage divided by request. Without a request the HPA cannot compute it,
    reports `<unknown>` and never scales.

    ## Example
    ```yaml
    # HPA: metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization}}}]
    containers:
      - name: api          # fails: no resources.requests.cpu
    ```
    """
    graph = k8s_graph(index)
    for h in graph.of_kind(HPA_KIND):
        wanted = _utilization_resources(h)
        if not wanted:
            continue
        ref = get_path(h.data, "spec", "scaleTargetRef")
        if not isinstance(ref, dict):
            continue
        target = graph.find(str(ref.get("kind")), str(ref.get("name")), h)
        if target is None:
            continue
        for c in containers(target):
            res = c.data.get("resources")
            requests = get_path(res, "requests")
            limits = get_path(res, "limits")
            requests = requests if isinstance(requests, dict) else {}
            limits = limits if isinstance(limits, dict) else {}
            missing = [r for r in wanted if requests.get(r) is None and limits.get(r) is None]
            if missing:
                yield ctx.finding(
                    c.name_loc(),
                    f"Container `{c.name}` of {target.label} has no {' and '.join(missing)} "
                    f"request, so {h.label} cannot compute utilisation.",
                    related=(h.kind_loc(),),
                )


@policy(
    id="k8s-missing-pdb",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Workload has no PodDisruptionBudget",
    fix="Add a PodDisruptionBudget (`minAvailable: 1` or `maxUnavailable: 1`) whose selector "
    "matches the pod template labels.",
    tags=("reliability",),
    section=SECTION,
    scope="repo",
)
def missing_pdb(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports Deployments and StatefulSets with 2 or more replicas (or an HPA) whose pod
    template labels no PodDisruptionBudget of the same namespace selects. Single-replica
    workloads are left to `k8s-single-replica`.

    ## Why is this bad
    Without a PDB, a node drain or cluster upgrade may evict every replica at the same time.

    ## Example
    ```yaml
    kind: Deployment
    metadata: {name: api}   # fails: no PDB with selector.matchLabels {app: api}
    spec:
      replicas: 3
    ```
    """
    graph = k8s_graph(index)
    for obj in graph.of_kind(*SCALED_KINDS):
        count = replicas(obj)
        if not graph.hpas_targeting(obj) and (count is None or count < 2):
            continue
        if graph.pdbs_selecting(obj):
            continue
        yield ctx.finding(obj.kind_loc(), f"{obj.label} has no PodDisruptionBudget.")


@policy(
    id="k8s-no-anti-affinity",
    kinds={ArtifactKind.K8S},
    severity=Severity.LOW,
    summary="Replicas are not spread across nodes",
    fix="Add `topologySpreadConstraints` (topologyKey `kubernetes.io/hostname` or "
    "`topology.kubernetes.io/zone`) or a preferred `podAntiAffinity`.",
    tags=("reliability",),
    section=SECTION,
)
def no_anti_affinity(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports Deployments and StatefulSets with 2 or more replicas whose pod spec has neither
    `affinity.podAntiAffinity` nor `topologySpreadConstraints`.

    ## Why is this bad
    The scheduler may put every replica on the same node (or zone): one node failure then
    takes all of them down and the extra replicas bought nothing.

    ## Example
    ```yaml
    kind: Deployment
    spec:
      replicas: 3          # fails: no podAntiAffinity / topologySpreadConstraints
    ```
    """
    for obj in manifest.objects:
        if obj.kind not in SCALED_KINDS:
            continue
        count = replicas(obj)
        if count is None or count < 2:
            continue
        spec = get_path(obj.data, "spec", "template", "spec")
        if not isinstance(spec, dict):
            continue
        if get_path(spec, "affinity", "podAntiAffinity") or spec.get("topologySpreadConstraints"):
            continue
        yield ctx.finding(
            obj.kind_loc(),
            f"{obj.label} runs {count} replicas with no podAntiAffinity or "
            "topologySpreadConstraints.",
        )


def _full_unavailability(value: Any, count: int | None) -> bool:
    if isinstance(value, str) and value.strip().endswith("%"):
        try:
            return float(value.strip()[:-1]) >= 100
        except ValueError:
            return False
    if isinstance(value, int) and not isinstance(value, bool) and count is not None:
        return value >= count
    return False


@policy(
    id="k8s-unsafe-rollout",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Rollout settings cause downtime or prevent rollback",
    fix="Use `strategy: RollingUpdate` with `maxUnavailable` below 100 % (e.g. 25 %), and keep "
    "`revisionHistoryLimit` above 0.",
    tags=("reliability",),
    section=SECTION,
)
def unsafe_rollout(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports Deployments with `strategy.type: Recreate`, Deployments/DaemonSets whose
    `rollingUpdate.maxUnavailable` is 100 % (or at least `replicas`), and Deployments,
    StatefulSets and DaemonSets with `revisionHistoryLimit: 0`.

    ## Why is this bad
    `Recreate` and a 100 % `maxUnavailable` stop every old pod before a new one is ready:
    each deploy is an outage. With `revisionHistoryLimit: 0`, `kubectl rollout undo` has
    nothing to roll back to.

    ## Example
    ```yaml
    spec:
      revisionHistoryLimit: 0    # fails
      strategy:
        type: Recreate           # fails
    ```
    """
    for obj in manifest.objects:
        if obj.kind not in ("Deployment", "StatefulSet", "DaemonSet"):
            continue
        spec = obj.data.get("spec")
        if not isinstance(spec, dict):
            continue
        logical = f"{obj.label} › spec"
        rhl = spec.get("revisionHistoryLimit")
        if rhl == 0 and not isinstance(rhl, bool):
            loc = value_loc(obj.source, spec, "revisionHistoryLimit", logical) or obj.kind_loc()
            yield ctx.finding(
                loc, f"{obj.label} keeps no old revisions (`revisionHistoryLimit: 0`)."
            )
        if obj.kind == "StatefulSet":
            continue
        strategy = spec.get("strategy" if obj.kind == "Deployment" else "updateStrategy")
        if not isinstance(strategy, dict):
            continue
        if obj.kind == "Deployment" and strategy.get("type") == "Recreate":
            loc = value_loc(obj.source, strategy, "type", logical + ".strategy") or obj.kind_loc()
            yield ctx.finding(
                loc, f"{obj.label} uses the Recreate strategy: every deploy is an outage."
            )
            continue
        rolling = strategy.get("rollingUpdate")
        if isinstance(rolling, dict):
            value = rolling.get("maxUnavailable")
            if _full_unavailability(value, replicas(obj)):
                loc = value_loc(obj.source, rolling, "maxUnavailable", logical) or obj.kind_loc()
                yield ctx.finding(
                    loc,
                    f"{obj.label} allows every pod to be unavailable during a rollout "
                    f"(`maxUnavailable: {value}`).",
                )
