"""The pre-commit hooks, run by a real ``pre-commit try-repo`` in a temporary git repository.

Tests never use the network, and pre-commit installs a ``language: python`` hook into its own
virtualenv with pip. So the hooks are run two ways:

* the committed file unchanged: pre-commit builds and installs the package from a local copy
  with ``PIP_NO_INDEX=1`` (the build backend from virtualenv's bundled wheels, the dependencies
  visible through ``PYTHONPATH``; skipped, with pip's reason, if that cannot work offline);
* the committed hook definitions with only ``language`` switched to ``system`` (the installed
  ``prodready`` on PATH), for the faster behaviour tests: entry, file filters, pass_filenames
  and batching are the real file, exercised by the real pre-commit.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from pre_commit.clientlib import load_manifest

from tests.conftest import ROOT

HOOKS_FILE = ROOT / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
PRE_COMMIT = BIN / "pre-commit"

DEPLOY = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 2
  selector:
    matchLabels: {app: api}
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
  ports:
    - port: 80
"""
DOCKERFILE = "FROM node:20.11-slim\nUSER node\nCMD npm start\n"
#: try-repo cannot pass hook args: the target repo's config selects the rules
CONFIG = "select: [k8s-missing-readiness-probe, docker-shell-form-entrypoint]\n"

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None or not PRE_COMMIT.exists(), reason="needs git and pre-commit"
)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env.update(
        PRE_COMMIT_HOME=str(home / "cache"),
        PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
        NO_COLOR="1",
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def _git(cwd: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def work(tmp_path: Path) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """(target repo, hook repo with language: system, environment)."""
    env = _env(tmp_path)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    text = HOOKS_FILE.read_text()
    assert text.count("language: python") == 2
    (hooks / ".pre-commit-hooks.yaml").write_text(
        text.replace("language: python", "language: system")
    )
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", ".")
    _git(hooks, env, "commit", "-q", "-m", "hooks")

    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / "svc").mkdir()
    (repo / "k8s" / "deploy.yaml").write_text(DEPLOY)
    (repo / "k8s" / "service.yaml").write_text(SERVICE)
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "svc" / "worker.Dockerfile").write_text(DOCKERFILE)
    (repo / ".env.example").write_text("PORT=8080\n")
    (repo / ".prodready.yaml").write_text(CONFIG)
    (repo / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "init")
    yield repo, hooks, env


