"""The registry manifest (linter/registry.py): rules without importing every policy module, the
same results as the entry points give, and a manifest that is no longer true is not used."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from linter import registry as reg
from linter.engine import ScanOptions, scan
from linter.model import Notification

DOCKERFILE = 'FROM python:latest\nUSER app\nCMD ["python", "app.py"]\n'
MANIFEST = (
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
    "spec:\n  containers:\n  - name: a\n    image: a:latest\n"
)


@pytest.fixture(autouse=True)
def _fresh_registry() -> Iterator[None]:
    """Every test starts and ends with no manifest-backed registry active."""
    reg._ACTIVE = None
    reg._RESOLVED.clear()
    yield
    reg._ACTIVE = None
    reg._RESOLVED.clear()


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "Dockerfile").write_text(DOCKERFILE)
    (root / "svc" / "pod.yaml").write_text(MANIFEST)
    (root / "svc" / "app.py").write_text("print('hi')\n")
    return root


def _manifests(cache: Path) -> list[Path]:
    return sorted(cache.glob("registry-*.json"))


def test_every_builtin_rule_round_trips_through_the_manifest() -> None:
    manifest = reg._manifest(reg._eager())
    assert manifest is not None
    lazy = reg._from_manifest(json.loads(json.dumps(manifest)))
    assert lazy is not None
    eager = reg._eager()
    assert [p.meta for p in lazy.policies.values()] == [p.meta for p in eager.policies.values()]
    for rid, pol in lazy.policies.items():
        assert isinstance(pol.check, reg.LazyCheck)
        assert pol.check.resolve() is eager.policies[rid].check, rid


def _findings(root: Path, cache: Path | None, *paths: str) -> list[tuple[str, str, int, int]]:
    opts = ScanOptions(
        paths=[str(root / p) for p in paths] or [str(root)],
        base=str(root),
        cache_dir=None if cache is None else str(cache),
    )
    result = scan(opts)
    return [
        (f.rule_id, f.location.path, f.location.start_line, f.location.start_col)
        for f in result.findings
    ]


def test_a_scan_writes_the_manifest_and_the_next_gives_the_same_findings(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path), tmp_path / "cache"
    eager = _findings(root, None, "svc/Dockerfile")
    assert eager == [
        ("docker-base-image-unpinned", "svc/Dockerfile", 1, 1),
        ("docker-missing-dockerignore", "svc/Dockerfile", 1, 1),
        ("docker-missing-healthcheck", "svc/Dockerfile", 1, 1),
        ("repo-missing-docs", "svc/Dockerfile", 1, 1),
    ]
    first = _findings(root, cache, "svc/Dockerfile")  # writes the manifest
    assert len(_manifests(cache)) == 1
    reg._ACTIVE = None
    second = _findings(root, cache, "svc/Dockerfile")  # from the manifest
    assert isinstance(next(iter(reg.load().policies.values())).check, reg.LazyCheck)
    assert first == eager and second == eager
    # a whole-repo scan from the manifest: the same as from the entry points
    reg._ACTIVE = None
    assert _findings(root, cache) == _findings(root, None)


_PROBE = """
import sys
from linter.engine import ScanOptions, scan
scan(ScanOptions(paths=[sys.argv[1]], base=sys.argv[2], cache_dir=sys.argv[3]))
print(sorted(m for m in sys.modules if m.startswith("policies.")))
"""


def _modules_imported(root: Path, cache: Path, path: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(root / path), str(root), str(cache)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return list(json.loads(out.strip().replace("'", '"')))


def test_a_named_file_run_imports_only_the_modules_of_rules_for_its_kind(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path), tmp_path / "cache"
    everything = _modules_imported(root, cache, "svc/Dockerfile")  # no manifest yet: all of them
    assert "policies.k8s.probes" in everything and "policies.ci.gha" in everything
    named = _modules_imported(root, cache, "svc/Dockerfile")
    assert "policies.docker.runtime" in named  # a Dockerfile rule's module
    assert "policies.k8s.probes" not in named  # no Kubernetes rule reads a Dockerfile
    assert "policies.ci.gha" not in named
    assert "policies.deps.vulnerable" not in named


def test_a_corrupt_manifest_is_ignored_with_a_note_and_rewritten(tmp_path: Path) -> None:
    root, cache = _repo(tmp_path), tmp_path / "cache"
    _findings(root, cache, "svc/Dockerfile")
    (path,) = _manifests(cache)
    path.write_text("{not json")
    reg._ACTIVE = None
    notes: list[Notification] = []
    registry = reg.load_cached(str(cache), notes)
    assert [n.code for n in notes] == ["prodready-cache-ignored"]
    assert "registry cache ignored (JSONDecodeError" in notes[0].message
    assert registry.policies.keys() == reg._eager().policies.keys()
    assert json.loads(path.read_text())["format"] == reg.MANIFEST_FORMAT  # written again


def test_a_manifest_for_another_sys_path_or_changed_directory_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    reg.load_cached(str(cache), [])
    (path,) = _manifests(cache)
    raw = json.loads(path.read_text())
    assert reg._from_manifest(raw) is not None
    plugin_dir = tmp_path / "site"
    plugin_dir.mkdir()
    monkeypatch.setattr(sys, "path", [*sys.path, str(plugin_dir)])
    assert reg._from_manifest(raw) is None  # a new directory on sys.path
    raw = reg._manifest(reg._eager())
    assert raw is not None and reg._from_manifest(raw) is not None
    (plugin_dir / "plugin-1.0.dist-info").mkdir()  # a plugin installed there
    assert reg._from_manifest(raw) is None


def test_a_check_that_moved_is_found_through_the_entry_points(tmp_path: Path) -> None:
    eager = reg._eager()
    rid = "docker-runs-as-root"
    moved = reg.LazyCheck("policies.docker.runtime", "no_such_name", rid)
    assert moved.resolve() is eager.policies[rid].check
    gone = reg.LazyCheck("policies.docker.runtime", "no_such_name", "no-such-rule")
    with pytest.raises(reg.RegistryError, match="no-such-rule is no longer defined"):
        gone.resolve()
