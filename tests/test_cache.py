"""The scan cache (linter/cache.py): a warm run gives identical output, a changed file is rescanned,
and a corrupt cache is ignored with a note, never a crash."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest

from linter import cache
from linter.engine import ScanOptions, scan
from linter.output import render

GOOD = "FROM python:3.12-slim\nCMD python app.py\n"
SUPPRESSED = (
    "FROM python:3.12-slim\n"
    "CMD python app.py  # prodready: ignore[docker-shell-form-entrypoint] ok\n"
)
SECRET_ENV = "STRIPE_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dcABCDEF\n"


def _tree(root: Path) -> None:
    (root / "Dockerfile").write_text(GOOD)
    (root / "quiet").mkdir()
    (root / "quiet" / "Dockerfile").write_text(SUPPRESSED)
    (root / "k8s.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\nspec:\n  template:\n"
        "    spec:\n      containers:\n      - name: api\n        image: api:latest\n"
    )
    (root / ".env").write_text(SECRET_ENV)
    (root / "bad.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    _age(root)


def _age(root: Path) -> None:
    """Make every file older than the racy window, as files in a real checkout are."""
    old = time.time() - 60
    for d, _, files in os.walk(root):
        for f in files:
            os.utime(os.path.join(d, f), (old, old))


def _run(root: Path, cache_dir: Path | None) -> tuple[str, str, Any]:
    old = os.getcwd()
    os.chdir(root)
    try:
        result = scan(
            ScanOptions(paths=["."], cache_dir=None if cache_dir is None else str(cache_dir))
        )
    finally:
        os.chdir(old)
    return render("sarif", result), render("json", result), result


def _cache_file(cache_dir: Path) -> Path:
    [path] = cache_dir.glob("scan-*.json")
    return path


def test_warm_run_is_identical(tmp_path: Path) -> None:
    repo, cdir = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    _tree(repo)
    cold = _run(repo, None)
    first = _run(repo, cdir)
    warm = _run(repo, cdir)
    assert first[:2] == cold[:2]
    assert warm[:2] == cold[:2]
    # the run was really served from the cache, and the secret never reached the disk
    stored = json.loads(_cache_file(cdir).read_text())
    assert stored["tree"] is not None
    assert "sk_live_4eC39HqLyjWDarjtT1zdp7dcABCDEF" not in _cache_file(cdir).read_text()
    assert '"ruleId": "docker-shell-form-entrypoint"' in cold[0]
    assert "secret-" in cold[0]


def test_changed_file_is_rescanned_and_the_rest_reused(tmp_path: Path) -> None:
    repo, cdir = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    _tree(repo)
    _run(repo, cdir)
    (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "app.py"]\n')
    _age(repo)
    store_before = json.loads(_cache_file(cdir).read_text())
    # bad.yaml's result depends on bad.yaml alone; the Dockerfiles' results also depend on other
    # files (the services join: probes, compose, scripts), so they are never reused alone
    assert sorted(store_before["files"]) == ["bad.yaml"]
    warm = _run(repo, cdir)
    cold = _run(repo, None)
    assert warm[:2] == cold[:2]
    assert "Dockerfile:2:1 docker-shell-form-entrypoint" not in [
        f"{f.location.path}:{f.location.start_line}:{f.location.start_col} {f.rule_id}"
        for f in warm[2].active
    ]


def test_same_size_and_mtime_but_recent_is_checked_by_hash(tmp_path: Path) -> None:
    repo, cdir = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    (repo / "Dockerfile").write_text(GOOD)  # fresh mtime: inside the racy window
    first = _run(repo, cdir)
    st = os.stat(repo / "Dockerfile")
    # same size, same mtime, other content: only the content hash can tell
    (repo / "Dockerfile").write_text(GOOD.replace("3.12", "3.13"))
    os.utime(repo / "Dockerfile", ns=(st.st_atime_ns, st.st_mtime_ns))
    second = _run(repo, cdir)
    assert first[1] != second[1]
    assert second[:2] == _run(repo, None)[:2]


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"{not json",
        b"\x00\xff\xfe binary",
        b'{"format": 1, "key": "KEY", "files": {"Dockerfile": {"size": "x"}}, "tree": null}',
        b'{"format": 1, "key": "KEY", "files": [], "tree": 7}',
        b'{"format": 1, "key": "KEY", "files": {}, "tree": {"signature": "SIG", "findings": [1]}}',
        b"[" * 100_000,
    ],
)
def test_corrupt_cache_is_ignored_with_a_note(tmp_path: Path, garbage: bytes) -> None:
    repo, cdir = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    _tree(repo)
    cold = _run(repo, None)
    _run(repo, cdir)
    path = _cache_file(cdir)
    key = path.name[len("scan-") : -len(".json")]
    sig = json.loads(path.read_text())["tree"]["signature"]
    path.write_bytes(garbage.replace(b"KEY", key.encode()).replace(b"SIG", sig.encode()))
    result = _run(repo, cdir)[2]
    notes = [(n.path, n.code) for n in result.notifications if n.code == cache.CORRUPT]
    assert notes == [(None, cache.CORRUPT)]
    assert result.internal_errors == 0
    assert result.findings == cold[2].findings
    # and the cache was rewritten: the next run is clean and identical to a cold one
    assert _run(repo, cdir)[:2] == cold[:2]


def test_an_unusable_cache_dir_is_a_warning_and_the_scan_goes_on(tmp_path: Path) -> None:
    """An explicit cache directory that cannot be created (or written): the same findings as
    without a cache, and one warning saying the run is not cached (it used to say nothing)."""
    from linter.model import NotificationLevel
    from linter.replay import CACHE_UNUSABLE

    repo = tmp_path / "repo"
    repo.mkdir()
    _tree(repo)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    cold = _run(repo, None)[2]
    cases = [blocker / "cache"] + ([locked / "cache", locked] if os.geteuid() != 0 else [])
    try:
        for where in cases:
            result = _run(repo, where)[2]
            assert result.findings == cold.findings
            assert result.internal_errors == 0
            [note] = [n for n in result.notifications if n.code == CACHE_UNUSABLE]
            assert note.level == NotificationLevel.WARNING
            assert note.message.startswith(f"cache directory {where} cannot be used (")
            assert note.message.endswith("); this run is not cached")
            assert [n for n in result.notifications if n.code != CACHE_UNUSABLE] == [
                n for n in cold.notifications
            ]
    finally:
        locked.chmod(0o700)
    assert not (blocker.parent / "cache").exists()


def test_key_changes_with_config_and_rules(tmp_path: Path) -> None:
    base = dict(policy_modules=["policies.docker"], root="/r", base="/r", extra={})
    from linter.config import Config

    k1 = cache.scan_key(config=Config(), enabled=["a-b"], **base)  # type: ignore[arg-type]
    k2 = cache.scan_key(config=Config(), enabled=["a-b", "c-d"], **base)  # type: ignore[arg-type]
    k3 = cache.scan_key(
        config=Config(max_file_size=10),
        enabled=["a-b"],
        **base,  # type: ignore[arg-type]
    )
    assert len({k1, k2, k3}) == 3
    assert k1 == cache.scan_key(config=Config(), enabled=["a-b"], **base)  # type: ignore[arg-type]


def test_file_result_that_reads_other_files_is_not_reused(tmp_path: Path) -> None:
    """docker-pid1-no-signal-forwarding reads the entrypoint script through the index: changing
    only the script must change the Dockerfile's result, though the Dockerfile is unchanged."""
    repo, store = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    (repo / "Dockerfile").write_text(
        "FROM node:20.11-slim\nCOPY entrypoint.sh /entrypoint.sh\nUSER node\n"
        'ENTRYPOINT ["/entrypoint.sh"]\n'
    )
    (repo / "entrypoint.sh").write_text("#!/bin/sh\nnode server.js\n")
    _age(repo)

    def pid1(root: Path) -> list[str]:
        _, _, result = _run(root, store)
        return [
            f"{f.location.path}:{f.location.start_line}"
            for f in result.active
            if f.rule_id == "docker-pid1-no-signal-forwarding"
        ]

    assert pid1(repo) == ["Dockerfile:4"]
    (repo / "entrypoint.sh").write_text("#!/bin/sh\nexec node server.js\n")
    _age(repo)
    assert pid1(repo) == []


