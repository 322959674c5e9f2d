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
