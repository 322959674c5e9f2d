"""Shared extraction for repo-level policies: projects (directories with a dependency manifest),
their dependencies with positions, the scan root's files, and where a repo-level finding points.

A *project* is a directory holding ``package.json``, ``requirements*.txt``, ``pyproject.toml`` or
``go.mod``; a *service* is a project that depends on a server framework (HTTP or WebSocket).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import field
from typing import Any

from linter.discover import FoundFile, display_path, under
from linter.fastdc import dataclass
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Location
from linter.positions import key_loc
from linter.source import SourceFile

K = ArtifactKind

#: every dependency-manifest and source kind a project policy reads
#: the dependency manifests whose lines the "missing in this service" findings point at
MANIFEST_KINDS = frozenset({K.PACKAGE_JSON, K.REQUIREMENTS, K.PYPROJECT, K.GO_MOD})
PROJECT_KINDS = MANIFEST_KINDS | {K.JAVASCRIPT, K.TYPESCRIPT, K.PYTHON, K.GO}
SOURCE_KINDS = frozenset({K.JAVASCRIPT, K.TYPESCRIPT, K.PYTHON, K.GO})

HTTP_FRAMEWORKS = frozenset(
    {
        # Node.js
        "express",
        "fastify",
        "koa",
        "@hapi/hapi",
        "hapi",
        "restify",
        "@nestjs/core",
        "polka",
        "@apollo/server",
        "apollo-server",
        "apollo-server-express",
        # Python
        "flask",
        "fastapi",
        "django",
        "aiohttp",
        "starlette",
        "tornado",
        "sanic",
        "falcon",
        "bottle",
        "pyramid",
        "quart",
        "litestar",
        # Go
        "github.com/gin-gonic/gin",
        "github.com/labstack/echo/v4",
        "github.com/labstack/echo",
        "github.com/go-chi/chi/v5",
        "github.com/go-chi/chi",
        "github.com/gorilla/mux",
        "github.com/gofiber/fiber/v2",
    }
)
WEBSOCKET_SERVERS = frozenset({"socket.io", "ws", "uwebsockets.js", "websockets", "channels"})
SERVER_FRAMEWORKS = HTTP_FRAMEWORKS | WEBSOCKET_SERVERS

ROOT_MARKERS = frozenset(
    {
        "package.json",
        "pyproject.toml",
        "setup.py",
        "setup.cfg",
        "requirements.txt",
        "go.mod",
        "cargo.toml",
        "pom.xml",
        "build.gradle",
        "build.gradle.kts",
        "dockerfile",
        "makefile",
        ".gitignore",
        "docker-compose.yml",
        "docker-compose.yaml",
        "compose.yaml",
        "compose.yml",
    }
)
ANCHOR_PREFERENCE = (
    "package.json",
    "pyproject.toml",
    "go.mod",
    "setup.py",
    "dockerfile",
    "makefile",
)


@dataclass
class Project:
    """A project directory: its dependency manifests and the dependencies they declare."""

    directory: str  # display path of the directory ('' when it is the display base)
    manifests: list[str] = field(default_factory=list)
    deps: dict[str, Location] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return posixpath.basename(self.directory) or "."

    def owns(self, path: str) -> bool:
        return not self.directory or path.startswith(self.directory + "/")

    def first_dep(self, names: Iterable[str]) -> tuple[str, Location] | None:
        """The first of ``names`` this project depends on (in manifest order)."""
        wanted = frozenset(names)
        for dep, loc in self.deps.items():
            if dep in wanted:
                return dep, loc
        return None

    def server(self, frameworks: Iterable[str] = SERVER_FRAMEWORKS) -> tuple[str, Location] | None:
        return self.first_dep(frameworks)


def norm_name(name: str) -> str:
    """Dependency names compared the way their ecosystems do (PEP 503 for Python)."""
    return name.strip().lower().replace("_", "-")


def _line_loc(path: str, line: int, text: str, col: int = 1) -> Location:
    return Location(path, line, col, line, max(col + 1, len(text.rstrip()) + 1))


def _package_json_deps(index: RepoIndex) -> Iterator[tuple[str, str, str, Location]]:
    for yf in index.artifacts(K.PACKAGE_JSON):
        src: SourceFile = yf.source
        for doc in yf.documents:
            if not isinstance(doc.data, dict):
                continue
            for section in ("dependencies", "optionalDependencies"):
                deps = doc.data.get(section)
                if not isinstance(deps, dict):
                    continue
                for name in deps:
                    loc = key_loc(src, deps, name) or _line_loc(src.path, 1, src.line(1))
                    yield src.directory, src.path, norm_name(str(name)), loc


_REQ = lazy(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _requirements_deps(index: RepoIndex) -> Iterator[tuple[str, str, str, Location]]:
    for src in index.sources_of({K.REQUIREMENTS}):
        for n, text in enumerate(src.lines, 1):
            m = _REQ.match(text)
            if m and not text.lstrip().startswith(("-", "#")):
                yield src.directory, src.path, norm_name(m.group(1)), _line_loc(src.path, n, text)


def _pyproject_deps(index: RepoIndex) -> Iterator[tuple[str, str, str, Location]]:
    for src in index.sources_of({K.PYPROJECT}):
        import tomllib  # only with a pyproject.toml

        try:
            data = tomllib.loads(src.text)
        except tomllib.TOMLDecodeError:
            continue
        names: list[str] = []
        project = data.get("project")
        if isinstance(project, dict) and isinstance(project.get("dependencies"), list):
            for spec in project["dependencies"]:
                m = _REQ.match(str(spec))
                if m:
                    names.append(m.group(1))
        tool = data.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        poetry = poetry.get("dependencies") if isinstance(poetry, dict) else None
        if isinstance(poetry, dict):
            names += [str(k) for k in poetry if str(k).lower() != "python"]
        for name in names:
            pattern = re.compile(rf"""(^|["'\s]){re.escape(name)}($|[\s"'\[<>=!~;,])""", re.I)
            line = next((i for i, t in enumerate(src.lines, 1) if pattern.search(t)), 1)
            yield (
                src.directory,
                src.path,
                norm_name(name),
                _line_loc(src.path, line, src.line(line)),
            )


_GO_REQ = lazy(r"^\s*(?:require\s+)?([a-z0-9.-]+\.[a-z]{2,}/[^\s]+)\s+v\d")


def _go_deps(index: RepoIndex) -> Iterator[tuple[str, str, str, Location]]:
    for f in index.named(lambda name: name == "go.mod"):
        text = index.read_text(f.path)
        if text is None:
            continue
        directory = posixpath.dirname(f.path)
        for n, line in enumerate(text.splitlines(), 1):
            m = _GO_REQ.match(line)
            if m:
                col = line.index(m.group(1)) + 1
                yield directory, f.path, m.group(1), _line_loc(f.path, n, line, col)


def _is_manifest_name(name: str) -> bool:
    low = name.lower()
    return low in ("package.json", "pyproject.toml", "go.mod") or (
        low.startswith("requirements") and low.endswith(".txt")
    )


def _build(index: RepoIndex) -> list[Project]:
    by_dir: dict[str, Project] = {}
    for source in (_package_json_deps, _requirements_deps, _pyproject_deps, _go_deps):
        for directory, manifest, name, loc in source(index):
            proj = by_dir.setdefault(directory, Project(directory))
            if manifest not in proj.manifests:
                proj.manifests.append(manifest)
            proj.deps.setdefault(name, loc)
    # a manifest with no dependencies still makes a project
    for f in index.named(_is_manifest_name):
        proj = by_dir.setdefault(posixpath.dirname(f.path), Project(posixpath.dirname(f.path)))
        if f.path not in proj.manifests:
            proj.manifests.append(f.path)
    return [by_dir[d] for d in sorted(by_dir)]


def manifest_named(index: RepoIndex) -> bool:
    """False for a run on named files (pre-commit) none of which is a dependency manifest: then
    no finding placed on a manifest (a service's framework dependency) can be reported."""
    return not index.named_files or any(
        _is_manifest_name(posixpath.basename(t.path)) for t in index.targets()
    )


def projects(index: RepoIndex) -> list[Project]:
    """Every project of the scan (memoised per scan)."""
    return index.memo(("repo-projects",), lambda: _build(index))


def services(
    index: RepoIndex, frameworks: Iterable[str] = SERVER_FRAMEWORKS
) -> Iterator[tuple[Project, str, Location]]:
    """(project, framework, where it is declared) for projects that run a server."""
    for proj in projects(index):
        found = proj.server(frameworks)
        if found is not None:
            yield proj, found[0], found[1]


def sources_in(index: RepoIndex, directory: str) -> list[SourceFile]:
    """Application source files under ``directory`` ('' = everything), in scan order. Only the
    files under it are read (a pre-commit run naming one manifest reads one service)."""
    if not directory:
        return list(index.sources_of(SOURCE_KINDS))
    paths, ordered = index.memo(("repo-found-by-path",), lambda: _by_path(index))
    span = under(paths, directory)
    out = []
    for _, f in sorted(ordered[span.start : span.stop]):
        if index.kind_of(f) in SOURCE_KINDS and (src := index.source(f)) is not None:
            out.append(src)
    return out


def _by_path(index: RepoIndex) -> tuple[list[str], list[tuple[int, FoundFile]]]:
    """Found paths sorted as strings, and (scan position, file) in the same order."""
    pairs = sorted(((f.path, i, f) for i, f in enumerate(index.all_found())), key=lambda t: t[0])
    return [p for p, _, _ in pairs], [(i, f) for _, i, f in pairs]


# -- the scan root -----------------------------------------------------------------------------
def root_prefix(index: RepoIndex) -> str:
    """Display-path prefix of the scan root: '' or 'examples/api/'."""
    shown = display_path(index.root, index.base)
    return "" if shown in (".", "") else shown.rstrip("/") + "/"


def relative_paths(index: RepoIndex) -> list[str]:
    """Every found file's path relative to the scan root (sorted; computed once per scan)."""

    def compute() -> list[str]:
        prefix = root_prefix(index)
        return sorted(f.path[len(prefix) :] for f in index.all_found() if f.path.startswith(prefix))

    return index.memo(("repo-relative-paths",), compute)


def is_project_root(index: RepoIndex) -> bool:
    """Does the scan root look like a repository or project root (not a subfolder like k8s/)?"""
    for rel in relative_paths(index):
        low = rel.lower()
        if "/" not in low and (low in ROOT_MARKERS or low.startswith("readme")):
            return True
        if low.startswith(".github/"):
            return True
    return False


def readme(index: RepoIndex) -> str | None:
    """Relative path of the root README, if any."""
    for rel in relative_paths(index):
        if "/" not in rel and re.match(r"(?i)^readme(\.(md|markdown|rst|txt|adoc))?$", rel):
            return rel
    return None


def file_start(index: RepoIndex, path: str) -> Location:
    """Line 1 of a file (display path)."""
    text = index.read_text(path) or ""
    first = text.splitlines()[0] if text else ""
    return _line_loc(path, 1, first)


def repo_anchor(index: RepoIndex) -> Location | None:
    """Where a finding about the whole repo points: README line 1, else the most relevant file."""
    prefix = root_prefix(index)
    rels = relative_paths(index)
    if not rels:
        return None
    chosen = readme(index)
    if chosen is None:
        top = {r.lower(): r for r in rels if "/" not in r}
        chosen = next((top[n] for n in ANCHOR_PREFERENCE if n in top), None)
        if chosen is None:
            chosen = sorted(top.values())[0] if top else rels[0]
    return file_start(index, prefix + chosen)


def data_get(data: Any, *keys: str) -> Any:
    cur = data
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur
