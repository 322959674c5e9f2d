"""Python and npm dependency declarations with the line that declares each one.

Python: ``requirements*.txt``/``*.in`` (continuations, comments, options and ``--hash`` handled),
``pyproject.toml`` (PEP 621 ``dependencies``/``optional-dependencies``, PEP 735
``dependency-groups``, Poetry tables) and ``pylock.toml``. npm: ``package-lock.json`` (v1–v3).
Nothing is installed or resolved: only what the files pin is known.
"""

from __future__ import annotations

import json
import posixpath
import re
import tomllib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from linter.fastdc import dataclass
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Location, Notification, NotificationLevel
from linter.source import SourceFile

if TYPE_CHECKING:  # packaging (~13 ms to import) only when a requirement is parsed
    from packaging.requirements import Requirement

K = ArtifactKind
LOCKFILES = frozenset(
    {"uv.lock", "poetry.lock", "pdm.lock", "Pipfile.lock", "pylock.toml", "requirements.lock"}
)
_PYLOCK = lazy(r"^pylock\.[\w-]+\.toml$|^pylock\.toml$")
#: lock files with ``[[package]]`` tables of name + version
TOML_LOCKS = frozenset({"uv.lock", "poetry.lock", "pdm.lock"})
_JSON_OBJECT_KEY = lazy(r'^(\s*)"((?:[^"\\]|\\.)*)"\s*:\s*\{')


@dataclass(frozen=True)
class Dep:
    """A dependency as a manifest or lock file declares it."""

    name: str
    version: str | None  # the exact pinned version, None when not pinned to one
    text: str  # the requirement as written
    loc: Location
    ecosystem: str = "PyPI"
    by_url: bool = False  # `name @ https://…` or a VCS reference: pinned by its URL


def _exact(req: Requirement) -> str | None:
    specs = list(req.specifier)
    if len(specs) == 1 and specs[0].operator in ("==", "===") and "*" not in specs[0].version:
        return specs[0].version
    return None


def _strip_comment(line: str) -> str:
    m = re.search(r"(^|\s)#", line)
    return line[: m.start()] if m else line


def requirements_txt(src: SourceFile) -> Iterator[Dep]:
    from packaging.requirements import InvalidRequirement, Requirement

    lines = src.lines
    i = 0
    while i < len(lines):
        start = i
        text = lines[i]
        while text.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            text = text.rstrip()[:-1] + " " + lines[i]
        i += 1
        body = _strip_comment(text).strip()
        if not body or body.startswith("-"):
            continue
        body = re.split(r"\s+--?\w", body)[0].strip()
        if re.match(r"^(\.|/|[a-z+]+://)", body):
            continue  # a local path or a bare URL: no name to audit
        try:
            req = Requirement(body)
        except InvalidRequirement:
            continue
        first = lines[start]
        col = max(0, first.find(req.name)) + 1
        loc = Location(src.path, start + 1, col, start + 1, col + len(req.name))
        yield Dep(req.name, _exact(req), body, loc, by_url=req.url is not None)


def _find_string(src: SourceFile, needle: str, after: int = 0) -> Location | None:
    """Line of the first quoted string starting with ``needle`` (1-based, from line ``after``)."""
    for number in range(max(1, after), src.line_count + 1):
        line = src.line(number)
        for quote in ('"', "'"):
            col = line.find(quote + needle)
            if col >= 0:
                return Location(src.path, number, col + 2, number, col + 2 + len(needle))
    return None


