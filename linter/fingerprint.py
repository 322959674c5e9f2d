"""Stable fingerprints: rule + path + logical path (or the normalised line), not line numbers."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence

from linter.model import Finding

VERSION_KEY = "prodready/v1"


def _norm(text: str) -> str:
    r"""``re.sub(r"\s+", " ", text).strip()``, faster: ``str.split`` and ``\s`` agree on what
    whitespace is (``tests/test_sarif.py`` checks)."""
    return " ".join(text.split())


def fingerprints(findings: Sequence[Finding], snippets: Mapping[tuple[str, int], str]) -> list[str]:
    """One fingerprint per finding; identical keys in one file get an occurrence counter."""
    seen: Counter[str] = Counter()
    out = []
    for f in findings:
        loc = f.location
        anchor = loc.logical_path or _norm(snippets.get((loc.path, loc.start_line), ""))
        key = (
            f"{f.rule_id}\0{loc.path}\0{anchor}\0{_norm(f.message) if not loc.logical_path else ''}"
        )
        seen[key] += 1
        digest = hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest()[:32]
        out.append(digest)
    return out
