"""bandit's ``# nosec`` comments silence the py-* rules bandit decides, on their line (all of
bandit's tests, or those named), in the file that has one and no other."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import run_scan, triples


def _scan(tmp_path: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    return triples(run_scan(["."], tmp_path, select=["py-code-exec"]))


CALC = "def calc(expr, code):\n    exec(code){}\n    return eval(expr){}\n"


def test_without_nosec_every_call_is_reported(tmp_path: Path) -> None:
    found = _scan(tmp_path, {"a.py": CALC.format("", ""), "b.py": CALC.format("", "")})
    assert found == [
        "a.py:2:5 py-code-exec",
        "a.py:3:12 py-code-exec",
        "b.py:2:5 py-code-exec",
        "b.py:3:12 py-code-exec",
    ]


def test_a_nosec_comment_silences_its_line_only(tmp_path: Path) -> None:
    files = {
        "a.py": CALC.format("  # nosec", ""),  # every test on line 2
        "b.py": CALC.format("  # nosec B307", "  # nosec B307"),  # eval's test only: line 3
        "c.py": CALC.format("", ""),  # no comment: both lines
        "d.py": CALC.format("  # NOSEC", ""),  # not a nosec comment: bandit's is lower case
    }
    assert _scan(tmp_path, files) == [
        "a.py:3:12 py-code-exec",
        "b.py:2:5 py-code-exec",
        "c.py:2:5 py-code-exec",
        "c.py:3:12 py-code-exec",
        "d.py:2:5 py-code-exec",
        "d.py:3:12 py-code-exec",
    ]
