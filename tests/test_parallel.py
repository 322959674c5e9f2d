"""--jobs: worker processes give exactly the output of one process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from linter import parallel
from linter.engine import ScanOptions, scan
from linter.output import render
from tests.conftest import assert_group_ends, start_in_own_group

ROOT = Path(__file__).resolve().parent.parent


def _tree(root: Path, services: int = 12) -> None:
    for i in range(services):
        d = root / f"svc{i:02d}"
        (d / "k8s").mkdir(parents=True)
        probe = "        livenessProbe: {httpGet: {path: /healthz, port: 80}}\n" if i % 3 else ""
        (d / "k8s" / "deploy.yaml").write_text(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n"
            f"  name: svc{i}\nspec:\n  replicas: {1 + i % 2}\n  template:\n    spec:\n"
            "      containers:\n      - name: app\n"
            f"        image: app:{'latest' if i % 4 else '1.0'}\n" + probe
        )
        (d / ".env.example").write_text(f"SVC{i}_URL=\nLOG_LEVEL=info\n")
        (d / "app.py").write_text(f"import os\nURL = os.environ['SVC{i}_URL']\n")
        if i % 5 == 0:  # a bandit finding: bandit's run is computed by a worker
            (d / "tool.py").write_text("import os\n\nos.system(input())\n")
        if i % 6 == 0:  # a server without a SIGTERM handler: the code index (a worker's)
            (d / "server.py").write_text(
                "from flask import Flask\n\napp = Flask(__name__)\n\n\n"
                '@app.get("/")\ndef root():\n    return "ok"\n\n\napp.run(port=8080)\n'
            )
        if i % 4 == 1:  # a Node server reading a variable its template lacks: the env views
            (d / "package.json").write_text('{"dependencies": {"express": "^4.19.2"}}\n')
            (d / "server.js").write_text(f"const token = process.env.SVC{i}_TOKEN;\n")
            (d / "lib").mkdir()
            (d / "lib" / "util.js").write_text("module.exports = (a) => a + 1;\n")
            if i == 5:  # metrics in a module: no code-missing-metrics for this one
                (d / "lib" / "metrics.js").write_text("const client = require('prom-client');\n")
    (root / "broken.yaml").write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: x\n")


def _run(root: Path, jobs: int, seen: list[bool]) -> tuple[str, str]:
    real = parallel.FilePhase.wait

    def spy(self: parallel.FilePhase) -> Any:
        seen.append(self.used_workers)
        assert self.prefetching == self.used_workers  # the code index, bandit: in a worker
        return real(self)

    old = os.getcwd()
    os.chdir(root)
    try:
        parallel.FilePhase.wait = spy  # type: ignore[method-assign]
        result = scan(ScanOptions(paths=["."], jobs=jobs))
    finally:
        parallel.FilePhase.wait = real  # type: ignore[method-assign]
        os.chdir(old)
    return render("sarif", result), render("json", result)


@pytest.fixture
def forked_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """:func:`_tree`, which any scan checks with workers (in chunks of 5 files)."""
    _tree(tmp_path)
    monkeypatch.setattr(parallel, "MIN_PARALLEL_FILES", 1)
    monkeypatch.setattr(parallel, "CHUNK", 5)
    # no Dockerfile in this tree, so buildkit's Go runtime (if loaded by earlier tests) is never
    # called in a forked worker
    monkeypatch.setattr(parallel, "FORK_UNSAFE", ())
    return tmp_path


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_jobs_output_is_identical(forked_tree: Path) -> None:
    seen: list[bool] = []
    one = _run(forked_tree, 1, seen)
    three = _run(forked_tree, 3, seen)
    assert seen == [False, True]
    assert one == three
    assert '"ruleId": "k8s-missing-liveness-probe"' in one[0]
    assert '"ruleId": "k8s-image-tag-mutable"' in one[0]
    assert '"ruleId": "py-shell-injection"' in one[0]
    assert '"ruleId": "code-missing-sigterm-handler"' in one[0]
    # the file views (env reads, metrics imports) computed by the workers give the same answers
    assert '"ruleId": "env-missing-from-template"' in one[0]
    assert '"ruleId": "env-template-incomplete"' in one[0]
    assert '"ruleId": "code-missing-metrics"' in one[0]


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
@pytest.mark.parametrize("jobs", [2, 3])
def test_jobs_counts_this_process(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    import multiprocessing.context

    sizes: list[int] = []
    tasks: list[int] = []
    real = multiprocessing.context.ForkContext.Pool

    def spy(self: Any, processes: int | None = None, *args: Any, **kwargs: Any) -> Any:
        sizes.append(processes or 0)
        pool = real(self, processes, *args, **kwargs)
        real_map = pool.map_async

        def map_async(func: Any, iterable: Any, *args: Any, **kwargs: Any) -> Any:
            tasks.append(len(iterable))
            return real_map(func, iterable, *args, **kwargs)

        pool.map_async = map_async
        return pool

    monkeypatch.setattr(multiprocessing.context.ForkContext, "Pool", spy)
    _run(forked_tree, jobs, [])
    assert sizes == [jobs - 1]  # --jobs N: N processes, this one included
    files = [p for p in forked_tree.rglob("*") if p.is_file()]
    targets = sum(1 for p in files if ".prodready_cache" not in p.parts)
    # a task per span of 5 files: each one's results come back as soon as it is done
    assert tasks == [-(-targets // 5)]


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
@pytest.mark.parametrize("fails", [False, True])
def test_ctrl_c_or_a_failure_as_the_pool_starts_leaves_no_worker(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch, fails: bool
) -> None:
    """The scan has no phase to stop yet: the phase stops its pool itself. (Ctrl-C waits while
    the pool starts: it comes once the pool is known.)"""
    import multiprocessing.pool
    import signal

    real = multiprocessing.pool.Pool.map_async if fails else multiprocessing.pool.Pool.__init__

    def started(self: Any, *args: Any, **kwargs: Any) -> Any:
        if fails:
            raise OSError("no more file descriptors")
        real(self, *args, **kwargs)
        os.kill(os.getpid(), signal.SIGINT)

    name = "map_async" if fails else "__init__"
    monkeypatch.setattr(multiprocessing.pool.Pool, name, started)
    with pytest.raises(OSError if fails else KeyboardInterrupt):
        _run(forked_tree, 3, [])
    assert multiprocessing.active_children() == []
    assert not parallel.workers_running()


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_a_failure_in_a_worker_is_an_internal_error_that_names_where(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Exit 2 and the place in the worker's code (not the pool's, where it was raised again);
    no worker left."""
    import multiprocessing

    from linter.cli import main

    here = os.getpid()
    real = parallel._work

    def failing(span: tuple[int, int], job: Any) -> Any:
        if os.getpid() != here:
            raise RuntimeError("a worker broke")
        return real(span, job)

    monkeypatch.setattr(parallel, "_work", failing)
    monkeypatch.setattr(parallel.FilePhase, "_help", lambda self: None)  # the workers do all
    monkeypatch.delenv("PRODREADY_TRACEBACK", raising=False)
    monkeypatch.chdir(forked_tree)
    assert main(["check", ".", "--no-cache", "--jobs", "3"]) == 2
    line = failing.__code__.co_firstlineno + 2
    assert capsys.readouterr().err.splitlines()[0] == (
        f"prodready: internal error: RuntimeError: a worker broke (test_parallel.py:{line})"
    )
    assert multiprocessing.active_children() == []
    assert not parallel.workers_running()


