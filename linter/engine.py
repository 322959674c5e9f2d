"""One scan: config → index → policies → suppressions → a sorted, redacted result."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import field, replace

from linter import cache, discover, fileviews, parallel, render, suppress
from linter import config as cfg
from linter import registry as reg
from linter.errors import WorkerLost, raised_at
from linter.fastdc import dataclass
from linter.index import RepoIndex
from linter.model import (
    RENDERS_K8S,
    ArtifactKind,
    Finding,
    Notification,
    NotificationLevel,
    Severity,
)
from linter.policy import CheckContext, Policy, PolicyMeta, policy_module
from linter.redact import Redactor, redact
from linter.replay import RENDERERS, find_binary, stamp
from linter.source import SourceFile

K = ArtifactKind


@dataclass
class ScanResult:
    """What a scan found and noted, with the rules it ran and the repo index it read."""

    findings: list[Finding]
    notifications: list[Notification]
    rules: list[PolicyMeta]
    snippets: Mapping[tuple[str, int], str]
    root: str
    base: str
    config: cfg.Config
    internal_errors: int = 0
    index: RepoIndex | None = field(default=None, repr=False)
    #: seconds per phase (discover, file policies, repo policies, report prep) for --verbose
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def active(self) -> list[Finding]:
        return [f for f in self.findings if f.suppression is None]

    def exit_code(self, fail_on: Severity | None = None) -> int:
        if self.internal_errors:
            return 2
        threshold = self.config.fail_on if fail_on is None else fail_on
        return 1 if any(f.severity >= threshold for f in self.active) else 0


@dataclass(frozen=True)
class ScanOptions:
    """What to scan and how: paths, rule selection, config, cache, jobs and network access."""

    paths: Sequence[str] = (".",)
    config_path: str | None = None
    select: Sequence[str] = ()
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()
    base: str | None = None
    #: allow network access (deps-vulnerable queries OSV); offline OSV database path
    online: bool = False
    vuln_db: str | None = None
    #: called as progress(phase, done, total) while scanning (the CLI's progress bar)
    progress: Callable[[str, int, int], None] | None = field(default=None, compare=False)
    #: extra values files for ``helm template`` (linter/render.py)
    helm_values: Sequence[str] = ()
    #: worker processes for the file-scope policies (linter/parallel.py); 1 = in this process
    jobs: int = 1
    #: the scan cache's directory (linter/cache.py); "" = .prodready_cache in the root; None = off
    cache_dir: str | None = None
    #: work the caller will need after the scan (the CLI: importing its reporter), done while
    #: worker processes run, when there are any: it then costs this process no time of its own
    warm_up: Callable[[], None] | None = field(default=None, compare=False)


def display_base(root: str, base: str) -> str:
    """What display paths are relative to: ``base`` (the working directory), or the scan root
    when ``base`` lies inside it. A file under ``base`` would be shown relative to it and
    every other file of the root by its absolute path, and joins across files (a Dockerfile's
    build context, its .dockerignore) fail on such mixed paths: run from ``services/``,
    ``prodready check svc/Dockerfile`` reported nothing. Relative to the root (the repository,
    for named files), every path is the one pre-commit and SARIF consumers use."""
    inside = os.path.commonpath([root, base]) == root and base != root
    return root if inside else base


def resolve_root(paths: Sequence[str]) -> tuple[str, list[str] | None]:
    """The scan root and, when files were named, the explicit target files."""
    for p in paths:
        if not os.path.exists(p) and not os.path.islink(p):
            raise cfg.ConfigError(f"{p}: no such file or directory")
    dirs = [os.path.abspath(p) for p in paths if os.path.isdir(p)]
    files = [p for p in paths if not os.path.isdir(p)]
    if dirs and not files:
        return (dirs[0] if len(dirs) == 1 else os.path.commonpath(dirs)), None
    if files and not dirs:
        # the repository holding the files; outside git, the files' common directory
        parents = [os.path.dirname(os.path.abspath(f)) for f in files]
        common = os.path.commonpath(parents)
        return (discover.repo_top(common) or common), files
    raise cfg.ConfigError("give either directories or files, not both")


def _run_policy(
    pol: Policy, ctx: CheckContext, arg: object, where: str, notes: list[Notification]
) -> list[Finding]:
    try:
        return list(pol.check(ctx, arg))
    except WorkerLost:  # (a view the workers computed): the scan cannot go on
        raise
    except Exception as exc:  # a crashing policy is reported, and the scan goes on
        notes.append(
            Notification(
                f"internal error: policy {pol.meta.id} failed on {where}: "
                f"{type(exc).__name__}: {exc} ({raised_at(exc)})",
                level=NotificationLevel.ERROR,
                path=None if where == "(repo)" else where,
                code="prodready-internal-error",
            )
        )
        return []


def _prefetch(policies: Sequence[Policy]) -> list[parallel.Prefetch]:
    """The repo-wide views worth computing in worker processes for these policies: the code
    index (when a repo-scope policy reads code; each file's facts are extracted by the worker
    that checks the file) and bandit's run (when a bandit rule is on; by one worker)."""
    from linter.code import bandit_run
    from linter.code import index as code_index

    repo = [p for p in policies if p.meta.scope == "repo"]
    out: list[parallel.Prefetch] = []
    if any(p.meta.kinds & code_index.CODE_KINDS for p in repo):
        out.append(
            parallel.Prefetch(
                code_index.KEY, code_index.build, code_index.part, code_index.assemble
            )
        )
    if any(p.meta.id in bandit_run.RULE_BY_ID for p in repo):
        out.append(parallel.Prefetch(bandit_run.KEY, bandit_run.run, alone=bandit_run.needed))
    for view in fileviews.views_for({p.meta.id for p in repo}):
        out.append(parallel.Prefetch(view.key, view.build, view.part, view.assemble))
    return out