def test_cache_key_covers_renderers_and_the_vuln_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from linter.config import Config
    from linter.engine import _outside_inputs

    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setenv("PATH", str(bindir))
    db = tmp_path / "osv"
    db.mkdir()
    before = _outside_inputs(Config(vuln_db=str(db)), ())
    helm = bindir / "helm"
    helm.write_text("#!/bin/sh\n")
    helm.chmod(0o755)
    with_helm = _outside_inputs(Config(vuln_db=str(db)), ())
    assert with_helm != before
    (db / "PYSEC-1.json").write_text("{}")
    os.utime(db / "PYSEC-1.json", ns=(2**62, 2**62))
    assert _outside_inputs(Config(vuln_db=str(db)), ()) != with_helm


def test_file_digests_are_taken_only_for_a_cache(tmp_path: Path) -> None:
    """Each file read is hashed (SHA-256) only when the scan has a cache directory: the caches
    key and validate entries with it, and a run without one (``--no-cache``) skips the work."""
    import hashlib

    repo, cdir = tmp_path / "repo", tmp_path / "cache"
    repo.mkdir()
    _tree(repo)
    cold = _run(repo, None)
    cached = _run(repo, cdir)
    assert cold[:2] == cached[:2]
    assert cold[2].index.digests == {}
    dockerfile = (repo / "Dockerfile").read_bytes()
    assert cached[2].index.digests["Dockerfile"] == hashlib.sha256(dockerfile).hexdigest()
    stored = json.loads(_cache_file(cdir).read_text())
    bad = (repo / "bad.yaml").read_bytes()  # (the file entry the cache keeps for this tree)
    assert stored["files"]["bad.yaml"]["sha"] == hashlib.sha256(bad).hexdigest()
