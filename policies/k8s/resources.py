"""Resource requests and limits."""

from __future__ import annotations

from collections.abc import Iterator

from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.k8s import K8sManifest
from linter.policy import CheckContext, policy
from linter.workload import containers


@policy(
    id="k8s-missing-resource-limits",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container has no CPU or memory limit",
    fix="Set `resources.limits.memory` (and `cpu` where your cluster policy wants it), sized "
    "from load tests.",
    tags=("reliability",),
    section="Infrastructure",
)
def missing_limits(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) whose `resources.limits` lacks `cpu` or
    `memory`; the message names what is missing.

    ## Why is this bad
    A container without a memory limit can take a node's memory and get unrelated pods evicted;
    without a CPU limit a hot loop starves its neighbours.

    ## Example
    ```yaml
    - name: api
      resources:
        limits:
          cpu: 500m        # fails: no memory limit
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            res = c.data.get("resources")
            limits = res.get("limits") if isinstance(res, dict) else None
            limits = limits if isinstance(limits, dict) else {}
            missing = [k for k in ("cpu", "memory") if limits.get(k) in (None, "")]
            if missing:
                what = " and ".join(missing)
                yield ctx.finding(
                    c.name_loc(),
                    f"Container `{c.name}` of {obj.label} has no {what} limit.",
                    properties={"missing": missing},
                )


@policy(
    id="k8s-missing-resource-requests",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container has no CPU or memory request",
    fix="Set `resources.requests.cpu` and `resources.requests.memory` from observed usage so "
    "the scheduler places the pod on a node that can run it.",
    tags=("reliability",),
    section="Infrastructure",
)
def missing_requests(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) whose `resources.requests` lacks `cpu` or
    `memory` (a limit without a request counts as a request of the same size, as Kubernetes
    defaults it); the message names what is missing.

    ## Why is this bad
    Without requests the scheduler packs pods onto nodes that cannot run them, the pod gets the
    `BestEffort` QoS class (evicted first under pressure), and a CPU-utilisation HPA has
    nothing to compute a percentage from.

    ## Example
    ```yaml
    - name: api
      resources:
        requests:
          memory: 256Mi    # fails: no cpu request
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            res = c.data.get("resources")
            res = res if isinstance(res, dict) else {}
            requests = res.get("requests")
            requests = requests if isinstance(requests, dict) else {}
            limits = res.get("limits")
            limits = limits if isinstance(limits, dict) else {}
            missing = [
                k
                for k in ("cpu", "memory")
                if requests.get(k) in (None, "") and limits.get(k) in (None, "")
            ]
            if missing:
                what = " and ".join(missing)
                yield ctx.finding(
                    c.name_loc(),
                    f"Container `{c.name}` of {obj.label} has no {what} request.",
                    properties={"missing": missing},
                )
