"""--jobs: worker processes give exactly the output of one process."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from linter import parallel
from linter.engine import ScanOptions, scan
from linter.output import render


def _tree(root: Path, services: int = 12) -> None:
    for i in range(services):
        d = root / f"svc{i:02d}"
        (d / "k8s").mkdir(parents=True)
        probe = "        livenessProbe: {httpGet: {path: /healthz, port: 80}}\n" if i % 3 else ""
        (d / "k8s" / "deploy.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            f"  name: svc{i}\nspec:\n  replicas: {1 + i % 2}\n  template:\n    spec:\n"
            "      containers:\n      - name: app\n"
            f"        image: app:{'latest' if i % 4 else '1.0'}\n" + probe
        )
        (d / ".env.example").write_text(f"SVC{i}_URL=\nLOG_LEVEL=info\n")
        (d / "app.py").write_text(f"import os\nURL = os.environ['SVC{i}_URL']\n")
    (root / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")
    # cross-file checks (they read other files): run by the main process, not the workers
    (root / "docker-compose.yml").write_text(
        "services:\n  web:\n    image: app:1.0\n  cache:\n    image: redis:7.2\n"
    )


def _run(root: Path, jobs: int, seen: list[bool]) -> tuple[str, str]:
    real = parallel.FilePhase.wait

    def spy(self: parallel.FilePhase) -> Any:
        seen.append(self.used_workers)
        return real(self)

    old = os.getcwd()
    os.chdir(root)
    try:
        parallel.FilePhase.wait = spy  # type: ignore[method-assign]
        result = scan(ScanOptions(paths=["."], jobs=jobs))
    finally:
        parallel.FilePhase.wait = real  # type: ignore[method-assign]
        os.chdir(old)
    return render("sarif", result), render("json", result)


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_jobs_output_is_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _tree(tmp_path)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 5)
    # no Dockerfile in this tree, so buildkit's Go runtime (if loaded by earlier tests) is never
    # called in a forked worker
    monkeypatch.setattr(parallel, "FORK_UNSAFE", ())
    in_workers: list[str] = []
    real_start = parallel.FilePhase._start_pool

    def start(self: parallel.FilePhase, index: Any, todo: Any, policies: Any, *rest: Any) -> None:
        in_workers.extend(p.meta.id for p in policies)
        real_start(self, index, todo, policies, *rest)

    monkeypatch.setattr(parallel.FilePhase, "_start_pool", start)
    seen: list[bool] = []
    one = _run(tmp_path, 1, seen)
    three = _run(tmp_path, 3, seen)
    assert seen == [False, True]
    assert one == three
    assert '"ruleId": "k8s-missing-liveness-probe"' in one[0]
    assert '"ruleId": "k8s-image-tag-mutable"' in one[0]
    assert '"ruleId": "compose-redis-no-password"' in one[0]
    assert '"ruleId": "compose-missing-healthcheck"' in one[0]
    assert "k8s-missing-liveness-probe" in in_workers
    assert "compose-redis-no-password" not in in_workers
    assert "compose-missing-healthcheck" not in in_workers


def test_small_scans_stay_in_process(tmp_path: Path) -> None:
    _tree(tmp_path, services=2)
    seen: list[bool] = []
    _run(tmp_path, 4, seen)
    assert seen == [False]


def test_no_fork_once_a_fork_unsafe_runtime_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dockerfile", sys.modules.get("dockerfile", object()))
    assert parallel._can_fork() is False