def _alone(
    policies: Sequence[Policy], index: RepoIndex, targets: Sequence[discover.FoundFile]
) -> list[parallel.Prefetch]:
    """The views worth a worker of their own in a scan too small for workers: bandit's run
    (when a bandit rule is on; most of its time is importing bandit). Imports nothing for a
    scan with no Python target (bandit reads only those)."""
    if not any(index.kind_of(t) == K.PYTHON for t in targets):
        return []
    return [v for v in _prefetch(policies) if v.alone is not None]


def _directives(
    index: RepoIndex, entries: Mapping[str, cache.FileEntry]
) -> list[suppress.Directive]:
    """The inline directives of the targets: those the file phase found (each entry's), and
    those of a target only this process read (a repo-scope policy did: its entry has none)."""
    out: list[suppress.Directive] = []
    for e in entries.values():
        if e.directives is not None:
            out.extend(e.directives)
    for src in index.loaded_sources():
        entry = entries.get(src.path)
        if (entry is None or entry.directives is None) and index.is_target(src.path):
            out.extend(_source_directives(index, src))
    return out


def _source_directives(index: RepoIndex, src: SourceFile) -> list[suppress.Directive]:
    out = suppress.parse_directives(src)
    if src.kind == K.K8S and suppress.ANNOTATION in src.text:
        manifest = index.parsed(src)
        for obj in getattr(manifest, "objects", ()):
            for holder in (obj.annotations, _template_annotations(obj.data)):
                value = holder.get(suppress.ANNOTATION)
                if isinstance(value, str):
                    loc = obj.kind_loc()
                    out.extend(suppress.parse_annotation(value, loc, obj.start_line, obj.end_line))
    return out


def _template_annotations(data: object) -> Mapping[str, object]:
    cur: object = data
    for key in ("spec", "template", "metadata", "annotations"):
        if not isinstance(cur, dict):
            return {}
        cur = cur.get(key)
    return cur if isinstance(cur, dict) else {}


