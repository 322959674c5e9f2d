"""The per-service code index: entry points, routes, listen calls, signal handlers, imports.

Built once per scan (``index.memo``). A *code service* is a directory holding a Dockerfile or a
dependency manifest (package.json, requirements*.txt, pyproject.toml, go.mod, Procfile); each
source file belongs to the innermost one. Only files that pass a cheap literal prefilter are
parsed: a file with no import, no server call, no logging and no SQL cannot change any answer.
"""

from __future__ import annotations

import functools
import json
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import field
from functools import lru_cache
from typing import TYPE_CHECKING

from linter.classify import is_dockerfile_name
from linter.code import facts
from linter.code.model import Call, CodeFile, Route
from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.literals import Literals
from linter.model import RENDERS_K8S, ArtifactKind, Location, Notification, NotificationLevel

if TYPE_CHECKING:
    from linter.discover import FoundFile
    from linter.index import RepoIndex
    from linter.parsers.dockerfile import DockerfileArtifact, Instruction
    from linter.source import SourceFile

K = ArtifactKind
CODE_KINDS = frozenset({K.PYTHON, K.JAVASCRIPT, K.TYPESCRIPT, K.GO})
LANG = {K.PYTHON: "python", K.JAVASCRIPT: "javascript", K.TYPESCRIPT: "typescript", K.GO: "go"}
MANIFEST_NAMES = frozenset(
    {"package.json", "pyproject.toml", "go.mod", "Procfile", "setup.py", "setup.cfg", "Pipfile"}
)

#: a file containing none of these cannot contribute a fact any code policy reads
#: (``linter.literals``: plain ``in`` tests for a few files, RE2 for many)
PREFILTER_LITERALS = (
    "import",
    "require",
    "listen",
    "Listen",
    "process.",
    "console.",
    "print",
    "signal",
    "verify",
    "innerHTML",
    "document.write",
    "rejectUnauthorized",
    "InsecureSkipVerify",
    ".run(",
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "logger",
    "logging",
    "CORS",
    "SESSION_",
    "Access-Control",
)


_PREFILTER = Literals(PREFILTER_LITERALS)


_TEST_FILE = lazy(
    r"(^|/)(tests?|__tests__|__mocks__|spec|e2e|cypress|fixtures|testdata)/|"
    r"(^|/)(test_[^/]*\.py|[^/]*_test\.(py|go)|conftest\.py)$|\.(test|spec|stories)\.[cm]?[jt]sx?$"
)
_SKIP = lazy(r"(^|/)(node_modules|vendor|dist|build|\.next|coverage|out)/|\.min\.js$|\.d\.ts$")

GRACEFUL_SERVERS = frozenset({"gunicorn", "uvicorn", "hypercorn", "granian", "daphne"})
JS_GRACEFUL_LIBS = frozenset(
    {
        "http-terminator",
        "stoppable",
        "lightship",
        "@godaddy/terminus",
        "close-with-grace",
        "fastify-graceful-shutdown",
        "@moebius/http-graceful-shutdown",
        "http-graceful-shutdown",
        "graceful-shutdown",
        "@nestjs/terminus",
    }
)


#: what ``_SKIP`` and ``_TEST_FILE`` say, without a regex search per file (3 µs, and ``_indexed``
#: asks it of every file): the directories they name, by component, once per directory; the
#: file names by their ends (``tests/test_code_index.py`` checks both answer the same)
_SKIP_OR_TEST_DIRS = frozenset(
    {"node_modules", "vendor", "dist", "build", ".next", "coverage", "out"}
    | {"test", "tests", "__tests__", "__mocks__", "spec", "e2e", "cypress", "fixtures", "testdata"}
)
_TEST_SUFFIX = lazy(r"\.(test|spec|stories)\.[cm]?[jt]sx?$")


@functools.lru_cache(maxsize=65_536)
def _skipped_dir(directory: str) -> bool:
    return not _SKIP_OR_TEST_DIRS.isdisjoint(directory.split("/"))


