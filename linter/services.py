"""The image ↔ workload join: which Dockerfile builds the image a Kubernetes container runs.

A *service* is a directory holding a Dockerfile (its build context). Its image names come from
compose files (``build:`` + ``image:``), CI build commands (``linter/ci_images.py`` when present),
and the directory name. A Kubernetes container belongs to the service whose image names contain
the container image's repository name (the last path component, tag and registry dropped).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.imageref import parse_image
from linter.model import ArtifactKind

if TYPE_CHECKING:
    from linter.index import RepoIndex
    from linter.parsers.dockerfile import DockerfileArtifact
    from linter.parsers.k8s import K8sObject

K = ArtifactKind

#: a source of (build-context directory, image name) pairs found in some artifact kind
ImageSource = Callable[["RepoIndex"], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class K8sContainerRef:
    obj: K8sObject
    container: dict[str, Any]
    index: int
    image: str


@dataclass
class Service:
    directory: str  # display path of the build context ('' for the scan root)
    dockerfiles: list[DockerfileArtifact] = field(default_factory=list)
    image_names: set[str] = field(default_factory=set)
    containers: list[K8sContainerRef] = field(default_factory=list)

    @property
    def name(self) -> str:
        return posixpath.basename(self.directory) or "."

    def owns(self, path: str) -> bool:
        """Is ``path`` inside this service's directory?"""
        return not self.directory or path == self.directory or path.startswith(self.directory + "/")


def _compose_images(index: RepoIndex) -> Iterable[tuple[str, str]]:
    for yf in index.artifacts(K.COMPOSE):
        for doc in yf.documents:
            svcs = doc.data.get("services") if isinstance(doc.data, dict) else None
            if not isinstance(svcs, dict):
                continue
            base = posixpath.dirname(yf.source.path)
            for svc in svcs.values():
                if not isinstance(svc, dict):
                    continue
                build, image = svc.get("build"), svc.get("image")
                ctx = build.get("context") if isinstance(build, dict) else build
                if isinstance(ctx, str) and isinstance(image, str):
                    yield posixpath.normpath(posixpath.join(base, ctx)).removeprefix("./"), image


def _build(index: RepoIndex) -> list[Service]:
    by_dir: dict[str, Service] = {}
    for df in index.artifacts(K.DOCKERFILE):
        d = posixpath.dirname(df.source.path)
        svc = by_dir.setdefault(d, Service(d))
        svc.dockerfiles.append(df)
        svc.image_names.add(posixpath.basename(d) or posixpath.basename(index.root))
    sources: list[ImageSource] = [_compose_images]
    for source in sources:
        for raw_dir, image in source(index):
            ctx_dir = "" if raw_dir == "." else str(raw_dir)
            if ctx_dir in by_dir:
                by_dir[ctx_dir].image_names.add(parse_image(str(image)).name)
    from linter.parsers.k8s import K8sManifest

    for manifest in index.artifacts(K.K8S):
        assert isinstance(manifest, K8sManifest)
        for obj in manifest.objects:
            for i, c in enumerate(_containers(obj)):
                ref = c.get("image")
                if not isinstance(ref, str):
                    continue
                name = parse_image(ref).name
                for svc in by_dir.values():
                    if name in svc.image_names:
                        svc.containers.append(K8sContainerRef(obj, c, i, ref))
    return [by_dir[d] for d in sorted(by_dir)]


def _containers(obj: K8sObject) -> list[dict[str, Any]]:
    from linter.workload import containers

    return [c.data for c in containers(obj)]


def services(index: RepoIndex) -> list[Service]:
    """Every service of the scan, joined once per scan (memoised in the index)."""
    return index.memo(("services",), lambda: _build(index))


def service_of(index: RepoIndex, path: str) -> Service | None:
    """The innermost service whose directory holds ``path``."""
    best: Service | None = None
    for svc in services(index):
        if svc.owns(path) and (best is None or len(svc.directory) > len(best.directory)):
            best = svc
    return best