def _per_file_ignored(
    findings: Iterable[Finding], rules: Mapping[str, tuple[str, ...]]
) -> list[Finding]:
    if not rules:
        return list(findings)
    import pathspec

    specs = [(pathspec.GitIgnoreSpec.from_lines([g]), sel) for g, sel in rules.items()]
    out = []
    for f in findings:
        drop = any(
            spec.match_file(f.location.path) and any(cfg.match_selector(s, f.rule_id) for s in sel)
            for spec, sel in specs
        )
        if not drop:
            out.append(f)
    return out


def _outside_inputs(config: cfg.Config, helm_values: Sequence[str]) -> list[object]:
    """What a result depends on outside the tree: renderer binaries, values files, the OSV db."""
    out: list[object] = []
    for binary in RENDERERS:
        path = find_binary(binary)
        out.append((binary, path, stamp(path)))
    for path in (*helm_values, getattr(config, "vuln_db", None)):
        if path:
            out.append((path, stamp(path)))
    return out


def _cache_dir_usable(directory: str | None, notes: list[Notification]) -> bool:
    """Whether an explicit ``--cache-dir`` can be created and written; if not, a note says the
    run is not cached (the default directory in a read-only tree just means no cache)."""
    from linter.replay import CACHE_UNUSABLE, ensure_cache_dir

    if directory is None:
        return False
    try:
        ensure_cache_dir(directory)
        if not os.access(directory, os.W_OK | os.X_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        notes.append(
            Notification(
                f"cache directory {directory} cannot be used "
                f"({exc.strerror or type(exc).__name__}); this run is not cached",
                level=NotificationLevel.WARNING,
                code=CACHE_UNUSABLE,
            )
        )
        return False
    return True


def _open_cache(
    opts: ScanOptions,
    registry: reg.Registry,
    config: cfg.Config,
    enabled: Iterable[str],
    policies: Sequence[Policy],
    index: RepoIndex,
    explicit: object,
) -> tuple[cache.ScanCache | None, tuple[str, bool] | None]:
    """The scan cache for a directory scan (None for named files: pre-commit runs are small),
    and the whole tree's signature (None when the result depends on more than the files)."""
    if opts.cache_dir is None or explicit is not None:
        return None, None
    key = cache.scan_key(
        config=config,
        enabled=enabled,
        policy_modules=sorted({policy_module(p) for p in policies}),
        root=index.root,
        base=index.base,
        extra={
            "helm_values": list(opts.helm_values),
            "vuln_db": opts.vuln_db,
            "outside": _outside_inputs(config, opts.helm_values),
        },
    )
    store = cache.ScanCache(opts.cache_dir or os.path.join(index.root, cache.CACHE_DIR), key)
    online = bool(opts.online or getattr(config, "online", False))
    return store, None if online else cache.tree_signature(index.all_found())


def scan(opts: ScanOptions) -> ScanResult:
    clock = time.perf_counter()
    timings: dict[str, float] = {}

    def lap(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[phase] = timings.get(phase, 0.0) + now - clock
        clock = now

    root, explicit = resolve_root(opts.paths)
    cache_dir = (
        None if opts.cache_dir is None else opts.cache_dir or os.path.join(root, cache.CACHE_DIR)
    )
    early_notes: list[Notification] = []
    if opts.cache_dir and not _cache_dir_usable(cache_dir, early_notes):
        # asked for and unusable: said so, and the run goes on without a cache
        cache_dir = None
        opts = replace(opts, cache_dir=None)
    registry = reg.load() if cache_dir is None else reg.load_cached(cache_dir, early_notes)
    base = display_base(root, os.path.abspath(opts.base or os.getcwd()))
    conf_root = root if explicit is None else (discover.repo_top(root) or root)
    config = cfg.load(conf_root, registry, opts.config_path)
    if opts.online or opts.vuln_db:
        vdb = os.path.abspath(opts.vuln_db) if opts.vuln_db else config.vuln_db
        config = replace(config, online=config.online or opts.online, vuln_db=vdb)
    enabled = cfg.enabled_rules(registry, config, opts.select, opts.ignore, opts.extend_select)
    policies = [p for rid, p in registry.policies.items() if rid in enabled]
    wanted: frozenset[ArtifactKind] = frozenset().union(*(p.meta.kinds for p in policies))
    index = RepoIndex(root, base, config, wanted, explicit)
    index.helm_values = tuple(opts.helm_values)
    index.walk_cache_dir = cache_dir

    findings: list[Finding] = []
    notes = index.notifications
    notes.extend(early_notes)
    contexts = {
        p.meta.id: CheckContext(p.meta, config.rule_options.get(p.meta.id, {}), index)
        for p in policies
    }
    # file-scope policies, file by file (one read and one parse per file)
    all_targets = index.targets()
    # named files (pre-commit): a policy that reports on none of their kinds cannot report on
    # them, so it does not run (no repo-wide walk for it, no import of its module)
    target_kinds = None if explicit is None else {index.kind_of(t) for t in all_targets}
    if target_kinds is not None and target_kinds & RENDERS_K8S:
        target_kinds.add(K.K8S)  # a named chart file or kustomization: what it renders is checked
    if target_kinds is not None:
        policies = [p for p in policies if p.meta.report_kinds & target_kinds]
    store, tree_sig = _open_cache(opts, registry, config, enabled, policies, index, explicit)
    if store is not None and tree_sig is not None:
        hit = store.tree_lookup(tree_sig[0])
        if hit is not None:  # nothing changed since the cached scan: its result as a whole
            notes_sorted = sorted(set(hit.notes + store.notes), key=Notification.sort_key)
            meta_of = {m.id: m for m in registry.all_metas()}
            return ScanResult(
                hit.findings,
                notes_sorted,
                [meta_of[r] for r in sorted(enabled)],
                hit.snippets,
                root,
                base,
                config,
                sum(1 for n in notes_sorted if n.code == "prodready-internal-error"),
                index,
                timings,
            )
    # a scan too small for workers (pre-commit): bandit's run (~40 ms of imports) in one
    # worker from here on, while this process imports the checks and runs them
    helper = None
    if opts.jobs > 1 and len(all_targets) < parallel.MIN_PARALLEL_FILES:
        helper = parallel.Helper.start(index, opts.jobs, _alone(policies, index, all_targets))
    try:
        policies = reg.resolve(policies)
        file_pols = [p for p in policies if p.meta.scope == "file"]
        lap("setup and discovery")
        # file by file (one read and one parse per file), from the cache, here or in workers
        phase = parallel.FilePhase(
            index,
            all_targets,
            file_pols,
            contexts,
            jobs=opts.jobs,
            store=store,
            progress=opts.progress,
            prefetch=lambda: _prefetch(policies),
        )
    except BaseException:  # Ctrl-C, or a crash: the worker stops now
        if helper is not None:
            helper.terminate()
        raise
    try:
        # rendered Helm charts / kustomizations: k8s file policies, findings mapped to templates
        k8s_pols = [p for p in file_pols if K.K8S in p.meta.kinds and not p.meta.raw_source]
        for manifest in render.rendered_manifests(index, reportable_only=True) if k8s_pols else ():
            for pol in k8s_pols:
                found = _run_policy(
                    pol, contexts[pol.meta.id], manifest, manifest.source.path, notes
                )
                mapped = render.map_back(index, found)
                findings.extend(f for f in mapped if index.is_target(f.location.path))
        lap("file policies")
        # repo-scope policies see the whole index; they report only on targets
        repo_pols = [p for p in policies if p.meta.scope == "repo"]
        waiting: set[str] = set()  # the policies that wait for what the workers compute
        # the code index and the file views: their users last (output is sorted)
        if phase.prefetching or (helper is not None and helper.prefetching):
            from linter.code.index import CODE_KINDS

            ids = {p.meta.id for p in repo_pols}
            waiting = {p.meta.id for p in repo_pols if p.meta.kinds & CODE_KINDS}
            waiting.update(*(v.used_by & ids for v in fileviews.views_for(ids)))
            repo_pols.sort(key=lambda p: p.meta.id in waiting)
        warm_up = opts.warm_up if phase.used_workers else None
        for pol in repo_pols:
            if pol.meta.id in waiting:
                phase.run_here()  # while the workers finish (before waiting for them)
                if warm_up is not None:
                    warm_up()
                    warm_up = None
            found = _run_policy(pol, contexts[pol.meta.id], index, "(repo)", notes)
            found = render.map_back(index, found)
            findings.extend(f for f in found if index.is_target(f.location.path))
        if warm_up is not None:
            warm_up()
        entries = {e.path: e for e in phase.wait()}
        if helper is not None:
            helper.wait()
    except BaseException:  # Ctrl-C, or a crash: the workers stop now, not after their spans
        phase.terminate()
        if helper is not None:
            helper.terminate()
        raise
    for e in entries.values():
        findings.extend(e.findings)
        notes.extend(e.notes)
    notes.extend(store.notes if store is not None else ())

    lap("repo policies")
    # per-file ignores, inline suppressions, severity overrides
    findings = _per_file_ignored(findings, config.per_file_ignores)
    meta_of = {m.id: m for m in registry.all_metas()}
    directives = _directives(index, entries)
    findings = suppress.apply(findings, directives, enabled, meta_of.keys(), meta_of)
    if config.severity:
        findings = [
            replace(f, severity=config.severity[f.rule_id]) if f.rule_id in config.severity else f
            for f in findings
        ]

    # deduplicate, sort, redact
    unique = {(f.rule_id, f.location, f.message): f for f in findings}
    findings = sorted(unique.values(), key=Finding.sort_key)
    # a secret is masked in every snippet of the file it was found in, and in its own message
    # (messages never quote values; this is the safety net)
    secrets: dict[str, set[str]] = {}
    for f in findings:
        if f.redact:
            secrets.setdefault(f.location.path, set()).update(f.redact)
    redactors = {path: Redactor(values) for path, values in secrets.items()}
    unmasked = Redactor(())
    snippets: dict[tuple[str, int], str] = {}
    sources: dict[str, SourceFile | None] = {s.path: s for s in index.loaded_sources()}
    for f in findings:
        src = sources.get(f.location.path)
        key = (f.location.path, f.location.start_line)
        entry = entries.get(f.location.path)
        if src is None and (entry is None or key[1] not in entry.lines):
            # read by a worker process only (a view it computed): read it here for the snippet
            src = sources[f.location.path] = index.source_at(f.location.path)
        if src is not None and key not in snippets:
            snippets[key] = redactors.get(key[0], unmasked)(src.line(f.location.start_line))
        elif key not in snippets and f.location.path in entries:
            cached = entries[f.location.path].lines.get(f.location.start_line)
            if cached is not None:
                snippets[key] = redactors.get(key[0], unmasked)(cached)
    if secrets:
        findings = [
            replace(f, message=redact(f.message, f.redact)) if f.redact else f for f in findings
        ]
    if explicit is not None:
        # named files (pre-commit): what went wrong elsewhere in the repo is not this run's news,
        # except an internal error, which always counts, and what a chart holding a named file
        # gave (helm missing or failing: noted on its Chart.yaml)
        charts = render.chart_files(index) if index.chart_roots else frozenset()
        named = index.named_paths()
        notes = [
            n
            for n in notes
            if n.path is None
            or index.is_target(n.path)
            or n.path in named
            or n.path in charts
            or n.code == "prodready-internal-error"
        ]
    notes_sorted = sorted(set(notes), key=Notification.sort_key)
    internal = sum(1 for n in notes_sorted if n.code == "prodready-internal-error")
    rules = [meta_of[r] for r in sorted(enabled)]
    lap("suppressions and sorting")
    if store is not None:
        if tree_sig is not None and tree_sig[1]:
            store.tree_put(tree_sig[0], findings, notes_sorted, snippets)
        store.forget_others(f.path for f in all_targets)
        store.save()
    return ScanResult(
        findings, notes_sorted, rules, snippets, root, base, config, internal, index, timings
    )