def _try_repo(
    repo: Path, hooks: Path, env: dict[str, str], hook: str, *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(hooks), hook, "--verbose", *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_manifest_is_valid_for_pre_commit() -> None:
    hooks = {h["id"]: h for h in load_manifest(str(HOOKS_FILE))}
    assert sorted(hooks) == ["prodready", "prodready-repo"]
    per_file, repo = hooks["prodready"], hooks["prodready-repo"]
    assert per_file["pass_filenames"] is True and per_file["require_serial"] is True
    assert per_file["types"] == ["text"]
    assert repo["pass_filenames"] is False and repo["always_run"] is True
    assert per_file["entry"] == repo["entry"] == "prodready check"


def test_per_file_hook_reports_only_changed_files_with_repo_context(
    work: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, hooks, env = work
    # change the Deployment and one Dockerfile; stage them like a commit would
    (repo / "k8s" / "deploy.yaml").write_text("# edited\n" + DEPLOY)
    (repo / "svc" / "worker.Dockerfile").write_text("# edited\n" + DOCKERFILE)
    _git(repo, env, "add", ".")
    proc = _try_repo(repo, hooks, env, "prodready")
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "prodready................................................................Failed" in out
    # the readiness finding knows about service.yaml, which was not passed in
    assert (
        "k8s/deploy.yaml:15:11: k8s-missing-readiness-probe [high] Container `api` of "
        "Deployment/api has no readiness probe although Service/api sends it traffic." in out
    )
    assert "svc/worker.Dockerfile:4:1: docker-shell-form-entrypoint" in out
    # the unchanged Dockerfile is not reported
    assert "\nDockerfile:3:1" not in out and not out.startswith("Dockerfile:")
    assert "Found 2 problems in 2 files." in out


def test_per_file_hook_gets_env_and_dockerfile_variants_not_binaries(
    work: tuple[Path, Path, dict[str, str]],
) -> None:
    repo, hooks, env = work
    # pre-commit's own file filter: ask it which files the hook would see
    listing = subprocess.run(
        [str(PRE_COMMIT), "try-repo", str(hooks), "prodready", "--all-files", "--verbose"],
        cwd=repo,
        env={**env, "PATH": f"{_echo_bin(repo.parent)}{os.pathsep}{env['PATH']}"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    seen = sorted(
        line.removeprefix("ARG ") for line in listing.stdout.splitlines() if line.startswith("ARG ")
    )
    assert seen == [
        ".env.example",
        ".prodready.yaml",
        "Dockerfile",
        "k8s/deploy.yaml",
        "k8s/service.yaml",
        "svc/worker.Dockerfile",
    ]


def _echo_bin(where: Path) -> Path:
    """A fake ``prodready`` that prints the file arguments it gets (one ``ARG`` line each)."""
    d = where / "echo-bin"
    d.mkdir(exist_ok=True)
    script = d / "prodready"
    script.write_text(
        '#!/bin/sh\nshift\nfor a in "$@"; do echo "ARG $a"; done\n'  # drop "check"
    )
    script.chmod(0o755)
    return d


def test_repo_hook_scans_the_whole_repository(work: tuple[Path, Path, dict[str, str]]) -> None:
    repo, hooks, env = work
    proc = _try_repo(repo, hooks, env, "prodready-repo")
    # nothing staged: with pass_filenames: false and always_run it still scans everything
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "Dockerfile:3:1: docker-shell-form-entrypoint" in out
    assert "svc/worker.Dockerfile:3:1: docker-shell-form-entrypoint" in out
    assert "k8s/deploy.yaml:14:11: k8s-missing-readiness-probe [high]" in out
    assert "Found 3 problems in 3 files." in out


def test_hooks_pass_when_clean(work: tuple[Path, Path, dict[str, str]]) -> None:
    repo, hooks, env = work
    (repo / ".prodready.yaml").write_text("select: [docker-runs-as-root]\n")
    proc = _try_repo(repo, hooks, env, "prodready", "--all-files")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "prodready................................................................Passed" in (
        proc.stdout
    )


def _offline_pip_env(env: dict[str, str]) -> dict[str, str]:
    """pip settings that let pre-commit install this package without the index: the build
    backend (setuptools>=77) from virtualenv's bundled wheels, the dependencies seen as
    installed through PYTHONPATH (this interpreter's site-packages)."""
    try:
        from virtualenv.seed.wheels.embed import BUNDLE_FOLDER
    except ImportError:
        pytest.skip("virtualenv's bundled wheels are not available for an offline build")
    links = [str(BUNDLE_FOLDER)]
    if os.environ.get("PRODREADY_WHEELHOUSE"):
        links.insert(0, os.environ["PRODREADY_WHEELHOUSE"])
    return {
        **env,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": " ".join(links),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PYTHONPATH": sysconfig.get_paths()["purelib"],
    }


def test_python_language_install_from_local_path(tmp_path: Path) -> None:
    """The unmodified hooks (``language: python``): pre-commit builds and installs this package
    into its own virtualenv from a local copy, offline, and runs it."""
    env = _offline_pip_env(_env(tmp_path))
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in (".pre-commit-hooks.yaml", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, hooks / name)
    for pkg in ("linter", "policies"):
        shutil.copytree(
            ROOT / pkg, hooks / pkg, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
        )
    _git(hooks, env, "init", "-q")
    _git(hooks, env, "add", ".")
    _git(hooks, env, "commit", "-q", "-m", "hooks")
    repo = tmp_path / "repo"
    (repo / "k8s").mkdir(parents=True)
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "k8s" / "deploy.yaml").write_text(DEPLOY)
    (repo / "k8s" / "service.yaml").write_text(SERVICE)
    (repo / ".prodready.yaml").write_text(CONFIG)
    _git(repo, env, "init", "-q")
    _git(repo, env, "add", ".")
    _git(repo, env, "commit", "-q", "-m", "init")
    proc = _try_repo(repo, hooks, env, "prodready", "--files", "Dockerfile", "k8s/deploy.yaml")
    log = proc.stdout + proc.stderr
    if "An unexpected error has occurred" in log:
        reason = next(
            (
                line.strip()
                for line in log.splitlines()
                if "No matching distribution" in line or "Could not find a version" in line
            ),
            log.strip().splitlines()[-1] if log.strip() else "unknown error",
        )
        pytest.skip(
            "pre-commit could not install the hook's package offline (PIP_NO_INDEX=1; set "
            f"PRODREADY_WHEELHOUSE to a directory of wheels): {reason}"
        )
    assert proc.returncode == 1, log
    assert "Dockerfile:3:1: docker-shell-form-entrypoint" in proc.stdout
    assert "k8s/deploy.yaml:14:11: k8s-missing-readiness-probe [high]" in proc.stdout
    assert "Found 2 problems in 2 files." in proc.stdout
    # pre-commit built its own environment for the hook
    assert "[INFO] Installing environment for " in log
