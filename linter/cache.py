"""The scan cache under ``.prodready_cache/``: a warm re-scan does not read, parse or check again.

Two levels, both in one JSON file per scan root (``scan-<key>.json``, written atomically):

* **per file** — the findings of the *file-scope* policies on one file, the notifications its read
  and parse gave, its inline suppression directives and the lines findings point at. The entry is
  reused while the file's size and mtime are unchanged (and, when the mtime is too recent to be
  trusted, while its SHA-256 is unchanged). Cross-artifact (*repo-scope*) policies depend on many
  files: their findings are never stored per file.
* **whole tree** — when no discovered file changed at all (same paths, sizes and mtimes), the final
  result (after suppressions) is reused as a whole, repo-scope findings included.

Everything that can change a result is in the key: prodready's version, the code of the engine and
of every policy module (paths, sizes, mtimes), the configuration, the enabled rules and the scan
options. A cache that cannot be read or does not validate is ignored with a note, never a crash.
Secret values never reach the disk: findings are stored with an empty ``redact`` (their messages
and snippets are already redacted), and a file whose own findings carry secrets is not cached.
JSON, not pickle: a cache file planted in a repository must not be able to run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, field, is_dataclass
from typing import Any

from linter import __version__
from linter.fastdc import dataclass
from linter.model import (
    Confidence,
    Finding,
    Location,
    Notification,
    NotificationLevel,
    Severity,
    Suppression,
    note_from_json,
    note_to_json,
)
from linter.replay import CACHE_DIR as CACHE_DIR
from linter.replay import CORRUPT as CORRUPT
from linter.replay import RACY_NS as RACY_NS
from linter.replay import code_paths, write_cache_file
from linter.replay import tree_signature as tree_signature
from linter.suppress import Directive

FORMAT = 1


class CacheFormatError(ValueError):
    """The cache file does not have the expected shape."""


# -- (de)serialisation -------------------------------------------------------------------------
def _loc(loc: Location) -> list[Any]:
    return [
        loc.path,
        loc.start_line,
        loc.start_col,
        loc.end_line,
        loc.end_col,
        loc.logical_path,
    ]


def _unloc(raw: Any) -> Location:
    path, sl, sc, el, ec, logical = raw
    return Location(str(path), int(sl), int(sc), int(el), int(ec), str(logical))


def finding_to_json(f: Finding) -> dict[str, Any]:
    out: dict[str, Any] = {
        "r": f.rule_id,
        "m": f.message,
        "s": int(f.severity),
        "c": int(f.confidence),
        "l": _loc(f.location),
    }
    if f.related:
        out["rel"] = [_loc(r) for r in f.related]
    if f.properties:
        out["p"] = dict(f.properties)
    if f.suppression is not None:
        sup = f.suppression
        out["sup"] = [
            sup.kind,
            sup.justification,
            _loc(sup.location) if sup.location is not None else None,
        ]
    return out


def finding_from_json(raw: Mapping[str, Any]) -> Finding:
    sup = raw.get("sup")
    return Finding(
        rule_id=str(raw["r"]),
        message=str(raw["m"]),
        severity=Severity(int(raw["s"])),
        confidence=Confidence(int(raw["c"])),
        location=_unloc(raw["l"]),
        related=tuple(_unloc(r) for r in raw.get("rel", ())),
        properties=dict(raw.get("p", {})),
        suppression=None
        if sup is None
        else Suppression(str(sup[0]), str(sup[1]), None if sup[2] is None else _unloc(sup[2])),
    )


def directive_to_json(d: Directive) -> list[Any]:
    return [
        _loc(d.location),
        list(d.rule_ids),
        d.reason,
        d.applies_from,
        d.applies_to,
        d.annotation,
    ]


def directive_from_json(raw: Sequence[Any]) -> Directive:
    loc, ids, reason, lo, hi, annotation = raw
    return Directive(
        _unloc(loc), tuple(str(i) for i in ids), str(reason), int(lo), int(hi), bool(annotation)
    )


def _jsonable(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return repr(value)


def _round_trips(findings: Iterable[Finding]) -> bool:
    """Properties must survive JSON unchanged (no tuples, no objects) to be cached."""
    for f in findings:
        if f.properties and json.loads(json.dumps(f.properties)) != f.properties:
            return False
    return True


# -- keys ---------------------------------------------------------------------------------------
def code_fingerprint(modules: Iterable[str]) -> list[list[Any]]:
    """(path, size, mtime) of every .py file of these packages/modules: edited code, new key."""
    out: list[list[Any]] = []
    for path in code_paths(modules):
        if path.endswith(".py"):
            st = os.stat(path)
            out.append([path, st.st_size, st.st_mtime_ns])
    return out


def scan_key(
    *,
    config: Any,
    enabled: Iterable[str],
    policy_modules: Iterable[str],
    root: str,
    base: str,
    extra: Mapping[str, Any],
) -> str:
    """Everything that can change a result, hashed."""
    top = {m.split(".")[0] for m in policy_modules} | {"linter"}
    payload = {
        "format": FORMAT,
        "version": __version__,
        "python": sys.version_info[:2],
        "code": code_fingerprint(sorted(top | set(policy_modules))),
        "config": _jsonable(config),
        "enabled": sorted(enabled),
        "root": root,
        "base": base,
        "extra": _jsonable(extra),
    }
    blob = json.dumps(payload, sort_keys=True, default=repr).encode()
    return hashlib.sha256(blob).hexdigest()[:24]


def file_hash(abspath: str) -> str | None:
    try:
        with open(abspath, "rb") as fh:
            return hashlib.sha256(fh.read()).hexdigest()
    except OSError:
        return None


# -- the store ---------------------------------------------------------------------------------
@dataclass
class FileEntry:
    """What the file-scope phase produced for one file."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    findings: list[Finding] = field(default_factory=list)
    notes: list[Notification] = field(default_factory=list)
    #: inline directives when the file was read (None: it was not read)
    directives: list[Directive] | None = None
    #: line number -> text, for the lines findings and directives point at
    lines: dict[int, str] = field(default_factory=dict)
    #: False when a policy consulted other files (the RepoIndex): never reused per file
    cacheable: bool = True

    def to_json(self) -> dict[str, Any]:
        return {
            "size": self.size,
            "mtime": self.mtime_ns,
            "sha": self.sha256,
            "f": [finding_to_json(f) for f in self.findings],
            "n": [note_to_json(n) for n in self.notes],
            "d": None
            if self.directives is None
            else [directive_to_json(d) for d in self.directives],
            "lines": {str(k): v for k, v in self.lines.items()},
        }

    @classmethod
    def from_json(cls, path: str, raw: Mapping[str, Any]) -> FileEntry:
        d = raw["d"]
        return cls(
            path,
            int(raw["size"]),
            int(raw["mtime"]),
            str(raw["sha"]),
            [finding_from_json(f) for f in raw["f"]],
            [note_from_json(n) for n in raw["n"]],
            None if d is None else [directive_from_json(x) for x in d],
            {int(k): str(v) for k, v in raw["lines"].items()},
        )


