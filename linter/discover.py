"""Walk the scan root: honour .gitignore files and excludes, never follow directory symlinks."""

from __future__ import annotations

import bisect
import hashlib
import os
import re
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import field
from typing import Any, NamedTuple

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import Notification, NotificationLevel

ALWAYS_SKIP_DIRS = frozenset({".git", ".hg", ".svn", ".prodready_cache"})
DEFAULT_EXCLUDES = (
    "node_modules/",
    ".venv/",
    "venv/",
    "__pycache__/",
    ".mypy_cache/",
    ".ruff_cache/",
    ".pytest_cache/",
    ".tox/",
    "dist/",
    "build/",
    "vendor/",
    "*.egg-info/",
)
#: the alternation :class:`Matcher` builds from pathspec's regular expressions for
#: DEFAULT_EXCLUDES (``tests/test_discover_matcher.py`` checks that it still does): a walk with
#: no other pattern does not import pathspec (~20 ms before the workers start)
_DEFAULT_REGEX = (
    "(?:^(?:.+/)?node_modules(?:/))|"
    "(?:^(?:.+/)?\\.venv(?:/))|"
    "(?:^(?:.+/)?venv(?:/))|"
    "(?:^(?:.+/)?__pycache__(?:/))|"
    "(?:^(?:.+/)?\\.mypy_cache(?:/))|"
    "(?:^(?:.+/)?\\.ruff_cache(?:/))|"
    "(?:^(?:.+/)?\\.pytest_cache(?:/))|"
    "(?:^(?:.+/)?\\.tox(?:/))|"
    "(?:^(?:.+/)?dist(?:/))|"
    "(?:^(?:.+/)?build(?:/))|"
    "(?:^(?:.+/)?vendor(?:/))|"
    "(?:^(?:.+/)?[^/]*\\.egg\\-info(?:/))"
)


class FoundFile(NamedTuple):
    """A discovered file (a named tuple: a scan builds one per file, and the walk cache rebuilds
    them all on every run, several times faster than a frozen dataclass)."""

    path: str  # display path (POSIX, relative to the display base)
    abspath: str
    size: int
    mtime_ns: int = 0  # for the scan cache (linter/cache.py)


class Matcher:
    """A gitignore spec that answers ``match_file`` fast.

    pathspec tries its patterns one by one (some 25 µs a path for the default excludes). When no
    pattern is a negation, "ignored" just means "some pattern matches", which one alternation of
    all the patterns' regular expressions answers in one search (pathspec searches too). Specs
    with ``!`` patterns keep pathspec's own last-match-wins logic."""

    __slots__ = ("_regex", "_spec", "dirs_only")

    def __init__(self, lines: Iterable[str]) -> None:
        lines = list(lines)
        #: every pattern names directories only ("dir/", no "!"): a file matches only when a
        #: directory above it does (a walk never gets there)
        self.dirs_only = all(
            line.strip().endswith("/") and not line.startswith("!")
            for line in lines
            if line.strip() and not line.startswith("#")
        )
        if tuple(lines) == DEFAULT_EXCLUDES:
            self._spec: Any = None
            self._regex: re.Pattern[str] | None = re.compile(_DEFAULT_REGEX)
            return
        import pathspec  # 20 ms: not for a run whose walk comes from the walk cache

        self._spec = pathspec.GitIgnoreSpec.from_lines(lines)
        self._regex = None
        parts: list[str] = []
        for pat in self._spec.patterns:
            regex = getattr(pat, "regex", None)
            if pat.include is None:
                continue  # a blank line or comment
            if pat.include is False or not isinstance(regex, re.Pattern):
                return
            parts.append(f"(?:{_NAMED_GROUP.sub('(?:', regex.pattern)})")
        try:
            self._regex = re.compile("|".join(parts)) if parts else re.compile(r"(?!)")
        except re.error:  # keep pathspec's answer
            self._regex = None

    def match_file(self, path: str) -> bool:
        if self._regex is not None:
            return self._regex.search(path) is not None
        return bool(self._spec.match_file(path))


