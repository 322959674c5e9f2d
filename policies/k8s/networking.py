"""Services and Ingresses."""

from __future__ import annotations

from collections.abc import Iterator

from linter.index import RepoIndex
from linter.k8s_graph import RUNTIME_LABELS, get_path, k8s_graph
from linter.model import ArtifactKind, Confidence, Finding, Severity
from linter.parsers.k8s import K8sManifest
from linter.policy import CheckContext, policy
from linter.positions import key_loc, value_loc


@policy(
    id="k8s-service-selector-dangling",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Service selector matches no workload",
    fix="Make `spec.selector` equal to labels of the pod template of the workload the Service "
    "fronts.",
    tags=("reliability",),
    section="Infrastructure",
    scope="repo",
    confidence=Confidence.MEDIUM,
)
def service_selector_dangling(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports Services whose `spec.selector` matches the pod template labels of no workload
    (Deployment, StatefulSet, DaemonSet, Job, Pod, …) of the scanned files in the same
    namespace. Services without a selector (ExternalName, manual Endpoints) are skipped; labels
    that controllers add at run time (`statefulset.kubernetes.io/pod-name`,
    `pod-template-hash`, …) are not compared. Medium confidence: the workload may be deployed
    from outside the scanned files (another repository, an operator).

    ## Why is this bad
    The Service has no endpoints: every request to it fails with connection refused, while
    the manifests look fine — usually after a label rename on one side.

    ## Example
    ```yaml
    kind: Service
    spec:
      selector:
        app: api-server     # fails: the Deployment's pods are labelled app: api
    ```
    """
    graph = k8s_graph(index)
    if not graph.workloads:
        return
    for svc in graph.of_kind("Service"):
        spec = svc.data.get("spec")
        selector = get_path(spec, "selector")
        if not isinstance(selector, dict) or not selector:
            continue
        if any("{{" in str(v) or "$" in str(v) for v in selector.values()):
            continue
        if all(str(k) in RUNTIME_LABELS for k in selector):
            continue
        if graph.workloads_selected_by(svc):
            continue
        shown = ", ".join(f"{k}={v}" for k, v in selector.items())
        loc = key_loc(svc.source, spec, "selector", f"{svc.label} › spec") or svc.kind_loc()
        yield ctx.finding(loc, f"{svc.label} selects no workload's pods ({shown}).")


INGRESS_KIND = "Ingress"


@policy(
    id="k8s-ingress-without-tls",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Ingress serves plain HTTP",
    fix="Add `spec.tls` with a certificate Secret (e.g. from cert-manager) covering every host "
    "of the Ingress rules.",
    tags=("security",),
    cwe=(319,),
    section="Security",
)
def ingress_without_tls(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports Ingresses without `spec.tls`, and rule hosts that no `spec.tls[].hosts` entry
    covers (wildcards such as `*.example.com` count).

    ## Why is this bad
    Traffic between clients and the cluster edge travels unencrypted: credentials and session
    cookies can be read and modified on the way.

    ## Example
    ```yaml
    kind: Ingress
    spec:                 # fails: no tls
      rules:
        - host: api.example.com
    ```
    """
    for obj in manifest.objects:
        if obj.kind != INGRESS_KIND:
            continue
        spec = obj.data.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        tls = spec.get("tls")
        if not isinstance(tls, list) or not tls:
            yield ctx.finding(obj.kind_loc(), f"{obj.label} has no TLS configuration.")
            continue
        covered: list[str] = []
        for entry in tls:
            hosts = get_path(entry, "hosts")
            if isinstance(hosts, list):
                covered.extend(str(h) for h in hosts)
        rules = spec.get("rules")
        if not isinstance(rules, list):
            continue
        for rule in rules:
            host = get_path(rule, "host")
            if not isinstance(host, str) or not host or "{{" in host:
                continue
            if any(_covers(c, host) for c in covered):
                continue
            loc = value_loc(obj.source, rule, "host", f"{obj.label} › spec.rules") or obj.kind_loc()
            yield ctx.finding(loc, f"{obj.label} serves host `{host}` without TLS.")


def _covers(pattern: str, host: str) -> bool:
    if pattern == host:
        return True
    if pattern.startswith("*."):
        suffix = pattern[1:]
        return host.endswith(suffix) and "." not in host[: -len(suffix)]
    return False
