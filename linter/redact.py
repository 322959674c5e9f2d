"""Secrets never leave the process: every output goes through :func:`redact`."""

from __future__ import annotations

import re
from collections.abc import Iterable


def mask(value: str) -> str:
    """A short prefix and the length: ``sk_live_…(32 chars)``."""
    keep = min(8, len(value) // 4)
    return f"{value[:keep]}…({len(value)} chars)"


def redact(text: str, secrets: Iterable[str]) -> str:
    """Mask every secret; a short one only where it stands as a whole token, so that a weak
    password ``guest`` does not mangle the word ``guestbook``."""
    for value in sorted(set(secrets), key=len, reverse=True):
        if len(value) < 4 or value not in text:
            continue
        if len(value) >= 12:  # long values are never an accidental part of ordinary words
            text = text.replace(value, mask(value))
            continue
        pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])")
        text = pattern.sub(mask(value).replace("\\", "\\\\"), text)
    return text


class Redactor:
    """:func:`redact` against one set of secrets for many texts (the snippets of a file): each
    text's candidates are found by their first four characters and their length, a few dict
    lookups per position, so the cost grows with the texts, not with texts x secrets (a file of
    4,000 hardcoded passwords took seconds). Secrets shorter than four characters are never
    masked anyway."""

    def __init__(self, secrets: Iterable[str]) -> None:
        #: first four characters -> length -> the secrets
        self._by_head: dict[str, dict[int, set[str]]] = {}
        for value in set(secrets):
            if len(value) >= 4:
                self._by_head.setdefault(value[:4], {}).setdefault(len(value), set()).add(value)

    def __call__(self, text: str) -> str:
        heads = self._by_head
        if not heads:
            return text
        found: set[str] = set()
        for i in range(len(text) - 3):
            lengths = heads.get(text[i : i + 4])
            if lengths is not None:
                for n, values in lengths.items():
                    if text[i : i + n] in values:
                        found.add(text[i : i + n])
        return redact(text, found) if found else text
