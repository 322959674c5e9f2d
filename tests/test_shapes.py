"""Policies never crash on odd but well-formed shapes: a value of the wrong type wherever a
manifest, workflow, compose file, package.json or pyproject.toml has a key (`tool = 1` once
crashed three repo rules). Thirty seeded random repositories, every rule on."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from linter.engine import ScanOptions, scan

rnd = random.Random()

KEYS = {
    "package.json": [
        "name",
        "version",
        "main",
        "scripts",
        "engines",
        "dependencies",
        "devDependencies",
        "workspaces",
        "type",
        "bin",
        "exports",
    ],
    "docker-compose.yml": [
        "services",
        "version",
        "volumes",
        "networks",
        "secrets",
        "configs",
        "x-a",
    ],
    ".github/workflows/ci.yml": [
        "on",
        "jobs",
        "name",
        "permissions",
        "env",
        "concurrency",
        "defaults",
    ],
    ".gitlab-ci.yml": [
        "stages",
        "include",
        "variables",
        "default",
        "test",
        "build",
        "deploy",
        "workflow",
        "image",
    ],
    "k8s/app.yaml": ["apiVersion", "kind", "metadata", "spec", "data", "stringData", "rules"],
    "pyproject.toml": None,
    "chart/Chart.yaml": ["apiVersion", "name", "version", "dependencies"],
    "kustomization.yaml": ["resources", "patches", "images", "namePrefix", "configMapGenerator"],
    ".env.example": None,
    "requirements.txt": None,
    "go.mod": None,
}
SUB = [
    "image",
    "command",
    "args",
    "ports",
    "environment",
    "env",
    "healthcheck",
    "deploy",
    "build",
    "runs-on",
    "steps",
    "uses",
    "run",
    "with",
    "containers",
    "template",
    "selector",
    "replicas",
    "resources",
    "limits",
    "requests",
    "livenessProbe",
    "readinessProbe",
    "httpGet",
    "path",
    "port",
    "securityContext",
    "script",
    "rules",
    "needs",
    "services",
    "volumes",
    "labels",
    "annotations",
    "name",
    "kind",
    "dependencies",
    "start",
    "node",
    "matrix",
    "strategy",
    "permissions",
    "if",
    "memory",
    "cpu",
    "value",
    "valueFrom",
    "secretKeyRef",
    "key",
    "depends_on",
    "restart",
    "user",
    "entrypoint",
    "working_dir",
    "spec",
    "metadata",
    "target",
    "minReplicas",
    "maxReplicas",
    "scaleTargetRef",
    "minAvailable",
]
KINDS = [
    "Deployment",
    "Pod",
    "Service",
    "HorizontalPodAutoscaler",
    "PodDisruptionBudget",
    "StatefulSet",
    "CronJob",
    "Job",
    "DaemonSet",
    "Ingress",
    "NetworkPolicy",
    "Secret",
    "ConfigMap",
    "PrometheusRule",
    "ServiceMonitor",
]


def val(d: int = 0) -> object:
    r = rnd.random()
    if d > 4 or r < 0.3:
        return rnd.choice(
            [
                None,
                0,
                1,
                -3,
                2.5,
                True,
                False,
                "",
                "x",
                "latest",
                "node:18",
                "8080",
                "${X}",
                "/healthz",
                [],
                {},
                "a:b",
                "1Gi",
                "500m",
            ]
        )
    if r < 0.6:
        return {rnd.choice(SUB): val(d + 1) for _ in range(rnd.randint(0, 4))}
    return [val(d + 1) for _ in range(rnd.randint(0, 3))]


def doc(keys: list[str]) -> dict[str, object]:
    out = {k: val() for k in rnd.sample(keys, rnd.randint(1, len(keys)))}
    if "kind" in out:
        out["kind"] = rnd.choice([*KINDS, out["kind"]])
    if "apiVersion" in out and rnd.random() < 0.7:
        out["apiVersion"] = rnd.choice(
            ["v1", "apps/v1", "batch/v1", "autoscaling/v2", "policy/v1", "networking.k8s.io/v1"]
        )
    return out


def toml_val(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if v is None:
        return '""'
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list):
        return "[" + ", ".join(toml_val(x) for x in v if not isinstance(x, dict)) + "]"
    assert isinstance(v, dict)
    return "{" + ", ".join(f'"{k}" = {toml_val(x)}' for k, x in v.items()) + "}"


def _repo(root: Path) -> None:
    (root / ".git").mkdir()
    for path, keys in KEYS.items():
        if rnd.random() < 0.3:
            continue
        p = root / path
        p.parent.mkdir(parents=True, exist_ok=True)
        if path == "pyproject.toml":
            names = rnd.sample(["tool", "project", "build-system", "dependency-groups"], 2)
            text = "\n".join(f"{k} = {toml_val(val())}" for k in names)
            if rnd.random() < 0.5:
                text += "\n[tool.poetry]\ndependencies = " + toml_val(val())
            text += "\n"
        elif path == ".env.example":
            opts = ["A=", "B=1", "export C=2", "=x", "D", "E='x", 'F="y"']
            text = "\n".join(rnd.choice(opts) for _ in range(5))
        elif path == "requirements.txt":
            opts = ["flask", "flask==", "-r x.txt", "git+https://x/y.git", "a[b]>=1", "-e .", "@@"]
            text = "\n".join(rnd.choice(opts) for _ in range(4))
        elif path == "go.mod":
            text = (
                "module x\nrequire (\n"
                + "\n".join(rnd.choice(["a.b/c v1", "x", "v1.2"]) for _ in range(3))
                + "\n)\n"
            )
        else:  # JSON, which is YAML too
            assert keys is not None
            text = json.dumps(doc(keys))
        p.write_text(text)
    (root / "Dockerfile").write_text(
        rnd.choice(["FROM node:18\nCMD node server.js\n", "FROM python\n", "ENV A=1\n"])
    )
    (root / "server.js").write_text(
        "const app = require('express')();\napp.get('/healthz', (q, s) => s.send('ok'));\n"
        "app.listen(process.env.PORT);\n"
    )


@pytest.mark.parametrize("seed", range(30))
def test_odd_shapes_never_crash_a_policy(tmp_path: Path, seed: int) -> None:
    rnd.seed(seed)
    _repo(tmp_path)
    result = scan(ScanOptions(paths=(str(tmp_path),), base=str(tmp_path), select=("ALL",)))
    errors = [n.message for n in result.notifications if n.code == "prodready-internal-error"]
    assert errors == []
