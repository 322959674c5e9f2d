"""Baselines: accept the findings a legacy repo has today, report only new ones.

A baseline is a JSON file of fingerprints (:mod:`linter.fingerprint`: rule + path + logical path
or normalised source line, never line numbers), so moving code does not resurrect a finding.

Applying a baseline marks matching findings as suppressed (``kind="external"``, so they stay in
SARIF as suppressed results and in ``--include-suppressed`` output, and do not count for the exit
code). A baseline entry that matches no finding any more is *stale*: it is reported as a
notification (code ``prodready-stale-baseline``), never as a finding, so cleaning up a legacy
problem never fails a build; regenerate the file with ``--write-baseline`` to drop stale entries.
An entry is only judged stale when its file was scanned and its rule was enabled.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from linter.config import ConfigError
from linter.engine import ScanResult
from linter.fastdc import dataclass
from linter.fingerprint import fingerprints
from linter.jsonout import dumps_pretty
from linter.model import Finding, Notification, NotificationLevel, Suppression

FORMAT_VERSION = 1
STALE = "prodready-stale-baseline"


@dataclass(frozen=True)
class Entry:
    """A finding recorded in a baseline file, matched again by its fingerprint."""

    fingerprint: str
    rule_id: str
    path: str
    line: int
    message: str

    def as_dict(self) -> dict[str, object]:
        return {
            "fingerprint": self.fingerprint,
            "rule_id": self.rule_id,
            "path": self.path,
            "line": self.line,
            "message": self.message,
        }


def entries_of(result: ScanResult) -> list[Entry]:
    """Baseline entries for the active (unsuppressed) findings of a scan."""
    fps = fingerprints(result.findings, result.snippets)
    return [
        Entry(fp, f.rule_id, f.location.path, f.location.start_line, f.message)
        for f, fp in zip(result.findings, fps, strict=True)
        if f.suppression is None
    ]


def dumps(entries: Iterable[Entry]) -> str:
    ordered = sorted(entries, key=lambda e: (e.path, e.line, e.rule_id, e.fingerprint))
    doc = {
        "tool": "prodready",
        "version": FORMAT_VERSION,
        "comment": "Accepted findings; regenerate with `prodready check --write-baseline FILE`.",
        "findings": [e.as_dict() for e in ordered],
    }
    return dumps_pretty(doc)


def write(path: str, result: ScanResult) -> int:
    """Write the baseline for ``result``; returns the number of entries."""
    entries = entries_of(result)
    try:
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(dumps(entries))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write baseline: {exc.strerror or exc}") from None
    return len(entries)


def loads(text: str, where: str) -> list[Entry]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: baseline is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("findings"), list):
        raise ConfigError(f"{where}: not a prodready baseline (no `findings` list)")
    if doc.get("version") != FORMAT_VERSION:
        raise ConfigError(
            f"{where}: baseline version {doc.get('version')!r} is not supported "
            f"(expected {FORMAT_VERSION})"
        )
    out: list[Entry] = []
    for i, item in enumerate(doc["findings"]):
        try:
            out.append(
                Entry(
                    str(item["fingerprint"]),
                    str(item["rule_id"]),
                    str(item["path"]),
                    int(item.get("line", 1)),
                    str(item.get("message", "")),
                )
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ConfigError(
                f"{where}: baseline entry {i} needs `fingerprint`, `rule_id` and `path`"
            ) from None
    return out


def read(path: str) -> list[Entry]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read baseline: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: baseline is not UTF-8 text") from None
    return loads(text, path)


def default_scope(result: ScanResult) -> Callable[[str], bool]:
    """Which display paths a scan covered: its explicit targets, else everything under its root."""
    index = result.index
    if index is not None and index._explicit is not None:
        return index.is_target
    root = os.path.abspath(result.root)

    def under_root(path: str) -> bool:
        full = os.path.abspath(os.path.join(result.base, path))
        return full == root or full.startswith(root.rstrip(os.sep) + os.sep)

    return under_root


def apply(
    result: ScanResult,
    entries: Sequence[Entry],
    where: str,
    in_scope: Callable[[str], bool] | None = None,
) -> ScanResult:
    """Suppress baselined findings; add a notification per stale entry.

    ``in_scope(path)`` says whether a file was scanned (default: :func:`default_scope`); an entry
    for a file outside the scan is not stale.
    """
    in_scope = in_scope or default_scope(result)
    by_fp = {e.fingerprint: e for e in entries}
    used: set[str] = set()
    fps = fingerprints(result.findings, result.snippets)
    findings: list[Finding] = []
    for f, fp in zip(result.findings, fps, strict=True):
        if f.suppression is None and fp in by_fp:
            used.add(fp)
            f = replace(f, suppression=Suppression("external", f"baseline {where}"))
        findings.append(f)
    enabled = {m.id for m in result.rules}
    notes = list(result.notifications)
    for e in entries:
        if e.fingerprint in used or e.rule_id not in enabled:
            continue
        if not in_scope(e.path):
            continue
        notes.append(
            Notification(
                f"stale baseline entry: {e.rule_id} (was line {e.line}: {e.message}) no longer "
                f"matches a finding; it can be removed (regenerate with --write-baseline {where})",
                level=NotificationLevel.NOTE,
                path=e.path,
                code=STALE,
            )
        )
    notes.sort(key=Notification.sort_key)
    return replace(result, findings=findings, notifications=notes)
