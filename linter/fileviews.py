"""Per-file facts that repo-scope policies ask of every file of some kinds.

A repo policy such as ``env-missing-from-template`` needs one small fact of each code file (its
environment-variable reads) and then reads further only the files where that fact is not empty.
A :class:`FileView` names such a fact. In one process it is computed file by file when asked.
With worker processes it is computed by the worker that checks the file, which read the file
anyway, and shipped back (``parallel.Prefetch`` with ``part``/``assemble``): this process then
reads only the files whose fact is not empty, instead of every code file of the repository a
second time.

Views register themselves with the ids of the policies that use them; the engine prefetches
the views of the repo-scope policies it runs. The answers are the same with or without
workers: only where a fact is computed changes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from linter.fastdc import dataclass
from linter.model import ArtifactKind

if TYPE_CHECKING:
    from linter.discover import FoundFile
    from linter.index import RepoIndex
    from linter.source import SourceFile

T = TypeVar("T")

#: every view, by name
VIEWS: dict[str, FileView[Any]] = {}


@dataclass(frozen=True, eq=False)
class FileView(Generic[T]):
    """A fact computed from each file of some kinds (its env var reads, say), computed once per
    scan."""

    name: str
    kinds: frozenset[ArtifactKind]
    compute: Callable[[SourceFile], T]
    #: ids of the policies that read it (the engine prefetches it for them)
    used_by: frozenset[str]

    @property
    def key(self) -> tuple[str, str]:
        return ("file-view", self.name)

    def of(self, index: RepoIndex, src: SourceFile) -> T:
        """The fact of one file (computed once per scan, or taken from the workers)."""
        known = self.prefetched(index)
        if known is not None and src.path in known:
            return known[src.path]
        return index.memo((*self.key, src.path), lambda: self.compute(src))

    def prefetched(self, index: RepoIndex) -> Mapping[str, T] | None:
        """Every file's fact when worker processes computed them, else None."""
        if not index.is_prefetched(self.key):
            return None
        return index.memo(self.key, lambda: self.build(index))

    def sources_with(self, index: RepoIndex, targets_only: bool = False) -> Iterator[SourceFile]:
        """The sources of the view's kinds (in scan order) whose fact is not empty. With the
        facts from the workers, only those files are read here."""
        known = self.prefetched(index)
        if known is None:
            for src in index.sources_of(self.kinds, targets_only):
                if self.of(index, src):
                    yield src
            return
        for f in index.files_of(self.kinds):
            if known.get(f.path) and (not targets_only or index.is_target(f.path)):
                found = index.source(f)
                if found is not None:
                    yield found

    # -- as a parallel.Prefetch ------------------------------------------------------------------
    def build(self, index: RepoIndex) -> dict[str, T]:
        """Every file's fact, computed here."""
        return {src.path: self.compute(src) for src in index.sources_of(self.kinds)}

    def part(self, index: RepoIndex, f: FoundFile) -> tuple[T] | None:
        """One file's fact, where the file is (a worker): a 1-tuple, None for other kinds."""
        if index.kind_of(f) not in self.kinds:
            return None
        src = index.source(f)
        return None if src is None else (self.compute(src),)

    def assemble(self, index: RepoIndex, parts: Mapping[str, T]) -> dict[str, T]:
        """Every file's fact from the workers' parts (the files they did not have: here)."""
        out: dict[str, T] = {}
        for f in index.files_of(self.kinds):
            if f.path in parts:
                out[f.path] = parts[f.path]
            else:
                src = index.source(f)
                if src is not None:
                    out[f.path] = self.compute(src)
        return out


def file_view(
    name: str,
    kinds: frozenset[ArtifactKind],
    compute: Callable[[SourceFile], T],
    used_by: Iterator[str] | tuple[str, ...],
) -> FileView[T]:
    """Declare (and register) a view."""
    if name in VIEWS:
        raise ValueError(f"file view {name!r} is declared twice")
    view = FileView(name, kinds, compute, frozenset(used_by))
    VIEWS[name] = view
    return view


def views_for(policy_ids: set[str]) -> list[FileView[Any]]:
    """The views some of these policies read, in declaration order."""
    return [v for v in VIEWS.values() if v.used_by & policy_ids]
