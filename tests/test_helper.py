"""The helper process of a small scan (linter.parallel.Helper): bandit's run in a forked
process while the scan goes on, with exactly the output of one process, and no process left
behind whatever happens.

Each case runs in a fresh interpreter: a process that has loaded buildkit's Dockerfile parser
(its Go runtime does not survive a fork) starts no helper, and this one has, by now."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, assert_group_ends, start_in_own_group

APP = "import os\n\n\ndef handler(expr):\n    return eval(expr)\n"

#: the repo, the scan, and the record of which processes ran bandit and which helpers started
PRELUDE = """
import json, os, signal, sys, time
from pathlib import Path
from linter import engine, parallel
from linter.code import bandit_run
from linter.engine import ScanOptions, scan
from linter.output import render

MAIN = os.getpid()
LOG = Path(sys.argv[1])
real_run = bandit_run.run
HELPERS = []


def run(index):  # each process that runs bandit writes its pid
    with open(LOG, "a") as fh:
        fh.write(f"{os.getpid()}\\n")
    return real_run(index)


bandit_run.run = run
real_start = parallel.Helper.start.__func__


def start(cls, *args):
    helper = real_start(cls, *args)
    HELPERS.append(None if helper is None else helper.pid)
    return helper


parallel.Helper.start = classmethod(start)


def ran():
    got = [int(x) for x in LOG.read_text().split()] if LOG.exists() else []
    LOG.unlink(missing_ok=True)
    return ["main" if p == MAIN else "helper" if p in HELPERS else p for p in got]


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def scan_json(path, jobs):
    return render("json", scan(ScanOptions(paths=[path], jobs=jobs)))


def report(**facts):
    print(json.dumps(facts))
"""


def _run(tmp_path: Path, body: str) -> dict[str, Any]:
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "svc").mkdir()
    (repo / "svc" / "app.py").write_text(APP)
    (repo / "svc" / "Dockerfile").write_text('FROM python:3.12\nCMD ["python", "app.py"]\n')
    proc = subprocess.run(
        [sys.executable, "-c", PRELUDE + body, str(tmp_path / "pids")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    facts: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return facts


def test_bandit_runs_in_the_helper_with_the_output_of_one_process(tmp_path: Path) -> None:
    facts = _run(
        tmp_path,
        """
two = scan_json("svc/app.py", 2)  # first: the scan with one job loads buildkit's parser
ran_two = ran()
one = scan_json("svc/app.py", 1)
findings = json.loads(two)["findings"]
report(
    same=one == two,
    ran=[ran_two, ran()],
    helpers=len(HELPERS) == 1 and HELPERS[0] is not None,  # (none asked for with one job)
    reaped=parallel._HELPERS == [] and gone(HELPERS[0]),
    exec=[
        (f["location"]["path"], f["location"]["line"], f["location"]["column"], f["rule_id"])
        for f in findings if f["rule_id"] == "py-code-exec"
    ],
)
""",
    )
    assert facts == {
        "same": True,
        "ran": [["helper"], ["main"]],
        "helpers": True,
        "reaped": True,  # no zombie either
        "exec": [["svc/app.py", 5, 12, "py-code-exec"]],
    }


def test_no_helper_without_a_python_target_with_one_job_or_after_buildkit(
    tmp_path: Path,
) -> None:
    facts = _run(
        tmp_path,
        """
scan_json("svc/Dockerfile", 4)  # (it loads buildkit's parser)
loaded = "dockerfile" in sys.modules
scan_json("svc/app.py", 1)
scan_json("svc/app.py", 4)
report(ran=ran(), helpers=HELPERS, dockerfile=loaded)
""",
    )
    # no Python target (bandit has nothing to do); one job (not even asked); buildkit's runtime
    assert facts == {"ran": ["main", "main"], "helpers": [None, None], "dockerfile": True}


@pytest.mark.parametrize("how", ["dies", "raises"])
def test_a_helper_that_dies_or_fails_leaves_the_view_to_this_process(
    tmp_path: Path, how: str
) -> None:
    facts = _run(
        tmp_path,
        f"""
logged = bandit_run.run


def failing(index):
    if os.getpid() != MAIN:
        if {how!r} == "dies":
            os.kill(os.getpid(), signal.SIGKILL)  # the OOM killer, say
        raise RuntimeError("bandit broke in the helper")
    return logged(index)


