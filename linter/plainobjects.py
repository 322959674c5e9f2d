"""The (kind, name) of every object the plain manifests hold, for the rendered-output filter.

A kustomization's output repeats objects the plain manifests already hold (an overlay of a base
in the scan); :mod:`linter.render` drops those, so it needs the kind and name of every object of
every plain manifest. A full scan parses them all anyway. A run on named files (pre-commit) would
parse the whole repo's manifests for that alone, so the pairs are kept in the cache directory
(``plain-<key>.json``: per file digest, the pairs its parse gave, an empty list for a file that
failed to parse), written by any run that parsed files, and a run on named files parses only the
manifests whose bytes it has no pairs for. The entry holds the digests of the last run's
manifests only; one that cannot be read is noted and rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from linter import __version__
from linter.model import ArtifactKind
from linter.replay import cache_ignored, install_stamp, read_cache_file, write_cache_file

if TYPE_CHECKING:
    from linter.index import RepoIndex

FORMAT = 1
Pair = tuple[str, str]


def _entry_path(cache_dir: str) -> str:
    payload = [FORMAT, __version__, install_stamp()]
    key = hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:24]
    return os.path.join(cache_dir, f"plain-{key}.json")


def _load(index: RepoIndex, path: str) -> dict[str, list[Pair]]:
    raw = read_cache_file(path, _WHAT, index.notifications)
    if raw is None:
        return {}
    try:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT:
            raise ValueError("not a plain-objects entry")
        out: dict[str, list[Pair]] = {}
        for digest, pairs in raw["files"].items():
            out[digest] = [(str(k), str(n)) for k, n in pairs]
        return out
    except (ValueError, TypeError, KeyError) as exc:
        index.notifications.append(cache_ignored(_WHAT, exc))
        return {}


_WHAT = "plain-objects cache"


def _parsed_pairs(index: RepoIndex, src: Any) -> list[Pair]:
    manifest = index.parsed(src)
    return [(o.kind, o.name) for o in manifest.objects] if manifest is not None else []


def plain_objects(index: RepoIndex) -> set[Pair]:
    """(kind, name) of the objects of every plain (not rendered) manifest that parses."""
    return index.memo(("plain-objects",), lambda: _build(index))


def _build(index: RepoIndex) -> set[Pair]:
    cache_dir = index.walk_cache_dir
    path = _entry_path(cache_dir) if cache_dir is not None else None
    known = _load(index, path) if path is not None and index.named_files else {}
    files: dict[str, list[Pair]] = {}
    out: set[Pair] = set()
    for src in index.sources_of({ArtifactKind.K8S}):
        digest = index.digests.get(src.path)
        pairs = known.get(digest) if digest is not None else None
        if pairs is None:
            pairs = _parsed_pairs(index, src)
        if digest is not None:
            files[digest] = pairs
        out.update(pairs)
    if path is not None and files != known:
        payload = {"format": FORMAT, "files": {d: [list(p) for p in v] for d, v in files.items()}}
        write_cache_file(path, payload)
    return out
