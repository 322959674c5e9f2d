"""Regenerate the golden outputs of the example repos: ``make golden`` (or run this file).

For each ``examples/<name>/`` it runs the real CLI from the repository root, exactly like
``make demo``, and writes ``tests/golden/<name>/check.txt``, ``check.sarif`` and
``checklist.md``. ``tests/test_examples_golden.py`` compares fresh output with these files.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GOLDEN = ROOT / "tests" / "golden"

#: golden file name → CLI arguments (after the example's path)
COMMANDS: dict[str, list[str]] = {
    "check.txt": ["check", "{path}", "--exit-zero", "--no-cache"],
    "check.sarif": ["check", "{path}", "--format", "sarif", "--exit-zero", "--no-cache"],
    "checklist.md": ["checklist", "{path}", "--format", "markdown", "--link-base", ""],
}
#: what an absolute base URI in SARIF ``originalUriBaseIds`` is replaced with
SRCROOT_PLACEHOLDER = "file:///SRCROOT/"


def examples() -> list[str]:
    return sorted(p.name for p in EXAMPLES.iterdir() if p.is_dir())


def normalise_sarif(text: str) -> str:
    """Drop what may differ between machines: an absolute ``%SRCROOT%`` base URI."""
    doc = json.loads(text)
    for run in doc.get("runs", []):
        bases = run.get("originalUriBaseIds") or {}
        for base in bases.values():
            if isinstance(base, dict) and str(base.get("uri", "")).startswith("file:"):
                base["uri"] = SRCROOT_PLACEHOLDER
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


NORMALISE: dict[str, Callable[[str], str]] = {"check.sarif": normalise_sarif}


def render(example: str, name: str) -> str:
    """Run the CLI for one golden file; returns its (normalised) output."""
    from linter.cli import main

    path = f"examples/{example}"
    args = [a.replace("{path}", path) for a in COMMANDS[name]]
    old = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        os.chdir(ROOT)
        try:
            code = main([*args, "-o", out])
        finally:
            os.chdir(old)
        if code != 0:
            raise RuntimeError(f"prodready {' '.join(args)} exited {code}")
        text = Path(out).read_text(encoding="utf-8")
    return NORMALISE.get(name, lambda t: t)(text)


def main() -> int:
    for example in examples():
        target = GOLDEN / example
        target.mkdir(parents=True, exist_ok=True)
        for name in COMMANDS:
            (target / name).write_text(render(example, name), encoding="utf-8")
            print(f"wrote {target.relative_to(ROOT) / name}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
