"""Where a repo configures a coverage gate, and at what percentage.

Sources: CI commands (``pytest --cov-fail-under``, ``coverage report --fail-under``, ``nyc``/``c8
--check-coverage``, ``jest --coverageThreshold``, ``vitest --coverage.thresholds.*``) and config
files (coverage.py ``fail_under`` in pyproject.toml / .coveragerc / setup.cfg / tox.ini, pytest
``addopts``, jest ``coverageThreshold``, vitest ``thresholds``, nyc/c8 ``check-coverage``).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from linter.ci import all_commands
from linter.fastdc import dataclass
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import Location
from linter.source import SourceFile

NUM = r"(\d+(?:\.\d+)?)"
#: nyc and c8 check `lines >= 90` when --check-coverage is given without numbers
NYC_DEFAULT_LINES = 90.0


@dataclass(frozen=True)
class Threshold:
    """A coverage gate found in a CI command or a tool's config."""

    value: float | None  # None: a gate is configured but its percentage is not a literal
    loc: Location
    tool: str


_CMD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("pytest-cov", re.compile(r"--cov-fail-under[=\s]+" + NUM)),
    ("coverage.py", re.compile(r"(?<![\w-])--fail-under[=\s]+" + NUM)),
    (
        "vitest",
        re.compile(r"--coverage\.thresholds?\.(?:lines|statements|branches|functions)[=\s]+" + NUM),
    ),
)
_CHECK_COVERAGE = lazy(r"--check-coverage\b")
_LINES_FLAG = lazy(r"--lines[=\s]+" + NUM)
_JEST_FLAG = lazy(r"--coverageThreshold[=\s]+")
_METRIC = lazy(r"[\"']?\b(lines|statements|branches|functions)[\"']?\s*:\s*" + NUM)
_HUNDRED = lazy(r"[\"']?\b100[\"']?\s*:\s*true")
_SECTION = lazy(r"^\s*\[([^\]]+)\]")
_FAIL_UNDER = lazy(r"^\s*(fail_under)\s*[=:]\s*[\"']?" + NUM)
_JS_ANCHOR = lazy(r"\b(coverageThreshold|thresholds)\b\s*[\"']?\s*[:=]")
_CHECK_TRUE = lazy(r"[\"']?\b(check-coverage|checkCoverage)[\"']?\s*[:=]\s*true")

COVERAGE_SECTIONS = {
    "pyproject.toml": {"tool.coverage.report"},
    ".coveragerc": {"report"},
    "setup.cfg": {"coverage:report"},
    "tox.ini": {"coverage:report"},
}
TASK_FILES = frozenset(
    {"Makefile", "makefile", "GNUmakefile", "justfile", "Justfile", "noxfile.py", "package.json"}
)
PY_FILES = frozenset({"pyproject.toml", ".coveragerc", "setup.cfg", "tox.ini", "pytest.ini"})
JS_CONFIG = lazy(
    r"^(package\.json|jest\.config\.[cm]?[jt]s(on)?|vite(st)?\.config\.[cm]?[jt]s|"
    r"vitest\.workspace\.[cm]?[jt]s|\.nycrc(\.json|\.ya?ml)?|\.c8rc(\.json)?|nyc\.config\.[cm]?js)$"
)


def _loc(src: SourceFile, line: int, col0: int, length: int) -> Location:
    return Location(src.path, line, col0 + 1, line, col0 + 1 + max(1, length))


def _num(text: str) -> float:
    return float(text)


def from_commands(index: RepoIndex) -> Iterator[Threshold]:
    for cmd in all_commands(index):
        text = cmd.search_text()
        if "interrogate" in text:  # docstring coverage, not test coverage
            continue
        for tool, pat in _CMD_PATTERNS:
            for m in pat.finditer(text):
                yield Threshold(_num(m.group(1)), cmd.locate(m.group(0).split()[0]), tool)
        if _CHECK_COVERAGE.search(text):
            m2 = _LINES_FLAG.search(text)
            frag = m2.group(0).split()[0] if m2 else "--check-coverage"
            value = _num(m2.group(1)) if m2 else NYC_DEFAULT_LINES
            yield Threshold(value, cmd.locate(frag), "nyc/c8")
        jm = _JEST_FLAG.search(text)
        if jm:
            metrics = [float(v) for _, v in _METRIC.findall(text[jm.end() : jm.end() + 300])]
            yield Threshold(
                min(metrics) if metrics else None, cmd.locate("--coverageThreshold"), "jest"
            )


