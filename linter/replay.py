"""Replay: a re-scan of an unchanged tree prints the stored output without loading a policy.

The scan cache (``linter/cache.py``) already skips reading, parsing and checking an unchanged
tree; what is left of a warm run is Python's imports (every policy module, to know the rules),
the configuration, and rendering the output again. A replay entry skips those too: it stores
the *rendered output* and the exit code of a ``check`` of a directory, under a key made of the
whole request (every option, the working directory, prodready's and Python's versions, whether
stdout is a terminal, ``NO_COLOR``), and it records everything else the output depended on:

* the discovered files — path, size and mtime of each, re-walked with the walk settings the
  configuration gave (excludes, ``respect-gitignore``), as the scan cache's tree signature;
* stamps (size, mtime) of the configuration files, of prodready's and the policy packages' code
  (every ``.py`` file and directory), of the directories on ``sys.path`` (a plugin installed or
  removed changes them), of the baseline, values files and OSV database given;
* where ``helm``, ``kustomize`` and ``kubectl`` are on ``PATH``, and their stamps.

Any difference and the entry is not used: the scan runs as usual and stores a new one. Entries
are only written when every scanned file is older than the mtime granularity allows to change
unseen (:data:`RACY_NS`), never for ``--fix``, ``--diff``, baselines being written,
``--online`` or ``--verbose`` runs, and never when the scan cache itself was found corrupt.
The output is already redacted; entries are JSON, written atomically, and one that cannot be
read is ignored with a note in the output of the scan that replaces it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from linter import __version__
from linter.fastdc import dataclass
from linter.model import Notification, NotificationLevel

FORMAT = 1
CACHE_DIR = ".prodready_cache"  # the scan cache (linter/cache.py) and replay entries
RENDERERS = ("helm", "kustomize", "kubectl")
#: a file modified this recently may change again within the mtime granularity
RACY_NS = 2_000_000_000
#: the notification code of a cache file that could not be used
CORRUPT = "prodready-cache-ignored"
#: an explicit cache directory that cannot be created or written
CACHE_UNUSABLE = "prodready-cache-unusable"


def cache_ignored(what: str, exc: BaseException, then: str = "it will be rebuilt") -> Notification:
    """The note for a cache file that could not be used: ``what`` ignored (why); ``then``."""
    return Notification(
        f"{what} ignored ({type(exc).__name__}: {str(exc)[:120]}); {then}",
        level=NotificationLevel.NOTE,
        code=CORRUPT,
    )


def read_cache_file(
    path: str, what: str, notes: list[Notification], then: str = "it will be rebuilt"
) -> Any:
    """The JSON a cache file holds; None when there is none, or when it cannot be read (noted
    with :func:`cache_ignored`)."""
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except (OSError, ValueError, RecursionError) as exc:
        notes.append(cache_ignored(what, exc, then))
        return None


def ensure_cache_dir(directory: str) -> None:
    """Create the cache directory with a ``.gitignore`` that ignores it (raises OSError)."""
    os.makedirs(directory, exist_ok=True)
    gitignore = os.path.join(directory, ".gitignore")
    if not os.path.exists(gitignore):
        with open(gitignore, "w", encoding="utf-8") as fh:
            fh.write("# created by prodready\n*\n")


def write_cache_file(path: str, payload: Any, keep: int = 0) -> bool:
    """Write ``payload`` as compact JSON to ``path`` in a cache directory, atomically (temp file
    + rename; the C encoder: ``json.dump`` is pure Python). With ``keep``, only the ``keep``
    newest files of the directory with the same name prefix (up to the first ``-``) are kept.
    False when it could not be written (a read-only tree just means no cache)."""
    import tempfile  # (and random, hashlib's seeding): only a run that writes a cache file

    directory = os.path.dirname(path)
    prefix = os.path.basename(path).split("-", 1)[0] + "-"
    try:
        ensure_cache_dir(directory)
        fd, tmp = tempfile.mkstemp(prefix="." + prefix, suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(payload, separators=(",", ":")))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if keep:
            names = [n for n in os.listdir(directory) if n.startswith(prefix)]
            if len(names) <= keep:  # nothing to prune: no need to stat them
                return True
            paths = sorted(
                (os.path.join(directory, n) for n in names),
                key=lambda p: os.stat(p).st_mtime_ns,
                reverse=True,
            )
            for old in paths[keep:]:
                os.unlink(old)
    except OSError:
        return False
    return True


Stamp = tuple[int, int] | None


def stamp(path: str | None) -> Stamp:
    """(size, mtime) of a file, or of a directory's newest entry; None when it is missing."""
    if not path:
        return None
    try:
        st = os.stat(path)
        if not os.path.isdir(path):
            return (st.st_size, st.st_mtime_ns)
        newest = max((e.stat().st_mtime_ns for e in os.scandir(path)), default=st.st_mtime_ns)
        return (st.st_size, max(newest, st.st_mtime_ns))
    except OSError:
        return None


