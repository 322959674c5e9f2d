"""Manifest validity for the target Kubernetes version: schema and removed API versions."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from linter.k8s_schema import (
    DEFAULT_VERSION,
    parse_version,
    removed_api,
    schema_dir_for,
    to_plain,
    validator_for,
)
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.parsers.k8s import K8sManifest, K8sObject
from linter.policy import CheckContext, policy
from linter.positions import item_loc, key_loc, value_loc
from linter.render import kustomize_inputs

SECTION = "Infrastructure"
VERSION_OPTION = {
    "type": "object",
    "properties": {
        "kubernetes-version": {
            "type": "string",
            "pattern": r"^v?\d+\.\d+",
            "description": f"Target Kubernetes version, e.g. `1.30` (default {DEFAULT_VERSION}).",
        }
    },
}


def _node(data: Any, path: tuple[str | int, ...]) -> Any:
    cur = data
    for p in path:
        if isinstance(cur, dict):
            if p not in cur:
                return None
            cur = cur[p]
        elif isinstance(cur, list) and isinstance(p, int) and 0 <= p < len(cur):
            cur = cur[p]
        else:
            return None
    return cur


def _locate(obj: K8sObject, path: tuple[str | int, ...], key: Any, at_key: bool) -> Location:
    """The deepest known position for (parent path, key), falling back towards the root."""
    logical = obj.label
    while True:
        parent = _node(obj.data, path)
        loc: Location | None = None
        if key is not None and isinstance(parent, dict):
            finder = key_loc if at_key else value_loc
            loc = finder(obj.source, parent, key, logical) or key_loc(
                obj.source, parent, key, logical
            )
        elif isinstance(key, int) and isinstance(parent, list):
            loc = item_loc(obj.source, parent, key, logical)
        if loc is not None:
            return loc
        if not path:
            return obj.kind_loc()
        path, key, at_key = path[:-1], path[-1], True


@policy(
    id="k8s-schema-invalid",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Manifest does not match the Kubernetes schema",
    fix="Fix the field name or type reported (check the spelling and the nesting level, e.g. "
    "`livenessProbe` under the container).",
    tags=("reliability", "correctness"),
    section=SECTION,
    options=VERSION_OPTION,
    defaults={"kubernetes-version": DEFAULT_VERSION},
)
def schema_invalid(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Validates every object of a built-in kind against the Kubernetes JSON schema of
    `kubernetes-version` (default 1.30; the schemas ship with `kubernetes-validate`, strict
    mode: unknown fields are errors). Each problem is reported at its key: an unknown field
    such as `livenessprobe:` or `resource:` (with a "did you mean" hint), a value of the wrong
    type, a missing required field. Custom resources, unknown kinds and API versions removed
    from the target version (see `k8s-removed-api`) are skipped, and so are placeholder values
    (`${PORT}`, `{{ .port }}`), strategic-merge directives (`$patch`) and missing required
    fields in files a `kustomization.yaml` uses as a resource or patch (kustomize completes
    them).

    ## Why is this bad
    `kubectl apply` rejects the manifest at deploy time — or, with client-side validation off,
    silently drops the misspelled field, so the probe or limit you wrote never exists.

    ## Example
    ```yaml
    containers:
      - name: api
        image: ghcr.io/acme/api:1.4.2
        livenessprobe:           # fails: unknown field (did you mean livenessProbe?)
          httpGet: {path: /healthz, port: 8080}
        resources:
          limits:
            memory: [256Mi]      # fails: must be a string or number
    ```
    """
    version = str(ctx.options.get("kubernetes-version", DEFAULT_VERSION))
    target = parse_version(version)
    schema_dir = schema_dir_for(version)
    if schema_dir is None or target is None:
        return
    # kustomize resources and patches are partial: kustomize adds selectors and merges patches
    partial = manifest.source.path in kustomize_inputs(ctx.index)
    for obj in manifest.objects:
        if removed_api(obj.api_version, obj.kind, target) is not None:
            continue
        schema = validator_for(schema_dir, obj.kind, obj.api_version)
        if schema is None:
            continue
        for prob in schema.problems(to_plain(obj.data)):
            if partial and prob.kind == "required":
                continue
            loc = _locate(obj, prob.path, prob.key, prob.at_key)
            yield ctx.finding(loc, f"{obj.label}: {prob.message}")


@policy(
    id="k8s-removed-api",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Manifest uses an API version removed from the target Kubernetes version",
    fix="Move the object to the replacement apiVersion named in the message (`kubectl convert` "
    "helps) and adapt the fields that changed.",
    tags=("reliability", "correctness"),
    section=SECTION,
    options=VERSION_OPTION,
    defaults={"kubernetes-version": DEFAULT_VERSION},
)
def removed_api_version(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports objects whose `apiVersion` was removed at or before `kubernetes-version` (default
    1.30): `extensions/v1beta1` Deployments and Ingresses, `apps/v1beta1`,
    `batch/v1beta1` CronJobs, `policy/v1beta1` PodDisruptionBudgets,
    `autoscaling/v2beta2` HPAs and the other removals of the Kubernetes deprecation guide.

    ## Why is this bad
    The API server no longer serves that version: `kubectl apply` fails with "no matches for
    kind", usually discovered during a cluster upgrade.

    ## Example
    ```yaml
    apiVersion: extensions/v1beta1   # fails: removed in 1.16, use apps/v1
    kind: Deployment
    ```
    """
    target = parse_version(str(ctx.options.get("kubernetes-version", DEFAULT_VERSION)))
    if target is None:
        return
    for obj in manifest.objects:
        found = removed_api(obj.api_version, obj.kind, target)
        if found is None:
            continue
        removed_in, use = found
        loc = value_loc(obj.source, obj.data, "apiVersion", obj.label) or obj.kind_loc()
        yield ctx.finding(
            loc,
            f"{obj.kind} `{obj.api_version}` was removed in Kubernetes {removed_in}; use {use}.",
        )