def _python_file(src: SourceFile, name: str) -> Iterator[Threshold]:
    sections = COVERAGE_SECTIONS.get(name, set())
    current = ""
    for number, line in enumerate(src.lines, start=1):
        stripped = line.strip()
        if stripped.startswith(("#", ";")):
            continue
        sec = _SECTION.match(line)
        if sec:
            current = sec.group(1).strip().strip("\"'")
            continue
        m = _FAIL_UNDER.match(line)
        if m and current in sections:
            yield Threshold(_num(m.group(2)), _loc(src, number, m.start(1), 10), "coverage.py")
        for cm in _CMD_PATTERNS[0][1].finditer(line):
            yield Threshold(_num(cm.group(1)), _loc(src, number, cm.start(), 16), "pytest-cov")


def _js_file(src: SourceFile) -> Iterator[Threshold]:
    lines = src.lines
    for number, line in enumerate(lines, start=1):
        check = _CHECK_TRUE.search(line)
        if check:  # nyc/c8: `lines` is a sibling anywhere in the same config
            for n, text in enumerate(lines, start=1):
                for m in _METRIC.finditer(text):
                    if m.group(1) == "lines":
                        yield Threshold(_num(m.group(2)), _loc(src, n, m.start(1), 5), "nyc/c8")
                        return
            yield Threshold(NYC_DEFAULT_LINES, _loc(src, number, check.start(1), 14), "nyc/c8")
            return
        anchor = _JS_ANCHOR.search(line)
        if not anchor:
            continue
        found: list[tuple[str, float, int, int]] = []  # metric, value, line, col0
        hundred: tuple[int, int] | None = None
        depth = 0
        for n in range(number, min(len(lines), number + 25) + 1):
            text = lines[n - 1][anchor.end() :] if n == number else lines[n - 1]
            offset = anchor.end() if n == number else 0
            for m in _METRIC.finditer(text):
                found.append((m.group(1), _num(m.group(2)), n, m.start(1) + offset))
            hm = _HUNDRED.search(text)
            if hm and hundred is None:
                hundred = (n, hm.start() + offset)
            depth += text.count("{") - text.count("}")
            if depth <= 0 and n > number:
                break
        tool = "jest" if anchor.group(1) == "coverageThreshold" else "vitest"
        if found:
            metric = next((f for f in found if f[0] == "lines"), min(found, key=lambda f: f[1]))
            yield Threshold(metric[1], _loc(src, metric[2], metric[3], len(metric[0])), tool)
        elif hundred is not None:
            yield Threshold(100.0, _loc(src, hundred[0], hundred[1], 3), tool)
        else:
            yield Threshold(None, _loc(src, number, anchor.start(1), len(anchor.group(1))), tool)


def _command_lines(src: SourceFile) -> Iterator[Threshold]:
    """Coverage flags in task-runner files (Makefile recipes, package.json scripts, …)."""
    for number, line in enumerate(src.lines, start=1):
        if line.lstrip().startswith("#") or "interrogate" in line:
            continue
        for tool, pat in _CMD_PATTERNS:
            for m in pat.finditer(line):
                flag = m.group(0).split()[0].split("=")[0]
                yield Threshold(_num(m.group(1)), _loc(src, number, m.start(), len(flag)), tool)
        cm = _CHECK_COVERAGE.search(line)
        if cm:
            lm = _LINES_FLAG.search(line)
            value = _num(lm.group(1)) if lm else NYC_DEFAULT_LINES
            yield Threshold(value, _loc(src, number, cm.start(), 16), "nyc/c8")
        jm = _JEST_FLAG.search(line)
        if jm:
            metrics = [float(v) for _, v in _METRIC.findall(line[jm.end() :])]
            lowest = min(metrics) if metrics else None
            yield Threshold(lowest, _loc(src, number, jm.start(), 19), "jest")


def from_files(index: RepoIndex) -> Iterator[Threshold]:
    for f in index.named(
        lambda name: name in PY_FILES or name in TASK_FILES or bool(JS_CONFIG.match(name))
    ):
        name = posixpath.basename(f.path)
        is_py = name in PY_FILES
        is_runner = name in TASK_FILES
        src = index.source(f)
        if src is None:
            continue
        if is_py:
            yield from _python_file(src, name)
        if is_runner:
            yield from _command_lines(src)
        if JS_CONFIG.match(name) and (
            name != "package.json"
            or re.search(r"coverageThreshold\b\s*\"?\s*:|check-coverage", src.text)
        ):
            yield from _js_file(src)


def thresholds(index: RepoIndex) -> list[Threshold]:
    def build() -> list[Threshold]:
        seen: dict[tuple[str, int, int], Threshold] = {}
        for t in (*from_commands(index), *from_files(index)):
            seen.setdefault((t.loc.path, t.loc.start_line, t.loc.start_col), t)
        return list(seen.values())

    return index.memo(("ci-coverage-thresholds",), build)