@dataclass
class TreeResult:
    """The final result of a scan of an unchanged tree."""

    findings: list[Finding]
    notes: list[Notification]
    snippets: dict[tuple[str, int], str]


class ScanCache:
    """One cache file for one scan key. ``notes`` collects the problems met (corrupt file…)."""

    def __init__(self, directory: str, key: str) -> None:
        self.directory = directory
        self.key = key
        self.path = os.path.join(directory, f"scan-{key}.json")
        self.notes: list[Notification] = []
        self.files: dict[str, FileEntry] = {}
        self._raw_files: dict[str, Any] = {}
        self.tree: dict[str, Any] | None = None
        self.hits = 0
        self.misses = 0
        self._dirty = False
        self._load()

    def _load(self) -> None:
        try:
            with open(self.path, encoding="utf-8") as fh:
                raw = json.load(fh)
            if (
                not isinstance(raw, dict)
                or raw.get("format") != FORMAT
                or raw.get("key") != self.key
            ):
                raise CacheFormatError("unexpected format or key")
            files = raw.get("files", {})
            tree = raw.get("tree")
            if not isinstance(files, dict) or not (tree is None or isinstance(tree, dict)):
                raise CacheFormatError("unexpected layout")
            self._raw_files = files
            self.tree = tree
        except (FileNotFoundError, NotADirectoryError):  # no cache yet, or no place for one
            return
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError) as exc:
            self._ignore(exc)

    def _ignore(self, exc: BaseException) -> None:
        self._raw_files = {}
        self.files = {}
        self.tree = None
        self.notes.append(
            Notification(
                f"scan cache ignored ({type(exc).__name__}: {str(exc)[:120]}); it will be rebuilt",
                level=NotificationLevel.NOTE,
                path=None,
                code=CORRUPT,
            )
        )

    # -- per file ---------------------------------------------------------------------------
    def lookup(self, path: str, abspath: str, size: int, mtime_ns: int) -> FileEntry | None:
        raw = self._raw_files.get(path)
        if raw is None:
            self.misses += 1
            return None
        try:
            entry = FileEntry.from_json(path, raw)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            self._ignore(exc)
            self.misses += 1
            return None
        if entry.size != size:
            self.misses += 1
            return None
        if entry.mtime_ns != mtime_ns or mtime_ns > time.time_ns() - RACY_NS:
            if not entry.sha256 or file_hash(abspath) != entry.sha256:
                self.misses += 1
                return None
            entry.mtime_ns = mtime_ns
            self.put(entry)
        self.hits += 1
        return entry

    def put(self, entry: FileEntry) -> None:
        racy = entry.mtime_ns > time.time_ns() - RACY_NS
        if (
            not entry.cacheable
            or not entry.mtime_ns
            or (racy and not entry.sha256)
            or any(f.redact for f in entry.findings)
            or not _round_trips(entry.findings)
        ):
            self._raw_files.pop(entry.path, None)
            return
        self._raw_files[entry.path] = entry.to_json()
        self._dirty = True

    def forget_others(self, keep: Iterable[str]) -> None:
        """Drop entries of files that are gone (a full scan knows every file)."""
        keep = set(keep)
        for path in [p for p in self._raw_files if p not in keep]:
            del self._raw_files[path]
            self._dirty = True

    # -- whole tree -------------------------------------------------------------------------
    def tree_lookup(self, signature: str) -> TreeResult | None:
        tree = self.tree
        if tree is None or tree.get("signature") != signature:
            return None
        try:
            return TreeResult(
                [finding_from_json(f) for f in tree["findings"]],
                [note_from_json(n) for n in tree["notes"]],
                {(str(p), int(ln)): str(t) for p, ln, t in tree["snippets"]},
            )
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            self._ignore(exc)
            return None

    def tree_put(
        self,
        signature: str,
        findings: Sequence[Finding],
        notes: Sequence[Notification],
        snippets: Mapping[tuple[str, int], str],
    ) -> None:
        # messages and snippets are already redacted; the literals themselves are not stored
        if not _round_trips(findings):
            return
        self.tree = {
            "signature": signature,
            "findings": [finding_to_json(f) for f in findings],
            "notes": [note_to_json(n) for n in notes if n.code != CORRUPT],
            "snippets": sorted([p, ln, t] for (p, ln), t in snippets.items()),
        }
        self._dirty = True

    def save(self) -> None:
        """Write atomically (temp file + rename); a read-only tree just means no cache."""
        if not self._dirty:
            return
        payload = {"format": FORMAT, "key": self.key, "files": self._raw_files, "tree": self.tree}
        if write_cache_file(self.path, payload, keep=8):
            self._dirty = False
