"""Text from the repo, made safe to print on a terminal.

File names, source lines, messages quoting values and suppression justifications all come from the
scanned repo, which may be an untrusted pull request. A control character in them would break the
one-finding-per-line layout (a newline in a file name) or act on the reader's terminal (an escape
sequence recolours, moves the cursor or sets the window title). The human-readable reporters show
each control character as a visible escape instead, as ``git`` quotes such paths: ``\\n``,
``\\x1b``. Tabs are left alone (the snippet expands them). JSON and SARIF escape them already.
"""

from __future__ import annotations

import re

from linter.lazyre import lazy

#: C0 controls but tab, DEL and the C1 controls (CSI, OSC, ... in 8-bit terminals)
_CONTROL = lazy(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\x00": "\\0"}


def _escape(m: re.Match[str]) -> str:
    ch = m.group()
    return _NAMED.get(ch) or f"\\x{ord(ch):02x}"


def printable(text: str) -> str:
    """``text`` with its control characters shown as escapes (unchanged when it has none)."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_escape, text)


def _html_escaped(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def markdown_text(text: str) -> str:
    """``text`` for one line of Markdown (a table cell, a list item): control characters shown,
    line breaks as spaces, ``|`` escaped, and ``&``, ``<``, ``>`` escaped outside code spans, so
    that a value quoted from the repo (a container named ``<img src=x onerror=...>``) is shown,
    not rendered, in a PR comment or a job summary. Inside a code span GFM shows characters as
    they are (an entity would show as ``&gt;``), so a message's code stays as written; when the
    text's backticks may not pair as single ones (an odd count, or a run of two), everything is
    escaped."""
    text = printable(text.replace("\r", " ").replace("\n", " "))
    parts = text.split("`")
    if len(parts) % 2 == 0 or "``" in text:
        return _html_escaped(text).replace("|", "\\|")
    return "`".join(p if i % 2 else _html_escaped(p) for i, p in enumerate(parts)).replace(
        "|", "\\|"
    )


#: the most characters of a source line a report shows (a minified bundle's line is megabytes)
SNIPPET_MAX = 500
#: how much of a long line is shown before the finding's first column
SNIPPET_BEFORE = 120


def clip(line: str | None, start_col: int) -> tuple[str | None, int]:
    """A snippet of at most :data:`SNIPPET_MAX` characters (plus a "…" at each end that was
    cut) around 1-based column ``start_col``, and how many columns the cut removed before it
    (a caret moves left by that much). Short lines are returned whole."""
    if line is None or len(line) <= SNIPPET_MAX:
        return line, 0
    lo = max(0, min(start_col - 1 - SNIPPET_BEFORE, len(line) - SNIPPET_MAX))
    hi = lo + SNIPPET_MAX
    text = ("…" if lo else "") + line[lo:hi] + ("…" if hi < len(line) else "")
    return text, lo - (1 if lo else 0)
