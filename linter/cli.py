"""The ``prodready`` command line."""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from linter import __version__, fastdc
from linter.errors import ConfigError, RegistryError, WorkerLost, raised_at
from linter.model import Severity

if TYPE_CHECKING:
    from linter.engine import ScanOptions, ScanResult
    from linter.replay import Replay

SEVERITY_CHOICE = click.Choice([s.label for s in Severity])


class DefaultGroup(click.Group):
    """``prodready PATHS`` means ``prodready check PATHS``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


def _split(values: Sequence[str]) -> list[str]:
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _write(text: str, output: str | None) -> None:
    if output:
        try:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        except OSError as exc:
            raise ConfigError(f"{output}: cannot write output: {exc.strerror or exc}") from None
    else:
        click.echo(text, nl=False)


def _check_output(output: str | None) -> None:
    """Refuse an output file in a directory that does not exist before scanning, not after
    (click refuses a directory; other failures are reported when writing)."""
    if not output:
        if sys.stdout is None:  # started with stdout closed (`>&-`): nowhere to report
            raise ConfigError("standard output is closed; give -o FILE")
        return
    parent = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(parent):
        raise ConfigError(f"{output}: cannot write output: no directory {parent}")


@click.group(cls=DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="prodready")
def cli() -> None:
    """prodready: production-readiness linter for repositories and manifests."""


#: ``check`` parameters that do not change its output (the rest key a replay entry)
_NOT_IN_REPLAY_KEY = frozenset({"jobs"})


def _replayer(paths: Sequence[str], cache_dir: str | None, params: dict[str, Any]) -> Replay | None:
    """The replay entry for a ``check`` of one directory (None for files: pre-commit runs)."""
    if len(paths) != 1 or not os.path.isdir(paths[0]):
        return None
    from linter.replay import CACHE_DIR, Replay

    request = {k: v for k, v in sorted(params.items()) if k not in _NOT_IN_REPLAY_KEY}
    request["output"] = request.get("output") is None  # where it goes does not change it
    request["root"] = os.path.abspath(paths[0])
    return Replay(cache_dir or os.path.join(request["root"], CACHE_DIR), request)


def _store_replay(
    replayer: Replay,
    result: ScanResult,
    text: str,
    code: int,
    opts: ScanOptions,
    baseline: str | None,
    started: int,
) -> None:
    from linter.cache import CORRUPT
    from linter.config import CONFIG_FILES
    from linter.policy import policy_module
    from linter.registry import load
    from linter.replay import Walk

    if (
        result.index is None
        or result.internal_errors
        or any(n.code == CORRUPT for n in result.notifications)
    ):
        return
    packages = {policy_module(p).split(".")[0] for p in load().policies.values()}
    config = result.config
    files = [os.path.join(result.root, name) for name in CONFIG_FILES]
    files += [p for p in (opts.config_path, baseline, *opts.helm_values) if p]
    replayer.store(
        text=text,
        code=code,
        walk=Walk(result.root, result.base, tuple(config.exclude), config.respect_gitignore),
        found=result.index.all_found(),
        started=started,
        files=[os.path.abspath(p) for p in files],
        trees=[os.path.abspath(config.vuln_db)] if config.vuln_db else [],
        packages=sorted(packages | {"linter"}),
    )


def _with_note(result: ScanResult, message: str) -> ScanResult:
    from dataclasses import replace

    from linter.model import Notification, NotificationLevel

    note = Notification(message, level=NotificationLevel.NOTE, code="prodready-cache-ignored")
    notes = sorted({*result.notifications, note}, key=Notification.sort_key)
    return replace(result, notifications=notes)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "sarif", "github", "markdown"]),
    default="text",
    show_default=True,
    help="Output format.",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write output to FILE.")
@click.option("--config", "config_path", type=click.Path(), help="Config file to use.")
@click.option("--select", multiple=True, help="Rule ids or prefixes to enable (replaces default).")
@click.option("--extend-select", multiple=True, help="Rule ids or prefixes to add.")
@click.option("--ignore", multiple=True, help="Rule ids or prefixes to disable.")
@click.option(
    "--fail-on",
    type=SEVERITY_CHOICE,
    default=None,
    help="Lowest severity that makes the exit code 1 (default: config, else low).",
)
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when problems are found.")
@click.option("--include-suppressed", is_flag=True, help="Show suppressed findings in text.")
@click.option("--statistics", is_flag=True, help="Print a count per rule.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option(
    "--checklist-summary", is_flag=True, help="End text output with a one-line checklist score."
)
@click.option("-v", "--verbose", is_flag=True, help="Print timings per phase on stderr.")
@click.option(
    "--diff",
    "diff_rev",
    metavar="REV",
    help="Only report findings in files changed since the git revision REV.",
)
@click.option(
    "--baseline",
    "baseline_path",
    type=click.Path(dir_okay=False),
    help="Treat findings recorded in this baseline file as suppressed; report stale entries.",
)
@click.option(
    "--write-baseline",
    type=click.Path(dir_okay=False),
    help="Record the current findings in this baseline file (and treat them as suppressed).",
)
@click.option("--fix", "do_fix", is_flag=True, help="Apply safe automatic fixes, then report.")
@click.option(
    "--helm-values",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Values file for `helm template` when rendering charts (repeatable).",
)
@click.option("--online", is_flag=True, help="Allow network access (deps-vulnerable queries OSV).")
@click.option(
    "--vuln-db",
    type=click.Path(exists=True),
    help="Offline OSV database for deps-vulnerable: a directory or zip of OSV JSON advisories.",
)
@click.option(
    "--fix-diff",
    is_flag=True,
    help="Print the automatic fixes as a unified diff (nothing written) instead of a report.",
)
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Processes for a scan: workers run the text rules (secrets), build the code index and "
    "run bandit (default: the CPUs this process may use; scans of fewer than 400 files to check "
    "stay in one process). Output is the same for any N.",
)
@click.option("--no-cache", is_flag=True, help="Neither read nor write the scan cache.")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Scan cache directory (default: .prodready_cache in the scan root).",
)
def check(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    config_path: str | None,
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    fail_on: str | None,
    exit_zero: bool,
    include_suppressed: bool,
    statistics: bool,
    quiet: bool,
    checklist_summary: bool,
    verbose: bool,
    diff_rev: str | None,
    baseline_path: str | None,
    write_baseline: str | None,
    do_fix: bool,
    helm_values: tuple[str, ...],
    online: bool,
    vuln_db: str | None,
    fix_diff: bool,
    jobs: int | None,
    no_cache: bool,
    cache_dir: str | None,
) -> None:
    """Scan PATHS (default: the current directory) and report problems."""
    _check_output(output)
    replayer = None
    if not (no_cache or do_fix or fix_diff or diff_rev or write_baseline or online or verbose):
        replayer = _replayer(paths or (".",), cache_dir, click.get_current_context().params)
        hit = replayer.lookup() if replayer is not None else None
        if hit is not None:  # an unchanged tree, asked the same question: the same answer
            _write(hit.text, output)
            raise SystemExit(hit.code)
    from linter import adopt
    from linter.engine import ScanOptions
    from linter.output import render, warm_up
    from linter.parallel import default_jobs

    opts = ScanOptions(
        paths=paths or (".",),
        config_path=config_path,
        select=_split(select),
        extend_select=_split(extend_select),
        ignore=_split(ignore),
        helm_values=helm_values,
        online=online,
        vuln_db=vuln_db,
        jobs=jobs or default_jobs(),
        cache_dir=None if no_cache else (cache_dir or ""),
        warm_up=warm_up(fmt),
    )
    extras = adopt.Extras(diff_rev, baseline_path, write_baseline, verbose, not quiet)
    started = time.time_ns()
    result = adopt.run(opts, extras)
    if replayer is not None and replayer.problem is not None:
        result = _with_note(
            result, f"replay cache entry ignored ({replayer.problem}); it will be rebuilt"
        )
    if fix_diff:
        _, changed = adopt.fix_and_report(opts, result, extras, show_diff=True)
        raise SystemExit(1 if changed and not exit_zero else 0)
    if do_fix:
        result, _ = adopt.fix_and_report(opts, result, extras, show_diff=False)
    color = (
        fmt == "text" and output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    )
    kw: dict[str, Any] = {}
    if fmt == "text":
        kw = {"include_suppressed": include_suppressed, "statistics": statistics}
        if checklist_summary and not quiet:
            from linter.checklist import summary_line

            kw["summary_line"] = summary_line(result)
    text = render(fmt, result, color=color, **kw)
    if quiet and fmt == "text":
        text = text.rsplit("\n", 2)[0] + "\n" if result.active else ""
    _write(text, output)
    _keep_for_exit(result, text)
    code = result.exit_code(Severity.parse(fail_on) if fail_on else None)
    if exit_zero and code == 1:
        code = 0
    if replayer is not None and not result.config.online:
        _store_replay(replayer, result, text, code, opts, baseline_path, started)
    raise SystemExit(code)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html", "json"]),
    default="text",
    show_default=True,
    help="Report format (markdown suits $GITHUB_STEP_SUMMARY; html is one self-contained file).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the report to FILE.")
@click.option("--checklist", "checklist_path", type=click.Path(), help="Use this checklist file.")
@click.option("--config", "config_path", type=click.Path(), help="Config file to use.")
@click.option(
    "--link-base",
    default=None,
    help="URL prefix for finding links ('' for none; default: the blob URL in GitHub Actions).",
)
def checklist(
    paths: tuple[str, ...],
    fmt: str,
    output: str | None,
    checklist_path: str | None,
    config_path: str | None,
    link_base: str | None,
) -> None:
    """Fill in the production-readiness checklist for PATHS, item by item, with evidence."""
    from linter.checklist.cli import run_checklist

    _check_output(output)
    _write(run_checklist(paths or (".",), fmt, checklist_path, config_path, link_base), output)


@cli.command()
@click.option("--all", "show_all", is_flag=True, help="Include the engine's own rules.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def rules(show_all: bool, fmt: str) -> None:
    """List the rules: id, severity, artifact, summary, enabled."""
    import json

    from linter.registry import load

    metas = [m for m in load().all_metas() if show_all or m.origin != "prodready-engine"]
    if fmt == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "id": m.id,
                        "severity": m.severity.label,
                        "artifacts": m.artifact_label,
                        "summary": m.summary,
                        "enabled": m.default_enabled,
                    }
                    for m in metas
                ],
                indent=2,
            )
        )
        return
    width = max(len(m.id) for m in metas)
    click.echo(f"{'id':{width}}  {'severity':8}  {'enabled':7}  {'artifact':20}  summary")
    for m in metas:
        click.echo(
            f"{m.id:{width}}  {m.severity.label:8}  {'yes' if m.default_enabled else 'no':7}  "
            f"{m.artifact_label[:20]:20}  {m.summary}"
        )


@cli.command()
@click.argument("rule_id")
def explain(rule_id: str) -> None:
    """Show a rule's documentation."""
    from linter.docs import rule_page
    from linter.registry import load

    meta = load().meta(rule_id)
    if meta is None:
        raise click.UsageError(f"unknown rule {rule_id!r} (see `prodready rules`)")
    click.echo(rule_page(meta), nl=False)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("--config", "config_path", type=click.Path(), help="Config file to use.")
