"""The plain manifests' (kind, name) pairs a run on named files takes from the cache
(linter/plainobjects.py) instead of parsing every manifest of the repo: same rendered objects,
same findings, and a manifest whose bytes changed is parsed again."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from linter import render
from tests.conftest import parsed_paths
from tests.test_render import GIT, KUSTOMIZE_OUTPUT, _fake, _kustomize_repo
from tests.test_skim import _scan as scan_in

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: ghcr.io/acme/web:1.0.0
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """base/deploy.yaml (Deployment api), an overlay whose (fake) build gives prod-api and a
    Pod, and app/deploy.yaml (Deployment web, the named file), in a git work tree."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    root = tmp_path / "repo"
    _kustomize_repo(root)
    (root / "app").mkdir()
    (root / "app" / "deploy.yaml").write_text(APP)
    subprocess.run([GIT, "init", "-q", str(root)], check=True)
    (tmp_path / "out.yaml").write_text(KUSTOMIZE_OUTPUT)
    _fake(bin_dir, "kustomize", f'cat "{tmp_path}/out.yaml"\n')
    return root


def _scan(root: Path, paths: list[str], cache: bool = True) -> Any:
    return scan_in(root, paths, cache)


def _findings(result: Any) -> list[tuple[str, int, int, str, str]]:
    return sorted(
        (f.location.path, f.location.start_line, f.location.start_col, f.rule_id, f.message)
        for f in result.findings
        if f.location.path == "app/deploy.yaml"
    )


def _rendered(result: Any) -> list[str]:
    return sorted(o.label for m in render.rendered_manifests(result.index) for o in m.objects)


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    import linter.index as index_module

    return parsed_paths(monkeypatch, index_module, "_parse")


def test_named_run_takes_the_pairs_from_the_cache(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = _scan(repo, ["."], cache=False)
    want = _findings(full)
    assert want
    parsed = _parsed(monkeypatch)
    first = _scan(repo, ["app/deploy.yaml"])
    assert "base/deploy.yaml" in parsed  # no entry yet: every manifest parsed for its pairs
    assert list((repo / ".prodready_cache").glob("plain-*.json"))
    parsed.clear()
    second = _scan(repo, ["app/deploy.yaml"])
    assert "base/deploy.yaml" not in parsed
    for result in (first, second):
        assert _findings(result) == want
        # prod-api is base/deploy.yaml's api: dropped from the overlay's output
        assert _rendered(result) == ["Pod/generated"]


def test_changed_manifest_is_parsed_again(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _scan(repo, ["app/deploy.yaml"])
    deploy = repo / "base" / "deploy.yaml"
    deploy.write_text(deploy.read_text().replace("name: api", "name: apix"))
    parsed = _parsed(monkeypatch)
    result = _scan(repo, ["app/deploy.yaml"])
    assert "base/deploy.yaml" in parsed
    # prod-api no longer names a plain object: the overlay's output keeps it
    assert _rendered(result) == ["Deployment/prod-api", "Pod/generated"]
    assert _rendered(_scan(repo, ["."], cache=False)) == _rendered(result)


def test_manifest_that_fails_to_parse_holds_no_pairs(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy = repo / "base" / "deploy.yaml"
    deploy.write_text(deploy.read_text() + "  bad: [\n")
    _scan(repo, ["app/deploy.yaml"])
    parsed = _parsed(monkeypatch)
    result = _scan(repo, ["app/deploy.yaml"])
    assert "base/deploy.yaml" not in parsed  # its empty list is remembered too
    assert _rendered(result) == ["Deployment/prod-api", "Pod/generated"]


@pytest.mark.parametrize("bad", ["{not json", '{"format": 1, "files": {"x": 3}}', "[]"])
def test_unreadable_entry_is_noted_and_rebuilt(
    repo: Path, monkeypatch: pytest.MonkeyPatch, bad: str
) -> None:
    _scan(repo, ["app/deploy.yaml"])
    (entry,) = (repo / ".prodready_cache").glob("plain-*.json")
    entry.write_text(bad)
    parsed = _parsed(monkeypatch)
    result = _scan(repo, ["app/deploy.yaml"])
    assert "base/deploy.yaml" in parsed
    assert [n.code for n in result.notifications if "plain-objects" in n.message] == [
        "prodready-cache-ignored"
    ]
    assert _rendered(result) == ["Pod/generated"]
    parsed.clear()
    _scan(repo, ["app/deploy.yaml"])  # rebuilt
    assert "base/deploy.yaml" not in parsed