def file_stamp(path: str) -> Stamp:
    """(size, mtime) of a file (of what a link leads to), or None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


def code_paths(packages: Iterable[str]) -> list[str]:
    """Every directory and ``.py`` file of these (imported) packages or modules."""
    out: list[str] = []
    for name in sorted(set(packages)):
        mod = sys.modules.get(name)
        file = getattr(mod, "__file__", None)
        if not file:
            continue
        if os.path.basename(file) != "__init__.py":
            out.append(file)
            continue
        for d, dirs, files in os.walk(os.path.dirname(file)):
            dirs[:] = sorted(x for x in dirs if x != "__pycache__")
            out.append(d)
            out.extend(os.path.join(d, f) for f in sorted(files) if f.endswith(".py"))
    return out


def find_binary(name: str) -> str | None:
    """``shutil.which(name)``; shutil is imported when first asked (with zlib, bz2 and lzma,
    which its archive functions need: 2.5 ms of a pre-commit run that asks nothing)."""
    import shutil

    return shutil.which(name)


@functools.lru_cache(maxsize=1)
def install_stamp() -> str:
    """Digest of (path, size, mtime) of every file of prodready's ``linter`` and ``policies``
    packages: it changes with any edit of them, and it differs between two installs (mtimes
    are install or checkout times, in nanoseconds). Cache file names include it, so an entry
    planted in a repository (a committed ``.prodready_cache/``) cannot carry a name this
    machine would look up."""
    h = hashlib.sha256()
    for name in ("linter", "policies"):
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        for top in (spec.submodule_search_locations or []) if spec is not None else []:
            for d, dirs, files in os.walk(top):
                dirs[:] = sorted(x for x in dirs if x != "__pycache__")
                for f in sorted(files):
                    p = os.path.join(d, f)
                    st = file_stamp(p)
                    h.update(f"{p}\0{st}\n".encode())
    return h.hexdigest()


def request_key(request: Mapping[str, Any]) -> str:
    payload = {
        "format": FORMAT,
        "version": __version__,
        "install": install_stamp(),
        "python": list(sys.version_info[:3]),
        "executable": sys.executable,
        "cwd": os.getcwd(),
        "tty": sys.stdout.isatty(),
        "no_color": "NO_COLOR" in os.environ,
        "request": dict(request),
    }
    blob = json.dumps(payload, sort_keys=True, default=repr).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


@dataclass(frozen=True)
class Hit:
    """A replayed run: its output and its exit code."""

    text: str
    code: int


@dataclass(frozen=True)
class Walk:
    """The settings a walk of the scan root depends on."""

    root: str
    base: str
    excludes: tuple[str, ...]
    respect_gitignore: bool


def tree_signature(files: Iterable[Any], now: int | None = None) -> tuple[str, bool]:
    """Digest of (path, size, mtime) of every discovered file, and whether all were older than
    the racy window at ``now`` (default: now)."""
    h = hashlib.sha256()
    now = time.time_ns() if now is None else now
    settled = True
    for f in files:
        mtime = getattr(f, "mtime_ns", 0)
        if not mtime or mtime > now - RACY_NS:
            settled = False
        h.update(f"{f.path}\0{f.size}\0{mtime}\n".encode())
    return h.hexdigest(), settled


def walk_signature(walk: Walk, cache_dir: str) -> tuple[str, bool]:
    from linter.walkcache import cached_walk

    found = cached_walk(walk.root, walk.base, walk.excludes, [], walk.respect_gitignore, cache_dir)
    return tree_signature(found)


class Replay:
    """The replay entry of one request in one cache directory."""

    def __init__(self, directory: str, request: Mapping[str, Any]) -> None:
        self.directory = directory
        self.path = os.path.join(directory, f"replay-{request_key(request)}.json")
        #: why a stored entry was not used when it could not be read (for the output)
        self.problem: str | None = None

    def lookup(self) -> Hit | None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                raw = json.load(fh)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except (OSError, ValueError, RecursionError) as exc:
            self._broken(exc)
            return None
        try:
            return self._validate(raw)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            self._broken(exc)
            return None

    def _broken(self, exc: BaseException) -> None:
        """Note the problem once and remove the entry (this run's output, carrying the note,
        is not stored; the next run stores a clean one)."""
        self.problem = f"{type(exc).__name__}: {str(exc)[:120]}"
        with contextlib.suppress(OSError):
            os.unlink(self.path)

    def _validate(self, raw: Any) -> Hit | None:
        if raw["format"] != FORMAT:
            return None
        for binary, where in raw["which"]:
            if find_binary(str(binary)) != where:
                return None
        for path, kind, old in raw["stamps"]:
            now = stamp(str(path)) if kind == "tree" else file_stamp(str(path))
            if (list(now) if now is not None else None) != old:
                return None
        w = raw["walk"]
        walk = Walk(str(w[0]), str(w[1]), tuple(str(x) for x in w[2]), bool(w[3]))
        signature, _ = walk_signature(walk, self.directory)
        if signature != raw["tree"]:
            return None
        text, code = raw["text"], raw["code"]
        if not isinstance(text, str) or not isinstance(code, int):
            raise TypeError("unexpected entry")
        return Hit(text, code)

    def store(
        self,
        *,
        text: str,
        code: int,
        walk: Walk,
        found: Iterable[Any],
        started: int,
        files: Sequence[str],
        trees: Sequence[str],
        packages: Iterable[str],
    ) -> None:
        """Record the output of a scan that just ran. ``found``: the files as its walk found
        them (stat'ed then: a file changed while it ran no longer matches, so the entry is never
        used), ``started``: when it started; ``files``/``trees``: inputs outside the scanned
        tree, stamped as files / as directories' newest entries."""
        signature, settled = tree_signature(found, now=started)
        if not settled:
            return
        stamps: list[list[Any]] = []
        paths = [*files, *code_paths(packages), *(p for p in sys.path if os.path.isdir(p))]
        for path in paths:
            st = file_stamp(path)
            stamps.append([path, "file", list(st) if st is not None else None])
        for path in trees:
            st = stamp(path)
            stamps.append([path, "tree", list(st) if st is not None else None])
        entry = {
            "format": FORMAT,
            "which": [[b, find_binary(b)] for b in RENDERERS],
            "stamps": stamps,
            "walk": [walk.root, walk.base, list(walk.excludes), walk.respect_gitignore],
            "tree": signature,
            "text": text,
            "code": code,
        }
        write_cache_file(self.path, entry, keep=8)
