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
from tests.conftest import SHARED, run_scan

ROOT = Path(__file__).resolve().parent.parent


def _git_repo(path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(path)], check=True)


def _findings(result: object, path: str | None = None) -> list[tuple[str, int, int, str, str]]:
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_col, f.rule_id, f.message)
        for f in result.findings  # type: ignore[attr-defined]
        if path is None or f.location.path == path
    )


def _assert_equivalent(repo: Path) -> None:
    full = run_scan(["."], repo, check_sarif=False)
    files = [f.path for f in walk(str(repo), str(repo), [], [])]
    assert files
    mismatches = []
    for path in files:
        named = run_scan([path], repo, check_sarif=False)
        want = _findings(full, path)
        got = _findings(named)
        if got != want:
            mismatches.append((path, sorted(set(want) - set(got)), sorted(set(got) - set(want))))
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
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    _git_repo(tmp_path)
    full = _findings(run_scan(["."], tmp_path, check_sarif=False))
    joined = {(p, r) for p, _, _, r, _ in full}
    # the cases this test is about are really there
    assert ("deploy/api.yaml", "code-health-endpoint-missing") in joined
    assert ("services/api/Dockerfile", "code-node-heap-exceeds-limit") in joined
    _assert_equivalent(tmp_path)


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