_NAMED_GROUP = lazy(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")


def _spec(lines: Iterable[str]) -> Matcher:
    return Matcher(lines)


def _read_gitignore(directory: str) -> Matcher | None:
    try:
        with open(os.path.join(directory, ".gitignore"), encoding="utf-8", errors="replace") as fh:
            return _spec(fh.read().splitlines())
    except OSError:
        return None


def under(sorted_paths: Sequence[str], directory: str) -> range:
    """Indexes of the paths inside ``directory`` ('' = all) in a list of sorted display paths:
    every path that starts with "dir/" sorts in ["dir/", "dir0") ('0' follows '/')."""
    if not directory:
        return range(len(sorted_paths))
    lo = bisect.bisect_left(sorted_paths, directory + "/")
    return range(lo, bisect.bisect_left(sorted_paths, directory + "0", lo))


def display_path(abspath: str, base: str) -> str:
    rel = os.path.relpath(abspath, base)
    if rel.startswith(".."):
        rel = abspath
    return shown_name(rel if os.sep == "/" else rel.replace(os.sep, "/"))


def shown_name(path: str) -> str:
    """A path as text every output can carry: the bytes of a file name that are not UTF-8 (which
    Python's file system API gives as lone surrogates) written as ``\\xNN``, as git shows them.
    JSON, SARIF, the cache and the terminal all refuse lone surrogates. The file is still read
    through its real path (``FoundFile.abspath``)."""
    if path.isascii():
        return path
    try:
        raw = path.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system API gives: shown as \udXXX
        return path.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def repo_top(start: str) -> str | None:
    """The git work tree holding ``start`` (the nearest directory with a ``.git``), or None."""
    cur = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(cur, ".git")):
            return cur
        parent = os.path.dirname(cur)
        if parent == cur:
            return None
        cur = parent


def within(path: str, directory: str) -> bool:
    """Is the (resolved) ``path`` the (resolved) ``directory`` or inside it?"""
    return path == directory or path.startswith(directory.rstrip(os.sep) + os.sep)


def escaping_link(shown: str) -> Notification:
    """A symlink to a file outside the scanned tree is not read: its content (a CI runner's
    ``~/.ssh/id_rsa``, ``/proc/self/environ``) would reach the report's snippets."""
    return Notification(
        "symlink to a file outside the scanned repository is not followed",
        level=NotificationLevel.WARNING,
        path=shown,
        code="prodready-skipped-file",
    )


@dataclass
class WalkRecord:
    """What a walk's result depends on besides the files themselves (linter/walkcache.py):
    every directory it listed, with its mtime (taken before listing it) and the digest of its
    entries (:func:`listing_digest`; "" when it could not be listed), and the stamp of every
    ``.gitignore`` it read. A directory whose mtime is later than ``racy_after`` (ns; changed
    so recently that it may change again within its mtime's granularity) is also in ``racy``:
    its entries are to be compared whatever its mtime."""

    dirs: list[tuple[str, int, str]] = field(default_factory=list)
    ignores: list[tuple[str, int, int]] = field(default_factory=list)
    racy_after: int | None = None
    racy: list[str] = field(default_factory=list)


def entry_kind(entry: os.DirEntry[str]) -> str:
    """What a walk's result depends on of a directory entry besides its name: ``d`` (a
    directory), ``f`` (a regular file), ``l`` + its target (a symlink), ``o`` (anything
    else). From the listing's types (no system call) but for a link's target."""
    try:
        if entry.is_symlink():
            return "l" + os.readlink(entry.path)
        if entry.is_dir(follow_symlinks=False):
            return "d"
        return "f" if entry.is_file(follow_symlinks=False) else "o"
    except OSError:
        return "o"


def listing(entries: Iterable[os.DirEntry[str]]) -> list[list[str]]:
    """[name, :func:`entry_kind`] of a directory's entries the walk looks at, sorted by name
    (the ones it always skips left out: the scan cache may appear in the root meanwhile)."""
    return sorted(
        ([e.name, entry_kind(e)] for e in entries if e.name not in ALWAYS_SKIP_DIRS),
        key=lambda pair: pair[0],
    )


def listing_digest(entries: Iterable[os.DirEntry[str]]) -> str:
    """A digest of :func:`listing`: what a walk's result depends on of a directory's entries
    (names are NUL-free, so the NUL-separated text is unambiguous)."""
    text = "\0".join(f"{name}\0{kind}" for name, kind in listing(entries))
    return hashlib.blake2b(text.encode("utf-8", "surrogateescape"), digest_size=16).hexdigest()