def _skip_or_test(path: str) -> bool:
    """``_SKIP.search(path) or is_test_path(path)``, faster."""
    i = path.rfind("/")
    if i >= 0 and _skipped_dir(path[:i]):
        return True
    name = path[i + 1 :]
    return (
        name.endswith((".min.js", ".d.ts", "_test.py", "_test.go"))
        or (name.startswith("test_") and name.endswith(".py") and len(name) >= 8)
        or name == "conftest.py"
        or _TEST_SUFFIX.search(name) is not None
    )


def is_test_path(path: str) -> bool:
    return _TEST_FILE.search(path) is not None


def parent_dir(path: str) -> str:
    """``posixpath.dirname(path)`` (``tests/test_code_index.py`` checks), a third of its time
    for the common case: a slash that is neither the first character nor after another."""
    i = path.rfind("/")
    if i > 0 and path[i - 1] != "/":
        return path[:i]
    return posixpath.dirname(path)


def package_name(module: str) -> str:
    """npm package / Python top-level package / Go module path of an import."""
    if module.startswith("node:"):
        return module[5:]
    if module.startswith("@"):
        return "/".join(module.split("/")[:2])
    if "/" in module and "." not in module.split("/")[0]:
        return module.split("/")[0]
    if "/" in module:
        return module  # Go import path
    return module.split(".")[0] if not module.startswith(".") else module


@dataclass(frozen=True)
class Launcher:
    """How a container/process starts the service: Dockerfile CMD/ENTRYPOINT, Procfile, npm."""

    words: tuple[str, ...]
    loc: Location
    origin: str  # "dockerfile" | "procfile" | "package.json"
    shell_form: bool = False  # Dockerfile: /bin/sh is PID 1

    @property
    def server(self) -> str:
        """The graceful server it runs (gunicorn, uvicorn …), or ''."""
        for w in self.words:
            base = posixpath.basename(w)
            if base in GRACEFUL_SERVERS:
                return base
            if w == "-m":
                continue
        for i, w in enumerate(self.words[:-1]):
            if w == "-m" and self.words[i + 1] in GRACEFUL_SERVERS:
                return self.words[i + 1]
        return ""


