"""Graceful shutdown: terminationGracePeriodSeconds and preStop hooks."""

from __future__ import annotations

from collections.abc import Iterator

from linter.k8s_graph import get_path
from linter.model import ArtifactKind, Finding, Severity
from linter.parsers.k8s import K8sManifest
from linter.policy import CheckContext, policy
from linter.positions import value_loc
from linter.workload import containers, is_job, pod_spec

#: Kubernetes' default terminationGracePeriodSeconds
DEFAULT_GRACE = 30


@policy(
    id="k8s-missing-graceful-shutdown",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Pod gets too little time to shut down gracefully",
    fix="Add a `lifecycle.preStop` hook (e.g. `sleep 5` so endpoints are removed first) and "
    "keep `terminationGracePeriodSeconds` at or above the time in-flight requests need.",
    tags=("reliability",),
    section="Graceful shutdown",
    options={
        "type": "object",
        "properties": {
            "min-grace-seconds": {
                "type": "integer",
                "minimum": 0,
                "description": "Lowest terminationGracePeriodSeconds accepted without a preStop "
                "hook (default 30; unset means Kubernetes' 30).",
            }
        },
    },
    defaults={"min-grace-seconds": 30},
)
def missing_graceful_shutdown(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports long-running workloads (not Jobs/CronJobs) where no container has a
    `lifecycle.preStop` hook and `terminationGracePeriodSeconds` (30 when unset) is below
    `min-grace-seconds` (default 30). The finding is on `terminationGracePeriodSeconds`, or on
    the `kind:` line when it is unset.

    ## Why is this bad
    On a rollout or drain, the pod gets SIGTERM at the same moment it is removed from the
    Service endpoints; proxies keep sending it requests for a few seconds. Without a preStop
    delay and enough grace time, those requests and any in-flight work are cut off.

    ## Example
    ```yaml
    spec:
      terminationGracePeriodSeconds: 5   # fails: no preStop and below 30 s
      containers:
        - name: api
    ```
    """
    floor = int(ctx.options.get("min-grace-seconds", DEFAULT_GRACE))
    for obj in manifest.objects:
        if is_job(obj):
            continue
        found = pod_spec(obj)
        if found is None:
            continue
        spec, base = found
        conts = list(containers(obj))
        if not conts or any(get_path(c.data, "lifecycle", "preStop") for c in conts):
            continue
        grace = spec.get("terminationGracePeriodSeconds")
        if grace is None:
            grace = DEFAULT_GRACE
        if isinstance(grace, bool) or not isinstance(grace, int) or grace >= floor:
            continue
        loc = value_loc(obj.source, spec, "terminationGracePeriodSeconds", f"{obj.label} › {base}")
        yield ctx.finding(
            loc or obj.kind_loc(),
            f"{obj.label} has no preStop hook and only {grace}s to shut down (minimum {floor}s).",
        )
