"""Kubernetes policy behaviour beyond the fixture folders: severities and cross-file joins."""

from __future__ import annotations

from pathlib import Path

from linter.model import Severity
from tests.conftest import run_scan

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.0
"""
SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: api
spec:
  selector: {app: api}
"""


def test_readiness_probe_is_high_when_a_service_selects_the_pod(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOY)
    (tmp_path / "svc.yaml").write_text(SERVICE)
    result = run_scan(["."], cwd=tmp_path, select=["k8s-missing-readiness-probe"])
    [finding] = result.active
    assert (finding.location.path, finding.location.start_line) == ("deploy.yaml", 11)
    assert finding.severity == Severity.HIGH
    assert "Service/api" in finding.message


def test_readiness_probe_names_each_service_once(tmp_path: Path) -> None:
    """Samples of one repo often define the same Service in many files: named once each, at
    most three of them."""
    (tmp_path / "deploy.yaml").write_text(DEPLOY)
    for i in range(4):
        (tmp_path / f"svc{i}.yaml").write_text(SERVICE)
    result = run_scan(["."], cwd=tmp_path, select=["k8s-missing-readiness-probe"])
    [finding] = result.active
    assert finding.message == (
        "Container `api` of Deployment/api has no readiness probe although Service/api sends "
        "it traffic."
    )
    for i, name in enumerate(("web", "admin", "metrics", "debug")):
        (tmp_path / f"svc{i}.yaml").write_text(SERVICE.replace("name: api", f"name: {name}"))
    result = run_scan(["."], cwd=tmp_path, select=["k8s-missing-readiness-probe"])
    assert [f.message for f in result.active] == [
        "Container `api` of Deployment/api has no readiness probe although Service/web, "
        "Service/admin, Service/metrics and 1 more send it traffic."
    ]
    (tmp_path / "svc2.yaml").unlink()
    (tmp_path / "svc3.yaml").unlink()
    result = run_scan(["."], cwd=tmp_path, select=["k8s-missing-readiness-probe"])
    assert [f.message for f in result.active] == [
        "Container `api` of Deployment/api has no readiness probe although Service/web and "
        "Service/admin send it traffic."
    ]


def test_readiness_probe_is_medium_without_a_service(tmp_path: Path) -> None:
    (tmp_path / "deploy.yaml").write_text(DEPLOY)
    (tmp_path / "svc.yaml").write_text(SERVICE.replace("app: api", "app: other"))
    result = run_scan(["."], cwd=tmp_path, select=["k8s-missing-readiness-probe"])
    [finding] = result.active
    assert finding.severity == Severity.MEDIUM
    assert "Service" not in finding.message


def test_secret_values_never_reach_the_output(tmp_path: Path) -> None:
    (tmp_path / "s.yaml").write_text(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n"
        "  password: VerySecretValue123\n"
    )
    result = run_scan(["."], cwd=tmp_path, select=["k8s-secret-manifest-committed"])
    [finding] = result.active
    assert "VerySecretValue123" not in finding.message
    assert all("VerySecretValue123" not in s for s in result.snippets.values())


def test_removed_api_follows_the_target_version(tmp_path: Path) -> None:
    (tmp_path / "cron.yaml").write_text(
        "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata:\n  name: report\n"
    )
    (tmp_path / "cfg.yaml").write_text(
        "rules:\n  k8s-removed-api:\n    kubernetes-version: '1.24'\n"
    )
    old = run_scan(["cron.yaml"], cwd=tmp_path, select=["k8s-removed-api"], config_path="cfg.yaml")
    assert old.active == []
    new = run_scan(["cron.yaml"], cwd=tmp_path, select=["k8s-removed-api"])
    assert [f.location.start_line for f in new.active] == [1]


def test_schema_validation_uses_the_target_version(tmp_path: Path) -> None:
    # resizePolicy exists on containers from 1.27 on: unknown to the 1.25 schema
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n"
        "    - name: app\n      image: ghcr.io/acme/app:1.0.0\n"
        "      resizePolicy:\n        - {resourceName: cpu, restartPolicy: NotRequired}\n"
    )
    (tmp_path / "cfg.yaml").write_text(
        "rules:\n  k8s-schema-invalid:\n    kubernetes-version: '1.25'\n"
    )
    old = run_scan(
        ["pod.yaml"], cwd=tmp_path, select=["k8s-schema-invalid"], config_path="cfg.yaml"
    )
    assert [(f.location.start_line, f.location.start_col) for f in old.active] == [(9, 7)]
    assert "resizePolicy" in old.active[0].message
    assert run_scan(["pod.yaml"], cwd=tmp_path, select=["k8s-schema-invalid"]).active == []


def test_label_selectors() -> None:
    from linter.k8s_graph import map_selector_matches, selector_matches

    labels = {"app": "api", "tier": "backend"}
    assert selector_matches({"matchLabels": {"app": "api"}}, labels)
    assert not selector_matches({"matchLabels": {"app": "web"}}, labels)
    expr = {"key": "tier", "operator": "In", "values": ["backend", "db"]}
    assert selector_matches({"matchExpressions": [expr]}, labels)
    assert not selector_matches(
        {"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["api"]}]}, labels
    )
    assert selector_matches({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, labels)
    assert not selector_matches(
        {"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, labels
    )
    assert not selector_matches({}, labels)  # an empty selector is never counted as a match
    assert map_selector_matches({"app": "api"}, labels)
    assert not map_selector_matches({"app": "api", "zone": "a"}, labels)
    pod_name = {"app": "api", "statefulset.kubernetes.io/pod-name": "api-0"}
    assert map_selector_matches(pod_name, labels)


def test_pod_level_run_as_user_is_overridden_by_the_container(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n"
        "  securityContext: {runAsUser: 1000, runAsNonRoot: true}\n"
        "  containers:\n"
        "    - name: ok\n      image: a:1\n"
        "    - name: root\n      image: a:1\n      securityContext: {runAsUser: 0}\n"
    )
    result = run_scan(["."], cwd=tmp_path, select=["k8s-run-as-root"])
    assert [(f.location.start_line, f.location.start_col) for f in result.active] == [(12, 36)]
    assert "`root`" in result.active[0].message