@dataclass
class CodeService:
    """A code service: a directory with a Dockerfile or a dependency manifest, and the code below
    it."""

    directory: str
    files: dict[str, CodeFile] = field(default_factory=dict)
    #: every code file of the service, parsed or not (prefilter)
    all_paths: list[str] = field(default_factory=list)
    launchers: list[Launcher] = field(default_factory=list)
    #: package.json scripts.start / main
    package_main: str = ""
    _paths_cache: frozenset[str] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return posixpath.basename(self.directory) or "."

    def libraries(self) -> set[str]:
        return {
            package_name(i.module)
            for f in self.files.values()
            for i in f.imports
            if not i.module.startswith(".")
        }

    def modules(self) -> set[str]:
        return {i.module for f in self.files.values() for i in f.imports}

    def uses(self, *names: str) -> bool:
        libs = self.libraries() | self.modules()
        return any(n in libs for n in names)

    def routes(self) -> list[Route]:
        return [r for f in self.sorted_files() for r in f.routes]

    def listens(self) -> list[Call]:
        return [c for f in self.sorted_files() for c in f.listens]

    def listen_ports(self) -> list[tuple[int, Location]]:
        """Literal ports the service's server starts listen on (``app.listen(8080)``,
        ``app.run(port=5000)``, ``ListenAndServe(":8080")``, ``process.env.PORT || 3000``)."""
        out: list[tuple[int, Location]] = []
        for c in self.listens():
            for v in (c.kw("port"), c.kw("bind"), c.kw("addr"), c.arg(0)):
                if v is None:
                    continue
                port = _port_of(v.text) if v.kind in ("num", "str", "other") else None
                if port is not None:
                    out.append((port, v.loc))
                    break
        return out

    def sorted_files(self) -> list[CodeFile]:
        return [self.files[p] for p in sorted(self.files)]

    def is_server(self) -> bool:
        return any(f.listens or f.routes for f in self.files.values()) or bool(self.app_creations())

    def app_creations(self) -> list[Call]:
        return [c for f in self.sorted_files() for c in facts.app_creations(f)]

    def anchor(self) -> Location | None:
        """Where a "missing in this service" finding points: the app creation (``express()``,
        ``Flask(__name__)``) of the first entry point, else its server start, else a route."""
        entries = self.entry_points()
        for path in entries:
            f = self.files[path]
            made = facts.app_creations(f)
            if made:
                return made[0].loc
        for path in entries:
            f = self.files[path]
            if f.listens:
                return f.listens[0].loc
        made_any = self.app_creations()
        if made_any:
            return made_any[0].loc
        routes = self.routes()
        return routes[0].loc if routes else None

    def calls(self) -> Iterator[Call]:
        for f in self.sorted_files():
            yield from f.calls

    # -- entry points and reachability ------------------------------------------------------
    def launched_files(self) -> list[str]:
        """Files a launcher runs (``node server.js``, ``python app.py``, ``gunicorn app:app``)."""
        out: list[str] = []
        for la in self.launchers:
            out.extend(self._resolve_words(la.words))
        if self.package_main:
            out.extend(self._resolve_words(tuple(shlex_split(self.package_main))))
        return sorted(set(out))

    def _resolve_words(self, words: tuple[str, ...]) -> list[str]:
        out: list[str] = []
        for i, w in enumerate(words):
            cand: list[str] = []
            if w.endswith((".js", ".mjs", ".cjs", ".ts", ".py", ".go")):
                cand.append(w)
            elif ":" in w and re.fullmatch(r"[\w.]+:[\w.()]+", w):
                cand.append(w.split(":")[0].replace(".", "/") + ".py")
            elif i > 0 and words[i - 1] == "-m" and re.fullmatch(r"[\w.]+", w):
                cand.append(w.replace(".", "/") + ".py")
                cand.append(w.replace(".", "/") + "/__main__.py")
            elif i > 0 and words[i - 1] in ("node", "nodemon", "ts-node") and "." not in w:
                cand.extend([w + ".js", w + "/index.js"])
            for c in cand:
                hit = self.find(c)
                if hit:
                    out.append(hit)
        return out

    def find(self, rel: str) -> str | None:
        """The service file a launcher names (``./``, ``/app/`` and build dirs tolerated)."""
        parts = [p for p in rel.strip().split("/") if p and p != "."]
        prefix = f"{self.directory}/" if self.directory else ""
        paths = self._path_set()
        for k in range(len(parts)):
            tail = "/".join(parts[k:])
            cands = [prefix + tail]
            if parts[k] in ("dist", "build", "out", "lib") and tail.endswith(".js"):
                cands += [
                    prefix + "src/" + "/".join(parts[k + 1 :])[:-3] + e for e in (".ts", ".js")
                ]
            for cand in cands:
                if cand in paths:
                    return cand
        return None

    def entry_points(self) -> list[str]:
        """Files that start a server, plus the files launchers run."""
        found = {p for p, f in self.files.items() if f.listens}
        found.update(p for p in self.launched_files() if p in self.files)
        return sorted(found)

    def server_files(self) -> list[CodeFile]:
        """Server code: entry points, files declaring routes or apps, and what they import."""
        roots = set(self.entry_points())
        roots.update(p for p, f in self.files.items() if f.routes or facts.app_creations(f))
        found: dict[str, CodeFile] = {}
        for root in sorted(roots):
            if root in found:
                continue
            for f in self.closure(root):
                found[f.path] = f
        return [found[p] for p in sorted(found)]

    def resolve_import(self, src: CodeFile, module: str) -> list[str]:
        here = posixpath.dirname(src.path)
        if src.lang in ("javascript", "typescript"):
            if not module.startswith("."):
                return []
            base = posixpath.normpath(posixpath.join(here, module))
            exts = ("", ".js", ".ts", ".tsx", ".mjs", ".cjs", ".jsx")
            for cand in [base + e for e in exts] + [f"{base}/index{e}" for e in exts[1:]]:
                if cand in self._path_set():
                    return [cand]
            if base.endswith(".js"):
                for e in (".ts", ".tsx"):
                    if base[:-3] + e in self._path_set():
                        return [base[:-3] + e]
            return []
        if src.lang == "python":
            return self._resolve_py(here, module, src)
        if src.lang == "go":
            tail = module.rstrip("/")
            dirs = {posixpath.dirname(p) for p in self.all_paths if p.endswith(".go")}
            for d in sorted(dirs):
                if d == tail or (
                    d.endswith("/" + tail.split("/")[-1])
                    and tail.endswith(d.removeprefix(self.directory).lstrip("/") or "\0")
                ):
                    return [p for p in self.all_paths if posixpath.dirname(p) == d]
        return []

    def _resolve_py(self, here: str, module: str, src: CodeFile) -> list[str]:
        out: list[str] = []
        names: tuple[str, ...] = ()
        for imp in src.imports:
            if imp.module == module:
                names = imp.names
        if module.startswith("."):
            level = len(module) - len(module.lstrip("."))
            base = here
            for _ in range(level - 1):
                base = posixpath.dirname(base)
            rest = module.lstrip(".").replace(".", "/")
            roots = [posixpath.join(base, rest) if rest else base]
        else:
            rest = module.replace(".", "/")
            roots = [posixpath.join(here, rest)]
            if self.directory:
                roots.append(posixpath.join(self.directory, rest))
            else:
                roots.append(rest)
        paths = self._path_set()
        for r in roots:
            for cand in (r + ".py", r + "/__init__.py"):
                if cand in paths:
                    out.append(cand)
            for n in names:
                cand = posixpath.join(r, n + ".py")
                if cand in paths:
                    out.append(cand)
        return sorted(set(out))

    def _path_set(self) -> frozenset[str]:
        if self._paths_cache is None or len(self._paths_cache) != len(self.all_paths):
            self._paths_cache = frozenset(self.all_paths)
        return self._paths_cache

    def closure(self, path: str) -> list[CodeFile]:
        """The parsed files reachable from ``path`` through local imports (itself included).
        Go: every file of the same package directory belongs to the program too."""
        seen: set[str] = set()
        todo = [path]
        start = self.files.get(path)
        if start is not None and start.lang == "go":
            todo.extend(
                p
                for p in self.all_paths
                if p.endswith(".go") and posixpath.dirname(p) == posixpath.dirname(path)
            )
        while todo:
            p = todo.pop()
            if p in seen:
                continue
            seen.add(p)
            f = self.files.get(p)
            if f is None:
                continue
            for imp in f.imports:
                todo.extend(self.resolve_import(f, imp.module))
        return [self.files[p] for p in sorted(seen) if p in self.files]