@click.option("--select", multiple=True, help="Rule ids or prefixes to fix (default: all).")
@click.option("--ignore", multiple=True, help="Rule ids or prefixes not to fix.")
@click.option("--diff", "show_diff", is_flag=True, help="Print the patch; write nothing.")
def fix(
    paths: tuple[str, ...],
    config_path: str | None,
    select: tuple[str, ...],
    ignore: tuple[str, ...],
    show_diff: bool,
) -> None:
    """Apply safe, mechanical fixes to PATHS (comments and formatting are kept).

    Exit code: 0; with --diff, 1 when there is something to fix.
    """
    from linter import adopt
    from linter.engine import ScanOptions

    opts = ScanOptions(
        paths=paths or (".",), config_path=config_path, select=_split(select), ignore=_split(ignore)
    )
    extras = adopt.Extras()
    result = adopt.run(opts, extras)
    _, changed = adopt.fix_and_report(opts, result, extras, show_diff=show_diff)
    raise SystemExit(1 if show_diff and changed else 0)


@cli.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False))
def init(directory: str) -> None:
    """Write a commented starter .prodready.yaml in DIRECTORY (never overwrites)."""
    from linter.init import write_starter

    click.echo(f"wrote {write_starter(directory)}")


#: the cyclic collector's thresholds for a run. A scan allocates millions of objects that live
#: to its end (texts, parse trees, facts) and makes almost no cyclic garbage (the bench repo's
#: scan leaves ~28,000 objects for the collector, 3 per file). Each collection of the youngest
#: generation traverses every container allocated since the last one, all of them still alive:
#: with (700, 10, 10), ~700 collections cost a tenth of a full scan; with (50_000, 20, 100), 9
#: collections still cost ~120 ms of CPU on the bench repo. From a million on, a scan of up to
#: ~25,000 files runs no collection at all; a bigger one collects once per million containers
#: (the garbage stays bounded).
GC_THRESHOLDS = (1_000_000, 20, 100)


