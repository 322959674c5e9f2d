"""The render cache: a renderer's output, reused while nothing it reads has changed.

``helm template`` and ``kustomize build`` take 0.1-3 s each, and a run on named files (pre-commit)
builds every kustomization of the repo, so a repo with dozens of them paid seconds on every run.
A renderer reads only what lies in or below its input directories: a chart's directory (its
subcharts are vendored in ``charts/``; ``helm template`` fails on a missing one) and each
kustomization's directory, the load restriction kustomize applies by default (a file outside
it is refused, and a base is another kustomization's directory), plus the files given by path
(``--values``). So an entry is keyed by the renderer's argv and working directory, the binary's
size and mtime, the environment variables it reads, and the path, size and mtime of every file
in or below the input directories and of each input file. Such a directory holding a symlink
(whose target may change unseen), or more than :data:`MAX_FILES` files, is never cached; nor is
a result whose inputs changed within the mtime granularity window
(:data:`linter.replay.RACY_NS`), since they may change again unseen within their tick.

Entries are JSON files next to the scan cache (``.prodready_cache/render-<key>.json``); one that
cannot be read is ignored (and written again).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable, Iterable, Sequence

from linter import __version__
from linter.model import Notification, NotificationLevel
from linter.replay import CORRUPT, RACY_NS, install_stamp, write_cache_file

FORMAT = 1
#: an input directory with more files than this is not cached (stamping it would cost too much)
MAX_FILES = 20_000
#: render entries kept in the cache directory (the newest)
KEEP = 512
#: prefixes of the environment variables the renderers read
ENV_PREFIXES = ("HELM_", "KUSTOMIZE_", "KUBECTL_")

Runner = Callable[[], tuple[str, str]]


def _tree(
    root: str, out: list[tuple[str, int, int]], budget: list[int], skip: frozenset[str]
) -> bool:
    """Append ``(path, size, mtime)`` of every file in or below ``root`` but those below
    ``skip`` (the cache directory itself) and ``.git``; False when the tree holds a symlink or
    more than the budget of files (not cacheable)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d != ".git" and os.path.join(dirpath, d) not in skip]
        for name in dirnames:
            if os.path.islink(os.path.join(dirpath, name)):
                return False
        for name in filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                return False
            budget[0] -= 1
            if stat.S_ISLNK(st.st_mode) or budget[0] < 0:
                return False
            out.append((path, st.st_size, st.st_mtime_ns))
    return True


def key(
    argv: Sequence[str],
    cwd: str,
    roots: Iterable[str],
    files: Iterable[str],
    skip: frozenset[str] = frozenset(),
) -> tuple[str, int] | None:
    """The entry name of a render and the newest mtime of its inputs (the files in and below
    ``roots`` but ``skip``, and ``files``), or None when it cannot be cached."""
    stamps: list[tuple[str, int, int]] = []
    budget = [MAX_FILES]
    for root in sorted(set(roots)):
        if os.path.islink(root) or not os.path.isdir(root):
            return None
        if not _tree(root, stamps, budget, skip):
            return None
    for path in sorted(set(files)):
        try:
            st = os.stat(path)
        except OSError:
            stamps.append((path, -1, -1))
            continue
        stamps.append((path, st.st_size, st.st_mtime_ns))
    try:
        binary = os.stat(argv[0])
    except OSError:
        return None
    payload = [
        FORMAT,
        __version__,
        install_stamp(),
        list(argv),
        cwd,
        [binary.st_size, binary.st_mtime_ns],
        sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)),
        sorted(stamps),
    ]
    digest = hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]
    newest = max((s[2] for s in stamps), default=0)
    return f"render-{digest}.json", newest


def cached(
    cache_dir: str | None,
    argv: Sequence[str],
    cwd: str,
    inputs: tuple[Iterable[str], Iterable[str]],
    run: Runner,
    notes: list[Notification],
) -> tuple[str, str]:
    """``run()`` (a renderer's (stdout, error)), or what it gave the last time its ``inputs``
    (directories, files) were the same; a cache entry that cannot be read is noted in ``notes``
    and written again."""
    if cache_dir is None:
        return run()
    found = key(argv, cwd, *inputs, frozenset({os.path.abspath(cache_dir)}))
    if found is None:
        return run()
    name, newest = found
    path = os.path.join(cache_dir, name)
    try:
        with open(path, encoding="utf-8") as fh:
            raw = json.load(fh)
        if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, str) for x in raw)):
            raise ValueError("not a render entry")
        return raw[0], raw[1]
    except (FileNotFoundError, NotADirectoryError):
        pass
    except (OSError, ValueError, RecursionError) as exc:
        notes.append(
            Notification(
                f"render cache entry ignored ({type(exc).__name__}: {str(exc)[:120]}); "
                "it will be rebuilt",
                level=NotificationLevel.NOTE,
                code=CORRUPT,
            )
        )
    out, error = run()
    # a timeout depends on the machine's load, not on the inputs
    if newest <= time.time_ns() - RACY_NS and not error.startswith("timed out"):
        write_cache_file(path, [out, error], keep=KEEP)
    return out, error
