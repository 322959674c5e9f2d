"""Bandit, in-process and silent, on the Python files that could hold one of its findings.

One ``BanditManager`` runs once per scan (memoised) with only the tests prodready maps, on the
target Python files whose lower-cased text contains a literal one of those tests needs. Bandit's
loggers are muted and its stdout/stderr captured for the duration; nothing is executed or fetched.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import TYPE_CHECKING, Any

from linter.code.index import _skip_or_test
from linter.code.model import char_col
from linter.fastdc import dataclass
from linter.literals import Literals
from linter.model import ArtifactKind, Location, Notification

if TYPE_CHECKING:
    from linter.index import RepoIndex
    from linter.source import SourceFile


@dataclass(frozen=True)
class BanditRule:
    """A prodready rule and the bandit tests that decide it."""

    rule_id: str
    tests: tuple[str, ...]
    #: lower-case literals: a file containing none of them cannot trigger these tests
    literals: tuple[str, ...]


RULES: tuple[BanditRule, ...] = (
    BanditRule(
        "py-sql-injection",
        ("B608", "B610", "B611"),
        ("select", "insert", "update", "delete", "rawsql", ".extra("),
    ),
    BanditRule(
        "py-hardcoded-password", ("B105", "B106", "B107"), ("pass", "pwd", "token", "secret")
    ),
    BanditRule("py-flask-debug", ("B201",), ("debug",)),
    BanditRule(
        "py-shell-injection",
        ("B602", "B604", "B605", "B609"),
        ("shell", "system", "popen", "spawn", "startfile", "commands"),
    ),
    BanditRule("py-code-exec", ("B102", "B307"), ("exec", "eval")),
    BanditRule(
        "py-unsafe-deserialization",
        ("B301", "B302", "B506", "B614"),
        ("pickle", "marshal", "yaml", "shelve", "dill", "torch"),
    ),
    BanditRule("py-weak-hash", ("B303", "B324"), ("md5", "sha1", "md4")),
    BanditRule("py-tls-weak-protocol", ("B502", "B503", "B504"), ("ssl",)),
    BanditRule(
        "py-xss",
        ("B308", "B701", "B702", "B703", "B704"),
        ("autoescape", "jinja2", "mako", "mark_safe", "markup", "safestring"),
    ),
    BanditRule("py-request-without-timeout", ("B113",), ("requests", "httpx")),
)
RULE_BY_ID = {r.rule_id: r for r in RULES}
ALL_TESTS = tuple(sorted({t for r in RULES for t in r.tests}))


@dataclass(frozen=True)
class BanditIssue:
    """An issue bandit reported, at its location."""

    test_id: str
    text: str
    severity: str
    confidence: str
    location: Location


_LITERALS = Literals((lit for r in RULES for lit in r.literals), lowered=True)


@contextlib.contextmanager
def _silenced() -> Any:
    import logging  # (~5 ms; bandit imports it too: only where bandit runs)

    logger = logging.getLogger("bandit")
    old_level, old_prop = logger.level, logger.propagate
    logger.setLevel(logging.CRITICAL + 10)
    logger.propagate = False
    sink = io.StringIO()
    try:
        with (
            contextlib.redirect_stdout(sink),
            contextlib.redirect_stderr(sink),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(old_level)
        logger.propagate = old_prop


@contextlib.contextmanager
def _without_formatters() -> Any:
    """While bandit's extension manager is first made (on import), its report formatters are not
    loaded: prodready reads bandit's issues, never its reports, and the formatters (its SARIF one
    imports sarif_om and a package it may lack) are a third of bandit's import time. Tests and
    blacklists load as usual."""
    import sys

    if "bandit.core.extension_loader" in sys.modules:
        yield
        return
    from stevedore import extension

    real = extension.ExtensionManager.__init__

    def init(self: Any, namespace: str, *args: Any, **kwargs: Any) -> None:
        if namespace == "bandit.formatters":
            namespace = "prodready.no-bandit-formatters"  # a namespace without entry points
        real(self, namespace, *args, **kwargs)

    extension.ExtensionManager.__init__ = init  # type: ignore[method-assign]
    try:
        yield
    finally:
        extension.ExtensionManager.__init__ = real  # type: ignore[method-assign]


#: modules bandit imports and prodready's runs never use: loaded lazily (on first use)
LAZY_MODULES = ("rich.progress",)  # bandit's progress bar: only when it logs at INFO level


def _lazily(names: tuple[str, ...]) -> None:
    """Put a lazy module (``importlib.util.LazyLoader``: executed on first attribute access)
    for each of ``names`` not imported yet in ``sys.modules``, so that importing bandit does
    not execute them (rich.progress alone is a fifth of bandit's import time)."""
    import importlib.util
    import sys

    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.loader is None:
            continue
        loader = importlib.util.LazyLoader(spec.loader)
        spec.loader = loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent in sys.modules:
            setattr(sys.modules[parent], child, module)


def _chosen(index: RepoIndex) -> dict[str, SourceFile]:
    """The target Python files bandit runs on (by absolute path): those that hold a literal
    one of its tests needs (not the tests, not stubs)."""
    chosen = {}
    for src in index.sources_of({ArtifactKind.PYTHON}, targets_only=True):
        if _skip_or_test(src.path) or src.path.endswith(".pyi"):
            continue
        if _LITERALS.in_source(src):  # (with the file's other prefilters: one RE2 pass)
            chosen[src.abspath] = src
    return chosen


def needed(index: RepoIndex) -> bool:
    """Whether bandit runs at all in this scan (then it imports ~40 ms of modules)."""
    return bool(_chosen(index))


def run(index: RepoIndex) -> list[BanditIssue]:
    """Bandit's issues for the target Python files that hold a literal its tests need."""
    chosen = _chosen(index)
    if not chosen:
        return []
    try:
        with _silenced(), _without_formatters():
            _lazily(LAZY_MODULES)
            from bandit.core import config as b_config
            from bandit.core import manager as b_manager

            mgr = b_manager.BanditManager(
                b_config.BanditConfig(), "file", quiet=True, profile={"include": list(ALL_TESTS)}
            )
            mgr.files_list = sorted(chosen)
            mgr.run_tests()
            issues = mgr.get_issue_list()
    except Exception as exc:  # bandit is a third-party engine: never let it crash a scan
        index.notifications.append(
            Notification(
                f"bandit failed ({type(exc).__name__}: {exc}); py-* checks skipped",
                code="prodready-bandit-error",
            )
        )
        return []
    out: list[BanditIssue] = []
    for issue in issues:
        found = chosen.get(str(issue.fname))
        if found is None or issue.test_id not in ALL_TESTS:
            continue
        line = max(1, int(issue.lineno or 1))
        text = found.line(line)
        col = char_col(text, int(issue.col_offset or 0))
        end = max(col + 1, len(text.rstrip()) + 1)
        out.append(
            BanditIssue(
                str(issue.test_id),
                str(issue.text),
                str(issue.severity),
                str(issue.confidence),
                Location(found.path, line, col, line, end),
            )
        )
    return out


#: bandit's memo key (a worker process may run it: linter/parallel.py)
KEY = ("bandit",)


def bandit_issues(index: RepoIndex) -> list[BanditIssue]:
    """Bandit's issues for this scan's target Python files (run once, memoised)."""
    return index.memo(KEY, lambda: run(index))
