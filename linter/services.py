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
from dataclasses import field
from typing import TYPE_CHECKING, Any

from linter.ci_images import image_builds
from linter.fastdc import dataclass
from linter.imageref import parse_image
from linter.model import RENDERS_K8S, ArtifactKind

if TYPE_CHECKING:
    from linter.discover import FoundFile
    from linter.index import RepoIndex
    from linter.parsers.dockerfile import DockerfileArtifact
    from linter.parsers.k8s import K8sObject
    from linter.workload import Container

K = ArtifactKind

#: a source of (build-context directory, image name) pairs found in some artifact kind
ImageSource = Callable[["RepoIndex"], Iterable[tuple[str, str]]]


@dataclass(frozen=True)
class K8sContainerRef:
    """A container of a Kubernetes workload that runs a service's image."""

    obj: K8sObject
    container: dict[str, Any]
    index: int
    image: str
    #: the container with positions (``name_loc()``, ``value_loc()``)
    view: Container | None = None


@dataclass
class Service:
    """A service: the Dockerfiles of a directory, the images they build and what runs them."""

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
        return _inside(path, self.directory)


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
    files_of: dict[str, list[FoundFile]] = {}
    # with named files, only the Dockerfiles of the services kept below are read
    for f in index.files_of({K.DOCKERFILE}):
        d = posixpath.dirname(f.path)
        svc = by_dir.setdefault(d, Service(d))
        files_of.setdefault(d, []).append(f)
        svc.image_names.add(posixpath.basename(d) or os.path.basename(os.path.abspath(index.root)))
    sources: list[ImageSource] = [_compose_images, image_builds]
    by_file = {f.path: by_dir[d] for d, found in files_of.items() for f in found}
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
    if index.named_files:
        keep = _relevant(index, by_dir)
        if keep is not None:
            by_dir = {d: svc for d, svc in by_dir.items() if d in keep}
    for d, svc in list(by_dir.items()):
        readable = [src for src in map(index.source, files_of[d]) if src is not None]
        if not readable:  # none of its Dockerfiles could be read: no service
            del by_dir[d]
            continue
        for src in readable:
            art = index.parsed(src)
            if art is not None:
                svc.dockerfiles.append(art)
    # a container belongs to every service whose image names hold its image's name; with named
    # files, a manifest that does not even mention one of those names is not parsed
    names = set().union(*(svc.image_names for svc in by_dir.values())) if by_dir else set()

    def mentions_a_name(text: str) -> bool:
        return any(name in text for name in names)

    for manifest in index.artifacts(
        K.K8S, text_filter=mentions_a_name if index.named_files else None
    ):
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


def _relevant(index: RepoIndex, by_dir: dict[str, Service]) -> set[str] | None:
    """With named files (pre-commit), the services a finding on a named file can come from:
    those holding it (in their directory or a compose build context), those building the image
    a named manifest runs, and those a named compose file builds. None: all of them (a named
    file inside a Helm chart, whose rendered manifests are not mapped to services this way)."""
    targets = [t.path for t in index.targets()]
    charts = index.chart_roots
    if any(t == c or t.startswith(c + "/") or not c for t in targets for c in charts):
        return None
    keep = set()
    for d, svc in by_dir.items():
        homes = [d, *svc.contexts.values()]
        if any(_inside(t, h) for t in targets for h in homes) or any(
            index.is_target(cb.path) for cb in svc.compose
        ):
            keep.add(d)
    images: set[str] = set()
    for t in index.targets():
        if index.kind_of(t) != K.K8S:
            continue
        src = index.source(t)
        manifest = index.parsed(src) if src is not None else None
        for obj in manifest.objects if manifest is not None else ():
            for c in _containers(obj):
                ref = c.data.get("image")
                if isinstance(ref, str):
                    images.add(parse_image(ref).name)
    keep.update(d for d, svc in by_dir.items() if svc.image_names & images)
    return keep


def _inside(path: str, directory: str) -> bool:
    return not directory or path == directory or path.startswith(directory + "/")


def _containers(obj: K8sObject) -> list[Container]:
    from linter.workload import containers

    return list(containers(obj))


def service_of_dockerfile(index: RepoIndex, path: str) -> Service | None:
    """The service one Dockerfile (by display path) belongs to."""

    def table() -> dict[str, Service]:
        out: dict[str, Service] = {}
        for svc in services(index):
            for df in svc.dockerfiles:
                out.setdefault(df.source.path, svc)
        return out

    return index.memo(("service-of-dockerfile",), table).get(path)


def names_service_part(index: RepoIndex) -> bool:
    """In a run on named files: is a Dockerfile or a compose file among them, or a workload
    among their Kubernetes objects (those of the named manifests, and of the charts and
    kustomizations whose findings the run reports)? A finding on a service's containers,
    Dockerfiles or compose services sits on one of those."""
    kinds = {index.kind_of(t) for t in index.targets()}
    if kinds & {ArtifactKind.DOCKERFILE, ArtifactKind.COMPOSE}:
        return True
    if not kinds & ({ArtifactKind.K8S} | RENDERS_K8S):
        return False
    from linter.render import named_objects
    from linter.workload import WORKLOAD_KINDS

    return any(obj.kind in WORKLOAD_KINDS for obj in named_objects(index))


def services(index: RepoIndex) -> list[Service]:
    """Every service of the scan, joined once per scan (memoised in the index)."""
    return index.memo(("services",), lambda: _build(index))


def service_of(index: RepoIndex, path: str) -> Service | None:
    """The innermost service whose directory holds ``path``."""
    by_dir = index.memo(("service-by-dir",), lambda: {s.directory: s for s in services(index)})
    cur = path
    while True:
        if cur in by_dir:
            return by_dir[cur]
        parent = posixpath.dirname(cur)
        if parent == cur:  # '' or '/': no service holds it
            return by_dir.get("")
        cur = parent
