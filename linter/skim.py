"""Context parses of manifests holding big CustomResourceDefinitions, in runs on named files.

A run on named files (pre-commit) reads every other manifest of the repo as context: the object
graph and the service join need all objects. A repo that ships an operator's CRDs spends most of
that time parsing their ``spec`` (an OpenAPI schema: MBs in argo-cd or prometheus-operator),
which nothing reads in a context file: no join looks into a CRD. So when a manifest is parsed in
full (a scan target, or a context file seen for the first time), the lines of each top-level
CRD document's ``spec`` block are recorded in the cache directory (``skim-<key>.json``, keyed by
the file's SHA-256 and prodready's install). A later run on named files parses a context file
whose bytes have that digest with those lines blanked (the line count stays, so every position
is the same): the same objects, but the CRDs' ``spec``. Recording needs a parse without error,
so the blanked parse is of a text known to parse, and a file that does not has no entry.

Only plain YAML texts have entries: no JSON (another loader), no line break but ``\\n``
(libyaml and ``str.splitlines`` count lines alike), the ``spec`` key not first in its document
(the document's start line stays), and a ``spec`` block of at least :data:`MIN_LINES` lines.
A context JSON manifest that is one CRD needs no entry: it is read with ``json.loads`` alone,
without the YAML pass that finds positions (:func:`context_json`).
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import TYPE_CHECKING, Any

from linter import __version__
from linter.lazyre import lazy
from linter.model import ArtifactKind
from linter.replay import cache_ignored, install_stamp, read_cache_file, write_cache_file

if TYPE_CHECKING:
    from linter.index import RepoIndex
    from linter.parsers.k8s import K8sManifest
    from linter.source import SourceFile

FORMAT = 1
#: entries kept in the cache directory (the newest)
KEEP = 2048
#: the kinds whose ``spec`` no context use reads
SKIM_KINDS = frozenset({"CustomResourceDefinition"})
#: a shorter ``spec`` block is parsed: its entry would cost more than it saves
MIN_LINES = 50
#: line breaks other than ``\n`` (libyaml and ``str.splitlines`` may count them differently)
_OTHER_BREAKS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
_DOC_MARKER = lazy(r"(---|\.\.\.)(\s|$)")
_Span = tuple[int, int]


def _eligible(src: SourceFile) -> bool:
    return (
        src.kind == ArtifactKind.K8S
        and not src.path.lower().endswith(".json")
        and "CustomResourceDefinition" in src.text
        and not any(c in src.text for c in _OTHER_BREAKS)
    )


def _entry_path(cache_dir: str, digest: str) -> str:
    payload = [FORMAT, __version__, install_stamp(), digest]
    key = hashlib.sha256(json.dumps(payload).encode()).hexdigest()[:32]
    return os.path.join(cache_dir, f"skim-{key}.json")


def spans(manifest: K8sManifest) -> list[_Span]:
    """The 1-based, inclusive line ranges of the ``spec`` blocks of the manifest's top-level
    CRD documents (a ``kind: List``'s items are not top level), in order."""
    lines = manifest.source.text.split("\n")
    out: list[_Span] = []
    for obj in manifest.objects:
        data = obj.data
        lc = getattr(data, "lc", None)
        if obj.kind not in SKIM_KINDS or lc is None or lc.col != 0 or "spec" not in data:
            continue
        keys = list(data)
        at = keys.index("spec")
        if at == 0:
            continue
        start = lc.key("spec")[0] + 1
        if at + 1 < len(keys):
            end = lc.key(keys[at + 1])[0]  # the line before the next key (1-based)
        else:  # the document's last key: up to the next document marker or the end
            end = len(lines)
            for n in range(start, len(lines)):
                if _DOC_MARKER.match(lines[n]):
                    end = n
                    break
        if end - start + 1 >= MIN_LINES:
            out.append((start, end))
    return out


def record(index: RepoIndex, src: SourceFile, manifest: K8sManifest) -> None:
    """Record the ``spec`` blocks of a manifest parsed in full and without error (once)."""
    cache_dir = index.walk_cache_dir
    digest = index.digests.get(src.path)
    if cache_dir is None or digest is None or not _eligible(src):
        return
    path = _entry_path(cache_dir, digest)
    if os.path.exists(path):
        return
    found = spans(manifest)
    if found:
        write_cache_file(path, {"spans": [list(s) for s in found]}, keep=KEEP)


def context_text(index: RepoIndex, src: SourceFile) -> str | None:
    """The text to parse for a context file (not a target of a run on named files): its text
    with the recorded ``spec`` blocks blanked, or None when there is no entry for its bytes
    (parse it in full)."""
    cache_dir = index.walk_cache_dir
    digest = index.digests.get(src.path)
    if cache_dir is None or digest is None or not _eligible(src):
        return None
    raw = read_cache_file(_entry_path(cache_dir, digest), _WHAT, index.notifications, _THEN)
    if raw is None:
        return None
    lines = src.text.split("\n")
    try:
        found = _valid(raw, len(lines))
    except (TypeError, ValueError, KeyError) as exc:
        index.notifications.append(cache_ignored(_WHAT, exc, _THEN))
        return None
    for start, end in found:
        lines[start - 1 : end] = [""] * (end - start + 1)
    return "\n".join(lines)


def context_json(src: SourceFile) -> K8sManifest | None:
    """A context JSON manifest that is one CRD: its object from ``json.loads`` alone, without
    the YAML pass that finds positions (a context CRD's positions are never read; once
    ``json.loads`` succeeds, the full parse cannot fail). None for any other file."""
    if (
        src.kind != ArtifactKind.K8S
        or not src.path.lower().endswith(".json")
        or "CustomResourceDefinition" not in src.text
    ):
        return None
    try:
        data = json.loads(src.text)
    except (ValueError, RecursionError):
        return None  # the full parse words the error
    if not isinstance(data, dict) or data.get("kind") not in SKIM_KINDS:
        return None
    from linter.parsers.k8s import parse_k8s
    from linter.parsers.yaml import YamlDocument, YamlFile

    return parse_k8s(YamlFile(src, (YamlDocument(data, 0, 1, src.line_count),)))


def _valid(raw: Any, line_count: int) -> list[_Span]:
    """The spans of an entry, checked: sorted, disjoint, within the file."""
    if not isinstance(raw, dict) or not isinstance(raw["spans"], list):
        raise ValueError("not a skim entry")
    out: list[_Span] = []
    last = 0
    for item in raw["spans"]:
        start, end = item
        if not (type(start) is int and type(end) is int and last < start <= end <= line_count):
            raise ValueError(f"bad span {item!r}")
        out.append((start, end))
        last = end
    return out


_WHAT = "manifest cache entry"
_THEN = "the file is parsed in full"
