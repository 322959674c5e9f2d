"""Dockerfile fixer: a simple shell-form CMD/ENTRYPOINT becomes exec form (a one-line edit)."""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from linter.lazyre import lazy

_INSTR = lazy(r"^(?P<lead>\s*)(?P<cmd>CMD|ENTRYPOINT)(?P<sp>\s+)(?P<args>.*?)\s*$", re.I)
#: words that mean the same with or without a shell: no quotes, variables, globs, operators
_SIMPLE = lazy(r"^[A-Za-z0-9_./:=@%+,-]+(?: +[A-Za-z0-9_./:=@%+,-]+)*$")


def exec_form(line: str) -> str | None:
    """The exec-form rewrite of one shell-form CMD/ENTRYPOINT line, or None when it is not a
    simple command (anything a shell would interpret is left alone)."""
    m = _INSTR.match(line)
    if not m:
        return None
    args = m.group("args")
    if not _SIMPLE.match(args) or args.split()[0] == "exec":
        return None
    words = args.split()
    return f"{m.group('lead')}{m.group('cmd')}{m.group('sp')}{json.dumps(words)}"


def fix_shell_form(text: str, lines: Collection[int] | None) -> str:
    """Rewrite simple shell-form CMD/ENTRYPOINT lines (those in ``lines``; None: every one).

    A continued instruction (trailing backslash, or a continuation line) is never touched.
    """
    parts = text.splitlines(keepends=True)
    changed = False
    for i, raw in enumerate(parts):
        if lines is not None and i + 1 not in lines:
            continue
        body = raw.rstrip("\r\n")
        if body.rstrip().endswith("\\") or (i > 0 and parts[i - 1].rstrip().endswith("\\")):
            continue
        new = exec_form(body)
        if new is not None and new != body:
            parts[i] = new + raw[len(body) :]
            changed = True
    return "".join(parts) if changed else text
