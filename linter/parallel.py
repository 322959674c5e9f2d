"""The file-scope phase of a scan: per file, in this process or in worker processes, with the cache.

Each target file gives one :class:`~linter.cache.FileEntry` (its file-scope findings, the
notifications its read and parse gave, its inline directives, the lines they point at). Entries come
from the cache when the file is unchanged; the others are computed here, or — for big scans with
``jobs > 1`` — partly by forked worker processes in contiguous chunks while this process goes on
with the repo-scope policies. The workers run the checks that read a file's text only
(``PolicyMeta.raw_source``: the secret scan, most of the phase's time). The checks of parsed
artifacts run here (:meth:`FilePhase.run_here`, before the repo-scope policies that wait for the
workers), on the artifacts the repo-scope policies parsed anyway: in a worker, each file would be
read and parsed twice, and the checks that use a repo-wide join (the image join, the code index)
would build it again in every worker (``tests/test_parallel.py`` checks that no text check uses
one). Their findings are added to the workers' entries. The workers also compute the repo-wide views
the engine hands them (:class:`Prefetch`: the code index from each file's facts, bandit's run, the
``linter.fileviews`` facts such as each file's environment-variable reads), which
:meth:`RepoIndex.memo` here takes when a policy first asks. A scan too small for workers gets a
:class:`Helper` instead, when a view is worth a process of its own (bandit's run). Output is
identical whatever the number of jobs: the engine sorts and deduplicates everything afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from linter.cache import FileEntry, ScanCache
from linter.errors import WorkerLost
from linter.fastdc import dataclass
from linter.model import ArtifactKind, Finding, Notification

if TYPE_CHECKING:
    from linter.discover import FoundFile
    from linter.index import RepoIndex
    from linter.policy import CheckContext, Policy, PolicyMeta

#: below this many files to check, worker processes cost more than they save
MIN_PARALLEL_FILES = 400
CHUNK = 128

Progress = Callable[[str, int, int], None]


def default_jobs() -> int:
    """The CPUs this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


@dataclass(frozen=True)
class Prefetch:
    """A repo-wide view the workers compute while this process goes on (its memo key): whole,
    by the first free worker (``build``), or from per-file parts computed by the workers along
    with each file's checks (``part``: a 1-tuple for a file it covers, else None), put
    together here by ``assemble`` (which handles the files no worker had)."""

    key: tuple[str, ...]
    build: Callable[[RepoIndex], Any]
    part: Callable[[RepoIndex, FoundFile], tuple[Any] | None] | None = None
    assemble: Callable[[RepoIndex, Mapping[str, Any]], Any] | None = None
    #: a view built whole that is worth a worker of its own even in a scan too small for
    #: workers (a pre-commit run on a few files), when this says the scan will build it: one
    #: whose time is mostly importing (bandit's ~40 ms), with a small result
    alone: Callable[[RepoIndex], bool] | None = None


@dataclass
class _Job:
    """The work the workers share: the files to check, their checks and the views to prefetch."""

    index: RepoIndex
    policies: Sequence[Policy]
    contexts: Mapping[str, CheckContext]
    targets: Sequence[FoundFile]
    prefetch: Sequence[Prefetch] = ()
    #: chunks of ``targets``, taken in order by the workers and, once idle, this process
    spans: Sequence[tuple[int, int]] = ()
    #: the next span to take: a shared ``multiprocessing.Value`` (inherited through fork)
    next_span: Any = None


#: set in the parent just before forking; the workers inherit it (nothing is pickled but results)
_JOB: _Job | None = None


#: per policy list (kept, so that its id stays its own): the policies of each kind
_BY_KIND: dict[int, tuple[Sequence[Policy], dict[ArtifactKind, list[Policy]]]] = {}


def _of_kind(policies: Sequence[Policy], kind: ArtifactKind) -> list[Policy]:
    """The policies that read ``kind`` (asked once per file: 9,000 files x 100 rules)."""
    entry = _BY_KIND.get(id(policies))
    if entry is None or entry[0] is not policies:
        if len(_BY_KIND) > 8:
            _BY_KIND.clear()
        entry = _BY_KIND[id(policies)] = (policies, {})
    found = entry[1].get(kind)
    if found is None:
        found = entry[1][kind] = [p for p in policies if kind in p.meta.kinds]
    return found