@dataclass
class CodeIndex:
    """The code services of a scan and the facts of each code file they hold."""

    services: list[CodeService]
    files: dict[str, CodeFile]

    def service_of(self, path: str) -> CodeService | None:
        best: CodeService | None = None
        for svc in self.services:
            d = svc.directory
            if (not d or path == d or path.startswith(d + "/")) and (
                best is None or len(d) > len(best.directory)
            ):
                best = svc
        return best

    def server_services(self) -> Iterator[CodeService]:
        for svc in self.services:
            if svc.files and svc.is_server():
                yield svc


_PORT = lazy(r"^(?:[\w.\-\[\]]*:)?(\d{2,5})$|(?:\|\||\?\?|\bor\b)\s*\(?\s*['\"]?(\d{2,5})")


def _port_of(text: str) -> int | None:
    m = _PORT.search(text.strip())
    if m is None:
        return None
    port = int(m.group(1) or m.group(2))
    return port if 0 < port < 65536 else None


def shlex_split(text: str) -> list[str]:
    return list(_shlex_split(text))


@lru_cache(maxsize=4096)
def _shlex_split(text: str) -> tuple[str, ...]:
    """The same commands (package.json scripts, CMD lines) are split again by every policy that
    asks which files a service launches."""
    try:
        return tuple(shlex.split(text, comments=False))
    except ValueError:
        return tuple(text.split())