def walk(
    root: str,
    base: str,
    excludes: Iterable[str],
    notes: list[Notification],
    respect_gitignore: bool = True,
    record: WalkRecord | None = None,
    stamps: bool = True,
) -> Iterator[FoundFile]:
    """Yield every regular file under ``root`` that is not ignored, in sorted order.
    ``stamps=False``: a scan with no cache, which never reads a file's size and mtime (the
    read checks both on the open file): the type comes from the directory listing, and no file
    is stat'ed (9,000 ``stat`` calls are a quarter of such a walk); sizes are -1, mtimes 0."""
    exclude_spec = _spec([*DEFAULT_EXCLUDES, *excludes])
    # display paths are the root's display path + the relative path (relpath per file is slow)
    # (when the root is inside the base; else some files may be inside it and others not)
    root_shown = display_path(os.path.abspath(root), base)
    inside = not os.path.isabs(root_shown)
    prefix = "" if root_shown in (".", "") else root_shown.rstrip("/") + "/"
    # stack of (directory relative to root, its gitignore spec)
    ignores: list[tuple[str, Matcher]] = []

    # with directory patterns only, a file matches only under a matching directory, which the
    # walk does not enter: files are not tried (9,000 searches of the default excludes)
    files_excluded = not exclude_spec.dirs_only

    def ignored(rel: str, is_dir: bool) -> bool:
        probe = rel + "/" if is_dir else rel
        if (is_dir or files_excluded) and exclude_spec.match_file(probe):
            return True
        for d, spec in ignores:
            if d and not rel.startswith(d + "/"):
                continue
            sub = rel[len(d) + 1 :] if d else rel
            if spec.match_file(sub + "/" if is_dir else sub):
                return True
        return False

    found: list[FoundFile] = []
    # a symlink may lead anywhere in the repository (a scan of one of its directories too),
    # never out of it
    real_root = os.path.realpath(repo_top(root) or root)

    def inside_root(path: str) -> bool:
        return within(os.path.realpath(path), real_root)

    def visit(abs_dir: str, rel_dir: str, mtime_ns: int) -> None:
        pushed = False
        try:
            try:
                entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
            except OSError as exc:
                if record is not None:
                    record.dirs.append((abs_dir, mtime_ns, ""))
                notes.append(
                    Notification(
                        f"cannot read directory: {exc.strerror or exc}; skipped",
                        path=display_path(abs_dir, base),
                        code="prodready-unreadable",
                    )
                )
                return
            if record is not None:
                record.dirs.append((abs_dir, mtime_ns, listing_digest(entries)))
                if record.racy_after is not None and mtime_ns > record.racy_after:
                    record.racy.append(abs_dir)
            if respect_gitignore and any(e.name == ".gitignore" for e in entries):
                if record is not None:
                    gi = os.path.join(abs_dir, ".gitignore")
                    try:
                        st = os.stat(gi)
                        record.ignores.append((gi, st.st_size, st.st_mtime_ns))
                    except OSError:
                        record.ignores.append((gi, -1, -1))
                spec = _read_gitignore(abs_dir)
                if spec is not None:
                    ignores.append((rel_dir, spec))
                    pushed = True
            for entry in entries:
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                if entry.name in ALWAYS_SKIP_DIRS:
                    continue
                shown = shown_name(prefix + rel) if inside else display_path(entry.path, base)
                try:
                    if entry.is_symlink():
                        try:
                            st = os.stat(entry.path)
                        except OSError as exc:
                            notes.append(
                                Notification(
                                    f"broken or looping symlink ({exc.strerror or exc}); skipped",
                                    path=shown,
                                    code="prodready-skipped-file",
                                )
                            )
                            continue
                        if stat.S_ISDIR(st.st_mode):
                            if not ignored(rel, True):
                                notes.append(
                                    Notification(
                                        "symlink to a directory is not followed",
                                        level=NotificationLevel.NOTE,
                                        path=shown,
                                        code="prodready-skipped-file",
                                    )
                                )
                            continue
                        if not ignored(rel, False) and not inside_root(entry.path):
                            notes.append(escaping_link(shown))
                            continue
                    elif not stamps:  # the listing's type: no system call (but on odd filesystems)
                        if entry.is_dir(follow_symlinks=False):
                            if not ignored(rel, True):
                                visit(entry.path, rel, 0)
                        elif entry.is_file(follow_symlinks=False) and not ignored(rel, False):
                            found.append(FoundFile(shown, entry.path, -1, 0))
                        continue
                    else:
                        st = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    notes.append(
                        Notification(
                            f"cannot stat file ({exc.strerror or exc}); skipped",
                            path=shown,
                            code="prodready-unreadable",
                        )
                    )
                    continue
                if stat.S_ISDIR(st.st_mode):
                    if not ignored(rel, True):
                        visit(entry.path, rel, st.st_mtime_ns)
                elif stat.S_ISREG(st.st_mode) and not ignored(rel, False):
                    found.append(FoundFile(shown, entry.path, st.st_size, st.st_mtime_ns))
        finally:
            if pushed:
                ignores.pop()

    try:
        root_mtime = os.stat(root).st_mtime_ns
    except OSError:
        root_mtime = -1
    visit(root, "", root_mtime)
    return iter(found)