def _poetry_version(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("version")
    if not isinstance(value, str):
        return None
    v = value.strip()
    if v.startswith("=="):
        v = v[2:].strip()
    if re.fullmatch(r"\d+(\.\d+)*([a-z0-9.+-]*)", v):
        return v
    return None


def pyproject(src: SourceFile, notes: list[Notification]) -> Iterator[Dep]:
    from packaging.requirements import InvalidRequirement, Requirement

    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as exc:
        notes.append(
            Notification(
                f"invalid TOML ({exc}); dependencies not checked",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        )
        return
    strings: list[str] = []
    lists: list[Any] = []
    project = data.get("project")
    if isinstance(project, dict):
        lists.append(project.get("dependencies"))
        optional = project.get("optional-dependencies")
        lists.extend(optional.values() if isinstance(optional, dict) else ())
    groups = data.get("dependency-groups")
    lists.extend(groups.values() if isinstance(groups, dict) else ())
    for items in lists:
        if isinstance(items, list):
            strings.extend(d for d in items if isinstance(d, str))
    for text in strings:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        loc = _find_string(src, text) or Location(src.path, 1)
        yield Dep(req.name, _exact(req), text, loc, by_url=req.url is not None)
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        tables = [poetry.get("dependencies"), poetry.get("dev-dependencies")]
        groups = poetry.get("group")
        if isinstance(groups, dict):
            tables += [g.get("dependencies") for g in groups.values() if isinstance(g, dict)]
        for table in tables:
            if not isinstance(table, dict):
                continue
            for name, value in table.items():
                if name == "python":
                    continue
                by_url = isinstance(value, dict) and any(k in value for k in ("git", "url", "path"))
                loc = _key_line(src, name) or Location(src.path, 1)
                yield Dep(name, _poetry_version(value), f"{name} = {value}", loc, by_url=by_url)


def _key_line(src: SourceFile, key: str) -> Location | None:
    pat = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
    for number, line in enumerate(src.lines, start=1):
        if pat.match(line):
            col = line.find(key) + 1
            return Location(src.path, number, col, number, col + len(key))
    return None


_LOCAL_SOURCES = frozenset({"editable", "virtual", "directory", "path", "git", "url"})


def pylock(src: SourceFile, notes: list[Notification], table: str = "packages") -> Iterator[Dep]:
    """``pylock.toml`` (``[[packages]]``) or uv/poetry/pdm locks (``[[package]]``)."""
    try:
        data = tomllib.loads(src.text)
    except tomllib.TOMLDecodeError as exc:
        notes.append(
            Notification(
                f"invalid TOML ({exc}); dependencies not checked",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        )
        return
    after = 1
    packages = data.get(table)
    for pkg in packages if isinstance(packages, list) else ():
        if not isinstance(pkg, dict):
            continue
        source = pkg.get("source")
        if isinstance(source, dict) and _LOCAL_SOURCES & set(source):
            continue  # the project itself or a local/VCS package: not on PyPI under that version
        if pkg.get("directory") or pkg.get("vcs"):
            continue
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str):
            continue
        pat = re.compile(r"^\s*name\s*=\s*[\"']" + re.escape(name) + r"[\"']")
        loc = None
        for number in range(after, src.line_count + 1):
            line = src.line(number)
            if pat.match(line):
                col = line.find(name, line.find("=")) + 1
                loc = Location(src.path, number, col, number, col + len(name))
                after = number + 1
                break
        if loc is None:
            loc = Location(src.path, 1)
        yield Dep(name, version if isinstance(version, str) else None, name, loc)


def npm_lock(src: SourceFile, notes: list[Notification]) -> Iterator[Dep]:
    try:
        data = json.loads(src.text)
    except (ValueError, RecursionError) as exc:
        notes.append(
            Notification(
                f"invalid JSON ({exc}); dependencies not checked",
                level=NotificationLevel.ERROR,
                path=src.path,
                code="prodready-parse-error",
            )
        )
        return
    if not isinstance(data, dict):
        return
    lines = src.lines
    packages = data.get("packages")
    found: list[tuple[str, str, str]] = []  # (json key, name, version)
    if isinstance(packages, dict):
        for key, meta in packages.items():
            if not key or not isinstance(meta, dict) or meta.get("link"):
                continue
            name = meta.get("name") or key.rsplit("node_modules/", 1)[-1]
            version = meta.get("version")
            if isinstance(name, str) and isinstance(version, str):
                found.append((key, name, version))
    else:

        def walk(deps: Any) -> None:
            if not isinstance(deps, dict):
                return
            for name, meta in deps.items():
                if isinstance(meta, dict):
                    version = meta.get("version")
                    if isinstance(version, str):
                        found.append((name, name, version))
                    walk(meta.get("dependencies"))

        walk(data.get("dependencies"))
    # one pass over the text: where each `"key": {` object starts
    starts: dict[str, list[tuple[int, int]]] = {}
    for number, line in enumerate(lines, start=1):
        m = _JSON_OBJECT_KEY.match(line)
        if m:
            starts.setdefault(m.group(2), []).append((number, len(m.group(1))))
    used: set[int] = set()
    for key, name, version in found:
        loc = None
        for number, col0 in starts.get(key, ()):
            if number in used:
                continue
            window = "\n".join(lines[number - 1 : number + 4])
            if f'"version": "{version}"' in window or '"version"' not in window:
                used.add(number)
                loc = Location(src.path, number, col0 + 1, number, col0 + 3 + len(key))
                break
        yield Dep(name, version, f"{name}@{version}", loc or Location(src.path, 1), "npm")


def python_sources(index: RepoIndex) -> list[SourceFile]:
    out = index.sources_of({K.REQUIREMENTS, K.PYPROJECT})
    for f in index.named(lambda base: bool(_PYLOCK.match(base)) or base in TOML_LOCKS):
        src = index.source(f)
        if src is not None:
            out.append(src)
    return sorted(out, key=lambda s: s.path)


def npm_sources(index: RepoIndex) -> list[SourceFile]:
    out = []
    for f in index.named(lambda base: base in ("package-lock.json", "npm-shrinkwrap.json")):
        src = index.source(f)
        if src is not None:
            out.append(src)
    return out


def deps_of(index: RepoIndex, src: SourceFile) -> list[Dep]:
    def build() -> list[Dep]:
        notes = index.notifications
        name = posixpath.basename(src.path)
        if src.kind == K.REQUIREMENTS:
            return list(requirements_txt(src))
        if name == "pyproject.toml":
            return list(pyproject(src, notes))
        if _PYLOCK.match(name):
            return list(pylock(src, notes))
        if name in TOML_LOCKS:
            return list(pylock(src, notes, "package"))
        if name in ("package-lock.json", "npm-shrinkwrap.json"):
            return list(npm_lock(src, notes))
        return []

    return index.memo(("deps-of", src.path), build)


def names_in(index: RepoIndex, directory: str) -> frozenset[str]:
    """File names directly in ``directory`` (display path), from one memoised listing."""

    def build() -> dict[str, frozenset[str]]:
        listing: dict[str, set[str]] = {}
        for f in index.all_found():
            listing.setdefault(posixpath.dirname(f.path), set()).add(posixpath.basename(f.path))
        return {d: frozenset(n) for d, n in listing.items()}

    return index.memo(("deps-dir-listing",), build).get(directory, frozenset())


def has_lockfile(index: RepoIndex, directory: str) -> bool:
    for base in names_in(index, directory):
        if base in LOCKFILES or _PYLOCK.match(base):
            return True
        if base.startswith("requirements") and base.endswith(".txt"):
            return True
    return False