def _final_command(df: DockerfileArtifact) -> tuple[tuple[str, ...], Instruction | None, bool]:
    """Words of the effective command, the instruction to point at, and whether sh is PID 1."""
    stage = df.final_stage
    if stage is None:
        return (), None, False
    ep = [i for i in stage.instructions if i.cmd == "ENTRYPOINT"]
    cmd = [i for i in stage.instructions if i.cmd == "CMD"]
    e = ep[-1] if ep else None
    c = cmd[-1] if cmd else None
    words: list[str] = []
    shell = False
    point: Instruction | None = None
    for instr in (e, c):
        if instr is None:
            continue
        if instr.json:
            words.extend(instr.value)
        else:
            text = instr.text.strip()
            words.extend(shlex_split(text))
            if (instr is e or e is None or not e.json) and not text.startswith("exec "):
                shell = True
                point = instr
        if point is None:
            point = instr
    if e is not None and e.json and c is not None and not c.json:
        shell = False  # CMD only feeds arguments to an exec-form ENTRYPOINT
    if e is not None and not e.json:
        point = e
    return tuple(words), point, shell


def dockerfile_launcher(df: DockerfileArtifact) -> Launcher | None:
    words, instr, shell = _final_command(df)
    if instr is None:
        return None
    return Launcher(words, df.loc(instr), "dockerfile", shell)


def _is_dev_file(path: str) -> bool:
    name = posixpath.basename(path).lower()
    return any(tag in re.split(r"[._-]", name) for tag in ("dev", "development", "local", "test"))


def _procfile_launchers(src: SourceFile) -> Iterator[Launcher]:
    for n, line in enumerate(src.lines, start=1):
        m = re.match(r"^\s*(web|worker|app)\s*:\s*(.+)$", line)
        if m:
            col = line.index(m.group(2)) + 1
            yield Launcher(
                tuple(shlex_split(m.group(2))),
                Location(src.path, n, col, n, len(line.rstrip()) + 1),
                "procfile",
            )


def _package_main(src: SourceFile) -> str:
    try:
        data = json.loads(src.text)
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    scripts = data.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if isinstance(start, str):
        return start
    main = data.get("main")
    return f"node {main}" if isinstance(main, str) else ""


def _parse_file(index: RepoIndex, src: SourceFile) -> CodeFile | None:
    lang = LANG[src.kind]
    try:
        if lang == "python":
            from linter.code import pyextract

            return facts.derive(pyextract.extract(src.path, src.text))
        if lang == "go":
            from linter.code import goextract

            return facts.derive(goextract.extract(src.path, src.text))
        from linter.code import tsextract

        return facts.derive(tsextract.extract(src.path, src.text, lang))
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        line = getattr(exc, "lineno", None)
        index.notifications.append(
            Notification(
                f"{lang} file does not parse ({type(exc).__name__}: "
                f"{getattr(exc, 'msg', None) or exc}); code checks skip it",
                level=NotificationLevel.WARNING,
                path=src.path,
                line=line if isinstance(line, int) and line >= 1 else None,
                code="prodready-parse-error",
            )
        )
        return None


def _wanted_services(index: RepoIndex, owner: Callable[[str], CodeService]) -> set[str]:
    """With named files (pre-commit), the code services worth parsing: those holding a named
    file, and those whose image a named Dockerfile builds or a named manifest runs."""
    from linter.render import reportable
    from linter.services import services

    wanted = {owner(t.path).directory for t in index.targets()}
    joined = {K.K8S, K.DOCKERFILE} | RENDERS_K8S
    if not any(index.kind_of(t) in joined for t in index.targets()):
        return wanted  # no named manifest, chart file or Dockerfile: the image join adds nothing
    for svc in services(index):
        if any(reportable(index, ref.obj.source.path) for ref in svc.containers) or any(
            index.is_target(df.source.path) for df in svc.dockerfiles
        ):
            wanted.add(owner(posixpath.join(svc.directory, "_")).directory)
    return wanted


def _indexed(index: RepoIndex, f: FoundFile) -> bool:
    """Is ``f`` a code file the index covers?"""
    return (
        index.kind_of(f) in CODE_KINDS and not _skip_or_test(f.path) and not f.path.endswith(".pyi")
    )


def _facts_of(index: RepoIndex, f: FoundFile) -> CodeFile | None:
    """A code file's facts; None when it cannot be read, fails the prefilter or the parse."""
    src = index.source(f)
    if src is None or not _PREFILTER.in_source(src):
        return None
    return _parse_file(index, src)


