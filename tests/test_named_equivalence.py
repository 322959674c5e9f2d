"""Pre-commit runs name files; whatever shortcut the named-file mode takes (a join restricted to
the services a named file touches, manifests skipped by a text prefilter, policies that cannot
report on the named kinds not run), a file's findings must be the ones a full scan reports for
it. Checked file by file on the example repos and on a small bench repo."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from linter.discover import walk
from linter.model import RENDERS_K8S, ArtifactKind
from tests.conftest import SHARED, parsed_paths, run_scan

ROOT = Path(__file__).resolve().parent.parent


def _git_repo(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def _write_repo(root: Path, files: dict[str, str]) -> None:
    """A git repository holding ``files`` (path -> text)."""
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    _git_repo(root)


def _findings(result: object, path: str | None = None) -> list[tuple[str, int, int, str, str]]:
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_col, f.rule_id, f.message)
        for f in result.findings  # type: ignore[attr-defined]
        if path is None or f.location.path == path
    )


def _assert_reported_kinds(result: object) -> None:
    """Every finding sits on a file of one of its rule's ``report_kinds`` (a named run skips a
    rule whose report kinds hold none of the named files' kinds)."""
    index = result.index  # type: ignore[attr-defined]
    found = {f.path: f for f in index.all_found()}
    metas = {m.id: m for m in result.rules}  # type: ignore[attr-defined]
    wrong = []
    for f in result.findings:  # type: ignore[attr-defined]
        if f.location.path not in found:
            continue
        kind = index.kind_of(found[f.location.path])
        # a chart file or kustomization holds what the k8s rules found in its rendered output
        # (the engine runs them for a named one)
        reported = metas[f.rule_id].report_kinds
        if kind not in reported and not (kind in RENDERS_K8S and ArtifactKind.K8S in reported):
            wrong.append((f.location.path, f.rule_id, kind))
    assert wrong == []


def _assert_equivalent(repo: Path) -> None:
    full = run_scan(["."], repo, check_sarif=False)
    _assert_reported_kinds(full)
    files = [f.path for f in walk(str(repo), str(repo), [], [])]
    assert files
    mismatches = []
    # without a cache, then twice with one (the second round reads every context parse from it)
    for cache_dir in (None, "", ""):
        for path in files:
            named = run_scan([path], repo, check_sarif=False, cache_dir=cache_dir)
            want = _findings(full, path)
            got = _findings(named)
            if got != want:
                mismatches.append(
                    (cache_dir, path, sorted(set(want) - set(got)), sorted(set(got) - set(want)))
                )
    assert mismatches == []


@pytest.mark.parametrize("example", ["review-engine", "auction-bot"])
def test_examples_file_by_file(tmp_path: Path, example: str) -> None:
    repo = tmp_path / example
    shutil.copytree(ROOT / "examples" / example, repo)
    _git_repo(repo)
    _assert_equivalent(repo)


def _deployment(name: str, probe: str, memory: str) -> str:
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n"
        f"  template:\n    spec:\n      containers:\n      - name: {name}\n"
        f"        image: registry.example.com/shop/{name}:1.2.3\n"
        f"        resources:\n          limits:\n            memory: {memory}\n"
        f"        livenessProbe:\n          httpGet:\n            path: {probe}\n"
        "            port: 8080\n"
    )


def test_joined_services_file_by_file(tmp_path: Path) -> None:
    """Manifests whose findings need the image join (probe path vs routes, heap vs limit),
    next to a service no named file touches."""
    server = (
        "const express = require('express');\nconst app = express();\n"
        "app.get('/healthz', (req, res) => res.send('ok'));\napp.listen(8080);\n"
    )
    files = {
        "services/api/package.json": '{"name": "api", "main": "server.js"}',
        "services/api/server.js": server,
        "services/api/Dockerfile": (
            "FROM node:20.11-slim\nENV NODE_OPTIONS=--max-old-space-size=4096\n"
            'COPY . .\nUSER node\nCMD ["node", "server.js"]\n'
        ),
        "services/web/package.json": '{"name": "web", "main": "server.js"}',
        "services/web/server.js": server,
        "services/web/Dockerfile": 'FROM node:20.11-slim\nCOPY . .\nCMD ["node", "server.js"]\n',
        "deploy/api.yaml": _deployment("api", "/ready", "512Mi"),
        "deploy/web.yaml": _deployment("web", "/healthz", "256Mi"),
    }
    _write_repo(tmp_path, files)
    full = _findings(run_scan(["."], tmp_path, check_sarif=False))
    joined = {(p, r) for p, _, _, r, _ in full}
    # the cases this test is about are really there
    assert ("deploy/api.yaml", "code-health-endpoint-missing") in joined
    assert ("services/api/Dockerfile", "code-node-heap-exceeds-limit") in joined
    _assert_equivalent(tmp_path)


