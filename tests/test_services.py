"""The image ↔ workload join: which Dockerfile builds the image a Kubernetes container runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from linter.config import Config
from linter.discover import FoundFile
from linter.index import RepoIndex
from linter.model import ArtifactKind
from linter.services import service_of, service_of_dockerfile, services


def _deploy(name: str, image: str) -> str:
    return f"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: {name}
          image: {image}
"""


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _index(root: Path) -> RepoIndex:
    kinds = frozenset({ArtifactKind.K8S, ArtifactKind.COMPOSE, ArtifactKind.DOCKERFILE})
    return RepoIndex(str(root), str(root), Config(), kinds)


REPO = {
    # joined by directory name: image ghcr.io/acme/api:1.0 → `api`
    "api/Dockerfile": "FROM node:20.11-slim\n",
    # joined by compose build + image: the directory name `be` is not the image name
    "be/Dockerfile": "FROM python:3.12-slim\n",
    # a Dockerfile outside its build context (compose build.context + dockerfile)
    "deploy/worker.Dockerfile": "FROM python:3.12-slim\n",
    "docker-compose.yml": """\
services:
  backend:
    build: ./be
    image: registry.example.com/acme/backend-api:2.0
  worker:
    build:
      context: .
      dockerfile: deploy/worker.Dockerfile
    image: acme/queue-worker
    init: true
  cache:
    image: redis:7.2
""",
    "k8s/api.yaml": _deploy("api", "ghcr.io/acme/api:1.0"),
    "k8s/backend.yaml": _deploy("backend", "acme/backend-api:2.0"),
    "k8s/worker.yaml": _deploy("worker", "acme/queue-worker@sha256:" + "a" * 64),
    "k8s/other.yaml": _deploy("other", "nginx:1.25"),
}


def test_container_joined_by_directory_name_and_by_compose_image(tmp_path: Path) -> None:
    _write(tmp_path, REPO)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        index = _index(tmp_path)
        by_dir = {s.directory: s for s in services(index)}
        assert sorted(by_dir) == ["api", "be", "deploy"]

        api = by_dir["api"]
        assert api.image_names == {"api"}
        assert [(r.obj.label, r.image) for r in api.containers] == [
            ("Deployment/api", "ghcr.io/acme/api:1.0")
        ]
        assert api.containers[0].view is not None
        assert api.containers[0].view.name_loc().start_line == 9

        be = by_dir["be"]
        assert be.image_names == {"be", "backend-api"}
        assert [r.obj.label for r in be.containers] == ["Deployment/backend"]
        assert [c.name for c in be.compose] == ["backend"]
        assert be.context_of("be/Dockerfile") == "be"

        worker = by_dir["deploy"]
        assert worker.image_names == {"deploy", "queue-worker"}
        assert [r.obj.label for r in worker.containers] == ["Deployment/worker"]
        assert worker.context_of("deploy/worker.Dockerfile") == ""
        assert worker.compose[0].data["init"] is True

        joined = {r.obj.label for s in by_dir.values() for r in s.containers}
        assert "Deployment/other" not in joined
    finally:
        os.chdir(old)


def test_service_lookup_by_path(tmp_path: Path) -> None:
    _write(tmp_path, REPO)
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        index = _index(tmp_path)
        svc = service_of(index, "api/src/server.js")
        assert svc is not None and svc.directory == "api"
        assert service_of(index, "docs/readme.md") is None
        df_svc = service_of_dockerfile(index, "deploy/worker.Dockerfile")
        assert df_svc is not None and df_svc.directory == "deploy"
        assert service_of_dockerfile(index, "nope/Dockerfile") is None
    finally:
        os.chdir(old)


def test_root_dockerfile_takes_the_repository_directory_name(tmp_path: Path) -> None:
    root = tmp_path / "shop-api"
    _write(root, {"Dockerfile": "FROM node:20.11-slim\n", "k8s/d.yaml": _deploy("d", "shop-api:3")})
    old = os.getcwd()
    os.chdir(root)
    try:
        (svc,) = services(_index(root))
        assert svc.directory == ""
        assert svc.image_names == {"shop-api"}
        assert [r.obj.label for r in svc.containers] == ["Deployment/d"]
    finally:
        os.chdir(old)


def test_a_named_dockerfile_run_reads_no_other_services_dockerfile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pre-commit on one Dockerfile: the join lists every Dockerfile but reads (and notes an
    # unreadable one) only for the services a finding on the named file can come from
    _write(tmp_path, REPO)
    (tmp_path / "zz" / "Dockerfile").mkdir(parents=True)
    (tmp_path / "zz" / "Dockerfile" / "x").write_text("a directory named Dockerfile\n")
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "Dockerfile").write_bytes(b"FROM x\x00\n")  # binary: a note when read
    read: list[str] = []
    real = RepoIndex._read

    def recording(self: RepoIndex, f: FoundFile, kind: ArtifactKind) -> object:
        if f.path not in self._sources:
            read.append(f.path)
        return real(self, f, kind)

    monkeypatch.setattr(RepoIndex, "_read", recording)
    kinds = frozenset({ArtifactKind.K8S, ArtifactKind.COMPOSE, ArtifactKind.DOCKERFILE})
    index = RepoIndex(
        str(tmp_path), str(tmp_path), Config(), kinds, [str(tmp_path / "api" / "Dockerfile")]
    )
    # deploy/worker.Dockerfile builds from the root context, which holds api/Dockerfile
    assert [(s.directory, [c.obj.name for c in s.containers]) for s in services(index)] == [
        ("api", ["api"]),
        ("deploy", ["worker"]),
    ]
    assert sorted(p for p in read if "Dockerfile" in p) == [
        "api/Dockerfile",
        "deploy/worker.Dockerfile",
    ]
    assert index.notifications == []

    full = _index(tmp_path)
    assert [s.directory for s in services(full)] == ["api", "be", "deploy"]  # web: unreadable
    assert [(n.path, n.code) for n in full.notifications] == [
        ("web/Dockerfile", "prodready-skipped-file")
    ]


def test_a_named_run_parses_only_the_workflows_that_can_build_an_image(tmp_path: Path) -> None:
    _write(tmp_path, REPO)
    _write(
        tmp_path,
        {
            ".github/workflows/release.yml": """\
on: push
jobs:
  image:
    runs-on: ubuntu-latest
    steps:
      - run: docker build -t ghcr.io/acme/public-api:1 ./api
""",
            ".github/workflows/lint.yml": """\
on: push
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - run: make lint
""",
        },
    )
    kinds = frozenset(ArtifactKind)
    named = RepoIndex(
        str(tmp_path), str(tmp_path), Config(), kinds, [str(tmp_path / "api/Dockerfile")]
    )
    full = _index(tmp_path)
    for index in (named, full):
        api = next(s for s in services(index) if s.directory == "api")
        assert api.image_names == {"api", "public-api"}
    assert ".github/workflows/lint.yml" not in named._parsed
    assert ".github/workflows/release.yml" in named._parsed
    assert ".github/workflows/lint.yml" in full._parsed
