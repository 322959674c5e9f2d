"""The repo index: every discovered file, read once and parsed once, lazily.

File-scope policies get the parsed artifacts of the *target* files; repo-scope (cross-artifact)
policies see the whole scan root through the same cache, so nothing is read or parsed twice.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import posixpath
import stat
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from linter import discover
from linter.classify import (
    classify_by_content,
    classify_by_name,
    in_chart_templates,
    is_binary_suffix,
)
from linter.config import Config
from linter.model import ArtifactKind, Notification, NotificationLevel
from linter.parsers.yaml import ParseCache, ParseError
from linter.source import SourceFile

T = TypeVar("T")

K = ArtifactKind
YAML_KINDS = frozenset(
    {
        K.K8S,
        K.COMPOSE,
        K.GHA_WORKFLOW,
        K.GHA_ACTION,
        K.GITLAB_CI,
        K.PROMETHEUS_RULE,
        K.HELM_CHART,
        K.KUSTOMIZATION,
        K.YAML,
        K.JSON,
        K.PACKAGE_JSON,
    }
)
CONTENT_KINDS = frozenset({K.K8S, K.PROMETHEUS_RULE, K.YAML, K.JSON})
_UNKNOWN: Any = object()


def _parse(src: SourceFile, cache: ParseCache | None = None) -> Any:
    """The typed artifact for a file (raises ParseError with a notification); a YAML file's
    documents may come from and go to ``cache`` (:mod:`linter.parsecache`)."""
    kind = src.kind
    if kind in YAML_KINDS:
        from linter.parsers.yaml import parse_yaml

        yf = parse_yaml(src, cache)
        if kind == K.K8S:
            from linter.parsers.k8s import parse_k8s

            return parse_k8s(yf)
        return yf
    if kind == K.DOCKERFILE:
        from linter.parsers.dockerfile import parse_dockerfile

        return parse_dockerfile(src)
    if kind in (K.ENV_FILE, K.ENV_TEMPLATE):
        from linter.parsers.envfile import parse_env

        return parse_env(src)
    return src


def decode(data: bytes) -> str:
    """UTF-8 (BOM stripped) or BOM-marked UTF-16/32; raises UnicodeDecodeError otherwise."""
    for bom, enc in (
        (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if data.startswith(bom):
            return data.decode(enc)
    return data.decode("utf-8")


_O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation


def _read_fd(fd: int, most: int, size_hint: int) -> bytes:
    """Up to ``most`` bytes of an open file, read with ``os.read`` (a buffered file object costs
    several times more than the read itself for the small files a repo is made of). A read that
    gives fewer bytes than asked and completes the ``size_hint`` bytes (the size ``fstat`` gave)
    is the end of the file: no second read to see it end (that one costs half as much again)."""
    parts: list[bytes] = []
    got = 0
    while got < most:
        want = min(most - got, max(size_hint + 1 - got, 1 << 16))
        chunk = os.read(fd, want)
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
        if len(chunk) < want and got == size_hint:
            break
    return parts[0] if len(parts) == 1 else b"".join(parts)


class RepoIndex:
    """The files of a scan, read, classified and parsed on demand, and the views policies share."""

    def __init__(
        self,
        root: str,
        base: str,
        config: Config,
        wanted: frozenset[ArtifactKind],
        explicit_files: Iterable[str] | None = None,
    ) -> None:
        self.root = root
        self.base = base
        self.config = config
        self.wanted = wanted
        self.notifications: list[Notification] = []
        self._explicit = None if explicit_files is None else sorted(set(explicit_files))
        self._found: list[discover.FoundFile] | None = None
        self._targets: list[discover.FoundFile] | None = None
        self._kinds: dict[str, ArtifactKind | None] = {}
        self._name_kinds: dict[str, ArtifactKind | None] = {}
        #: kinds by name (without chart roots) that the walk cache recorded
        self._walk_kinds: dict[str, ArtifactKind | None] = {}
        self._sources: dict[str, SourceFile | None] = {}
        self._parsed: dict[str, Any] = {}
        self._memo: dict[Any, tuple[Any, bool]] = {}
        #: views a worker process is computing (see :meth:`computed_elsewhere`)
        self._pending: dict[Any, Callable[[], tuple[Any, list[Notification]]]] = {}
        #: counts reads that reach beyond one file (walks, other artifacts, joins built on them);
        #: the scan cache reuses a file's result alone only when its policies caused none
        self.wide_reads = 0
        self._abspath: dict[str, str] = {}
        #: SHA-256 of the bytes of every file read, when the scan has a cache directory (the
        #: caches key and validate entries with it; without one, nothing reads it)
        self.digests: dict[str, str] = {}
        self._chart_roots: frozenset[str] | None = None
        #: ``--helm-values`` files for ``helm template`` (linter/render.py)
        self.helm_values: tuple[str, ...] = ()
        #: where the walk cache lives (linter/walkcache.py); None: walk every time
        self.walk_cache_dir: str | None = None

    # -- discovery ---------------------------------------------------------------------------
    def all_found(self) -> list[discover.FoundFile]:
        self.wide_reads += 1
        if self._found is None:
            if self.walk_cache_dir is not None:
                from linter.walkcache import cached_walk

                # named files: only the list matters for the other files (their sizes are
                # checked again when one is read), so they are not all stat'ed again
                self._found = cached_walk(
                    self.root,
                    self.base,
                    self.config.exclude,
                    self.notifications,
                    self.config.respect_gitignore,
                    self.walk_cache_dir,
                    restat=self._explicit is None,
                    name_kinds=self._walk_kinds,
                )
            else:
                self._found = list(
                    discover.walk(
                        self.root,
                        self.base,
                        self.config.exclude,
                        self.notifications,
                        self.config.respect_gitignore,
                        stamps=False,  # no cache: nothing asks a file's size or mtime
                    )
                )
            for f in self._found:
                self._abspath[f.path] = f.abspath
        return self._found

    def targets(self) -> list[discover.FoundFile]:
        if self._targets is None:
            if self._explicit is None:
                self._targets = self.all_found()
            else:
                out = []
                confine = os.path.realpath(discover.repo_top(self.root) or self.root)
                for p in self._explicit:
                    if os.path.islink(p) and not discover.within(os.path.realpath(p), confine):
                        shown = discover.display_path(os.path.abspath(p), self.base)
                        self.notifications.append(discover.escaping_link(shown))
                        continue
                    try:
                        size = os.path.getsize(p)
                    except OSError as exc:
                        self.notifications.append(
                            Notification(
                                f"cannot read file ({exc.strerror or exc}); skipped",
                                path=discover.display_path(os.path.abspath(p), self.base),
                                code="prodready-unreadable",
                            )
                        )
                        continue
                    ap = os.path.abspath(p)
                    shown = discover.display_path(ap, self.base)
                    self._abspath[shown] = ap
                    out.append(discover.FoundFile(shown, ap, size))
                self._targets = out
        return self._targets

    @property
    def named_files(self) -> bool:
        """True when the scan was given files (pre-commit): repo-wide views need only serve them."""
        return self._explicit is not None

    def named_paths(self) -> frozenset[str]:
        """The display paths of the named files, the ones skipped (unreadable, a symlink out
        of the repository) included: what a run on named files reports its notes on."""
        return frozenset(
            discover.display_path(os.path.abspath(p), self.base) for p in self._explicit or ()
        )

    def target_paths(self) -> frozenset[str]:
        return self.memo(("target-paths",), lambda: frozenset(f.path for f in self.targets()))

    def is_target(self, path: str) -> bool:
        return path in self.target_paths()

    @property
    def chart_roots(self) -> frozenset[str]:
        """Directories (display paths) that hold a Helm ``Chart.yaml`` (in a run on named files
        too: a named file under a chart's ``templates/`` is a template whether or not its
        ``Chart.yaml`` is named, and so is every other file there)."""
        if self._chart_roots is None:
            self._chart_roots = frozenset(
                posixpath.dirname(f.path)
                for f in self.named(lambda name: name in ("Chart.yaml", "Chart.yml"))
            )
        return self._chart_roots

    # -- reading and classification ---------------------------------------------------------
    def kind_of(self, f: discover.FoundFile) -> ArtifactKind | None:
        if f.path in self._kinds:
            return self._kinds[f.path]
        by_name = self._name_kinds.get(f.path, _UNKNOWN)
        kind = classify_by_name(f.path, self.chart_roots) if by_name is _UNKNOWN else by_name
        if kind is None:
            # YAML/JSON decided by content: only worth reading if someone wants one of those kinds
            if self.wanted & (CONTENT_KINDS | {K.TEXT}):
                src = self._read(f, K.YAML)
                kind = classify_by_content(f.path, src.text) if src is not None else K.YAML
                if src is not None:
                    src.kind = kind
            else:
                kind = K.YAML
        elif kind == K.TEXT and is_binary_suffix(f.path):
            kind = None
        self._kinds[f.path] = kind
        return kind

    def _read(self, f: discover.FoundFile, kind: ArtifactKind) -> SourceFile | None:
        if f.path in self._sources:
            return self._sources[f.path]
        src: SourceFile | None = None
        note: str | None = None
        data, note = self._read_bytes(f)
        if data is not None:
            if self.walk_cache_dir is not None:
                self.digests[f.path] = hashlib.sha256(data).hexdigest()
            if b"\x00" in data[:8192] and not data.startswith(
                (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
            ):
                note = "binary file (NUL bytes); skipped"
            else:
                try:
                    text = decode(data)
                except UnicodeDecodeError as exc:
                    bad = data[exc.start]
                    note = f"not valid UTF-8 (byte 0x{bad:02x} at offset {exc.start}); skipped"
                else:
                    src = SourceFile(f.path, f.abspath, kind, text)
        if note is not None:
            self.notifications.append(
                Notification(note, path=f.path, code="prodready-skipped-file")
            )
        self._sources[f.path] = src
        return src

    def _read_bytes(self, f: discover.FoundFile) -> tuple[bytes | None, str | None]:
        """A file's bytes, or why not. Its type and size are checked on the open file (the
        walk's may be from the walk cache), without blocking on a FIFO put in its place."""
        limit = self.config.max_file_size
        try:
            fd = os.open(f.abspath, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | _O_BINARY)
        except OSError as exc:
            return None, f"cannot read file ({exc.strerror or exc}); skipped"
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None, "not a regular file; skipped"
            if st.st_size > limit:
                return None, (
                    f"file is {st.st_size:,} bytes, over the {limit:,}-byte limit "
                    "(max-file-size); skipped"
                )
            data = _read_fd(fd, limit + 1, st.st_size)
        except OSError as exc:
            return None, f"cannot read file ({exc.strerror or exc}); skipped"
        finally:
            if fd != -1:
                os.close(fd)
        if len(data) > limit:
            return None, "file grew over the max-file-size limit while reading; skipped"
        return data, None

    def source(self, f: discover.FoundFile) -> SourceFile | None:
        kind = self.kind_of(f)
        if kind is None:
            return None
        src = self._read(f, kind)
        if src is not None:
            src.kind = kind
        return src

    def loaded_sources(self) -> list[SourceFile]:
        return [s for s in self._sources.values() if s is not None]

    def read_text(self, path: str) -> str | None:
        """Text of a repo file by display path, whether or not it is a scan target."""
        self.wide_reads += 1
        src = self.source_at(path)
        return src.text if src is not None else None

    def source_at(self, path: str) -> SourceFile | None:
        """A discovered file's source by display path (read now if it was not yet)."""
        if path in self._sources:
            return self._sources[path]
        by_path = self.memo(("found-by-path",), lambda: {f.path: f for f in self.all_found()})
        found = by_path.get(path)
        return None if found is None else self._read(found, self.kind_of(found) or K.TEXT)

    # -- typed access ----------------------------------------------------------------------
    def sources_of(
        self, kinds: Iterable[ArtifactKind], targets_only: bool = False
    ) -> list[SourceFile]:
        kinds = frozenset(kinds)
        self.wide_reads += 1

        def collect() -> list[SourceFile]:
            if targets_only and self._explicit is not None:
                files = self.targets()
            else:  # only the files whose name allows one of the kinds (most files: none)
                files = self._candidates(kinds)
            out = []
            for f in files:
                if self.kind_of(f) in kinds:
                    src = self.source(f)
                    if src is not None:
                        out.append(src)
            return out

        # policies ask for the same kinds again and again: walk the file list once per question
        return list(self.memo(("sources-of", kinds, targets_only), collect))

    def files_of(self, kinds: Iterable[ArtifactKind]) -> list[discover.FoundFile]:
        """The discovered files of some kinds, in discovery order, read only when their content
        decides their kind: :meth:`sources_of` without reading the others (a file that turns
        out unreadable is still listed)."""
        kinds = frozenset(kinds)
        self.wide_reads += 1
        return list(
            self.memo(
                ("files-of", kinds),
                lambda: [f for f in self._candidates(kinds) if self.kind_of(f) in kinds],
            )
        )

    def _candidates(self, kinds: frozenset[ArtifactKind]) -> list[discover.FoundFile]:
        """The discovered files (in discovery order) that can be of one of ``kinds``: those whose
        name gives one of them, and those whose content decides when a content kind is asked."""
        groups = self._name_groups()
        lists = [groups[k] for k in kinds if k in groups]
        if kinds & CONTENT_KINDS and None in groups:
            lists.append(groups[None])
        if len(lists) == 1:
            return [f for _, f in lists[0]]
        return [f for _, f in sorted((p for group in lists for p in group), key=lambda p: p[0])]

    def _name_groups(self) -> dict[ArtifactKind | None, list[tuple[int, discover.FoundFile]]]:
        """Every discovered file by the kind its name gives (None: its content decides),
        classified once per scan; :meth:`kind_of` refines these, never contradicts them."""

        def build() -> dict[ArtifactKind | None, list[tuple[int, discover.FoundFile]]]:
            groups: dict[ArtifactKind | None, list[tuple[int, discover.FoundFile]]] = {}
            found = self.all_found()
            roots = self.chart_roots
            recorded = self._walk_kinds
            for i, f in enumerate(found):
                kind = recorded.get(f.path, _UNKNOWN)
                if kind is _UNKNOWN or (roots and in_chart_templates(f.path, roots)):
                    kind = classify_by_name(f.path, roots)
                self._name_kinds[f.path] = kind
                groups.setdefault(kind, []).append((i, f))
            return groups

        return self.memo(("name-groups",), build)

    def named(self, match: Callable[[str], bool]) -> list[discover.FoundFile]:
        """The discovered files whose base name ``match`` accepts, in discovery order (``match``
        is asked once per distinct name, not once per file)."""
        by_name = self.memo(("by-name",), self._by_name)
        hits = [pair for name, pairs in by_name.items() if match(name) for pair in pairs]
        return [f for _, f in sorted(hits, key=lambda p: p[0])]

    def _by_name(self) -> dict[str, list[tuple[int, discover.FoundFile]]]:
        out: dict[str, list[tuple[int, discover.FoundFile]]] = {}
        for i, f in enumerate(self.all_found()):
            out.setdefault(f.path.rpartition("/")[2], []).append((i, f))
        return out

    def parsed(self, src: SourceFile) -> Any:
        """Typed artifact for a source (None when it failed to parse; notified once)."""
        if src.path in self._parsed:
            return self._parsed[src.path]
        context = None
        # a run on named files keeps the parses of the other files it reads (linter.parsecache)
        cache: ParseCache | None = None
        if self.named_files and self.walk_cache_dir is not None and not self.is_target(src.path):
            cache = (self.walk_cache_dir, self.notifications)
        if src.kind == K.K8S:
            from linter import skim

            if self.named_files and not self.is_target(src.path):
                crd = skim.context_json(src)
                if crd is not None:
                    self._parsed[src.path] = crd
                    return crd
                context = skim.context_text(self, src)
        try:
            if context is not None:  # the same objects but big CRDs' specs (linter.skim)
                art = _parse(SourceFile(src.path, src.abspath, src.kind, context), cache)
            else:
                art = _parse(src, cache)
                if src.kind == K.K8S:
                    skim.record(self, src, art)
        except ParseError as exc:
            self.notifications.append(exc.notification)
            art = None
        except RecursionError:
            self.notifications.append(
                Notification(
                    "file is nested too deeply to parse; skipped",
                    level=NotificationLevel.ERROR,
                    path=src.path,
                    code="prodready-parse-error",
                )
            )
            art = None
        self._parsed[src.path] = art
        return art

    def artifacts(
        self,
        kind: ArtifactKind,
        targets_only: bool = False,
        include_rendered: bool = True,
        text_filter: Callable[[str], bool] | None = None,
    ) -> list[Any]:
        """Parsed artifacts of a kind; ``text_filter`` skips (unparsed) the files whose text it
        rejects (rendered manifests are always included)."""
        out = []
        for src in self.sources_of({kind}, targets_only):
            if text_filter is not None and not text_filter(src.text):
                continue
            art = self.parsed(src)
            if art is not None:
                out.append(art)
        if kind == K.K8S and include_rendered and not targets_only:
            from linter.render import rendered_manifests  # Helm charts, kustomizations

            out.extend(rendered_manifests(self))
        return out

    def has_memo(self, key: Any) -> bool:
        """Has :meth:`memo` computed ``key`` already?"""
        return key in self._memo

    def is_prefetched(self, key: Any) -> bool:
        """Is the view ``key`` computed elsewhere (or already taken from there)?"""
        return key in self._pending or key in self._memo

    def computed_elsewhere(
        self, key: Any, result: Callable[[], tuple[Any, list[Notification]]]
    ) -> None:
        """The view ``key`` is being computed by a worker process: :meth:`memo` takes it from
        ``result()`` (the view and what computing it noted) instead of computing it, unless
        that fails (it is then computed here)."""
        self._pending[key] = result

    def memo(self, key: Any, fn: Callable[[], T]) -> T:
        """Cache a derived view (a join across artifacts) for the rest of the scan.

        A view whose computation read beyond one file counts as such a read at every use (one
        computed elsewhere always does)."""
        if key not in self._memo and key in self._pending:
            try:
                value_notes = self._pending.pop(key)()
            except Exception:  # a worker that failed: compute it here
                pass
            else:
                self.notifications.extend(value_notes[1])
                self._memo[key] = (value_notes[0], True)
        if key not in self._memo:
            before = self.wide_reads
            computed = fn()
            self._memo[key] = (computed, self.wide_reads != before)
        value: T
        value, wide = self._memo[key]
        if wide:
            self.wide_reads += 1
        return value