def part(index: RepoIndex, f: FoundFile) -> tuple[CodeFile | None] | None:
    """One file's share of the index, computed where the file is (a worker process): its facts
    (in a 1-tuple) when the index covers it, else None. :func:`assemble` takes them."""
    return (_facts_of(index, f),) if _indexed(index, f) else None


def assemble(index: RepoIndex, parts: Mapping[str, CodeFile | None]) -> CodeIndex:
    """The index from the facts computed elsewhere (the files without are parsed here)."""
    return build(index, parts)


def build(index: RepoIndex, known: Mapping[str, CodeFile | None] | None = None) -> CodeIndex:
    """The code index, built here (``known``: files' facts computed elsewhere)."""
    found = index.all_found()
    roots: set[str] = set()
    for f in index.named(
        lambda name: (
            name in MANIFEST_NAMES
            or (name.startswith("requirements") and name.endswith(".txt"))
            or is_dockerfile_name(name)
        )
    ):
        if not _SKIP.search(f.path):
            roots.add(posixpath.dirname(f.path))
    roots.add("")
    svcs = {d: CodeService(d) for d in sorted(roots)}
    cindex = CodeIndex(list(svcs.values()), {})

    owners: dict[str, CodeService] = {}  # directory -> its service (a directory holds many)

    def owner(path: str) -> CodeService:
        d = parent_dir(path)
        svc = owners.get(d)
        if svc is None:
            start = d
            while d not in svcs:
                parent = posixpath.dirname(d)
                # '/' is its own parent (an absolute display path: a file outside the base)
                d = parent if parent != d else ""
            svc = owners[start] = svcs[d]
        return svc

    wanted = _wanted_services(index, owner) if index.named_files else None
    # a file whose owner is wanted lies under the owner's directory: others are not even looked at
    under = None if wanted is None else tuple(f"{d}/" if d else "" for d in wanted)
    for f in found:
        if under is not None and not f.path.startswith(under):
            continue
        if not _indexed(index, f):
            continue
        svc = owner(f.path)
        svc.all_paths.append(f.path)
        if wanted is not None and svc.directory not in wanted:
            continue
        cf = known[f.path] if known is not None and f.path in known else _facts_of(index, f)
        if cf is not None:
            svc.files[f.path] = cf
            cindex.files[f.path] = cf
    # launchers: Dockerfiles (not dev ones), Procfiles, package.json start scripts
    for dfile in index.files_of({K.DOCKERFILE}):
        if _is_dev_file(dfile.path):
            continue
        if wanted is not None and owner(dfile.path).directory not in wanted:
            continue
        dsrc = index.source(dfile)
        df = index.parsed(dsrc) if dsrc is not None else None
        la = dockerfile_launcher(df) if df is not None else None
        if la is not None:
            owner(dfile.path).launchers.append(la)
    for f in index.named(lambda name: name in ("Procfile", "package.json")):
        if _SKIP.search(f.path):
            continue
        name = posixpath.basename(f.path)
        if wanted is not None and owner(f.path).directory not in wanted:
            continue
        src = index.source(f)
        if src is None:
            continue
        svc = owner(f.path)
        if name == "Procfile":
            svc.launchers.extend(_procfile_launchers(src))
        else:
            svc.package_main = _package_main(src)
    return cindex


#: the code index's memo key (a worker process may build it: linter/parallel.py)
KEY = ("code-index",)


def code_index(index: RepoIndex) -> CodeIndex:
    """The scan's code index (built once, memoised in the RepoIndex)."""
    return index.memo(KEY, lambda: build(index))


def target_files(index: RepoIndex) -> Iterator[CodeFile]:
    """The parsed code files that are scan targets (repo-scope per-file checks)."""
    files = code_index(index).files
    for path in sorted(files):
        if index.is_target(path):
            yield files[path]


def iter_files(cindex: CodeIndex, langs: Iterable[str] | None = None) -> Iterator[CodeFile]:
    want = None if langs is None else frozenset(langs)
    for path in sorted(cindex.files):
        f = cindex.files[path]
        if want is None or f.lang in want:
            yield f