#: set by :func:`entry` only: what a run leaves for ``os._exit`` to drop with the process. When
#: ``check`` returned, its scan result (every file's text, parse tree and facts) was freed object
#: by object (~20 ms on the bench repo), and restoring the collector's thresholds made the next
#: allocation collect every object the scan had allocated (~25 ms): work for nothing, just
#: before the process ends. A caller that goes on (the tests) gets both done as usual.
_KEPT_FOR_EXIT: list[object] | None = None


def _keep_for_exit(*objects: object) -> None:
    if _KEPT_FOR_EXIT is not None:
        _KEPT_FOR_EXIT.extend(objects)


#: the exit code of a run stopped by SIGTERM (128 + the signal's number, as a shell reports it)
TERMINATED = 128 + 15


def _terminated(signum: int, frame: object) -> None:
    """SIGTERM (a cancelled CI job, ``timeout``): unwind like Ctrl-C. While worker processes
    run, kill them and end the process at once instead: unwinding through the pool's code (at
    whatever point the signal came) can wait forever for a worker the same signal killed
    (:func:`linter.parallel.kill_workers`); and a worker left running would print a
    broken-pipe traceback. Nothing the scan writes is half-written then: output comes after
    the workers are done, and the cache files are written atomically."""
    from linter import parallel

    if parallel.workers_running():
        parallel.kill_workers()
        os._exit(TERMINATED)
    raise SystemExit(TERMINATED)


