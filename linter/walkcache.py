"""The walk cache: the discovered files of a scan root, reused while no directory changed.

Walking a repo (listing every directory, sorting, matching every path against the excludes and
``.gitignore`` files) costs about a second per 60,000 files. A walk gives the same files as long
as no listed directory gained, lost or renamed an entry (each of those changes the directory's
mtime), no ``.gitignore`` it read changed, and the walk settings (root, display base, excludes,
``respect-gitignore``) are the same (they key the entry). So the cache stores, per key, every
directory listed with its mtime (taken before listing it) and a digest of what the walk saw in it
(each entry's name and type, a link's target: :func:`linter.discover.listing_digest`), the
stamps of the ``.gitignore`` files read, the files found (with the kind each one's name gives,
see :func:`linter.classify.classify_by_name`) and the notifications the walk gave. A later walk
stats those directories and files instead of listing and matching: every file is stat'ed again,
so sizes and mtimes are always fresh, and a file that is no longer a regular file makes it walk
again. A run on named files (pre-commit) only needs the list: it asks for ``restat=False`` and
gets no sizes and mtimes (-1 and 0, as a walk without stamps gives them: the index checks a
file's type and size when it reads it), so none are stored.

A directory whose mtime changed is listed again and its digest compared: an editor that saves a
file by writing a new one and renaming it over the old changes the directory's mtime but not its
entries, and must not cost a pre-commit run a walk of the whole repository. Up to
:data:`MAX_RELISTED` such directories are listed per run; beyond that (a checkout touched many)
the repository is walked again, which renews the entry.

A directory whose mtime falls within the mtime granularity window (:data:`linter.replay.RACY_NS`)
before the walk started may change again without its mtime changing: it is listed again and
compared on every later walk, whatever its mtime (the root of a fresh clone, where the first run
creates ``.prodready_cache/``, would otherwise make the second run walk again). An entry is not
written when a ``.gitignore`` changed within that window; one that cannot be read is ignored with
a note and rewritten. JSON, written atomically, next to the scan cache (``.prodready_cache/``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Iterable
from itertools import repeat
from typing import Any

from linter import __version__
from linter.classify import classify_by_name
from linter.discover import FoundFile, WalkRecord, listing_digest, walk
from linter.model import ArtifactKind, Notification, note_from_json, note_to_json
from linter.replay import (
    RACY_NS,
    cache_ignored,
    install_stamp,
    read_cache_file,
    write_cache_file,
)

FORMAT = 7
#: directories whose mtime changed but not their entries, listed again per run before walking
MAX_RELISTED = 64


def _key(root: str, base: str, excludes: Iterable[str], respect_gitignore: bool) -> str:
    payload = [
        FORMAT,
        __version__,
        install_stamp(),  # not guessable: a walk entry committed to a repo is never looked up
        os.path.abspath(root),
        os.path.abspath(base),
        list(excludes),
        respect_gitignore,
    ]
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]


def cached_walk(
    root: str,
    base: str,
    excludes: Iterable[str],
    notes: list[Notification],
    respect_gitignore: bool,
    cache_dir: str,
    *,
    restat: bool = True,
    name_kinds: dict[str, ArtifactKind | None] | None = None,
) -> list[FoundFile]:
    """What :func:`linter.discover.walk` gives, from the cache when it is still true. When
    the cache gives it, ``name_kinds`` (if given) gets every file's kind by name (as
    ``classify_by_name`` without chart roots gives it)."""
    excludes = list(excludes)
    path = os.path.join(cache_dir, f"walk-{_key(root, base, excludes, respect_gitignore)}.json")
    raw = _load(path, notes)
    if raw is not None:
        try:
            hit = _validate(raw, restat, name_kinds)
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            notes.append(_corrupt(exc))
            hit = None
        if hit is not None:
            notes.extend(hit[1])
            return hit[0]
    # a directory changed since here may change again unseen within its mtime's granularity:
    # its listing is recorded, to be compared instead
    record = WalkRecord(racy_after=time.time_ns() - RACY_NS)
    walk_notes: list[Notification] = []
    found = list(walk(root, base, excludes, walk_notes, respect_gitignore, record))
    notes.extend(walk_notes)
    _store(path, cache_dir, record, found, walk_notes)
    return found


def _corrupt(exc: BaseException) -> Notification:
    return cache_ignored("walk cache", exc)


def _load(path: str, notes: list[Notification]) -> Any:
    raw = read_cache_file(path, "walk cache", notes)
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        notes.append(_corrupt(ValueError("unexpected format")))
        return None
    return raw


def _validate(
    raw: dict[str, Any], restat: bool, name_kinds: dict[str, ArtifactKind | None] | None
) -> tuple[list[FoundFile], list[Notification]] | None:
    racy = set(raw["racy"])  # changed just before the walk: compared, whatever their mtime
    relisted = 0
    for d, mtime, digest in raw["dirs"]:
        d = str(d)
        if d not in racy:
            try:
                if os.stat(d).st_mtime_ns == int(mtime):
                    continue
            except OSError:
                if int(mtime) != -1:
                    return None
                continue
            relisted += 1
            if relisted > MAX_RELISTED:
                return None
        if not digest or _digest(d) != digest:
            return None
    for gi, size, mtime in raw["ignores"]:
        try:
            st = os.stat(str(gi))
            now = (st.st_size, st.st_mtime_ns)
        except OSError:
            now = (-1, -1)
        if now != (int(size), int(mtime)):
            return None
    files = raw["files"]
    paths, prefixes, prefix_of = files["paths"], files["prefixes"], files["prefix"]
    if not set(map(type, paths)) | set(map(type, prefixes)) <= {str}:
        raise ValueError("a path is not a string")
    if prefix_of is None:  # every file under the one prefix
        if len(prefixes) != (1 if paths else 0):
            raise ValueError("not one prefix")
        head = prefixes[0] if paths else ""
        abspaths = [head + shown for shown in paths]
    elif len(prefix_of) == len(paths):
        abspaths = [prefixes[pre] + shown for shown, pre in zip(paths, prefix_of, strict=True)]
    else:
        raise ValueError("file columns of different lengths")
    for i, abspath in files["others"].items():
        abspaths[int(i)] = str(abspath)
    by_value: dict[str | None, ArtifactKind | None] = {k.value: k for k in ArtifactKind}
    by_value[None] = None
    kinds = [by_value[k] for k in files["kinds"]]
    if len(kinds) != len(paths):
        raise ValueError("file columns of different lengths")
    if restat:
        found = []
        for shown, abspath in zip(paths, abspaths, strict=True):
            try:
                st = os.stat(abspath)
            except OSError:
                return None
            if not stat.S_ISREG(st.st_mode):
                return None
            found.append(FoundFile(shown, abspath, st.st_size, st.st_mtime_ns))
    else:  # no stamps: the index checks a file's type and size when it reads it
        found = list(map(FoundFile._make, zip(paths, abspaths, repeat(-1), repeat(0))))
    if name_kinds is not None:
        name_kinds.update(zip(paths, kinds, strict=True))
    return found, [note_from_json(n) for n in raw["notes"]]


def _digest(directory: str) -> str | None:
    """The digest of a directory's entries now, or None when it cannot be listed."""
    try:
        with os.scandir(directory) as entries:
            return listing_digest(entries)
    except OSError:
        return None


