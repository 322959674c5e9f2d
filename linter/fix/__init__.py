"""Autofix: mechanical, safe edits keyed by rule id (``prodready fix``, ``check --fix``).

A fixer gets a file's text and the 1-based lines of the findings it should fix (``None``: every
place it applies to) and returns the new text. YAML fixers edit a ruamel round-trip tree, so
comments and formatting survive, and all YAML fixes to one file happen on one tree (line numbers
stay those of the scanned text). Every fixer is idempotent: a second run changes nothing.
"""

from __future__ import annotations

import codecs
import contextlib
import difflib
import os
import shutil
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import field
from functools import partial
from typing import Any

from linter.engine import ScanResult
from linter.fastdc import dataclass
from linter.fix import docker, gha, k8s
from linter.fix.yamlrt import Doc, FixError, rewrite
from linter.model import ArtifactKind, Notification, NotificationLevel
from linter.source import SourceFile

__all__ = ["FIXERS", "FileFix", "FixError", "fix_text", "plan", "unified_diff", "write"]

K = ArtifactKind
Lines = Collection[int] | None
TextFix = Callable[[str, Lines, Mapping[str, Any]], str]
TreeFix = Callable[[list[Doc], Lines, Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Fixer:
    rule_id: str
    kinds: frozenset[ArtifactKind]
    summary: str
    text: TextFix | None = None
    tree: TreeFix | None = None


def _docker(text: str, lines: Lines, options: Mapping[str, Any]) -> str:
    return docker.fix_shell_form(text, lines)


def _resources(which: str) -> TreeFix:
    return partial(k8s.fix_resources, which=which)


def _security(rule_id: str) -> TreeFix:
    def run(docs: list[Doc], lines: Lines, options: Mapping[str, Any]) -> bool:
        return k8s.fix_security_context(docs, lines, rule_id)

    return run


def _gha(docs: list[Doc], lines: Lines, options: Mapping[str, Any]) -> bool:
    return gha.fix_permissions(docs)


_K8S = frozenset({K.K8S})
FIXERS: Mapping[str, Fixer] = {
    f.rule_id: f
    for f in (
        Fixer(
            "docker-shell-form-entrypoint",
            frozenset({K.DOCKERFILE}),
            "simple shell-form CMD/ENTRYPOINT → exec form",
            text=_docker,
        ),
        Fixer(
            "k8s-missing-resource-limits",
            _K8S,
            "add missing resources.limits (cpu, memory)",
            tree=_resources("limits"),
        ),
        Fixer(
            "k8s-missing-resource-requests",
            _K8S,
            "add missing resources.requests (cpu, memory)",
            tree=_resources("requests"),
        ),
        *(
            Fixer(rid, _K8S, f"securityContext.{key}: {str(value).lower()}", tree=_security(rid))
            for rid, (key, value) in k8s.SECURITY_KEYS.items()
        ),
        Fixer(
            k8s.CAPABILITIES_RULE,
            _K8S,
            "securityContext.capabilities.drop: [ALL]",
            tree=_security(k8s.CAPABILITIES_RULE),
        ),
        Fixer(
            "gha-permissions-too-broad",
            frozenset({K.GHA_WORKFLOW}),
            "workflow without permissions → permissions: {contents: read}",
            tree=_gha,
        ),
    )
}


def fix_text(
    text: str,
    rules: Mapping[str, Lines],
    options: Mapping[str, Any] | None = None,
) -> str:
    """Apply the fixers of ``rules`` (rule id → finding lines, None for all) to one file's text.

    Raises :class:`FixError` when a YAML file cannot be rewritten without reformatting it.
    """
    opts = options or {}
    chosen = [FIXERS[r] for r in sorted(rules) if r in FIXERS]
    for f in chosen:
        if f.text is not None:
            text = f.text(text, rules[f.rule_id], opts)
    trees = [f for f in chosen if f.tree is not None]
    if trees:

        def mutate(docs: list[Doc]) -> bool:
            changed = False
            for f in trees:
                assert f.tree is not None
                changed = f.tree(docs, rules[f.rule_id], opts) or changed
            return changed

        text = rewrite(text, mutate)
    return text


@dataclass
class FileFix:
    """The automatic fixes of one file: its text before and after, and the findings they address."""

    path: str  # display path
    abspath: str
    before: str
    after: str
    rules: tuple[str, ...]
    fixed: int  # findings addressed
    notes: list[Notification] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return self.before != self.after


def plan(
    result: ScanResult, options: Mapping[str, Any] | None = None
) -> tuple[list[FileFix], list[Notification]]:
    """The fixes for a scan's active findings (nothing is written)."""
    index = result.index
    sources = {s.path: s for s in index.loaded_sources()} if index is not None else {}
    found = {t.path: t for t in index.targets()} if index is not None else {}

    def source_of(path: str) -> SourceFile | None:
        # a cached scan may not have read the file: read it now (through the index)
        if path not in sources and path in found and index is not None:
            src = index.source(found[path])
            if src is not None:
                sources[path] = src
        return sources.get(path)

    wanted: dict[str, dict[str, set[int]]] = {}
    for f in result.active:
        fixer = FIXERS.get(f.rule_id)
        if fixer is None:
            continue
        src = source_of(f.location.path)
        if src is None or src.kind not in fixer.kinds:
            continue
        wanted.setdefault(f.location.path, {}).setdefault(f.rule_id, set()).add(
            f.location.start_line
        )
    fixes: list[FileFix] = []
    notes: list[Notification] = []
    for path in sorted(wanted):
        src = sources[path]
        rules = wanted[path]
        try:
            after = fix_text(src.text, {r: lines for r, lines in rules.items()}, options)
        except FixError as exc:
            notes.append(
                Notification(
                    f"not fixed ({', '.join(sorted(rules))}): {exc}",
                    level=NotificationLevel.WARNING,
                    path=path,
                    code="prodready-fix-skipped",
                )
            )
            continue
        count = sum(len(v) for v in rules.values())
        fixes.append(FileFix(path, src.abspath, src.text, after, tuple(sorted(rules)), count))
    return [f for f in fixes if f.changed], notes


def unified_diff(fixes: Sequence[FileFix]) -> str:
    out: list[str] = []
    for fx in fixes:
        out.extend(
            difflib.unified_diff(
                fx.before.splitlines(keepends=True),
                fx.after.splitlines(keepends=True),
                fromfile=fx.path if os.path.isabs(fx.path) else f"a/{fx.path}",
                tofile=fx.path if os.path.isabs(fx.path) else f"b/{fx.path}",
            )
        )
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n\\ No newline at end of file\n"
    return "".join(out)


def write(fixes: Sequence[FileFix]) -> list[Notification]:
    """Write the fixed files (atomically, keeping mode, UTF-8 BOM and symlinks). A file that
    changed on disk since it was scanned, or is not UTF-8, is left alone (a notification)."""
    notes: list[Notification] = []
    for fx in fixes:
        target = os.path.realpath(fx.abspath)
        try:
            with open(target, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            notes.append(_skip(fx, f"cannot read it again ({exc.strerror or exc})"))
            continue
        bom = codecs.BOM_UTF8 if data.startswith(codecs.BOM_UTF8) else b""
        try:
            current = data[len(bom) :].decode("utf-8")
        except UnicodeDecodeError:
            notes.append(_skip(fx, "it is not UTF-8"))
            continue
        if current != fx.before:
            notes.append(_skip(fx, "it changed on disk since the scan"))
            continue
        tmp = f"{target}.prodready-tmp"
        try:
            with open(tmp, "wb") as fh:
                fh.write(bom + fx.after.encode("utf-8"))
            shutil.copymode(target, tmp)
            os.replace(tmp, target)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.remove(tmp)
            notes.append(_skip(fx, f"cannot write it ({exc.strerror or exc})"))
    return notes


def _skip(fx: FileFix, why: str) -> Notification:
    return Notification(
        f"not fixed: {why}", NotificationLevel.WARNING, fx.path, code="prodready-fix-skipped"
    )