def main(argv: Sequence[str] | None = None, *, restore: bool = True) -> int:
    """The CLI, with the collector's thresholds and the SIGTERM handler set for a run (and
    restored afterwards, for a caller that goes on: the tests; :func:`entry`, which ends the
    process next, keeps the thresholds)."""
    before = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    import signal  # after: importing it (its enums) could start a collection

    try:
        handler = signal.signal(signal.SIGTERM, _terminated)
    except ValueError:  # not the main thread: signals are not ours to handle
        handler = None
    try:
        return _main(argv)
    finally:
        if restore:
            gc.set_threshold(*before)
        if handler is not None:
            signal.signal(signal.SIGTERM, handler)


def _main(argv: Sequence[str] | None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        os.getcwd()
    except OSError:  # deleted under the shell: every relative path would fail with a traceback
        click.echo("prodready: error: the current directory no longer exists", err=True)
        return 2
    try:
        cli.main(args=args, prog_name="prodready", standalone_mode=False)
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 2
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        return 2
    except click.ClickException as exc:
        exc.show()
        return 2
    except (ConfigError, RegistryError, WorkerLost) as exc:
        click.echo(f"prodready: error: {exc}", err=True)
        return 2
    except BrokenPipeError:
        return 2
    except Exception as exc:  # a bug in prodready: said in two lines (exit 2), not a traceback
        click.echo(_crash_message(exc), err=True)
        return 2
    return 0


def _crash_message(exc: Exception) -> str:
    """What prodready says when it fails (a policy that fails is reported as a notification
    and the scan goes on; this is the engine, or a worker process's task). The traceback is
    shown only when ``PRODREADY_TRACEBACK`` is set."""
    import traceback

    text = (
        f"prodready: internal error: {type(exc).__name__}: {exc} ({raised_at(exc)})\n"
        f"This is a bug in prodready {__version__}: please report it with the command that "
        "failed (PRODREADY_TRACEBACK=1 shows the traceback)."
    )
    if os.environ.get("PRODREADY_TRACEBACK"):
        text = "".join(traceback.format_exception(exc)) + text
    return text


def entry() -> None:
    """The console script: :func:`main`, then an immediate exit. By then everything the run
    writes is closed (output and cache files, written with ``with`` or atomically; the worker
    pool joined), and tearing the interpreter down (every module and object freed one by one)
    would add about 25 ms to a pre-commit run on one file and more to a full scan; a scan's
    result is left alive for it (``_KEPT_FOR_EXIT``), and the collector's thresholds as set."""
    global _KEPT_FOR_EXIT
    _KEPT_FOR_EXIT = []
    code = main(restore=False)
    fastdc.save_code_cache()  # the dataclass methods compiled for the first time, for next runs
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:  # None: the process was started with it closed
                stream.flush()
        except (BrokenPipeError, OSError):  # the reader went away: nothing more to tell it
            code = code or 2
    os._exit(code)


if __name__ == "__main__":
    entry()