_WORK_NEXT = parallel._work_next
_STARTED: list[bool] = []  # in a worker: whether it ran a task before (each has its own copy)


def _late_next(n: int) -> Any:
    """A worker's task; a worker's first one starts late (module level: the pool pickles it by
    name)."""
    if not _STARTED:
        _STARTED.append(True)
        time.sleep(3)
    return _WORK_NEXT(n)


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_an_idle_main_process_takes_the_spans_no_worker_has_started(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tmp_path = forked_tree
    real_work = parallel._work
    here: list[tuple[int, int]] = []  # the spans this process took (a worker's copy is its own)

    def spy(span: tuple[int, int], job: Any) -> Any:
        here.append(span)
        return real_work(span, job)

    monkeypatch.setattr(parallel, "_work_next", _late_next)
    monkeypatch.setattr(parallel, "_work", spy)
    seen: list[bool] = []
    one = _run(tmp_path, 1, seen)
    spans = len(here)
    here.clear()
    three = _run(tmp_path, 3, seen)
    assert seen == [False, True]
    assert one == three
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    targets = sum(1 for p in files if ".prodready_cache" not in p.parts)
    assert spans == 0  # one process: no spans
    assert here == [(i, min(i + 5, targets)) for i in range(0, targets, 5)]


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_with_workers_this_process_reads_only_the_code_the_file_views_point_to(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(forked_tree)
    # this process does not help the workers here (under load it may take the span holding
    # lib/util.js, and read it, before a worker starts it)
    monkeypatch.setattr(parallel.FilePhase, "_help", lambda self: None)
    found = {}
    for jobs in (1, 3):
        result = scan(ScanOptions(paths=["."], jobs=jobs, cache_dir=None))
        loaded = {s.path for s in result.index.loaded_sources()}
        found[jobs] = {
            (f.rule_id, f.location.path)
            for f in result.findings
            if f.rule_id in ("env-missing-from-template", "code-missing-metrics")
        }
        # lib/*.js read no variable and report nothing: with workers, only they read them
        assert ("svc01/lib/util.js" in loaded) is (jobs == 1)
        assert ("svc05/lib/metrics.js" in loaded) is (jobs == 1)
        assert "svc01/server.js" in loaded  # it reads SVC1_TOKEN: read here for the finding
    assert (
        found[1]
        == found[3]
        == {
            ("env-missing-from-template", "svc01/server.js"),
            ("env-missing-from-template", "svc05/server.js"),
            ("env-missing-from-template", "svc09/server.js"),
            ("code-missing-metrics", "svc01/package.json"),
            ("code-missing-metrics", "svc09/package.json"),
        }
    )


_JOINS_RUN = """
import sys
from pathlib import Path
from linter import parallel
from tests.test_parallel import _run, _tree

root = Path(sys.argv[1])
_tree(root)
for i in range(0, 12, 2):  # npm as PID 1: docker-pid1-no-signal-forwarding, a join-using check
    (root / f"svc{i:02d}" / "Dockerfile").write_text('FROM node:20\\nCMD ["npm", "start"]\\n')
parallel.MIN_PARALLEL_FILES, parallel.CHUNK = 1, 5
in_workers = []
real_start = parallel.FilePhase._start_pool
def start(self, index, todo, policies, *rest):
    in_workers.extend(p.meta.id for p in policies)
    real_start(self, index, todo, policies, *rest)
parallel.FilePhase._start_pool = start
seen = []
three = _run(root, 3, seen)  # first: the run in this process loads buildkit's runtime
one = _run(root, 1, seen)
assert seen == [True, False], seen
assert one == three
assert '"ruleId": "docker-pid1-no-signal-forwarding"' in one[0]
# the workers get the checks of a file's text; those of parsed artifacts and of joins run here
assert "secret-hardcoded" in in_workers
assert "docker-runs-as-root" not in in_workers
assert "docker-pid1-no-signal-forwarding" not in in_workers
print("ok")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_parsed_and_join_checks_run_in_the_main_process_with_the_same_output(
    tmp_path: Path,
) -> None:
    # a fresh interpreter: buildkit's Go runtime must not be loaded before the fork
    out = subprocess.run(
        [sys.executable, "-c", _JOINS_RUN, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "ok"


def test_small_scans_stay_in_process(tmp_path: Path) -> None:
    _tree(tmp_path, services=2)
    seen: list[bool] = []
    _run(tmp_path, 4, seen)
    assert seen == [False]


def test_no_fork_once_a_fork_unsafe_runtime_is_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "dockerfile", sys.modules.get("dockerfile", object()))
    assert parallel._can_fork() is False


#: the memo keys of the repo-wide joins (linter/services.py, linter/code/index.py)
JOINS = {"services", "code-index"}


def test_no_check_the_workers_run_uses_a_join(monkeypatch: pytest.MonkeyPatch) -> None:
    # the workers run the text checks: one that used a join would build it in every worker
    from linter import engine
    from linter.index import RepoIndex
    from linter.registry import load
    from tests.conftest import run_scan

    running: list[str] = []
    ran: set[str] = set()
    joined: set[str] = set()
    real_run, real_memo = engine._run_policy, RepoIndex.memo

    def run(pol, ctx, arg, where, notes):  # type: ignore[no-untyped-def]
        running.append(pol.meta.id)
        ran.add(pol.meta.id)
        try:
            return real_run(pol, ctx, arg, where, notes)
        finally:
            running.pop()

    def memo(self: RepoIndex, key: Any, fn: Any) -> Any:
        if running and isinstance(key, tuple) and key and key[0] in JOINS:
            joined.add(running[-1])
        return real_memo(self, key, fn)

    monkeypatch.setattr(engine, "_run_policy", run)
    monkeypatch.setattr(RepoIndex, "memo", memo)
    repos = [p for p in (ROOT / "tests" / "fixtures" / "policies").glob("*/*") if p.is_dir()]
    for repo in sorted(repos) + sorted(p for p in (ROOT / "examples").iterdir() if p.is_dir()):
        run_scan(["."], repo, check_sarif=False)
    in_workers = {m.id for m in load().all_metas() if m.scope == "file" and parallel.in_workers(m)}
    assert in_workers and in_workers <= ran
    assert "docker-pid1-no-signal-forwarding" in joined  # the probe sees a join when one is used
    assert joined & in_workers == set()


def test_a_view_computed_elsewhere_is_taken_with_its_notes_or_computed_here(
    tmp_path: Path,
) -> None:
    from linter.config import Config
    from linter.index import RepoIndex
    from linter.model import ArtifactKind, Notification

    index = RepoIndex(str(tmp_path), str(tmp_path), Config(), frozenset(ArtifactKind))
    note = Notification("noted in a worker", code="prodready-test")
    index.computed_elsewhere(("a",), lambda: ("from a worker", [note]))

    def failed() -> tuple[object, list[Notification]]:
        raise RuntimeError("the worker died")

    index.computed_elsewhere(("b",), failed)
    before = index.wide_reads
    assert index.memo(("a",), lambda: "computed here") == "from a worker"
    assert index.notifications == [note]
    assert index.wide_reads == before + 1  # it read beyond one file, somewhere
    assert index.memo(("a",), lambda: "computed here") == "from a worker"
    assert index.memo(("b",), lambda: "computed here") == "computed here"
    assert index.notifications == [note]


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
@pytest.mark.parametrize(("jobs", "select"), [(1, ()), (3, ()), (3, ("k8s",))])
def test_the_callers_warm_up_runs_while_the_workers_do(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch, jobs: int, select: tuple[str, ...]
) -> None:
    """``ScanOptions.warm_up`` (the CLI: importing its reporter) runs once, in the scan, while
    the workers still run (before the phase is waited for); without workers, not at all. With
    ``--select k8s`` no repo policy waits for the workers' views: it runs before the wait."""
    events: list[str] = []
    real_wait = parallel.FilePhase.wait

    def wait(self: parallel.FilePhase) -> Any:
        events.append("wait" if self._pool is None else "wait, workers running")
        return real_wait(self)

    monkeypatch.setattr(parallel.FilePhase, "wait", wait)
    monkeypatch.chdir(forked_tree)
    opts = ScanOptions(paths=["."], jobs=jobs, select=select, warm_up=lambda: events.append("warm"))
    result = scan(opts)
    assert events == (["wait"] if jobs == 1 else ["warm", "wait, workers running"])
    assert result.findings


def test_warm_up_of_each_format() -> None:
    """SARIF's warm-up imports sarif-om (not imported before) and fills the field tables."""
    code = (
        "import sys\n"
        "from linter import output\n"
        "up = output.warm_up('sarif')\n"
        "assert 'sarif_om' not in sys.modules\n"
        "up()\n"
        "from linter.output import sarif\n"
        "import sarif_om\n"
        "assert sarif_om.Result in sarif._FIELDS and sarif_om.Region in sarif._FIELDS\n"
        "assert all(output.warm_up(f) is None for f in ('text', 'json', 'github', 'markdown'))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr


def test_merging_an_empty_share_keeps_the_entry() -> None:
    """``_merged``'s shortcut (this process added nothing) gives what the general merge gives."""
    from linter.cache import FileEntry
    from linter.model import Notification

    def entry(**kw: Any) -> FileEntry:
        return FileEntry("a.py", 1, 2, "sha", **kw)

    note = Notification("n", path="a.py", code="prodready-skipped-file")
    cases = [
        (entry(directives=[], lines={1: "x", 3: "y"}), entry(directives=[])),
        (entry(directives=[], cacheable=False), entry(directives=[])),
        (entry(directives=[]), entry(directives=[], cacheable=False)),
        (entry(directives=None), entry(directives=[])),  # general case: directives from here
        (entry(directives=[], notes=[note, note]), entry(directives=[])),  # general: deduped
        (entry(directives=[]), entry(directives=[], notes=[note], lines={2: "z"})),
    ]
    for mine, here in cases:
        notes = list(dict.fromkeys([*mine.notes, *here.notes]))
        lines = dict(sorted({**mine.lines, **here.lines}.items()))
        directives = here.directives if mine.directives is None else mine.directives
        cacheable = mine.cacheable and here.cacheable
        got = parallel._merged(mine, here)
        assert (got.notes, got.lines, got.directives, got.cacheable) == (
            notes,
            lines,
            directives,
            cacheable,
        )


_INTERRUPTED = """
import os, sys, time
from linter import parallel
from linter.cli import entry

parallel.MIN_PARALLEL_FILES, parallel.CHUNK = 1, 2
real = parallel._work
STARTED = sys.argv[1]


def slow(span, job):  # no span ends: the scan is never done before the signal comes
    if os.getpid() != MAIN:
        open(STARTED, "a").close()  # a worker is at work
    time.sleep(120)
    return real(span, job)


MAIN = os.getpid()
parallel._work = slow
sys.argv = ["prodready", "check", ".", "--no-cache", "--jobs", "3"]
entry()
"""


_IDLE = """
import os, sys, time
from linter import parallel
from linter.cli import entry

parallel.MIN_PARALLEL_FILES, parallel.CHUNK = 1, 2
real = parallel.FilePhase.wait
STARTED = sys.argv[1]


def slow(self):  # the workers do every span and wait for more, idle, while this one waits
    open(STARTED, "a").close()
    time.sleep(120)
    return real(self)


parallel.FilePhase.wait = slow
sys.argv = ["prodready", "check", ".", "--no-cache", "--jobs", "3"]
entry()
"""


_LOST = """
import os, signal, sys
from linter import parallel
from linter.cli import entry

parallel.MIN_PARALLEL_FILES, parallel.CHUNK = 1, 2
real = parallel._work
STARTED = sys.argv[1]


def killed(span, job):  # a worker is killed at its first span (the OOM killer, say)
    if os.getpid() != MAIN:
        open(STARTED, "a").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return real(span, job)


MAIN = os.getpid()
parallel._work = killed
sys.argv = ["prodready", "check", ".", "--no-cache", "--jobs", "3"]
entry()
"""


def _interrupted_scan(tmp_path: Path, script: str = _INTERRUPTED) -> subprocess.Popen[bytes]:
    """A parallel scan (slowed) in its own process group, once one of its workers is at work
    (with ``_IDLE``: once this process waits for the workers, which then soon run out of
    spans)."""
    _tree(tmp_path)
    return start_in_own_group(script, tmp_path, tmp_path / "started")


def test_ctrl_c_during_a_parallel_scan_stops_it_with_one_message(tmp_path: Path) -> None:
    """The terminal sends SIGINT to the whole process group: the workers leave it to the parent,
    which stops them and says "Aborted." once (exit 2) — no traceback from any process, and no
    worker left running its spans."""
    import signal

    proc = _interrupted_scan(tmp_path)
    os.killpg(proc.pid, signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 2
    assert err.decode() == "\nAborted.\n"  # (click ends the ^C line first)
    assert out == b""
    # no process of the group is left (a worker ignoring SIGINT must have been terminated)
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


@pytest.mark.parametrize(("to_group", "idle"), [(False, False), (True, False), (True, True)])
def test_sigterm_during_a_parallel_scan_ends_it_silently_with_143(
    tmp_path: Path, to_group: bool, idle: bool
) -> None:
    """SIGTERM (a cancelled CI job: to the main process, or to the whole group): exit 128+15,
    nothing on stderr (the workers printed broken-pipe tracebacks), no process left. With idle
    workers (each waiting for a task, one holding the lock of the pool's task queue while it
    does) the signal to the group kills one holding it: the pool's own teardown would wait for
    that lock forever."""
    import signal

    proc = _interrupted_scan(tmp_path, _IDLE if idle else _INTERRUPTED)
    try:
        if idle:
            time.sleep(1.5)  # (the workers' spans take a few ms each)
        if to_group:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, err, out) == (143, b"", b"")
        # no process of the group is left: none still runs its span (120 s), and none is even a
        # zombie once init has reaped those the scan had no time to (a worker the pool started in
        # place of a killed one just before the end is killed by the kernel with its parent)
        assert_group_ends(proc.pid)
    finally:  # (a scan that hung is not left behind)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_worker_killed_mid_scan_ends_the_scan_with_an_error(tmp_path: Path) -> None:
    """A worker killed (SIGKILL: the OOM killer) loses the span it had, and the pool would wait
    for it forever: the scan stops with exit 2 and says why; no process is left."""
    import signal

    proc = _interrupted_scan(tmp_path, _LOST)
    try:
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, err.decode(), out) == (
            2,
            "prodready: error: a worker process ended before its files were checked (killed "
            "by SIGKILL: out of memory?); run again with fewer --jobs (--jobs 1: no worker "
            "processes)\n",
            b"",
        )
        assert_group_ends(proc.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_jobs_cache_entries_are_the_same(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file's cache entry (findings, directives, lines, notes) is the same with workers as
    without, except that with workers an entry may also hold the notes a repo-scope policy made
    on its file (a code file that does not parse, noted by the code index), which the scan
    reports either way. This process skips the files none of its checks reads; their entries
    still get those notes."""
    from linter.cache import FileEntry, ScanCache

    (forked_tree / "svc00" / "latin.py").write_bytes(b"import os\nNAME = '\xe9'\n")
    (forked_tree / "svc00" / "broken.py").write_text("import os\ndef f(:\n    pass\n")
    (forked_tree / "svc01" / "blob.js").write_bytes(b"\x00\x01const x = 1;\n")
    puts: dict[int, dict[str, Any]] = {1: {}, 3: {}}
    reported: dict[int, set[tuple[str | None, str]]] = {}
    real = ScanCache.put
    jobs = 1

    def put(self: ScanCache, entry: FileEntry) -> None:
        puts[jobs][entry.path] = (entry.to_json(), entry.cacheable)
        real(self, entry)

    monkeypatch.setattr(ScanCache, "put", put)
    monkeypatch.chdir(forked_tree)
    for jobs in (1, 3):
        cache_dir = str(forked_tree.parent / f"c{jobs}")
        result = scan(ScanOptions(paths=["."], jobs=jobs, cache_dir=cache_dir))
        reported[jobs] = {(n.path, n.message) for n in result.notifications}
    assert reported[1] == reported[3]
    assert puts[1].keys() == puts[3].keys()
    for path, (one, cacheable) in puts[1].items():
        three, cacheable3 = puts[3][path]
        assert (path, cacheable, {**one, "n": []}) == (path, cacheable3, {**three, "n": []})
        assert one["n"] == [n for n in three["n"] if n in one["n"]], path
        assert {(n[2], n[0]) for n in three["n"]} <= reported[1], path
    noted = {p: [n[-1] for n in raw["n"]] for p, (raw, _) in puts[3].items() if raw["n"]}
    assert noted == {
        "broken.yaml": ["prodready-parse-error"],
        "svc00/broken.py": ["prodready-parse-error"],
        "svc00/latin.py": ["prodready-skipped-file"],
        "svc01/blob.js": ["prodready-skipped-file"],
    }


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_the_pool_is_closed_once_the_workers_results_are_in(
    forked_tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The workers end while this process runs the rules that read their views: the pool is
    closed when their results are in (the first such rule asks), not after the last rule."""
    import multiprocessing.pool

    from linter import engine

    events: list[str] = []
    real_close = multiprocessing.pool.Pool.close
    real_run = engine._run_policy

    def close(self: Any) -> None:
        events.append("close")
        real_close(self)

    def run(pol: Any, ctx: Any, arg: Any, where: str, notes: Any) -> Any:
        if where == "(repo)":
            events.append(pol.meta.id)
        return real_run(pol, ctx, arg, where, notes)

    monkeypatch.setattr(multiprocessing.pool.Pool, "close", close)
    monkeypatch.setattr(engine, "_run_policy", run)
    monkeypatch.chdir(forked_tree)
    scan(ScanOptions(paths=["."], jobs=3))
    first = events.index("close")
    assert events[first - 1] == "code-cors-wildcard"  # the first rule reading the code index
    assert "env-template-incomplete" in events[first:]


def _sleep_long() -> None:
    time.sleep(60)


@pytest.mark.skipif(sys.platform == "win32", reason="workers are forked")
def test_kill_workers_kills_the_workers_of_a_pool_being_stopped() -> None:
    """FilePhase.terminate takes its pool out of the running ones before it stops it, and calls
    kill_workers when that teardown is stuck: every worker process must die then too."""
    import multiprocessing

    child = multiprocessing.get_context("fork").Process(target=_sleep_long)
    child.start()
    pid = child.pid
    assert pid is not None
    try:
        assert parallel._RUNNING == []
        parallel.kill_workers()
        with pytest.raises(ProcessLookupError):  # killed and reaped
            os.kill(pid, 0)
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, 9)
            os.waitpid(pid, 0)