def scan_file(
    index: RepoIndex,
    target: FoundFile,
    policies: Sequence[Policy],
    contexts: Mapping[str, CheckContext],
) -> FileEntry | None:
    """Run the file-scope policies on one file. None when no policy reads its kind."""
    from linter.engine import _run_policy, _source_directives

    notes = index.notifications
    before = len(notes)
    kind = index.kind_of(target)
    if kind is None:
        return _entry(target, [], notes[before:], None, index)
    interested = _of_kind(policies, kind)
    if not interested:
        return _entry(target, [], notes[before:], None, index)
    src = index.source(target)
    found: list[Finding] = []
    wide_before = index.wide_reads
    if src is not None:
        for pol in interested:
            if pol.meta.raw_source:
                arg: object = src
            else:
                arg = index.parsed(src)
                if arg is None:
                    continue
            found.extend(_run_policy(pol, contexts[pol.meta.id], arg, src.path, notes))
    directives = _source_directives(index, src) if src is not None else None
    entry = _entry(target, found, notes[before:], directives, index)
    # a policy that looked at other files makes this result depend on them: not cached per file
    entry.cacheable = index.wide_reads == wide_before
    if src is not None:
        wanted = {f.location.start_line for f in found}
        wanted.update(d.location.start_line for d in directives or ())
        entry.lines = {n: src.line(n) for n in sorted(wanted)}
    return entry


def _entry(
    target: FoundFile,
    found: list[Finding],
    notes: Sequence[Any],
    directives: Any,
    index: RepoIndex,
) -> FileEntry:
    return FileEntry(
        target.path,
        target.size,
        getattr(target, "mtime_ns", 0),
        index.digests.get(target.path, ""),
        found,
        list(notes),
        directives,
    )


def in_workers(meta: PolicyMeta) -> bool:
    """Does a file check run in the worker processes (or here, after them)?"""
    return meta.raw_source


def _merged(entry: FileEntry, extra: FileEntry) -> FileEntry:
    """One file's entry from the workers' checks and this process's."""
    if entry.directives is not None and not (
        extra.findings or extra.notes or extra.lines or entry.notes
    ):  # most files: nothing here to add (what the general case below would give)
        entry.cacheable = entry.cacheable and extra.cacheable
        return entry
    entry.findings = entry.findings + extra.findings
    entry.notes = list(dict.fromkeys([*entry.notes, *extra.notes]))
    if entry.directives is None:  # the workers' checks did not read it; this process did
        entry.directives = extra.directives
        entry.sha256 = entry.sha256 or extra.sha256
    entry.cacheable = entry.cacheable and extra.cacheable
    entry.lines = dict(sorted({**entry.lines, **extra.lines}.items()))
    return entry


def _worker_signals(parent: int) -> None:
    """A worker leaves Ctrl-C to the parent: the terminal sends SIGINT to the whole process
    group, and the parent stops the pool (:meth:`FilePhase.terminate`) and says so once; a
    worker interrupted mid-task would print its own traceback. SIGTERM (from that, or sent to
    the whole group) ends a worker at once and silently, whatever handler the parent has. And
    a worker does not outlive its parent (``parent``, its pid)."""
    import signal

    stops = (signal.SIGINT, signal.SIGTERM)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, stops)  # (blocked in the forking thread)
    _die_with_parent(parent)


#: the worker pools started and not yet stopped (one at a time, in practice)
_RUNNING: list[Any] = []


#: the pids of the helpers (:class:`Helper`) started and not yet reaped
_HELPERS: list[int] = []


def workers_running() -> bool:
    """Whether worker processes are at work (or were, and some died: SIGTERM to the group)."""
    return bool(_RUNNING or _HELPERS)


def kill_workers() -> None:
    """Kill (SIGKILL) and reap every worker process: for a process that ends next (SIGTERM),
    or when the pool's own teardown is stuck. ``Pool.terminate`` first takes the lock of the
    pool's task queue, which an idle worker holds while it waits for a task, so a worker killed
    while waiting (SIGTERM to the whole group) makes it wait forever. A worker the pool's
    thread starts in place of a killed one is killed in turn (and one it starts after the last
    look dies with this process: :func:`_die_with_parent`). And every helper."""
    for pid in list(_HELPERS):
        _kill(pid)
    # (a pool being stopped is no longer in _RUNNING: FilePhase.terminate; without
    # multiprocessing imported, this process started none)
    multiprocessing = sys.modules.get("multiprocessing")
    if multiprocessing is None:
        return
    for _ in range(10):
        children = multiprocessing.active_children()
        if not children:
            break
        for p in children:
            p.kill()
        for p in children:
            if p.pid is not None:
                with contextlib.suppress(ChildProcessError):  # the pool's thread reaped it
                    os.waitpid(p.pid, 0)


