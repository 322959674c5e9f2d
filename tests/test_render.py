"""Helm and Kustomize rendering with fake renderers on PATH (no network, no real binary)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from linter import render
from linter.engine import ScanOptions, scan
from linter.model import Notification
from tests.conftest import run_scan, triples

GIT = shutil.which("git") or "git"  # found before a test empties PATH

TEMPLATE = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-api
spec:
  replicas: {{ .Values.replicas }}
  template:
    spec:
      containers:
        - name: api
          image: "{{ .Values.image }}"
          {{- with .Values.probe }}
          readinessProbe: {{ toYaml . | nindent 12 }}
          {{- end }}
"""

HELM_OUTPUT = """\
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prodready-api
spec:
  replicas: 1
  template:
    spec:
      containers:
        - name: api
          image: "redis:latest"
---
# Source: shop/templates/generated.yaml
apiVersion: v1
kind: Pod
metadata:
  name: extra
spec:
  containers:
    - name: extra
      image: busybox
"""


def _fake(bin_dir: Path, name: str, body: str) -> None:
    path = bin_dir / name
    path.write_text("#!/bin/sh\nPATH=/usr/bin:/bin\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


@pytest.fixture
def bin_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An otherwise empty PATH: only the fake renderers a test puts there are found."""
    d = tmp_path / "bin"
    d.mkdir()
    monkeypatch.setenv("PATH", str(d))
    return d


def _chart(root: Path) -> Path:
    chart = root / "charts" / "shop"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("replicas: 1\nimage: redis:latest\n")
    (chart / "templates" / "deployment.yaml").write_text(TEMPLATE)
    return chart


def _codes(notes: list[Notification]) -> list[tuple[str | None, str]]:
    return [(n.path, n.code) for n in notes if n.code.startswith("prodready-render")]


def test_helm_chart_findings_map_to_template_lines(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _chart(repo)
    (tmp_path / "out.yaml").write_text(HELM_OUTPUT)
    _fake(bin_dir, "helm", f'echo "$@" > "{tmp_path}/argv"\ncat "{tmp_path}/out.yaml"\n')
    result = run_scan(
        ["."],
        cwd=repo,
        select=["k8s-image-tag-mutable", "k8s-single-replica", "k8s-missing-readiness-probe"],
    )
    assert triples(result) == [
        "charts/shop/Chart.yaml:1:1 k8s-image-tag-mutable",
        "charts/shop/Chart.yaml:1:1 k8s-missing-readiness-probe",
        "charts/shop/templates/deployment.yaml:6:13 k8s-single-replica",
        "charts/shop/templates/deployment.yaml:10:11 k8s-missing-readiness-probe",
        "charts/shop/templates/deployment.yaml:11:18 k8s-image-tag-mutable",
    ]
    msgs = {f.message for f in result.active}
    assert "Deployment/prodready-api runs 1 replica(s) (minimum 2)." in msgs
    assert _codes(result.notifications) == []
    argv = (tmp_path / "argv").read_text().split()
    assert argv[:3] == ["template", "prodready", str(repo / "charts" / "shop")]
    assert "--values" not in argv


def test_map_line_heuristics() -> None:
    # the replicas line is templated: the finding points at the template expression
    assert render.map_line(["  replicas: 1"], 1, 13, TEMPLATE) == (6, 13)
    assert render.map_line(["        - name: api"], 1, 11, TEMPLATE) == (10, 11)
    assert render.map_line(["          image: 'x:latest'"], 1, 18, TEMPLATE) == (11, 18)
    assert render.map_line(["nothing: here"], 1, 1, TEMPLATE) == (1, 1)


def test_helm_values_option_is_passed(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _chart(repo)
    values = tmp_path / "prod-values.yaml"
    values.write_text("replicas: 3\n")
    (tmp_path / "out.yaml").write_text(HELM_OUTPUT)
    _fake(bin_dir, "helm", f'echo "$@" > "{tmp_path}/argv"\ncat "{tmp_path}/out.yaml"\n')
    old = os.getcwd()
    os.chdir(repo)
    try:
        scan(ScanOptions(paths=["."], select=["k8s-image-tag-mutable"], helm_values=[str(values)]))
    finally:
        os.chdir(old)
    argv = (tmp_path / "argv").read_text().split()
    assert argv[-2:] == ["--values", str(values)]


def test_missing_helm_is_a_notification(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _chart(repo)
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert result.active == []
    assert _codes(result.notifications) == [("charts/shop/Chart.yaml", "prodready-render-skipped")]
    # the raw template is never parsed as YAML: no parse error for `{{- with … }}`
    assert not [n for n in result.notifications if n.code == "prodready-parse-error"]


def test_helm_failure_and_garbage_output_are_notifications(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _chart(repo)
    _fake(
        bin_dir, "helm", "echo 'Error: found in Chart.yaml, but missing in charts/' >&2\nexit 1\n"
    )
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    [note] = [n for n in result.notifications if n.code == "prodready-render-error"]
    assert note.path == "charts/shop/Chart.yaml"
    assert "missing in charts/" in note.message

    _fake(bin_dir, "helm", "printf '# Source: shop/templates/deployment.yaml\\nkind: [\\n'\n")
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    [note] = [n for n in result.notifications if n.code == "prodready-parse-error"]
    assert note.path == "charts/shop/templates/deployment.yaml"
    assert note.message.startswith("rendered invalid YAML")
    assert result.internal_errors == 0


def test_renderer_timeout(tmp_path: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    _chart(repo)
    _fake(bin_dir, "helm", "exec sleep 10\n")
    monkeypatch.setattr(render, "RENDER_TIMEOUT", 0.5)
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    [note] = [n for n in result.notifications if n.code == "prodready-render-error"]
    assert "timed out" in note.message


def test_subcharts_are_rendered_with_their_parent_only(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    chart = _chart(repo)
    sub = chart / "charts" / "db"
    (sub / "templates").mkdir(parents=True)
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: db\nversion: 0.1.0\n")
    _fake(bin_dir, "helm", f'echo "$@" >> "{tmp_path}/calls"\n')
    run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [c.split()[2] for c in calls] == [str(chart)]


BASE_DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:1.2.0
"""

KUSTOMIZE_OUTPUT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prod-api
spec:
  template:
    spec:
      containers:
        - name: api
          image: ghcr.io/acme/api:latest
---
apiVersion: v1
kind: Pod
metadata:
  name: generated
spec:
  containers:
    - name: gen
      image: busybox
"""


def _kustomize_repo(repo: Path, overlay_resources: str = "  - ../../base\n") -> None:
    (repo / "base").mkdir(parents=True)
    (repo / "base" / "deploy.yaml").write_text(BASE_DEPLOY)
    (repo / "base" / "kustomization.yaml").write_text("resources:\n  - deploy.yaml\n")
    (repo / "overlays" / "prod").mkdir(parents=True)
    (repo / "overlays" / "prod" / "kustomization.yaml").write_text(
        "namePrefix: prod-\nresources:\n" + overlay_resources
    )


def test_kustomize_builds_overlays_and_keeps_new_objects(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    (tmp_path / "out.yaml").write_text(KUSTOMIZE_OUTPUT)
    _fake(bin_dir, "kustomize", f'echo "$@" >> "{tmp_path}/calls"\ncat "{tmp_path}/out.yaml"\n')
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    # prod-api is base/deploy.yaml's api (already checked there); the generated Pod is new
    assert triples(result) == ["overlays/prod/kustomization.yaml:1:1 k8s-image-tag-mutable"]
    assert "Pod/generated" not in result.active[0].message  # message names the container
    assert "`busybox`" in result.active[0].message
    calls = (tmp_path / "calls").read_text().splitlines()
    assert calls == [f"build {repo / 'overlays' / 'prod'}"]


def test_kubectl_kustomize_is_the_fallback(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    _fake(bin_dir, "kubectl", f'echo "$@" >> "{tmp_path}/calls"\n')
    run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert (tmp_path / "calls").read_text().split()[0] == "kustomize"


def test_remote_bases_are_never_fetched(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo, "  - ../../base\n  - https://github.com/acme/deploy//base?ref=v1\n")
    _fake(bin_dir, "kustomize", f'touch "{tmp_path}/ran"\n')
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert not (tmp_path / "ran").exists()
    assert _codes(result.notifications) == [
        ("overlays/prod/kustomization.yaml", "prodready-render-skipped")
    ]


def test_missing_kustomize_is_a_notification(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert _codes(result.notifications) == [
        ("overlays/prod/kustomization.yaml", "prodready-render-skipped")
    ]


def test_cli_helm_values_option(
    tmp_path: Path, bin_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from linter.cli import main

    repo = tmp_path / "repo"
    _chart(repo)
    values = tmp_path / "prod.yaml"
    values.write_text("replicas: 3\n")
    (tmp_path / "out.yaml").write_text(HELM_OUTPUT)
    _fake(bin_dir, "helm", f'echo "$@" > "{tmp_path}/argv"\ncat "{tmp_path}/out.yaml"\n')
    old = os.getcwd()
    os.chdir(repo)
    try:
        code = main(["check", "--select", "k8s-single-replica", "--helm-values", str(values), "."])
    finally:
        os.chdir(old)
    assert code == 1
    assert (
        "charts/shop/templates/deployment.yaml:6:13: k8s-single-replica" in capsys.readouterr().out
    )
    assert (tmp_path / "argv").read_text().split()[-2:] == ["--values", str(values)]


@pytest.mark.skipif(
    render.which("kustomize") is None and render.which("kubectl") is None,
    reason="needs a real kustomize or kubectl",
)
def test_real_kustomize_build(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "vendor").mkdir(parents=True)
    (repo / ".gitignore").write_text("vendor/\n")  # not scanned as a plain manifest
    (repo / "vendor" / "deploy.yaml").write_text(BASE_DEPLOY.replace("1.2.0", "latest"))
    (repo / "vendor" / "kustomization.yaml").write_text("resources:\n  - deploy.yaml\n")
    (repo / "app").mkdir()
    (repo / "app" / "kustomization.yaml").write_text(
        "namePrefix: prod-\nresources:\n  - ../vendor\n"
    )
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert _codes(result.notifications) == []
    assert triples(result) == ["app/kustomization.yaml:1:1 k8s-image-tag-mutable"]
    assert "`ghcr.io/acme/api:latest`" in result.active[0].message


def test_a_named_template_is_rendered_with_its_chart(tmp_path: Path, bin_dir: Path) -> None:
    """Pre-commit names the template it changed, not Chart.yaml: the chart is rendered all the
    same, and the template's findings are those of a full scan."""
    repo = tmp_path / "repo"
    _chart(repo)
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    (tmp_path / "out.yaml").write_text(HELM_OUTPUT)
    _fake(bin_dir, "helm", f'cat "{tmp_path}/out.yaml"\n')
    rules = ["k8s-image-tag-mutable", "k8s-single-replica", "k8s-missing-readiness-probe"]
    template = "charts/shop/templates/deployment.yaml"
    full = [t for t in triples(run_scan(["."], cwd=repo, select=rules)) if t.startswith(template)]
    named = run_scan([template], cwd=repo, select=rules)
    assert (
        triples(named)
        == full
        == [
            "charts/shop/templates/deployment.yaml:6:13 k8s-single-replica",
            "charts/shop/templates/deployment.yaml:10:11 k8s-missing-readiness-probe",
            "charts/shop/templates/deployment.yaml:11:18 k8s-image-tag-mutable",
        ]
    )


def test_a_named_template_without_helm_is_a_notification(tmp_path: Path, bin_dir: Path) -> None:
    repo = tmp_path / "repo"
    _chart(repo)
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    result = run_scan(["charts/shop/templates/deployment.yaml"], cwd=repo)
    assert _codes(result.notifications) == [("charts/shop/Chart.yaml", "prodready-render-skipped")]
    assert not result.findings


def test_a_named_kustomization_is_built(tmp_path: Path, bin_dir: Path) -> None:
    """Pre-commit names the overlay it changed: it is built and checked as in a full scan."""
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    (tmp_path / "out.yaml").write_text(KUSTOMIZE_OUTPUT)
    _fake(bin_dir, "kustomize", f'cat "{tmp_path}/out.yaml"\n')
    overlay = "overlays/prod/kustomization.yaml"
    named = run_scan([overlay], cwd=repo, select=["k8s-image-tag-mutable"])
    assert triples(named) == [f"{overlay}:1:1 k8s-image-tag-mutable"]


def test_a_named_kustomization_without_kustomize_is_a_notification(
    tmp_path: Path, bin_dir: Path
) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    named = run_scan(["overlays/prod/kustomization.yaml"], cwd=repo)
    assert _codes(named.notifications) == [
        ("overlays/prod/kustomization.yaml", "prodready-render-skipped")
    ]


PROBED = """\
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: prodready-api
spec:
  template:
    spec:
      containers:
        - name: api
          image: registry.example.com/shop/api:1.2.3
          readinessProbe:
            httpGet:
              path: /ready
              port: 8080
"""


def test_probe_paths_against_routes_file_by_file(tmp_path: Path, bin_dir: Path) -> None:
    """code-health-endpoint-missing with named files: a probe in a named chart template (its
    finding is on the rendered manifest until mapped back) and a HEALTHCHECK in a named
    Dockerfile are checked against the routes of the code; a named code file gets neither."""
    repo = tmp_path / "repo"
    _chart(repo)
    files = {
        "services/api/package.json": '{"name": "api", "main": "server.js"}\n',
        "services/api/server.js": "const express = require('express');\n"
        "const app = express();\napp.get('/healthz', (req, res) => res.send('ok'));\n"
        "app.listen(8080);\n",
        "services/api/Dockerfile": "FROM node:20.11-slim\nCOPY . .\nUSER node\n"
        "HEALTHCHECK CMD curl -f http://localhost:8080/live || exit 1\n"
        'CMD ["node", "server.js"]\n',
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    (tmp_path / "out.yaml").write_text(PROBED)
    _fake(bin_dir, "helm", f'cat "{tmp_path}/out.yaml"\n')
    rule = ["code-health-endpoint-missing"]
    template = "charts/shop/templates/deployment.yaml"
    full = triples(run_scan(["."], cwd=repo, select=rule))
    assert full == [
        f"{template}:1:1 code-health-endpoint-missing",
        "services/api/Dockerfile:4:1 code-health-endpoint-missing",
    ]
    for path in [template, "services/api/Dockerfile", "services/api/server.js"]:
        named = triples(run_scan([path], cwd=repo, select=rule))
        assert named == [t for t in full if t.startswith(path + ":")]


def test_renderers_run_side_by_side(
    tmp_path: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two overlays' builds: each one waits for the other to start, so run one after the other
    the first would give up (and its overlay would not be checked)."""
    from linter import parallel

    monkeypatch.setattr(parallel, "default_jobs", lambda: 2)
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    (repo / "overlays" / "staging").mkdir()
    (repo / "overlays" / "staging" / "kustomization.yaml").write_text(
        "namePrefix: staging-\nresources:\n  - ../../base\n"
    )
    for name in ("prod", "staging"):
        (tmp_path / f"out-{name}.yaml").write_text(
            f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}-extra\nspec:\n"
            "  containers:\n    - name: extra\n      image: busybox\n"
        )
    _fake(
        bin_dir,
        "kustomize",
        f'T="{tmp_path}"\nname=$(basename "$2")\ntouch "$T/started-$name"\ni=0\n'
        'while [ ! -e "$T/started-prod" ] || [ ! -e "$T/started-staging" ]; do\n'
        '  i=$((i + 1))\n  if [ $i -gt 300 ]; then echo "the other build never started" >&2; '
        "exit 1; fi\n  sleep 0.05\ndone\n"
        'cat "$T/out-$name.yaml"\n',
    )
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert _codes(result.notifications) == []
    assert triples(result) == [
        "overlays/prod/kustomization.yaml:1:1 k8s-image-tag-mutable",
        "overlays/staging/kustomization.yaml:1:1 k8s-image-tag-mutable",
    ]


def _age(*paths: Path) -> None:
    """Make each file (and every file below each directory) a minute old: a render is only
    cached when its inputs are older than the mtime granularity window."""
    old = time.time() - 60
    for path in paths:
        for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
            os.utime(p, (old, old), follow_symlinks=False)


def _scan_cached(repo: Path, cache: Path | None) -> tuple[list[str], list[Notification]]:
    """A scan with the cache; a file no build reads changes first, so that the scan is not
    replayed whole from the scan cache (each one renders, from the render cache or not)."""
    bump = repo / "notes.txt"
    bump.write_text(bump.read_text() + "x" if bump.exists() else "x")
    old = os.getcwd()
    os.chdir(repo)
    try:
        result = scan(
            ScanOptions(
                paths=["."],
                select=["k8s-image-tag-mutable"],
                cache_dir=None if cache is None else str(cache),
            )
        )
    finally:
        os.chdir(old)
    return triples(result), result.notifications


def _calls(tmp_path: Path) -> int:
    calls = tmp_path / "calls"
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def test_render_cache_reuses_a_build_while_nothing_it_reads_changed(
    tmp_path: Path, bin_dir: Path
) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    # a patch outside the overlay's directory: named by path, so part of what it reads
    (repo / "patches").mkdir()
    (repo / "patches" / "replicas.yaml").write_text("kind: Deployment\n")
    kust = repo / "overlays" / "prod" / "kustomization.yaml"
    kust.write_text(kust.read_text() + "patches:\n  - path: ../../patches/replicas.yaml\n")
    (tmp_path / "out.yaml").write_text(KUSTOMIZE_OUTPUT)
    _fake(bin_dir, "kustomize", f'echo "$@" >> "{tmp_path}/calls"\ncat "{tmp_path}/out.yaml"\n')
    cache = tmp_path / "cache"
    want = ["overlays/prod/kustomization.yaml:1:1 k8s-image-tag-mutable"]
    _age(repo)
    assert _scan_cached(repo, cache)[0] == want
    assert _calls(tmp_path) == 1
    assert _scan_cached(repo, cache)[0] == want
    assert _calls(tmp_path) == 1  # from the cache
    # an edit anywhere it reads: in a base, in a file it names; each is built again once
    for edited in (repo / "base" / "deploy.yaml", repo / "patches" / "replicas.yaml"):
        edited.write_text(edited.read_text() + "# edited\n")
        _age(edited)
        before = _calls(tmp_path)
        assert _scan_cached(repo, cache)[0] == want
        assert _scan_cached(repo, cache)[0] == want
        assert _calls(tmp_path) == before + 1
    # an unreadable entry: noted, built again, and written again
    entries = sorted(cache.glob("render-*.json"))
    assert entries
    for entry in entries:
        entry.write_text("{")
    found, notes = _scan_cached(repo, cache)
    assert found == want
    assert [n.code for n in notes if n.code == "prodready-cache-ignored"] == [
        "prodready-cache-ignored"
    ]
    assert _calls(tmp_path) == 4
    assert _scan_cached(repo, cache)[0] == want
    assert _calls(tmp_path) == 4


@pytest.mark.parametrize("case", ["no-cache", "recent", "symlink", "symlinked-directory"])
def test_render_cache_never_keeps_what_may_change_unseen(
    tmp_path: Path, bin_dir: Path, case: str
) -> None:
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    (tmp_path / "out.yaml").write_text(KUSTOMIZE_OUTPUT)
    _fake(bin_dir, "kustomize", f'echo "$@" >> "{tmp_path}/calls"\ncat "{tmp_path}/out.yaml"\n')
    cache: Path | None = tmp_path / "cache"
    if case == "symlink":  # a link in a base: what it points to may change
        (tmp_path / "elsewhere.yaml").write_text("kind: ConfigMap\n")
        (repo / "base" / "linked.yaml").symlink_to(tmp_path / "elsewhere.yaml")
    if case == "symlinked-directory":
        (tmp_path / "shared").mkdir()
        (repo / "base" / "shared").symlink_to(tmp_path / "shared")
    _age(repo)
    if case == "no-cache":
        cache = None
    elif case == "recent":  # changed just now: it may change again within its mtime tick
        (repo / "base" / "deploy.yaml").write_text(BASE_DEPLOY)
    for n in (1, 2):
        _scan_cached(repo, cache)
        assert _calls(tmp_path) == n
    assert cache is None or not list(cache.glob("render-*.json"))


def test_a_named_run_builds_only_the_kustomizations_it_needs(tmp_path: Path, bin_dir: Path) -> None:
    """A kustomization's findings sit on its own file: a run on other named files builds none,
    unless a join over every object asks for them (the object graph of a named workload), and
    gives what a full scan gives on them."""
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    (repo / "overlays" / "staging").mkdir()
    (repo / "overlays" / "staging" / "kustomization.yaml").write_text(
        "namePrefix: staging-\nresources:\n  - ../../base\n"
    )
    (repo / "crd.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"
        "metadata:\n  name: widgets.example.com\nspec:\n  group: example.com\n"
    )
    # a repository: a named file's run sees all of it
    subprocess.run([GIT, "init", "-q", str(repo)], check=True)
    (tmp_path / "out.yaml").write_text(KUSTOMIZE_OUTPUT)
    _fake(bin_dir, "kustomize", f'echo "$2" >> "{tmp_path}/calls"\ncat "{tmp_path}/out.yaml"\n')
    built: dict[str, list[str]] = {}
    found: dict[str, list[str]] = {}
    full = run_scan(["."], cwd=repo, check_sarif=False)
    for path in (
        "crd.yaml",
        "overlays/prod/kustomization.yaml",
        "base/deploy.yaml",
        "base/kustomization.yaml",
    ):
        (tmp_path / "calls").write_text("")
        named = run_scan([path], cwd=repo, check_sarif=False)
        built[path] = sorted(
            os.path.relpath(line, repo) for line in (tmp_path / "calls").read_text().split()
        )
        found[path] = triples(named)
        assert found[path] == [t for t in triples(full) if t.startswith(path + ":")]
    every = ["overlays/prod", "overlays/staging"]
    assert built == {
        "crd.yaml": [],
        # workloads: the object graph and the service join hold every object (an HPA rendered
        # elsewhere may target one of them)
        "overlays/prod/kustomization.yaml": every,
        "base/deploy.yaml": every,
        "base/kustomization.yaml": [],  # not a leaf: it is built as part of the overlays
    }
    assert (
        "overlays/prod/kustomization.yaml:1:1 k8s-image-tag-mutable"
        in found["overlays/prod/kustomization.yaml"]
    )


def test_render_cache_key_leaves_out_the_cache_and_git(tmp_path: Path) -> None:
    """A kustomization at the repository root reads the whole tree, the cache and ``.git``
    aside: writing an entry (or a commit) does not change the key."""
    from linter import rendercache

    root = tmp_path / "repo"
    (root / ".prodready_cache").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "kustomization.yaml").write_text("resources: [deploy.yaml]\n")
    (root / "deploy.yaml").write_text(BASE_DEPLOY)
    argv = [shutil.which("sh") or "/bin/sh", "-c", "true"]
    cache = frozenset({str(root / ".prodready_cache")})

    def key() -> object:
        return rendercache.key(argv, str(root), [str(root)], [], cache)

    before = key()
    assert before is not None
    (root / ".prodready_cache" / "render-x.json").write_text("[]")
    (root / ".git" / "index").write_text("x")
    assert key() == before
    (root / "deploy.yaml").write_text(BASE_DEPLOY + "# edited\n")
    assert key() != before


@pytest.mark.parametrize("quoted", [False, True])
def test_kustomize_documents_of_known_objects_are_not_parsed(
    tmp_path: Path, bin_dir: Path, monkeypatch: pytest.MonkeyPatch, quoted: bool
) -> None:
    """prod-api is base/deploy.yaml's api: its document is left out before parsing when its
    kind and name are certain from the text; a quoted name is parsed, then dropped the same."""
    repo = tmp_path / "repo"
    _kustomize_repo(repo)
    out = (
        KUSTOMIZE_OUTPUT.replace("name: prod-api", 'name: "prod-api"')
        if quoted
        else (KUSTOMIZE_OUTPUT)
    )
    (tmp_path / "out.yaml").write_text(out)
    _fake(bin_dir, "kustomize", f'cat "{tmp_path}/out.yaml"\n')
    parsed: list[str] = []
    real = render.parse_yaml

    def spy(src: Any) -> Any:
        parsed.append(src.text)
        return real(src)

    monkeypatch.setattr(render, "parse_yaml", spy)
    result = run_scan(["."], cwd=repo, select=["k8s-image-tag-mutable"])
    assert triples(result) == ["overlays/prod/kustomization.yaml:1:1 k8s-image-tag-mutable"]
    [text] = parsed
    assert "name: generated" in text
    assert ("prod-api" in text) is quoted


def _reference_unknown_documents(text: str, plain: set[tuple[str, str]]) -> str:
    """The plain statement of what render._unknown_documents does (split, then three regexes
    per document), to check the one-pass version against."""
    import re

    kind_re = re.compile(r"^kind: ([A-Za-z][A-Za-z0-9]*)$", re.M)
    meta_re = re.compile(r"^metadata:", re.M)
    name_re = re.compile(r"^metadata:\n(?:  .*\n)*?  name: ([a-z][-a-z0-9.]*[a-z0-9])$", re.M)
    docs = re.split(r"^---[ \t]*\n", text, flags=re.M)
    kept = []
    for doc in docs:
        kinds = kind_re.findall(doc)
        name = name_re.search(doc) if len(kinds) == 1 else None
        if (
            name is not None
            and len(meta_re.findall(doc)) == 1
            and render._known(kinds[0], name.group(1), plain)
        ):
            continue
        kept.append(doc)
    return text if len(kept) == len(docs) else "---\n".join(kept)


_LINES = [
    "---",
    "--- ",
    "---\t",
    "----",
    "--- # c",
    "kind: Deployment",
    "kind: Service",
    "kind: 'Service'",
    "kind:",
    " kind: Service",
    "metadata:",
    "metadata: {}",
    "  name: api",
    "  name: web",
    '  name: "api"',
    "  labels:",
    "    name: api",
    "  namespace: prod",
    "spec:",
    "  replicas: 2",
    "",
    "apiVersion: v1",
]


@pytest.mark.parametrize("end", ["", "\n"])
def test_unknown_documents_matches_its_plain_statement(end: str) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    plain = {("Deployment", "api"), ("Service", "web")}

    @settings(max_examples=400, deadline=None)
    @given(st.lists(st.sampled_from(_LINES), max_size=30))
    def check(lines: list[str]) -> None:
        text = "\n".join(lines) + end
        assert render._unknown_documents(text, plain) == _reference_unknown_documents(text, plain)

    check()
    # and a kustomize-like stream where documents are dropped
    doc = "apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    a: b\n  name: web\nspec: {}\n"
    other = doc.replace("web", "other")
    text = doc + "---\n" + other + "---\n" + doc
    assert render._unknown_documents(text, plain) == other