def _kind_value(kind: ArtifactKind | None) -> str | None:
    return None if kind is None else kind.value


def _columns(found: list[FoundFile]) -> dict[str, Any]:
    """The files as columns (a third of the JSON a list of records takes, and faster to load).
    A file's absolute path is a prefix from ``prefixes`` (nearly always the one root: then
    ``prefix`` is None, not a column of zeros) and its display path, or, when it does not end
    with its display path, is given whole in ``others``. No sizes and mtimes: a walk that
    needs them stats every file again."""
    prefixes: dict[str, int] = {}
    prefix_of = []
    others: dict[str, str] = {}
    for i, f in enumerate(found):
        head = f.abspath[: len(f.abspath) - len(f.path)] if f.abspath.endswith(f.path) else None
        if head is None or (head and not head.endswith(os.sep)):
            others[str(i)] = f.abspath  # a display path that is not the absolute path's tail
            head = ""
        prefix_of.append(prefixes.setdefault(head, len(prefixes)))
    return {
        "others": others,
        "paths": [f.path for f in found],
        "prefixes": list(prefixes),
        "prefix": prefix_of if len(prefixes) > 1 else None,
        "kinds": [_kind_value(classify_by_name(f.path)) for f in found],
    }


def _store(
    path: str,
    cache_dir: str,
    record: WalkRecord,
    found: list[FoundFile],
    walk_notes: list[Notification],
) -> None:
    assert record.racy_after is not None
    if any(m > record.racy_after for _, _, m in record.ignores):
        return  # a .gitignore changed just now may change again unseen within its mtime's tick
    entry = {
        "format": FORMAT,
        "dirs": [[d, m, digest] for d, m, digest in record.dirs],
        "racy": record.racy,
        "ignores": [[g, s, m] for g, s, m in record.ignores],
        "files": _columns(found),
        "notes": [note_to_json(n) for n in walk_notes],
    }
    write_cache_file(path, entry, keep=8)