def test_a_named_dockerfile_without_healthcheck_reads_no_routes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Routes are collected (the service's code parsed) only for a service with a probe or a
    HEALTHCHECK that a finding can be reported on."""
    from policies.code import health

    asked: list[str] = []
    real = health._routes_of

    def spy(index: object, directory: str) -> object:
        asked.append(directory)
        return real(index, directory)  # type: ignore[arg-type]

    monkeypatch.setattr(health, "_routes_of", spy)
    server = "const express = require('express');\nconst app = express();\napp.listen(8080);\n"
    _write_repo(
        tmp_path,
        {
            "services/web/server.js": server,
            "services/web/Dockerfile": 'FROM node:20.11-slim\nCMD ["node", "server.js"]\n',
            "deploy/web.yaml": _deployment("web", "/healthz", "256Mi"),
        },
    )
    run_scan(["services/web/Dockerfile"], tmp_path, check_sarif=False)
    assert asked == []
    run_scan(["deploy/web.yaml"], tmp_path, check_sarif=False)
    assert asked == ["services/web"]


@pytest.mark.skipif(SHARED is None, reason="../shared (bench generator) not found")
def test_small_bench_repo_file_by_file(tmp_path: Path) -> None:
    assert SHARED is not None
    repo = tmp_path / "bench"
    subprocess.run(
        [
            sys.executable,
            str(SHARED / "bench" / "make_repo.py"),
            str(repo),
            "--services",
            "5",
            "--modules",
            "1",
            "--seed",
            "11",
        ],
        check=True,
        capture_output=True,
    )
    (repo / "PLANTED.json").unlink()
    _git_repo(repo)
    _assert_equivalent(repo)


def _manifest(kind: str, name: str, body: str, api: str = "apps/v1") -> str:
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n{body}"


def _workload(name: str, labels: str) -> str:
    return _manifest(
        "Deployment",
        name,
        f"spec:\n  replicas: 2\n  selector:\n    matchLabels: {{{labels}}}\n  template:\n"
        f"    metadata:\n      labels: {{{labels}}}\n    spec:\n      containers:\n"
        f"      - name: {name}\n        image: registry.example.com/{name}:1.2.3\n",
    )


def _hpa(name: str, kind: str, target: str, api: str = "apps/v1") -> str:
    return _manifest(
        "HorizontalPodAutoscaler",
        name,
        f"spec:\n  scaleTargetRef: {{apiVersion: {api}, kind: {kind}, name: {target}}}\n"
        "  minReplicas: 2\n  maxReplicas: 5\n",
        api="autoscaling/v2",
    )


def test_related_manifests_file_by_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The object graph of a named-file run holds only the manifests that can relate to the
    named ones (linter/k8s_graph._related): every kind of cross-file relation, one per file."""
    files = {
        "deploy/orders.yaml": _workload("orders", "app: checkout, tier: payments"),
        "deploy/orders-hpa.yaml": _hpa("orders-autoscaler", "Deployment", "orders"),
        "deploy/web.yaml": _workload("web", "app: storefront"),
        "deploy/frontend-svc.yaml": _manifest(
            "Service",
            "frontend",
            "spec:\n  selector: {app: storefront}\n  ports: [{port: 80}]\n",
            "v1",
        ),
        # selects orders by a key alone: no value of theirs in its text
        "deploy/pdb.yaml": _manifest(
            "PodDisruptionBudget",
            "budget",
            "spec:\n  minAvailable: 1\n  selector:\n    matchExpressions:\n"
            "    - {key: tier, operator: Exists}\n",
            "policy/v1",
        ),
        # "storefront", escaped: the text does not hold the value the selector has
        "deploy/escaped-svc.yaml": _manifest(
            "Service", "escaped", 'spec:\n  selector: {app: "st\\x6frefront"}\n', "v1"
        ),
        "deploy/gone-hpa.yaml": _hpa("gone", "Deployment", "gone"),
        "deploy/rollout.yaml": _manifest(
            "Rollout", "blue", "spec:\n  replicas: 2\n", "argoproj.io/v1alpha1"
        ),
        # a workload, an HPA whose target kind is known from another file only, and one whose
        # target is in another file
        "deploy/cache.yaml": _workload("cache", "app: cache")
        + "---\n"
        + _hpa("scaler", "Rollout", "blue-v2", "argoproj.io/v1alpha1")
        + "---\n"
        + _hpa("second", "Deployment", "orders"),  # not dangling: orders is in orders.yaml
        "deploy/orphan-svc.yaml": _manifest(
            "Service", "orphan", "spec:\n  selector: {app: nothing}\n", "v1"
        ),
        "deploy/unrelated.yaml": _workload("batch", "app: batch"),
        # objects no graph rule reports on, naming what the others carry
        "deploy/crd.yaml": _manifest(
            "CustomResourceDefinition",
            "orders.example.com",
            "spec:\n  group: example.com\n  names: {kind: Orders, plural: orders}\n",
            "apiextensions.k8s.io/v1",
        ),
        "deploy/config.yaml": _manifest(
            "ConfigMap", "web", "  labels: {app: storefront}\ndata: {tier: payments}\n", "v1"
        ),
    }
    _write_repo(tmp_path, files)
    full = _findings(run_scan(["."], tmp_path, check_sarif=False))
    got = {(p, r) for p, _, _, r, _ in full}
    # the relations this test is about are really there
    assert ("deploy/web.yaml", "k8s-missing-hpa") in got
    assert ("deploy/orders.yaml", "k8s-missing-hpa") not in got  # its HPA is in another file
    assert ("deploy/orders.yaml", "k8s-missing-pdb") not in got  # the Exists PDB
    assert ("deploy/web.yaml", "k8s-missing-pdb") in got
    assert ("deploy/gone-hpa.yaml", "k8s-hpa-dangling") in got
    assert ("deploy/cache.yaml", "k8s-hpa-dangling") in got  # a kind known elsewhere
    assert ("deploy/orphan-svc.yaml", "k8s-service-selector-dangling") in got
    web_probe = [m for p, _, _, r, m in full if r == "k8s-missing-readiness-probe" and "web" in p]
    assert web_probe and "Service/escaped" in web_probe[0] and "Service/frontend" in web_probe[0]
    _assert_equivalent(tmp_path)
    # and the graph of a named run really is smaller: unrelated manifests are not parsed
    from linter import index as index_module

    parsed = parsed_paths(monkeypatch, index_module, "_parse")
    run_scan(["deploy/web.yaml"], tmp_path, check_sarif=False)
    assert "deploy/unrelated.yaml" not in parsed and "deploy/gone-hpa.yaml" not in parsed
    assert "deploy/frontend-svc.yaml" in parsed and "deploy/escaped-svc.yaml" in parsed
    # named objects that no graph rule reports on: no graph at all
    for path in ("deploy/crd.yaml", "deploy/config.yaml"):
        parsed.clear()
        run_scan([path], tmp_path, check_sarif=False)
        assert [p for p in parsed if p.startswith("deploy/")] == [path]


def test_a_chart_template_is_a_template_in_a_named_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file under a chart's templates/ is a Helm template in a named-file run too, whether or
    not the chart's Chart.yaml is named: it is never read as a plain manifest (whose objects
    would join the named manifests' graph)."""
    from linter import render

    monkeypatch.setattr(render, "which", lambda name: None)  # the same without helm installed
    files = {
        "deploy/web.yaml": _workload("web", "app: storefront"),
        "chart/Chart.yaml": "apiVersion: v2\nname: shop\nversion: 1.0.0\n",
        "chart/templates/svc.yaml": _manifest(
            "Service",
            "{{ .Release.Name }}-web",
            "spec:\n  selector: {app: storefront}\n  ports: [{port: 80}]\n",
            "v1",
        ),
    }
    _write_repo(tmp_path, files)
    full = run_scan(["."], tmp_path, check_sarif=False)
    probe = [f.message for f in full.findings if f.rule_id == "k8s-missing-readiness-probe"]
    assert probe and "sends it traffic" not in probe[0]  # the template's Service is not parsed
    _assert_equivalent(tmp_path)
    named = run_scan(["chart/templates/svc.yaml"], tmp_path, check_sarif=False)
    assert [n.message for n in named.notifications if n.path == "chart/Chart.yaml"] == [
        "helm is not on PATH; Helm chart not rendered or checked"
    ]


CORPUS_REPO = SHARED / "corpus" / "GoogleCloudPlatform__microservices-demo"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_REPO.is_dir(), reason=f"corpus repo not found at {CORPUS_REPO}")
def test_corpus_manifests_and_charts_file_by_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real manifests, kustomizations and a Helm chart (rendering stubbed: the same on every
    machine): each one named alone gets the findings and notes a full scan gives it."""
    from linter import render
    from linter.model import ArtifactKind

    monkeypatch.setattr(render, "which", lambda name: None)
    repo = tmp_path / "repo"
    shutil.copytree(CORPUS_REPO, repo, symlinks=True)
    _git_repo(repo)
    full = run_scan(["."], repo, check_sarif=False)
    assert full.index is not None
    kinds = {ArtifactKind.K8S, ArtifactKind.HELM_TEMPLATE, ArtifactKind.KUSTOMIZATION}
    files = sorted(f.path for f in full.index.all_found() if full.index.kind_of(f) in kinds)
    assert len(files) > 40  # the sample below is drawn from real variety
    mismatches = []
    for cache_dir in (None, "", ""):  # as in _assert_equivalent
        for path in files:
            named = run_scan([path], repo, check_sarif=False, cache_dir=cache_dir)
            if _findings(named) != _findings(full, path) or _notes(named, path) != _notes(
                full, path
            ):
                mismatches.append((cache_dir, path))
    assert mismatches == []


def _notes(result: object, path: str) -> list[tuple[str, str]]:
    """What a scan noted about one file (an unparsed file, a template read as a manifest)."""
    notes = result.notifications  # type: ignore[attr-defined]
    return sorted((n.code, n.message) for n in notes if n.path == path)


def test_env_templates_file_by_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A template nested below another is the nearest one of the code beside it; a named
    template reads only the templates at or below it."""
    files = {
        ".env.example": "ROOT_ONLY=\n",
        "tool.py": 'import os\nx = os.environ["ROOT_ONLY"]\ny = os.environ["TOOL_TOKEN"]\n',
        "services/api/.env.example": "DATABASE_URL=\n",
        "services/api/app.py": 'import os\nurl = os.environ["DATABASE_URL"]\n'
        'key = os.environ["STRIPE_KEY"]\n',
        "services/api/worker/.env.example": "QUEUE_URL=\n",
        "services/api/worker/run.py": 'import os\nq = os.environ["QUEUE_URL"]\n'
        'd = os.environ["DATABASE_URL"]\n',
        "services/web/.env.example": "PORT=\n",
        "services/web/server.js": "const port = process.env.PORT;\nconst s = process.env.SECRET;\n",
    }
    _write_repo(tmp_path, files)
    full = _findings(run_scan(["."], tmp_path, check_sarif=False))
    incomplete = {p: m for p, _, _, r, m in full if r == "env-template-incomplete"}
    assert sorted(incomplete) == [
        ".env.example",
        "services/api/.env.example",
        "services/api/worker/.env.example",
        "services/web/.env.example",
    ]
    assert "`DATABASE_URL`" in incomplete["services/api/worker/.env.example"]
    assert "`QUEUE_URL`" not in incomplete["services/api/.env.example"]  # worker's is nearer
    assert "`TOOL_TOKEN`" in incomplete[".env.example"]
    assert "`STRIPE_KEY`" not in incomplete[".env.example"]  # api's template is nearer
    _assert_equivalent(tmp_path)
    from linter.parsers import envfile

    parsed = parsed_paths(monkeypatch, envfile, "parse_env")
    run_scan(["services/api/.env.example"], tmp_path, check_sarif=False)
    assert sorted(set(parsed)) == ["services/api/.env.example", "services/api/worker/.env.example"]


