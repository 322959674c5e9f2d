"""``make bench``: time prodready on the shared bench repo and print one table.

    python bench/run.py --shared ../shared [--runs 5] [--scale] [--peers] [--no-growth] [--jobs N]

Steps (every number comes from this one run on this machine; compare ratios, not absolute times):

1. generate ``bench/out/repo`` with ``SHARED/bench/make_repo.py`` when it is absent (made a git
   work tree so that per-file mode finds its root there, as it would in a real checkout);
   the prodready timed is this checkout installed as pre-commit installs a hook: a regular,
   byte-compiled install (``bench/out/install-venv``, using this venv's dependencies), its
   compiled dataclass methods kept beside the bytecode as a first run keeps them where
   bytecode may be written (``linter.fastdc``; written here, since this environment may
   forbid that: ``PYTHONDONTWRITEBYTECODE``);
2. ``SHARED/bench/floor.py`` on the repo (read every file, one regex): the floor;
3. a cold full scan with every default policy (``--no-cache``), SARIF in ``bench/out/``,
   scored with ``SHARED/bench/score.py`` and ``bench/rulemap.json``; its peak RSS;
4. the same scan with ``--jobs 1`` (output must be byte-identical);
5. a warm re-scan: one run fills the cache, the next is timed (output must be byte-identical);
6. one-file pre-commit mode: ``prodready check services/svc-0000/Dockerfile``, the Dockerfile edited
   (one comment line more) before each run: the first run on the repo (it creates
   ``.prodready_cache/``) on its own, then, 2.5 s later, the median of ``--runs`` (what a
   developer whose earlier commits left the cache sees); also scaled to the reference machine's
   floor time; then Dockerfiles saved by rename, as many editors save (each in a directory no
   earlier run changed), and the other kinds of file a pre-commit run names;
7. growth (``bench/growth.py``; ``--no-growth`` skips it): ten small trees, each with one
   artifact grown from 1,000 to 4,000 items (services in a compose file, secrets or suppression
   comments in one file, YAML documents, containers, workflow steps, routes, env reads, ...),
   each scanned cold with ``--jobs 1``: 4x the items must take at most 5x the time (a cost
   growing with the square of the size shows as ~16x);
8. with ``--scale``: a 4x repo (``--services 800``) in ``bench/out/repo800``;
9. with ``--peers`` (``make bench PEERS=1``): checkov 3.3.30 on the same repo, timed like the
   scans above and scored with ``bench/rulemap-checkov.json``. It runs from its own venv,
   ``bench/out/peers-venv``, made and filled by ``pip install checkov==3.3.30`` on the first
   ``--peers`` run (the only step that needs the network; a stamp file marks it done, later runs
   reuse it). A ``checkov`` on PATH is not used: ``--checkov PATH`` picks another executable
   (any version; it implies ``--peers``). checkov runs with ``--skip-download`` (no network during
   the timed scan) and its default file set; its secrets framework reads no ``.py``/``.js`` file
   there, so it finds none of the planted secrets. The rule map names every planted check, those
   checkov has no check for with an empty list, so its recall is over all planted violations.
   If the install or the scan fails, the table says why and the rest of the bench still prints.
   The speed ratio is the median of ``--peer-runs`` checkov runs (default 2) over the median of
   prodready's cold scans timed right before and after each of them (P C P C P): this VM's speed
   drifts by up to ±20 % within minutes, so times taken minutes apart are not compared.

Peak RSS is ``ru_maxrss`` of each child from ``os.wait4`` (the largest process of its tree).
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
ONE_FILE = "services/svc-0000/Dockerfile"
OTHER_FILES = (
    "services/svc-0000/k8s/svc-0000.yaml",
    "services/svc-0000/.env.example",
    "services/svc-0000/app.py",
    "services/svc-0000/server.js",
)
REFERENCE_FLOOR = 1.65  # seconds floor.py took on the machine the targets were set on


@dataclass
class Run:
    """A timed command: wall and CPU seconds, peak RSS and its output."""

    wall: float
    cpu: float  # user + system seconds of the child and its waited-for children
    rss_mb: float
    code: int
    stdout: str
    stderr: str


def run(cmd: list[str], cwd: Path | None = None) -> Run:
    """Run a child, return wall time and its peak RSS (from wait4, Linux reports KiB)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        rss = usage.ru_maxrss / 1024 if sys.platform != "darwin" else usage.ru_maxrss / 2**20
        return Run(
            wall,
            usage.ru_utime + usage.ru_stime,
            rss,
            proc.returncode,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def ensure_repo(shared: Path, dest: Path, services: int) -> None:
    if (dest / "PLANTED.json").exists():
        return
    print(f"generating {dest} ({services} services) ...", flush=True)
    if dest.exists():
        shutil.rmtree(dest)
    subprocess.run(
        [
            sys.executable,
            str(shared / "bench" / "make_repo.py"),
            str(dest),
            "--services",
            str(services),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    # its own work tree: per-file mode takes the git top as the scan root
    if shutil.which("git"):
        subprocess.run(["git", "init", "-q", str(dest)], check=True)
    else:
        (dest / ".git").mkdir(exist_ok=True)


INSTALL_VENV = OUT / "install-venv"
_PRODREADY: list[str] = []


def install_prodready() -> str:
    """Install this checkout as pre-commit and pip users get it: a regular (not editable),
    byte-compiled install, in ``bench/out/install-venv``. Its dependencies are this venv's (one
    ``.pth`` line adds its site-packages); pip builds it as ``make`` did (the build backend from
    the index or its cache). Returns what the table says about it."""
    import sysconfig

    shutil.rmtree(INSTALL_VENV, ignore_errors=True)
    # setuptools builds in the checkout's build/ and keeps what it copied there before: a
    # module since deleted from linter/ would be installed (and imported by the priming below)
    shutil.rmtree(HERE.parent / "build", ignore_errors=True)
    steps = [
        [sys.executable, "-m", "venv", "--without-pip", str(INSTALL_VENV)],
        [
            str(INSTALL_VENV / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            str(HERE.parent),
        ],
    ]
    for i, cmd in enumerate(steps):
        r = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if r.returncode != 0:
            _PRODREADY[:] = []
            return f"install failed, the dev install is timed: {r.stderr.strip()[-200:]}"
        if i == 0:  # the new venv finds this one's packages (pip, setuptools, the dependencies)
            site = subprocess.run(
                [
                    str(INSTALL_VENV / "bin" / "python"),
                    "-c",
                    "import sysconfig as s;print(s.get_paths()['purelib'])",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            Path(site, "dev-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    # what a first run writes beside the bytecode (the compiled dataclass methods,
    # linter.fastdc), written here as pip writes the bytecode: this environment may forbid
    # writing bytecode at run time (PYTHONDONTWRITEBYTECODE), and the one-file runs time a
    # pre-commit hook's usual run, not its first
    r = subprocess.run(
        [str(INSTALL_VENV / "bin" / "python"), "-c", PRIME],
        cwd=INSTALL_VENV,
        capture_output=True,
        text=True,
        check=False,
    )
    if r.returncode != 0:
        return f"regular install (bench/out/install-venv), not primed: {r.stderr.strip()[-200:]}"
    _PRODREADY[:] = [str(INSTALL_VENV / "bin" / "prodready")]
    return "regular install (bench/out/install-venv)"


#: imports every module of the install (each defines its dataclasses), then keeps their
#: compiled methods (run from the venv's directory: the checkout must not shadow the install)
PRIME = (
    "import importlib, pkgutil, linter, policies\n"
    "from linter import fastdc\n"
    "for pkg in (linter, policies):\n"
    "    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
    "        importlib.import_module(m.name)\n"
    "assert fastdc.save_code_cache(force=True) or not fastdc._CODES.compiled\n"
)


def prodready() -> list[str]:
    if _PRODREADY:
        return list(_PRODREADY)
    exe = Path(sys.executable).with_name("prodready")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "linter.cli"]


def _secs(walls: list[float]) -> str:
    return ", ".join(f"{w:.2f}" for w in walls) + " s"


def full_scan(repo: Path, sarif: Path, *extra: str) -> Run:
    cmd = [*prodready(), "check", ".", "--format", "sarif", "-o", str(sarif), "--exit-zero"]
    r = run([*cmd, *extra], cwd=repo)
    if r.code != 0:
        raise SystemExit(f"scan failed ({r.code}): {' '.join(cmd + list(extra))}\n{r.stderr}")
    return r


def floor(shared: Path, repo: Path) -> tuple[float, int, int]:
    r = run([sys.executable, str(shared / "bench" / "floor.py"), str(repo)])
    files, size, _hits, secs, _ = r.stdout.split()
    return float(secs), int(files), int(size)


def score(shared: Path, sarif: Path, planted: Path, rulemap: Path) -> tuple[str, str]:
    r = run(
        [sys.executable, str(shared / "bench" / "score.py"), str(sarif), str(planted), str(rulemap)]
    )
    if r.code != 0:
        return f"score.py failed: {r.stderr.strip()}", "?"
    total = r.stdout.strip().splitlines()[-1].split()
    # total FOUND PLANTED RECALL FALSE
    return r.stdout, f"{total[1]}/{total[2]} ({total[3]}), {total[4]} false"


CHECKOV = "checkov==3.3.30"
PEERS_VENV = OUT / "peers-venv"


def peer_checkov(explicit: str | None) -> tuple[str | None, str]:
    """The checkov executable to time, or None and why not: ``explicit`` (``--checkov``) when
    given, else the pinned one in ``bench/out/peers-venv``, installed there on first use."""
    if explicit:
        found = shutil.which(explicit)
        return (found, explicit) if found else (None, f"--checkov {explicit}: not found")
    exe = PEERS_VENV / "bin" / "checkov"
    stamp = PEERS_VENV / (".installed-" + CHECKOV)
    if stamp.exists() and exe.exists():
        return str(exe), f"{CHECKOV} in {PEERS_VENV.relative_to(HERE.parent)}"
    print(
        f"peers: creating {PEERS_VENV.relative_to(HERE.parent)} and running "
        f"pip install {CHECKOV} (needs the network, once; a few minutes) ...",
        flush=True,
    )
    start = time.perf_counter()
    shutil.rmtree(PEERS_VENV, ignore_errors=True)
    pip = str(PEERS_VENV / "bin" / "pip")
    steps = [
        ("python -m venv", [sys.executable, "-m", "venv", str(PEERS_VENV)]),
        ("pip install", [pip, "install", "--quiet", "--disable-pip-version-check", CHECKOV]),
    ]
    for step, cmd in steps:
        try:
            r = subprocess.run(cmd, capture_output=True, text=True)
        except OSError as e:
            return None, f"{CHECKOV} not installed: {step}: {e}"
        if r.returncode != 0:
            lines = [ln for ln in r.stderr.splitlines() if ln.strip() and "WARNING" not in ln]
            why = lines[-1].strip() if lines else f"exit code {r.returncode}"
            print(r.stderr, file=sys.stderr, flush=True)
            return None, f"{CHECKOV} not installed ({step} failed): {why}"
    if not exe.exists():
        return None, f"{CHECKOV} not installed: no {exe} after pip install"
    stamp.write_text(CHECKOV + "\n")
    print(f"peers: {CHECKOV} installed in {time.perf_counter() - start:.0f} s", flush=True)
    return str(exe), f"{CHECKOV} in {PEERS_VENV.relative_to(HERE.parent)}"


def median_wall(
    cmd: list[str], cwd: Path, runs: int, edit: Path | None = None
) -> tuple[float, list[float]]:
    """Median wall time of ``runs`` runs; with ``edit``, that file gets one more comment line
    before each run (a pre-commit run checks a file just changed), and is restored after."""
    walls = []
    original = edit.read_bytes() if edit is not None else b""
    try:
        for i in range(runs):
            if edit is not None:
                mark = "//" if edit.suffix in (".js", ".ts") else "#"
                edit.write_bytes(original + f"{mark} edit {i}\n".encode())
            r = run(cmd, cwd=cwd)
            if r.code not in (0, 1):
                raise SystemExit(f"one-file run failed ({r.code}): {r.stderr}")
            walls.append(r.wall)
    finally:
        if edit is not None:
            edit.write_bytes(original)
    return statistics.median(walls), walls


def rename_saved_walls(repo: Path, runs: int) -> list[float]:
    """One-file runs on Dockerfiles saved as many editors save them: a new file renamed over
    the old one, which changes the directory's mtime (not its entries). Each run saves a file
    in a directory no earlier run changed, checked once before (its service's parse cache warm,
    as a developer's earlier commits leave it); restored in place after."""
    walls = []
    for i in range(runs):
        rel = f"services/svc-{100 + i:04d}/Dockerfile"
        path = repo / rel
        if not path.is_file():
            break
        original = path.read_bytes()
        cmd = [*prodready(), "check", rel]
        try:
            run(cmd, cwd=repo)
            saving = path.with_name(".Dockerfile.saving")
            saving.write_bytes(original + b"# saved\n")
            os.replace(saving, path)
            r = run(cmd, cwd=repo)
            if r.code not in (0, 1):
                raise SystemExit(f"one-file run failed ({r.code}): {r.stderr}")
            walls.append(r.wall)
        finally:
            path.write_bytes(original)
    return walls


_BACKTICKED = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)`")


def verify_template_extras(repo: Path, sarif: Path, planted: Path) -> tuple[int, list[str]]:
    """The env-template-incomplete results score.py calls false alarms (templates make_repo.py
    planted nothing in), checked without prodready: every variable the message names must be
    absent from the template and read by a code file of the template's directory. Returns the
    number checked and the results that failed the check."""
    want = {
        p["file"]
        for p in json.loads(planted.read_text())
        if p["check"] == "env-var-missing-from-template"
    }
    checked, bad = 0, []
    for res in json.loads(sarif.read_text())["runs"][0]["results"]:
        if res["ruleId"] != "env-template-incomplete":
            continue
        path = res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        if path in want:
            continue
        checked += 1
        template = (repo / path).read_text()
        declared = {ln.split("=", 1)[0].strip() for ln in template.splitlines() if "=" in ln}
        names = _BACKTICKED.findall(res["message"]["text"].split("reads:", 1)[-1])
        code = " ".join(
            f.read_text(errors="replace")
            for f in (repo / path).parent.rglob("*")
            if f.suffix in (".py", ".js", ".ts", ".go") and f.is_file()
        )
        if not names or any(n in declared or n not in code for n in names):
            bad.append(f"{path}: {names}")
    return checked, bad


class Table:
    """The bench results, printed as a table of metric, value, target and verdict."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, metric: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        self.rows.append((metric, value, target, verdict))
        print(f"  {metric}: {value}", flush=True)

    def print(self) -> None:
        head = ("metric", "value", "target", "")
        widths = [max(len(r[i]) for r in [head, *self.rows]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        print()
        print("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip())
        print(line)
        for r in self.rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def growth_rows(t: Table) -> None:
    """One artifact grown 4x (bench/growth.py): a cold --jobs 1 scan must take at most 5x as
    long (4x is proportional; a cost growing with the square of the size gives ~16x)."""
    import growth

    for name, make in growth.GENERATORS.items():
        walls = []
        for n in (growth.SMALL, 4 * growth.SMALL):
            root = OUT / "growth" / f"{make.__name__}-{n}"
            growth.write_tree(root, make(n))
            r = run(
                [*prodready(), "check", ".", "--no-cache", "--jobs", "1", "-o", os.devnull], root
            )
            if r.code not in (0, 1):
                t.add(f"growth: {name}", f"failed (exit {r.code}): {r.stderr.strip()[-200:]}")
                break
            walls.append(r.wall)
        else:
            ratio = walls[1] / walls[0]
            t.add(
                f"growth: {name}, {growth.SMALL:,} -> {4 * growth.SMALL:,}",
                f"{walls[0]:.2f} -> {walls[1]:.2f} s = {ratio:.1f}x",
                "<= 5x",
                ratio <= 5,
            )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default="../shared", help="the shared folder (bench scripts)")
    ap.add_argument("--runs", type=int, default=7, help="one-file runs (median)")
    ap.add_argument("--scale", action="store_true", help="also time a 4x repo (800 services)")
    ap.add_argument(
        "--peers", action="store_true", help="also time checkov 3.3.30 (installed on first use)"
    )
    ap.add_argument("--checkov", default=None, help="with --peers: this checkov executable instead")
    ap.add_argument(
        "--peer-runs", type=int, default=2, help="checkov runs (each between two prodready runs)"
    )
    ap.add_argument(
        "--no-growth", action="store_true", help="skip the growth checks (bench/growth.py)"
    )
    ap.add_argument(
        "--jobs",
        default=None,
        help="--jobs for the main full scan (default: prodready's, the CPUs)",
    )
    args = ap.parse_args(argv)
    shared = Path(args.shared).resolve()
    OUT.mkdir(parents=True, exist_ok=True)
    # what pre-commit runs: a regular install, byte-compiled (an editable one imports its path
    # finder at every start, and with PYTHONDONTWRITEBYTECODE would compile on every run)
    installed = install_prodready()
    repo = OUT / "repo"
    ensure_repo(shared, repo, 200)
    # the one-file runs of an earlier bench left prodready's cache in the repo (as pre-commit
    # runs do): floor.py would read it, and the first one-file run must build it again
    shutil.rmtree(repo / ".prodready_cache", ignore_errors=True)
    cache = OUT / "cache"
    jobs = ["--jobs", str(args.jobs)] if args.jobs else []
    t = Table()

    fl, files, size = floor(shared, repo)
    t.add("prodready timed", installed)
    t.add("bench repo", f"{files:,} files, {size / 1e6:.1f} MB")
    t.add("floor.py (read + 1 regex)", f"{fl:.2f} s")

    sarif = OUT / "prodready.sarif"
    cold = full_scan(repo, sarif, "--no-cache", *jobs)
    t.add(
        f"full scan, cold ({'--jobs ' + args.jobs if args.jobs else 'default jobs'})",
        f"{cold.wall:.2f} s = {cold.wall / fl:.2f}x floor (CPU {cold.cpu:.2f} s)",
        "<= 4x floor",
        cold.wall <= 4 * fl,
    )
    t.add("peak RSS, full scan", f"{cold.rss_mb:.0f} MB", "<= 300 MB", cold.rss_mb <= 300)
    table, summary = score(shared, sarif, repo / "PLANTED.json", HERE / "rulemap.json")
    t.add(
        "planted recall (score.py)", summary, "100 %, 0 false", summary.endswith("(100%), 0 false")
    )
    checked, bad = verify_template_extras(repo, sarif, repo / "PLANTED.json")
    if checked:
        t.add(
            "  env-template-incomplete 'false' alarms",
            f"{checked - len(bad)}/{checked} verified genuine (the template lacks a variable its "
            "service's code reads; make_repo.py did not plant them)"
            + (f"; not genuine: {', '.join(bad[:3])}" if bad else ""),
        )

    # the secret pass alone (issue: 19/19 planted, <= 2 s, >= 50x faster than detect-secrets)
    ssarif = OUT / "prodready-secrets.sarif"
    sec = full_scan(repo, ssarif, "--no-cache", "--select", "secret", "--jobs", "1")
    t.add(
        "secret pass (--select secret)",
        f"{sec.wall:.2f} s (CPU {sec.cpu:.2f} s); detect-secrets: 118.8 s on the reference machine",
        "<= 2 s",
        sec.wall <= 2.0,
    )
    _, ssum = score(shared, ssarif, repo / "PLANTED.json", HERE / "rulemap-secrets.json")
    t.add("secrets recall (score.py)", ssum, "19/19, 0 false", ssum.startswith("19/19 (100%), 0"))

    sarif1 = OUT / "prodready-jobs1.sarif"
    one = full_scan(repo, sarif1, "--no-cache", "--jobs", "1")
    same = filecmp.cmp(sarif, sarif1, shallow=False)
    t.add(
        "full scan, cold, --jobs 1",
        f"{one.wall:.2f} s (CPU {one.cpu:.2f} s); SARIF identical: {same}",
        "identical",
        same,
    )

    if cache.exists():
        shutil.rmtree(cache)
    fill = full_scan(repo, OUT / "prodready-fill.sarif", "--cache-dir", str(cache), *jobs)
    warm_sarif = OUT / "prodready-warm.sarif"
    warm = full_scan(repo, warm_sarif, "--cache-dir", str(cache), *jobs)
    same = filecmp.cmp(sarif, warm_sarif, shallow=False)
    t.add("full scan, filling the cache", f"{fill.wall:.2f} s")
    t.add(
        "warm re-scan (unchanged repo)",
        f"{warm.wall:.2f} s (CPU {warm.cpu:.2f} s); SARIF identical: {same}",
        "<= 0.5 s, identical",
        warm.wall <= 0.5 and same,
    )

    # the first run on a repo creates .prodready_cache/ (file list, rules); a developer's
    # pre-commit runs find it from their earlier commits. It is timed on its own; the cache it
    # writes is only trusted once the directories it saw are older than the mtime granularity
    # window (linter/replay.py RACY_NS), hence the pause before the timed runs.
    one_cmd = [*prodready(), "check", ONE_FILE]
    first, _ = median_wall(one_cmd, repo, 1, repo / ONE_FILE)
    time.sleep(2.5)
    med, walls = median_wall(one_cmd, repo, args.runs, repo / ONE_FILE)
    t.add("one file, first run on the repo (creates .prodready_cache/)", f"{first * 1000:.0f} ms")
    t.add(
        f"one file ({ONE_FILE}, edited before each run), median of {args.runs}",
        f"{med * 1000:.0f} ms (min {min(walls) * 1000:.0f}, max {max(walls) * 1000:.0f})",
        "<= 150 ms",
        med <= 0.150,
    )
    # the numbers were taken on a machine where floor.py took 1.65 s; this one's speed
    # varies (3.7-4.7 s seen): scaled by floor.py's time in this same run, for comparison only
    t.add(
        "  one file, scaled to floor.py = 1.65 s (the reference machine)",
        f"{med * 1000 * REFERENCE_FLOOR / fl:.0f} ms (floor.py here: {fl:.2f} s)",
    )
    saved = rename_saved_walls(repo, args.runs)
    if saved:
        t.add(
            f"  one file saved by rename (its directory's mtime changes), median of {len(saved)}",
            f"{statistics.median(saved) * 1000:.0f} ms (max {max(saved) * 1000:.0f})",
        )
    # the other kinds a pre-commit run names, shown without a target: they need more than a
    # Dockerfile does (a manifest its related manifests, a Python file bandit's import)
    for other in OTHER_FILES:
        if not (repo / other).is_file():
            continue
        omed, _ = median_wall([*prodready(), "check", other], repo, args.runs, repo / other)
        t.add(f"  one file ({other}), median of {args.runs}", f"{omed * 1000:.0f} ms")

    if not args.no_growth:
        growth_rows(t)

    if args.scale:
        big = OUT / "repo800"
        ensure_repo(shared, big, 800)
        bfl, bfiles, bsize = floor(shared, big)
        bcold = full_scan(big, OUT / "prodready-800.sarif", "--no-cache", *jobs)
        ratio = bcold.wall / cold.wall
        t.add("4x repo", f"{bfiles:,} files, {bsize / 1e6:.1f} MB; floor {bfl:.2f} s")
        t.add(
            "4x repo full scan, cold",
            f"{bcold.wall:.2f} s = {ratio:.2f}x the 1x scan; RSS {bcold.rss_mb:.0f} MB",
            "<= 4.4x",
            ratio <= 4.4,
        )

    if args.peers or args.checkov:
        checkov, label = peer_checkov(args.checkov)
        if checkov is None:
            t.add("checkov", label)
        else:
            cdir = OUT / "checkov"
            shutil.rmtree(cdir, ignore_errors=True)
            cdir.mkdir()
            ver = run([checkov, "--version"])
            version = ver.stdout.strip().splitlines()[-1] if ver.stdout.strip() else "?"
            t.add("checkov", f"{version} ({label})")
            ccmd = [
                checkov,
                "-d",
                ".",
                "--framework",
                "kubernetes",
                "dockerfile",
                "secrets",
                "github_actions",
                "-o",
                "sarif",
                "--output-file-path",
                str(cdir),
                "--quiet",
                "--compact",
                "--skip-download",
            ]
            # this machine's speed drifts by up to ±20 % over minutes: the ratio is taken from
            # runs next to each other, prodready's cold scan before and after each checkov run
            # (P C P C P for --peer-runs 2), as the median of each tool's runs
            pwalls: list[float] = []
            cwalls: list[float] = []
            cr = None
            for i in range(args.peer_runs):
                pwalls.append(full_scan(repo, OUT / "prodready-peer.sarif", "--no-cache").wall)
                print(f"peers: running checkov on the bench repo ({i + 1}) ...", flush=True)
                cr = run(ccmd, cwd=repo)
                cwalls.append(cr.wall)
            pwalls.append(full_scan(repo, OUT / "prodready-peer.sarif", "--no-cache").wall)
            assert cr is not None
            csarif = cdir / "results_sarif.sarif"
            # checkov exits 1 when a check failed; anything else, or no SARIF, is its own failure
            if cr.code not in (0, 1) or not csarif.exists():
                lines = [ln for ln in cr.stderr.splitlines() if ln.strip()]
                why = lines[-1].strip() if lines else f"exit code {cr.code}, no SARIF"
                t.add("checkov full scan", f"failed after {cr.wall:.2f} s: {why}")
            else:
                cmed, pmed = statistics.median(cwalls), statistics.median(pwalls)
                t.add(
                    "checkov full scan",
                    f"{cmed:.2f} s (median of {_secs(cwalls)}; CPU {cr.cpu:.2f} s) = "
                    f"{cmed / fl:.2f}x floor",
                )
                t.add(
                    "  prodready cold full scan, around the checkov runs",
                    f"{pmed:.2f} s (median of {_secs(pwalls)}): checkov takes "
                    f"{cmed / pmed:.1f}x as long",
                    ">= 10x faster",
                    cmed >= 10 * pmed,
                )
                ctable, csum = score(
                    shared, csarif, repo / "PLANTED.json", HERE / "rulemap-checkov.json"
                )
                print(ctable, flush=True)
                t.add("checkov planted recall (score.py)", csum, "reference: 48 %")

    print("\nscore.py (prodready, cold full scan):")
    print(table)
    t.print()
    (OUT / "bench.json").write_text(json.dumps(t.rows, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