def _kill(pid: int) -> None:
    """Kill (SIGKILL) and reap a helper."""
    import signal

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    with contextlib.suppress(ValueError):
        _HELPERS.remove(pid)


def _how(code: int) -> str:
    """How a process ended, from its exit code (minus the signal's number if one killed it)."""
    if code >= 0:
        return f"exit code {code}"
    import signal

    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    return f"killed by {name}: out of memory?" if -code == signal.SIGKILL else f"killed by {name}"


def _die_with_parent(parent: int) -> None:
    """Have the kernel kill this worker when its parent ends (Linux), whatever way it ends."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # no prctl: the parent kills its workers itself
        return
    if os.getppid() != parent:  # it ended before the line above
        os._exit(1)


def _prefetch(i: int) -> tuple[Any, list[Notification]]:
    """Compute the ``i``-th prefetched view (in a worker): the view and what it noted."""
    job = _JOB
    assert job is not None
    notes = job.index.notifications
    before = len(notes)
    value = job.prefetch[i].build(job.index)
    return value, notes[before:]


def _take(job: _Job) -> tuple[int, int] | None:
    """The next span nobody has taken, or None."""
    with job.next_span.get_lock():
        n = int(job.next_span.value)
        if n >= len(job.spans):
            return None
        job.next_span.value = n + 1
    return job.spans[n]


#: a span's results: its first target's position, each target's entry, and per prefetched view
#: built from parts (by number) each target's part (``...`` for a target it does not cover),
#: with the notes computing a part made (by view number and position; most have none). Lists
#: in target order, not a tuple and a dict per file: a worker sends tens of thousands of them
SpanResult = tuple[
    int, list[FileEntry | None], dict[int, list[Any]], dict[tuple[int, int], list[Any]]
]


def _work_next(_: int) -> SpanResult | None:
    """A worker's task: the next span nobody has taken (none once this process took the rest).
    One task per span, so that each span's results come back as soon as they are done: this
    process unpickles them while the workers go on, not all at once after the last span."""
    job = _JOB
    assert job is not None
    span = _take(job)
    return None if span is None else _work(span, job)


def _work(span: tuple[int, int], job: _Job) -> SpanResult:
    """The entries of the targets ``span`` holds and their parts of the prefetched views built
    from parts (see :data:`SpanResult`)."""
    notes = job.index.notifications
    parted = [(n, v.part) for n, v in enumerate(job.prefetch) if v.part is not None]
    entries: list[FileEntry | None] = []
    values: dict[int, list[Any]] = {n: [] for n, _ in parted}
    noted: dict[tuple[int, int], list[Any]] = {}
    for i in range(span[0], span[1]):
        target = job.targets[i]
        entries.append(scan_file(job.index, target, job.policies, job.contexts))
        for n, part in parted:
            before = len(notes)
            share = part(job.index, target)
            values[n].append(... if share is None else share[0])
            if len(notes) > before:
                noted[n, i] = notes[before:]
    return span[0], entries, values, noted


class FilePhase:
    """A started file-scope phase; :meth:`wait` returns every entry."""

    def __init__(
        self,
        index: RepoIndex,
        targets: Sequence[FoundFile],
        policies: Sequence[Policy],
        contexts: Mapping[str, CheckContext],
        *,
        jobs: int = 1,
        store: ScanCache | None = None,
        progress: Progress | None = None,
        prefetch: Callable[[], Sequence[Prefetch]] | None = None,
    ) -> None:
        """``prefetch`` gives the repo-wide views the repo-scope policies will want; with
        workers, the first ones to start compute them (the heaviest, the code index, takes
        as long as the rest of this process's repo phase), and :meth:`RepoIndex.memo` takes
        them from there."""
        self.entries: list[FileEntry] = []
        self.store = store
        self._pool: Any = None
        self._async: Any = None
        #: with workers: what this process still runs itself in :meth:`wait` (the checks of
        #: parsed artifacts and those using the joins, on the files the workers got)
        self._here: tuple[RepoIndex, Sequence[Policy], Mapping[str, CheckContext]] | None = None
        #: whether worker processes did the work (tests check it)
        self.used_workers = False
        #: whether worker processes compute some repo-wide views
        self.prefetching = False
        self._results: list[SpanResult] | None = None
        #: this process's share of the file checks, by position in ``_todo`` (see run_here)
        self._extra: dict[int, FileEntry] | None = None
        #: with workers: the worker processes started (any that ends before the pool is
        #: closed ended abnormally), the job they share, the results of the spans this
        #: process took
        self._workers: list[Any] = []
        self._job: _Job | None = None
        self._mine: list[SpanResult] = []
        #: whether the pool was closed (every task done): a worker that ends then ends normally
        self._closed = False
        todo: list[FoundFile] = []
        for t in targets:
            hit = None
            if store is not None:
                hit = store.lookup(t.path, t.abspath, t.size, getattr(t, "mtime_ns", 0))
            if hit is not None:
                self.entries.append(hit)
            else:
                todo.append(t)
        self._todo = todo
        if jobs > 1 and len(todo) >= MIN_PARALLEL_FILES and _can_fork():
            local = [p for p in policies if in_workers(p.meta)]
            self._here = (index, [p for p in policies if not in_workers(p.meta)], contexts)
            self._start_pool(index, todo, local, contexts, jobs, prefetch() if prefetch else ())
            return
        for done, t in enumerate(todo):
            if progress is not None:
                progress("files", done, len(todo))
            entry = scan_file(index, t, policies, contexts)
            if entry is not None:
                self._computed(entry)

    def _start_pool(
        self,
        index: RepoIndex,
        todo: Sequence[FoundFile],
        policies: Sequence[Policy],
        contexts: Mapping[str, CheckContext],
        jobs: int,
        prefetch: Sequence[Prefetch] = (),
    ) -> None:
        global _JOB
        self.used_workers = True
        # classify by name and find chart roots now, so that every worker agrees
        _ = index.chart_roots
        import multiprocessing
        import signal

        ctx = multiprocessing.get_context("fork")
        spans = [(i, min(i + CHUNK, len(todo))) for i in range(0, len(todo), CHUNK)]
        _JOB = self._job = _Job(index, policies, contexts, todo, prefetch, spans, ctx.Value("i", 0))
        try:
            # ``jobs`` processes in all: this one works too (its rules, then the spans nobody has
            # started), so a worker more would only take CPU from it; and never more workers
            # than chunks (a 64-core runner on a 500-file repo forks 4)
            workers = min(jobs - 1, len(spans))
            # the pool's threads block Ctrl-C and SIGTERM, so that they reach this thread even
            # while it waits for the workers: a signal the system gives another thread would
            # not wake it, and only this thread runs Python's handlers
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, (signal.SIGINT, signal.SIGTERM))
            others = set(multiprocessing.active_children())
            try:  # (a signal that comes meanwhile is handled once the pool is known)
                self._pool = ctx.Pool(workers, _worker_signals, (os.getpid(),))
                _RUNNING.append(self._pool)
                self._workers = [p for p in multiprocessing.active_children() if p not in others]
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            # queued first: the first free workers take them
            for i, view in enumerate(prefetch):
                if view.part is None:
                    task = self._pool.apply_async(_prefetch, (i,))
                    index.computed_elsewhere(view.key, partial(self._helped, task))
                else:
                    index.computed_elsewhere(view.key, partial(self._assembled, index, i, view))
            self.prefetching = bool(prefetch)
            self._async = self._pool.map_async(_work_next, range(len(spans)), chunksize=1)
        except BaseException:  # Ctrl-C as the pool started: the caller has no phase to stop
            self.terminate()
            raise
        finally:
            _JOB = None

    def terminate(self) -> None:
        """Stop the workers now (the scan was interrupted or failed). The pool's own teardown
        runs in a thread of its own, as it waits forever for the lock of the pool's task queue
        when a worker died holding it (see :func:`kill_workers`). That teardown first keeps
        the pool from starting workers in place of dead ones; when it is not done within a
        second, the workers are killed here."""
        pool = self._pool
        if pool is None:
            return
        import threading

        self._async = self._pool = None
        if pool in _RUNNING:
            _RUNNING.remove(pool)

        def stop() -> None:
            pool.terminate()
            pool.join()

        stopper = threading.Thread(target=stop, name="prodready-pool-stop", daemon=True)
        stopper.start()
        stopper.join(1.0)
        if stopper.is_alive():
            kill_workers()

    def _waited(self, result: Any) -> Any:
        """``result.get()`` (an ``AsyncResult`` of the pool), unless a worker process ends
        before it is ready: the task it had is lost, and the pool would wait forever."""
        while not result.ready():
            result.wait(0.1)
            for p in self._workers:
                code = p.exitcode
                if code is not None and not (code == 0 and self._closed):  # (0: closed, done)
                    raise WorkerLost(
                        f"a worker process ended before its files were checked ({_how(code)}); "
                        "run again with fewer --jobs (--jobs 1: no worker processes)"
                    )
        return result.get()

    def _help(self) -> None:
        """Take the spans no worker has started yet: this process would otherwise wait idle."""
        job = self._job
        while job is not None and (span := _take(job)) is not None:
            self._mine.append(_work(span, job))

    def _helped(self, task: Any) -> Any:
        """A view a worker computes whole (``task``, its ``AsyncResult``), after helping."""
        self._help()
        return self._waited(task)

    def _computed(self, entry: FileEntry) -> None:
        self.entries.append(entry)
        if self.store is not None:
            self.store.put(entry)

    def _chunks(self) -> list[SpanResult]:
        """Every span's results, in target order (waiting for the workers the first time)."""
        if self._results is None:
            self._help()
            got = [r for r in self._waited(self._async) if r is not None] + self._mine
            # every task was queued at the start: the workers end now, while this process goes
            # on with the rules that wait for their views (:meth:`wait` reaps them)
            self._pool.close()
            self._closed = True
            self._results = sorted(got, key=lambda r: r[0])
        return self._results

    def _assembled(
        self, index: RepoIndex, i: int, view: Prefetch
    ) -> tuple[Any, list[Notification]]:
        """The ``i``-th prefetched view from the parts the workers computed, and their notes."""
        assert view.assemble is not None
        parts: dict[str, Any] = {}
        notes: list[Notification] = []
        todo = self._todo
        for start, _, values, noted in self._chunks():
            for t, value in enumerate(values[i], start):
                if value is not ...:
                    parts[todo[t].path] = value
            for (n, _t), made in noted.items():
                if n == i:
                    notes.extend(made)
        return view.assemble(index, parts), notes

    def run_here(self) -> None:
        """With workers: run this process's share of the file checks (those of parsed
        artifacts) now, while the workers run theirs; :meth:`wait` merges. The engine calls
        this before the repo-scope policies that wait for the workers."""
        here = self._here
        if self._async is None or here is None or self._extra is not None:
            return
        self._extra = {}
        index, policies, contexts = here
        if policies:
            for i, target in enumerate(self._todo):
                kind = index.kind_of(target)
                if kind is None or not _of_kind(policies, kind):
                    continue  # (most files: code) nothing here reads it
                extra = scan_file(index, target, policies, contexts)
                if extra is not None:
                    self._extra[i] = extra

    def wait(self) -> list[FileEntry]:
        if self._async is not None:
            self.run_here()
            try:
                chunks = self._chunks()
            except BaseException:  # Ctrl-C while waiting, or a worker failed
                self.terminate()
                raise
            self._pool.close()  # (closed already, unless no view was asked for)
            self._pool.join()
            _RUNNING.remove(self._pool)
            self._async = self._pool = None
            here = self._here
            # what reading and parsing a file noted may have been noted before, by the repo-scope
            # policies: its entry (cached for later runs) gets it all the same
            noted: dict[str | None, list[Any]] = {}
            for n in here[0].notifications if here is not None else ():
                noted.setdefault(n.path, []).append(n)
            extras = self._extra or {}
            for start, span_entries, _, _ in chunks:
                for i, found in enumerate(span_entries, start):
                    if found is None:
                        continue
                    entry = found
                    extra = extras.get(i)
                    if (
                        extra is None
                        and here is not None
                        and here[1]
                        and (entry.directives is None or entry.notes or entry.path in noted)
                    ):
                        # a file no check here reads (run_here skipped it): what checking it here
                        # would have given, for the general merge (the other files keep theirs)
                        extra = _entry(self._todo[i], [], [], None, here[0])
                    if extra is not None:
                        extra.notes = [*noted.get(extra.path, ()), *extra.notes]
                        entry = _merged(entry, extra)
                    self._computed(entry)
        return self.entries


#: extension modules whose runtime does not survive fork (buildkit's parser embeds Go's runtime)
FORK_UNSAFE = ("dockerfile",)


def _can_fork() -> bool:
    import multiprocessing

    if sys.platform == "win32" or "fork" not in multiprocessing.get_all_start_methods():
        return False
    return not any(name in sys.modules for name in FORK_UNSAFE)


class Helper:
    """For a scan too small for workers (fewer than :data:`MIN_PARALLEL_FILES` targets, as a
    pre-commit run): one forked process that builds the views worth a process of their own
    (:attr:`Prefetch.alone`: bandit's run, ~40 ms of imports) while this one goes on with the
    scan; each view comes back pickled through a pipe when a policy first asks for it
    (:meth:`RepoIndex.memo`). Lighter than a pool (no threads, no ``multiprocessing``: about
    2 ms to start instead of 15). A helper that fails or dies makes the view be computed here,
    as a lost worker does; Ctrl-C and SIGTERM kill it with the workers (:func:`kill_workers`).
    """

    prefetching = True

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self._fd: int | None = fd
        self._results: list[tuple[bool, Any, list[Notification]]] | None = None

    @classmethod
    def start(cls, index: RepoIndex, jobs: int, prefetch: Sequence[Prefetch]) -> Helper | None:
        """The helper for the views of ``prefetch`` worth one (asked for the index); None when
        none is, with ``jobs`` 1, or where this process cannot fork."""
        if jobs <= 1 or sys.platform == "win32" or not hasattr(os, "fork"):
            return None
        if any(name in sys.modules for name in FORK_UNSAFE):
            return None
        threading = sys.modules.get("threading")
        if threading is not None and threading.active_count() > 1:
            return None  # (a library caller's threads: a lock one holds stays held in a fork)
        views = [v for v in prefetch if v.part is None and v.alone is not None and v.alone(index)]
        if not views:
            return None
        parent = os.getpid()
        try:
            read, write = os.pipe()
        except OSError:  # out of file descriptors: built here
            return None
        try:
            pid = os.fork()
        except OSError:  # out of processes or memory: built here
            os.close(read)
            os.close(write)
            return None
        if pid == 0:  # the helper: build, send, end (no cleanup of the parent's state)
            code = 1
            try:
                os.close(read)
                _worker_signals(parent)
                _send(write, [_built(index, view) for view in views])
                code = 0
            finally:
                os._exit(code)
        os.close(write)
        _HELPERS.append(pid)
        helper = cls(pid, read)
        for i, view in enumerate(views):
            index.computed_elsewhere(view.key, partial(helper._result, i))
        return helper

    def _result(self, i: int) -> tuple[Any, list[Notification]]:
        """The ``i``-th view and what building it noted (waiting for the helper the first time);
        raises when the helper failed or died (the view is then computed here)."""
        if self._results is None:
            data = bytearray()
            fd, self._fd = self._fd, None
            if fd is not None:
                try:
                    while chunk := os.read(fd, 1 << 20):
                        data += chunk
                finally:
                    os.close(fd)
            _reap(self.pid)
            import pickle

            try:
                self._results = pickle.loads(data) if data else []
            except Exception:  # cut short: it died while writing
                self._results = []
        if i >= len(self._results) or not self._results[i][0]:
            raise WorkerLost("the helper process failed or died")
        _, value, notes = self._results[i]
        return value, notes

    def wait(self) -> None:
        """The scan is done: end the helper if no policy asked for its views (reaps it)."""
        self.terminate()

    def terminate(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if self.pid in _HELPERS:
            _kill(self.pid)


def _built(index: RepoIndex, view: Prefetch) -> tuple[bool, Any, list[Notification]]:
    """In the helper: a view, built (or not: False), and what building it noted."""
    notes = index.notifications
    before = len(notes)
    try:
        return True, view.build(index), notes[before:]
    except Exception:  # the parent builds it again and reports what goes wrong there
        return False, None, []


def _send(fd: int, results: list[tuple[bool, Any, list[Notification]]]) -> None:
    import pickle

    data = memoryview(pickle.dumps(results, protocol=pickle.HIGHEST_PROTOCOL))
    try:
        while data:
            data = data[os.write(fd, data) :]
    finally:
        os.close(fd)


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, 0)
    with contextlib.suppress(ValueError):
        _HELPERS.remove(pid)