def test_go_module_file_by_file(tmp_path: Path) -> None:
    """go.mod (a text file) is where the dependency findings of a Go service sit: a run on the
    named go.mod reports them too."""
    _write_repo(
        tmp_path,
        {
            "svc/go.mod": "module example.com/svc\n\ngo 1.22\n\nrequire (\n"
            "\tgithub.com/gin-gonic/gin v1.9.1\n\tgithub.com/lib/pq v1.10.9\n)\n",
            "svc/main.go": 'package main\n\nimport (\n\t"github.com/gin-gonic/gin"\n'
            '\t_ "github.com/lib/pq"\n)\n\nfunc main() {\n\tr := gin.Default()\n'
            '\tr.GET("/healthz", func(c *gin.Context) { c.String(200, "ok") })\n'
            '\tr.Run(":8080")\n}\n',
        },
    )
    full = {(p, r) for p, _, _, r, _ in _findings(run_scan(["."], tmp_path, check_sarif=False))}
    assert {
        ("svc/go.mod", "code-missing-metrics"),
        ("svc/go.mod", "repo-missing-api-spec"),
        ("svc/go.mod", "repo-missing-migrations"),
    } <= full
    _assert_equivalent(tmp_path)


def test_alert_rules_file_by_file(tmp_path: Path) -> None:
    """The repo-wide alert finding sits on the first rules file in every run (a named run of
    another rules file does not move it there)."""
    rules = "groups:\n- name: {0}\n  rules:\n  - alert: {0}Down\n    expr: up == 0\n"
    _write_repo(
        tmp_path,
        {
            "monitoring/a-rules.yaml": rules.format("A"),
            "monitoring/b-rules.yaml": rules.format("B"),
        },
    )
    full = {(p, r) for p, _, _, r, _ in _findings(run_scan(["."], tmp_path, check_sarif=False))}
    assert ("monitoring/a-rules.yaml", "obs-missing-critical-alerts") in full
    _assert_equivalent(tmp_path)


