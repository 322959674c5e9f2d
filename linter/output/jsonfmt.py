"""Machine-readable JSON: findings and notifications, deterministic."""

from __future__ import annotations

from typing import Any

from linter import __version__
from linter.engine import ScanResult
from linter.fingerprint import fingerprints
from linter.jsonout import dumps_pretty
from linter.model import Finding, Location
from linter.output.printable import clip


def _loc(loc: Location) -> dict[str, Any]:
    return {
        "path": loc.path,
        "line": loc.start_line,
        "column": loc.start_col,
        "end_line": loc.end_line,
        "end_column": loc.end_col,
        "logical_path": loc.logical_path or None,
    }


def finding_dict(f: Finding, fp: str, result: ScanResult) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "severity": f.severity.label,
        "confidence": f.confidence.label,
        "message": f.message,
        "location": _loc(f.location),
        "snippet": clip(
            result.snippets.get((f.location.path, f.location.start_line)), f.location.start_col
        )[0],
        "related": [_loc(r) for r in f.related],
        "fingerprint": fp,
        "suppressed": None
        if f.suppression is None
        else {"kind": f.suppression.kind, "justification": f.suppression.justification},
        "properties": dict(f.properties),
    }


def render_json(result: ScanResult, include_suppressed: bool = True) -> str:
    fps = fingerprints(result.findings, result.snippets)
    doc = {
        "tool": "prodready",
        "version": __version__,
        "findings": [
            finding_dict(f, fp, result)
            for f, fp in zip(result.findings, fps, strict=True)
            if include_suppressed or f.suppression is None
        ],
        "notifications": [
            {
                "level": n.level.value,
                "code": n.code,
                "message": n.message,
                "path": n.path,
                "line": n.line,
                "column": n.column,
            }
            for n in result.notifications
        ],
        "summary": {
            "findings": len(result.active),
            "suppressed": len(result.findings) - len(result.active),
            "rules_enabled": len(result.rules),
        },
    }
    return dumps_pretty(doc)
