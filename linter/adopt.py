"""What ``check`` does around a scan: progress bar, ``--diff REV``, baselines, ``--fix``,
``--verbose`` timings. Kept out of cli.py so the command stays a thin layer."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import replace

import click

from linter.engine import ScanOptions, ScanResult, scan
from linter.fastdc import dataclass
from linter.progress import ProgressBar, format_timings, wanted


@dataclass(frozen=True)
class Extras:
    """What a CLI run does around its scan: a diff filter, a baseline to apply or write, progress
    and timings."""

    diff_rev: str | None = None
    baseline: str | None = None
    write_baseline: str | None = None
    verbose: bool = False
    progress: bool = True


def _only_changed(result: ScanResult, changed: frozenset[str]) -> ScanResult:
    return replace(
        result,
        findings=[f for f in result.findings if f.location.path in changed],
        notifications=[n for n in result.notifications if n.path is None or n.path in changed],
    )


def run(opts: ScanOptions, extras: Extras) -> ScanResult:
    """Scan, then narrow to changed files, then apply/write the baseline."""
    bar = ProgressBar() if extras.progress and wanted() else None
    try:
        result = scan(replace(opts, progress=bar) if bar is not None else opts)
    finally:
        if bar is not None:
            bar.close()
    extra: dict[str, float] = {}
    t0 = time.perf_counter()
    changed: frozenset[str] | None = None
    if extras.diff_rev is not None:
        from linter.changed import changed_files

        where = opts.paths[0] if opts.paths else "."
        changed = changed_files(extras.diff_rev, where, result.base)
        result = _only_changed(result, changed)
        extra["git diff"] = time.perf_counter() - t0
        t0 = time.perf_counter()
    if extras.baseline or extras.write_baseline:
        result = _baselined(result, extras, changed)
        extra["baseline"] = time.perf_counter() - t0
    if extras.verbose:
        n_files = len(result.index.targets()) if result.index is not None else 0
        click.echo(f"prodready: scanned {n_files} files with {len(result.rules)} rules", err=True)
        click.echo(format_timings(result.timings, extra), err=True, nl=False)
    return result


def _baselined(result: ScanResult, extras: Extras, changed: frozenset[str] | None) -> ScanResult:
    """Write and/or apply the baseline: it suppresses the findings it records, and its entries
    for the paths this scan covered (the changed ones with ``--diff``) that no finding matches
    are reported as stale."""
    from linter import baseline as bl

    scope: Callable[[str], bool] = bl.default_scope(result)
    if changed is not None:
        inner = scope
        scope = lambda p: p in changed and inner(p)  # noqa: E731
    if extras.write_baseline:
        count = bl.write(extras.write_baseline, result)
        click.echo(
            f"prodready: wrote {count} baseline entr{'y' if count == 1 else 'ies'} "
            f"to {extras.write_baseline}",
            err=True,
        )
        return bl.apply(result, bl.read(extras.write_baseline), extras.write_baseline, scope)
    assert extras.baseline is not None
    return bl.apply(result, bl.read(extras.baseline), extras.baseline, scope)


def fix_and_report(
    opts: ScanOptions, result: ScanResult, extras: Extras, show_diff: bool
) -> tuple[ScanResult, int]:
    """Fix ``result``'s fixable findings: print the patch (``show_diff``, nothing written) or
    write the files and rescan. Returns the (new) result and the number of files changed;
    messages go to stderr."""
    from linter import fix

    fixes, notes = fix.plan(result, result.config.fix)
    for n in notes:
        click.echo(f"prodready: {n.path}: {n.message}", err=True)
    files = len(fixes)
    plural = "s" if files != 1 else ""
    if show_diff:
        sys.stdout.write(fix.unified_diff(fixes))
        click.echo(f"prodready: fixes would change {files} file{plural}.", err=True)
        return result, files
    if not fixes:
        click.echo("prodready: nothing to fix.", err=True)
        return result, 0
    before = sum(1 for f in result.active if f.rule_id in fix.FIXERS)
    for n in fix.write(fixes):
        click.echo(f"prodready: {n.path}: {n.message}", err=True)
    quiet = replace(extras, write_baseline=None, verbose=False, progress=False)
    if extras.write_baseline:
        quiet = replace(quiet, baseline=extras.write_baseline)
    result = run(opts, quiet)
    after = sum(1 for f in result.active if f.rule_id in fix.FIXERS)
    fixed = max(0, before - after)
    click.echo(
        f"prodready: fixed {fixed} finding{'s' if fixed != 1 else ''} in {files} file{plural}"
        + (f"; {after} left to fix by hand." if after else "."),
        err=True,
    )
    return result, files