def test_a_named_file_gives_the_same_findings_from_any_directory_of_the_repo(
    tmp_path: Path,
) -> None:
    """From a subdirectory, display paths are relative to the repository, as from its root:
    shown relative to the working directory inside it and absolute outside it, the joins across
    files (a Dockerfile's build context and .dockerignore, the workloads running its image)
    failed, and ``prodready check svc/Dockerfile`` run from ``services/`` reported nothing."""
    _write_repo(
        tmp_path,
        {
            "services/api/Dockerfile": (
                'FROM python:3.12-slim\nUSER app\nCMD ["python", "app.py"]\n'
            ),
            "services/api/app.py": "print('hi')\n",
            "k8s/api.yaml": (
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api}\nspec:\n"
                "  template:\n    spec:\n      containers:\n      - name: api\n"
                "        image: registry.example/api:1.0\n"
            ),
        },
    )
    dockerfile = "services/api/Dockerfile"
    want = _findings(run_scan([dockerfile], tmp_path, check_sarif=False))
    assert [(p, rule) for p, _, _, rule, _ in want] == [
        (dockerfile, "docker-missing-dockerignore"),
        (dockerfile, "docker-missing-healthcheck"),
    ]
    for cwd, name in [
        ("services", "api/Dockerfile"),
        ("services/api", "Dockerfile"),
        ("services/api", "../api/Dockerfile"),
        ("k8s", "../services/api/Dockerfile"),
    ]:
        got = _findings(run_scan([name], tmp_path / cwd, check_sarif=False))
        assert (cwd, name, got) == (cwd, name, want)
    # a directory above the working directory: its files too
    whole = run_scan(["."], tmp_path, check_sarif=False)
    assert _findings(run_scan([".."], tmp_path / "k8s", check_sarif=False)) == _findings(whole)