bandit_run.run = failing
two = scan_json("svc/app.py", 2)
ran_two = ran()
bandit_run.run = logged
one = scan_json("svc/app.py", 1)
report(
    same=one == two,
    ran=ran_two,
    helpers=len(HELPERS) == 1 and HELPERS[0] is not None,
    reaped=parallel._HELPERS == [] and gone(HELPERS[0]),
)
""",
    )
    assert facts == {"same": True, "ran": ["main"], "helpers": True, "reaped": True}


def test_ctrl_c_after_the_helper_started_kills_it(tmp_path: Path) -> None:
    facts = _run(
        tmp_path,
        """
def interrupted(*args):
    raise KeyboardInterrupt


engine.reg.resolve = interrupted  # called right after the helper starts
try:
    scan_json("svc/app.py", 2)
except KeyboardInterrupt:
    report(helpers=len(HELPERS), reaped=parallel._HELPERS == [] and gone(HELPERS[0]))
""",
    )
    assert facts == {"helpers": 1, "reaped": True}


def test_kill_workers_kills_and_reaps_a_helper_and_wait_does_not_wait(tmp_path: Path) -> None:
    """What SIGTERM does (linter.cli): every worker process is killed, helpers too. And a view
    no policy asked for is not waited for at the end of the scan."""
    facts = _run(
        tmp_path,
        """
class Index:
    notifications = []
    pending = {}

    def computed_elsewhere(self, key, result):
        self.pending[key] = result


def slow(index):
    time.sleep(60)


view = parallel.Prefetch(("slow",), slow, alone=lambda index: True)
first = parallel.Helper.start(Index(), 2, [view])
running = parallel.workers_running()
parallel.kill_workers()
killed = not parallel.workers_running() and gone(first.pid)
index = Index()
second = parallel.Helper.start(index, 2, [view])
began = time.monotonic()
second.wait()
report(
    running=running,
    killed=killed,
    asked=[list(k) for k in index.pending],
    waited=time.monotonic() - began < 5,
    reaped=parallel._HELPERS == [] and gone(second.pid),
)
""",
    )
    assert facts == {
        "running": True,
        "killed": True,
        "asked": [["slow"]],
        "waited": True,
        "reaped": True,
    }


_SIGTERMED = """
import os, sys, time
from linter.code import bandit_run
from linter.cli import entry

STARTED = sys.argv[1]
MAIN = os.getpid()
real = bandit_run.run


def slow(index):  # the helper takes its time: the main process waits for it
    if os.getpid() != MAIN:
        open(STARTED, "a").close()
        time.sleep(120)
    return real(index)


bandit_run.run = slow
sys.argv = ["prodready", "check", "app.py", "--jobs", "2"]
entry()
"""


def test_sigterm_while_waiting_for_the_helper_ends_the_scan_silently(tmp_path: Path) -> None:
    (tmp_path / "app.py").write_text(APP)
    proc = start_in_own_group(_SIGTERMED, tmp_path, tmp_path / "started")
    try:
        time.sleep(0.3)  # (the main process is waiting for the helper by now)
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
        assert (proc.returncode, err, out) == (143, b"", b"")
        assert_group_ends(proc.pid)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


_NO_FORK = """
real_fork, real_pipe, real_close = os.fork, os.pipe, os.close
made, closed, tried = [], [], []


def no_fork():
    tried.append(1)
    raise BlockingIOError(11, "Resource temporarily unavailable")


def pipe():
    made.extend(real_pipe())
    return made[-2], made[-1]


def close(fd):
    closed.append(fd)
    real_close(fd)


os.fork, os.pipe, os.close = no_fork, pipe, close
two = scan_json("svc/app.py", 2)
os.fork, os.pipe, os.close = real_fork, real_pipe, real_close
facts = dict(tried=len(tried), closed=len(made) == 2 and set(made) <= set(closed))
"""

_THREADS = """
import threading

stop = threading.Event()
thread = threading.Thread(target=stop.wait)
thread.start()
two = scan_json("svc/app.py", 2)
stop.set()
thread.join()
facts = {}
"""


@pytest.mark.parametrize(
    ("case", "seen"), [(_NO_FORK, {"tried": 1, "closed": True}), (_THREADS, {})]
)
def test_no_helper_when_it_cannot_fork_or_threads_run(
    tmp_path: Path, case: str, seen: dict[str, Any]
) -> None:
    """Out of processes (the fork fails: the pipe is closed again) or with a caller's threads
    running (a lock one of them holds would stay held in the fork): bandit runs here, with the
    output of one process."""
    facts = _run(
        tmp_path,
        case
        + """
ran_two = ran()
one = scan_json("svc/app.py", 1)
report(same=one == two, ran=ran_two, helpers=HELPERS, **facts)
""",
    )
    assert facts == {"same": True, "ran": ["main"], "helpers": [None], **seen}
