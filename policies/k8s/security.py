"""Pod and container securityContext policies (container-level settings override pod-level)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.model import ArtifactKind, Finding, Location, Severity
from linter.parsers.k8s import K8sManifest, K8sObject
from linter.policy import CheckContext, policy
from linter.positions import key_loc, value_loc
from linter.workload import Container, containers, pod_spec

SECTION = "Security"


def _ctx(holder: Any) -> dict[str, Any]:
    sc = holder.get("securityContext") if isinstance(holder, dict) else None
    return sc if isinstance(sc, dict) else {}


def _effective(c: Container, key: str) -> tuple[Any, dict[str, Any], str] | None:
    """The value of a field settable at both levels: (value, holder mapping, logical path).

    Kubernetes applies the container's ``securityContext`` value when it is set and falls back
    to the pod's ``securityContext`` otherwise.
    """
    csc = _ctx(c.data)
    if key in csc and csc[key] is not None:
        return csc[key], csc, c.logical + ".securityContext"
    found = pod_spec(c.obj)
    if found is not None:
        psc = _ctx(found[0])
        if key in psc and psc[key] is not None:
            return psc[key], psc, f"{c.obj.label} › {found[1]}.securityContext"
    return None


def _value_at(c: Container, holder: dict[str, Any], key: str, logical: str) -> Location:
    return value_loc(c.obj.source, holder, key, logical) or c.name_loc()


@policy(
    id="k8s-run-as-root",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Container may run as root",
    fix="Set `securityContext.runAsNonRoot: true` and a non-zero `runAsUser` (pod or container "
    "level), and build the image with a non-root `USER`.",
    tags=("security",),
    cwe=(250,),
    section=SECTION,
)
def run_as_root(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) whose effective `runAsUser` is `0`, whose
    effective `runAsNonRoot` is `false`, or that set neither `runAsNonRoot: true` nor a
    non-zero `runAsUser`. The container's `securityContext` wins over the pod's, as in
    Kubernetes: a pod-level `runAsNonRoot: true` with a container-level `runAsUser: 0` fails.

    ## Why is this bad
    A process running as UID 0 turns any container escape or writable host mount into root on
    the node, and can modify its own image's binaries.

    ## Example
    ```yaml
    spec:
      securityContext:
        runAsNonRoot: true
      containers:
        - name: api
          securityContext:
            runAsUser: 0         # fails: the container setting overrides the pod
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            user = _effective(c, "runAsUser")
            non_root = _effective(c, "runAsNonRoot")
            if user is not None and user[0] == 0 and not isinstance(user[0], bool):
                yield ctx.finding(
                    _value_at(c, user[1], "runAsUser", user[2]),
                    f"Container `{c.name}` of {obj.label} runs as root (`runAsUser: 0`).",
                )
                continue
            if non_root is not None and non_root[0] is True:
                continue
            if user is not None and isinstance(user[0], int) and user[0] > 0:
                continue
            if non_root is not None and non_root[0] is False:
                yield ctx.finding(
                    _value_at(c, non_root[1], "runAsNonRoot", non_root[2]),
                    f"Container `{c.name}` of {obj.label} allows running as root "
                    "(`runAsNonRoot: false`).",
                )
                continue
            yield ctx.finding(
                c.name_loc(),
                f"Container `{c.name}` of {obj.label} sets neither `runAsNonRoot: true` nor a "
                "non-zero `runAsUser`; it runs as the image's user, often root.",
            )


@policy(
    id="k8s-privileged",
    kinds={ArtifactKind.K8S},
    severity=Severity.CRITICAL,
    summary="Container runs privileged",
    fix="Remove `privileged: true`; grant only the specific capability the container needs.",
    tags=("security",),
    cwe=(250,),
    section=SECTION,
)
def privileged(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) with `securityContext.privileged: true`.

    ## Why is this bad
    A privileged container has every capability and every host device: it is root on the node.

    ## Example
    ```yaml
    securityContext:
      privileged: true     # fails
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            sc = _ctx(c.data)
            if sc.get("privileged") is True:
                yield ctx.finding(
                    _value_at(c, sc, "privileged", c.logical + ".securityContext"),
                    f"Container `{c.name}` of {obj.label} runs privileged.",
                )


@policy(
    id="k8s-privilege-escalation",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container allows privilege escalation",
    fix="Set `securityContext.allowPrivilegeEscalation: false` on every container.",
    tags=("security",),
    cwe=(269,),
    section=SECTION,
)
def privilege_escalation(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) whose `securityContext` does not set
    `allowPrivilegeEscalation: false` (the field exists only at container level).

    ## Why is this bad
    Without it a process can gain more privileges than its parent through setuid binaries or
    file capabilities — the first step of most container breakouts.

    ## Example
    ```yaml
    - name: api
      securityContext:
        allowPrivilegeEscalation: true    # fails (and so does leaving it out)
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            sc = _ctx(c.data)
            value = sc.get("allowPrivilegeEscalation")
            if value is False:
                continue
            if value is True:
                yield ctx.finding(
                    _value_at(c, sc, "allowPrivilegeEscalation", c.logical + ".securityContext"),
                    f"Container `{c.name}` of {obj.label} allows privilege escalation.",
                )
            else:
                yield ctx.finding(
                    c.name_loc(),
                    f"Container `{c.name}` of {obj.label} does not set "
                    "`allowPrivilegeEscalation: false`.",
                )


@policy(
    id="k8s-writable-root-fs",
    kinds={ArtifactKind.K8S},
    severity=Severity.LOW,
    summary="Container root filesystem is writable",
    fix="Set `securityContext.readOnlyRootFilesystem: true` and mount an `emptyDir` where the "
    "process needs to write (`/tmp`, caches).",
    tags=("security",),
    cwe=(732,),
    section=SECTION,
)
def writable_root_fs(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) without
    `securityContext.readOnlyRootFilesystem: true`.

    ## Why is this bad
    A writable root filesystem lets an attacker drop tools or modify the application in place,
    and hides state in the container that disappears on restart.

    ## Example
    ```yaml
    - name: api            # fails: readOnlyRootFilesystem not set
      image: ghcr.io/acme/api:1.4.2
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            sc = _ctx(c.data)
            value = sc.get("readOnlyRootFilesystem")
            if value is True:
                continue
            if value is False:
                loc = _value_at(c, sc, "readOnlyRootFilesystem", c.logical + ".securityContext")
            else:
                loc = c.name_loc()
            yield ctx.finding(
                loc, f"Container `{c.name}` of {obj.label} has a writable root filesystem."
            )


@policy(
    id="k8s-capabilities-not-dropped",
    kinds={ArtifactKind.K8S},
    severity=Severity.MEDIUM,
    summary="Container does not drop all Linux capabilities",
    fix="Add `securityContext.capabilities.drop: [ALL]` and add back only what is needed "
    "(e.g. `NET_BIND_SERVICE`).",
    tags=("security",),
    cwe=(250,),
    section=SECTION,
)
def capabilities_not_dropped(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers (init containers included) whose `securityContext.capabilities.drop`
    does not contain `ALL`.

    ## Why is this bad
    Container runtimes grant a default set of capabilities (`NET_RAW`, `CHOWN`, `SETUID`, …)
    that most applications never use and attackers love (ARP spoofing with `NET_RAW`).

    ## Example
    ```yaml
    securityContext:
      capabilities:
        drop: [NET_RAW]     # fails: not ALL
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            sc = _ctx(c.data)
            caps = sc.get("capabilities")
            drop = caps.get("drop") if isinstance(caps, dict) else None
            if isinstance(drop, list) and any(str(d).upper() == "ALL" for d in drop):
                continue
            loc = None
            if isinstance(caps, dict) and "drop" in caps:
                loc = key_loc(c.obj.source, caps, "drop", c.logical + ".securityContext")
            yield ctx.finding(
                loc or c.name_loc(),
                f"Container `{c.name}` of {obj.label} does not drop ALL capabilities.",
            )


HOST_FIELDS = ("hostNetwork", "hostPID", "hostIPC")


def _host_findings(ctx: CheckContext, obj: K8sObject) -> Iterator[Finding]:
    found = pod_spec(obj)
    if found is None:
        return
    spec, base = found
    for key in HOST_FIELDS:
        if spec.get(key) is True:
            loc = value_loc(obj.source, spec, key, f"{obj.label} › {base}") or obj.kind_loc()
            yield ctx.finding(loc, f"{obj.label} shares the host's namespace (`{key}: true`).")


@policy(
    id="k8s-host-namespace",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Pod shares the host network, PID or IPC namespace",
    fix="Remove `hostNetwork`, `hostPID` and `hostIPC` from the pod spec; expose ports through "
    "a Service instead.",
    tags=("security",),
    cwe=(250,),
    section=SECTION,
)
def host_namespace(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports pod specs with `hostNetwork: true`, `hostPID: true` or `hostIPC: true`.

    ## Why is this bad
    A pod in the host's network namespace can reach every node-local service and sniff node
    traffic; in its PID namespace it can see and signal every process on the node.

    ## Example
    ```yaml
    spec:
      hostNetwork: true     # fails
    ```
    """
    for obj in manifest.objects:
        yield from _host_findings(ctx, obj)
