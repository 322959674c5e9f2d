"""The image ↔ workload join: which Dockerfile builds the image a Kubernetes container runs.

A *service* is a directory holding a Dockerfile (its build context). Its image names come from
compose files (``build:`` + ``image:``), CI build commands (``linter/ci_images.py`` when present),
and the directory name. A Kubernetes container belongs to the service whose image names contain
the container image's repository name (the last path component, tag and registry dropped).

An image source yields ``(where, image name)``: ``where`` is a build-context directory, or the
path of the Dockerfile itself when it is known (compose ``build.dockerfile``, ``docker build -f``),
which also matches a Dockerfile that does not sit in its build context.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from linter.ci_images import image_builds
from linter.imageref import parse_image
from linter.model import ArtifactKind

if TYPE_CHECKING:
    from linter.index import RepoIndex
    from linter.parsers.dockerfile import DockerfileArtifact
    from linter.parsers.k8s import K8sObject
    from linter.workload import Container

K = ArtifactKind

#: a source of (build-context directory, image name) pairs found in some artifact kind
ImageSource = Callable[["RepoIndex"], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class K8sContainerRef:
    obj: K8sObject
    container: dict[str, Any]
    index: int
    image: str
    #: the container with positions (``name_loc()``, ``value_loc()``)
    view: Container | None = None


@dataclass
class Service:
    directory: str  # the Dockerfiles' directory, their default build context ('' = scan root)
    dockerfiles: list[DockerfileArtifact] = field(default_factory=list)
    image_names: set[str] = field(default_factory=set)
    containers: list[K8sContainerRef] = field(default_factory=list)
    #: compose services that build one of this service's Dockerfiles
    compose: list[ComposeBuild] = field(default_factory=list)
    #: Dockerfile path → its build context when a compose file says it is not its directory
    contexts: dict[str, str] = field(default_factory=dict)

    def context_of(self, dockerfile_path: str) -> str:
        """The build context (display path, '' for the scan root) of one of its Dockerfiles."""
        return self.contexts.get(dockerfile_path, self.directory)

    @property
    def name(self) -> str:
        return posixpath.basename(self.directory) or "."

    def owns(self, path: str) -> bool:
        """Is ``path`` inside this service's directory?"""
        return not self.directory or path == self.directory or path.startswith(self.directory + "/")


@dataclass(frozen=True)
class ComposeBuild:
    """A compose service with a ``build:``: where its context and Dockerfile are."""

    path: str  # the compose file
    name: str  # the service name
    data: dict[str, Any]  # the service mapping
    context: str  # display path of the build context ('' for the scan root)
    dockerfile: str  # display path of the Dockerfile
    image: str | None


def _norm(path: str) -> str:
    out = posixpath.normpath(path)
    return "" if out == "." else out.removeprefix("./")


def compose_builds(index: RepoIndex) -> list[ComposeBuild]:
    """Every compose service that builds an image from a local context (memoised)."""
    return index.memo(("compose-builds",), lambda: list(_compose_builds(index)))


def _compose_builds(index: RepoIndex) -> Iterable[ComposeBuild]:
    for yf in index.artifacts(K.COMPOSE):
        base = posixpath.dirname(yf.source.path)
        for doc in yf.documents:
            svcs = doc.data.get("services") if isinstance(doc.data, dict) else None
            if not isinstance(svcs, dict):
                continue
            for name, svc in svcs.items():
                if not isinstance(svc, dict):
                    continue
                build, image = svc.get("build"), svc.get("image")
                ctx = build.get("context", ".") if isinstance(build, dict) else build
                if not isinstance(ctx, str) or "://" in ctx or ctx.startswith("git@"):
                    continue
                dfile = build.get("dockerfile") if isinstance(build, dict) else None
                context = _norm(posixpath.join(base, ctx))
                dockerfile = _norm(
                    posixpath.join(context, dfile if isinstance(dfile, str) else "Dockerfile")
                )
                yield ComposeBuild(
                    yf.source.path,
                    str(name),
                    svc,
                    context,
                    dockerfile,
                    image if isinstance(image, str) else None,
                )


def _compose_images(index: RepoIndex) -> Iterable[tuple[str, str]]:
    for cb in compose_builds(index):
        if cb.image is not None:
            yield cb.dockerfile, cb.image


def _build(index: RepoIndex) -> list[Service]:
    by_dir: dict[str, Service] = {}
    for df in index.artifacts(K.DOCKERFILE):
        d = posixpath.dirname(df.source.path)
        svc = by_dir.setdefault(d, Service(d))
        svc.dockerfiles.append(df)
        svc.image_names.add(posixpath.basename(d) or os.path.basename(os.path.abspath(index.root)))
    sources: list[ImageSource] = [_compose_images, image_builds]
    by_file = {df.source.path: svc for svc in by_dir.values() for df in svc.dockerfiles}
    for source in sources:
        for raw_dir, image in source(index):
            where = _norm(str(raw_dir))
            owner = by_file.get(where) or by_dir.get(where)
            if owner is not None:
                owner.image_names.add(parse_image(str(image)).name)
    for cb in compose_builds(index):
        owner = by_file.get(cb.dockerfile)
        if owner is not None:
            owner.compose.append(cb)
            if cb.context != owner.directory:
                owner.contexts.setdefault(cb.dockerfile, cb.context)
    from linter.parsers.k8s import K8sManifest

    for manifest in index.artifacts(K.K8S):
        assert isinstance(manifest, K8sManifest)
        for obj in manifest.objects:
            for i, c in enumerate(_containers(obj)):
                ref = c.data.get("image")
                if not isinstance(ref, str):
                    continue
                name = parse_image(ref).name
                for svc in by_dir.values():
                    if name in svc.image_names:
                        svc.containers.append(K8sContainerRef(obj, c.data, i, ref, c))
    return [by_dir[d] for d in sorted(by_dir)]


def _containers(obj: K8sObject) -> list[Container]:
    from linter.workload import containers

    return list(containers(obj))


def service_of_dockerfile(index: RepoIndex, path: str) -> Service | None:
    """The service one Dockerfile (by display path) belongs to."""
    for svc in services(index):
        if any(df.source.path == path for df in svc.dockerfiles):
            return svc
    return None


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
