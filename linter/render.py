"""Helm charts and kustomizations, rendered to plain manifests for the Kubernetes policies.

- A directory with ``Chart.yaml`` (not a subchart under another chart's ``charts/``) is rendered
  with ``helm template`` when ``helm`` is on PATH, with the chart's own values plus any
  ``--helm-values`` files. Each rendered document is attributed to the template named by its
  ``# Source:`` comment; findings are mapped back to that template file, on the line whose text
  matches the rendered line (or the same key), else to line 1 of the chart's ``Chart.yaml``.
- A ``kustomization.yaml`` that no other kustomization of the scan uses as a base is built with
  ``kustomize build`` or ``kubectl kustomize``. Objects that also exist as plain manifests in the
  scan are dropped (the plain file is already checked, with exact lines); objects that only exist
  after the build (generated, from non-scanned bases) are checked and reported on the
  kustomization file.
- A missing binary, a render failure, a timeout, remote bases or a chart that cannot render
  offline: a notification, never a silent skip. Renderers run without a shell, with a timeout,
  with no network flags, and behind an unreachable proxy so nothing is fetched.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import field, replace
from functools import partial
from typing import TYPE_CHECKING, Any

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import ArtifactKind, Finding, Location, Notification, NotificationLevel
from linter.parsers.k8s import K8sManifest, K8sObject, parse_k8s
from linter.parsers.yaml import ParseError, parse_yaml
from linter.replay import find_binary
from linter.source import SourceFile

if TYPE_CHECKING:
    from linter.index import RepoIndex

K = ArtifactKind
RENDER_TIMEOUT = 60
RENDERED_SUFFIX = " (rendered)"
MAX_OUTPUT = 20_000_000
_SOURCE = lazy(r"^# Source: (.+?)\s*$", re.M)
_REMOTE = lazy(r"(://|^github\.com/|^gitlab\.com/|^bitbucket\.org/|^git@|\?ref=|\.git$)")
KUSTOMIZE_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")


@dataclass(frozen=True)
class Origin:
    """Where findings on a rendered source go: a file of the repo, and its text when known."""

    path: str
    text: str | None  # the template's text (line matching); None: report on line 1


@dataclass
class Rendered:
    """The manifests rendered from Helm charts and Kustomize overlays, and where each came from."""

    manifests: list[K8sManifest] = field(default_factory=list)
    origins: dict[str, Origin] = field(default_factory=dict)


def _holder(index: RepoIndex) -> dict[str, Any]:
    """Per-scan slot for the renders: the plan, each one done, and what they gave together (the
    ``result`` :func:`map_back` peeks at)."""
    return index.memo(("rendered-k8s",), dict)


def _abspath(index: RepoIndex, path: str) -> str | None:
    table = index.memo(("render-abspaths",), lambda: {f.path: f.abspath for f in index.all_found()})
    return table.get(path)


def _offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().endswith("_PROXY")}
    dead = "http://127.0.0.1:9"
    env.update(
        {
            "HTTP_PROXY": dead,
            "HTTPS_PROXY": dead,
            "http_proxy": dead,
            "https_proxy": dead,
            "NO_PROXY": "",
            "GIT_TERMINAL_PROMPT": "0",
            "HELM_NO_PLUGINS": "1",
        }
    )
    return env


def run_renderer(argv: Sequence[str], cwd: str, timeout: float | None = None) -> tuple[str, str]:
    """Run a renderer: (stdout, "") on success, ("", reason) on failure. Never a shell."""
    import subprocess  # only when a renderer is installed and needed

    timeout = RENDER_TIMEOUT if timeout is None else timeout
    try:
        proc = subprocess.run(
            list(argv),
            cwd=cwd,
            env=_offline_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "", f"timed out after {timeout}s"
    except OSError as exc:
        return "", f"could not run {argv[0]}: {exc.strerror or exc}"
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        last = err.splitlines()[-1] if err else f"exit status {proc.returncode}"
        # klog prefix of kubectl: E1122 20:16:52.679147  633 run.go:72] "command failed" err=…
        last = re.sub(r'^[EWIF]\d{4} [\d:.]+\s+\d+ \S+\] (?:"command failed" )?', "", last)
        return "", last[:300]
    if len(proc.stdout) > MAX_OUTPUT:
        return "", f"output is over {MAX_OUTPUT:,} bytes"
    return proc.stdout.decode("utf-8", "replace"), ""


# -- Helm ------------------------------------------------------------------------------------


def top_charts(index: RepoIndex) -> list[str]:
    """Chart directories (display paths) that are not subcharts of another chart; in a run on
    named files, only those that hold a named file (the others are not rendered)."""
    roots = sorted(index.chart_roots)
    out = []
    for root in roots:
        parts = root.split("/") if root else []
        if "charts" in parts[:-1]:
            parent = "/".join(parts[: len(parts) - 1 - parts[::-1].index("charts")])
            if parent in index.chart_roots or (parent == "" and "" in index.chart_roots):
                continue
        out.append(root)
    if index.named_files:
        targets = [f.path for f in index.targets()]
        out = [r for r in out if any(not r or t.startswith(f"{r}/") for t in targets)]
    return out


def chart_files(index: RepoIndex) -> frozenset[str]:
    """The Chart.yaml of every chart :func:`top_charts` renders (its notes are noted there)."""
    return frozenset(_chart_file(index, chart) for chart in top_charts(index))


def _join(*parts: str) -> str:
    return posixpath.join(*[p for p in parts if p]) if any(parts) else ""


def _split_sources(text: str) -> list[tuple[str | None, str]]:
    """Rendered stream → [(``# Source:`` path or None, document text)]."""
    docs: list[tuple[str | None, str]] = []
    for chunk in re.split(r"^---[ \t]*$", text, flags=re.M):
        if not chunk.strip():
            continue
        m = _SOURCE.search(chunk)
        docs.append((m.group(1) if m else None, chunk.strip("\n") + "\n"))
    return docs


#: a renderer's argv, its working directory, what it reads (directories, files: see
#: :mod:`linter.rendercache`), and what adds its (stdout, error) to the result
_Job = tuple[list[str], str, tuple[list[str], list[str]], Callable[[Rendered, str, str], None]]


def _chart_job(index: RepoIndex, chart: str, helm: str) -> _Job:
    chart_yaml = _chart_file(index, chart)
    abs_dir = _abspath(index, chart_yaml)
    abs_dir = os.path.dirname(abs_dir) if abs_dir else os.path.join(index.root, chart)
    values = [os.path.abspath(v) for v in getattr(index, "helm_values", ())]
    argv = [helm, "template", "prodready", abs_dir]
    for path in values:
        argv += ["--values", path]
    return argv, abs_dir, ([abs_dir], values), partial(_chart_done, index, chart)


def _chart_done(index: RepoIndex, chart: str, out: Rendered, text: str, error: str) -> None:
    chart_yaml = _chart_file(index, chart)
    if error:
        _notify(index, chart_yaml, f"helm template failed: {error}; chart not checked", True)
        return
    known = {f.path for f in index.all_found()}
    grouped: dict[str, list[str]] = {}
    for source, doc in _split_sources(text):
        target = chart_yaml
        if source:
            # "<chart name>/templates/x.yaml" or "<chart>/charts/<sub>/templates/x.yaml"
            rel = source.split("/", 1)[1] if "/" in source else source
            candidate = _join(chart, rel)
            if candidate in known:
                target = candidate
        grouped.setdefault(target, []).append(doc)
    for target, docs in grouped.items():
        text_of = index.read_text(target) if target != chart_yaml else None
        _add(index, out, target, "---\n".join(docs), Origin(target, text_of))


def _chart_file(index: RepoIndex, chart: str) -> str:
    for name in ("Chart.yaml", "Chart.yml"):
        path = _join(chart, name)
        if _abspath(index, path):
            return path
    return _join(chart, "Chart.yaml")


# -- Kustomize -------------------------------------------------------------------------------


def _kustomization_files(index: RepoIndex) -> list[str]:
    return sorted(f.path for f in index.named(lambda name: name in KUSTOMIZE_NAMES))


def _load_kustomization(index: RepoIndex, path: str) -> dict[str, Any]:
    for src in index.sources_of({K.KUSTOMIZATION}):
        if src.path == path:
            art = index.parsed(src)
            docs = getattr(art, "documents", ())
            if docs and isinstance(docs[0].data, dict):
                return dict(docs[0].data)
    return {}


def _refs(kust: dict[str, Any]) -> list[str]:
    refs: list[str] = []
    for key in ("resources", "bases", "components"):
        value = kust.get(key)
        if isinstance(value, list):
            refs.extend(str(v) for v in value if isinstance(v, str))
    return refs


def _kustomization_job(index: RepoIndex, path: str, argv0: list[str]) -> _Job | None:
    """What builds the kustomization at ``path``; None (with a notification) when it would
    need a download."""
    kdir = posixpath.dirname(path)
    abs_file = _abspath(index, path)
    abs_dir = os.path.dirname(abs_file) if abs_file else os.path.join(index.root, kdir)
    # never let kustomize fetch anything: remote bases and helmCharts are reported instead
    todo, seen = [path], set()
    while todo:
        cur = todo.pop()
        if cur in seen:
            continue
        seen.add(cur)
        kust = _load_kustomization(index, cur)
        if kust.get("helmCharts"):
            _notify(index, path, "kustomization inflates helmCharts (needs a download); not built")
            return None
        for ref in _refs(kust):
            if _REMOTE.search(ref):
                _notify(index, path, f"kustomization uses a remote base ({ref}); not built")
                return None
            base = posixpath.normpath(_join(posixpath.dirname(cur), ref))
            for name in KUSTOMIZE_NAMES:
                if _abspath(index, _join(base, name)):
                    todo.append(_join(base, name))
    inputs = _kustomize_inputs(index, sorted(seen), abs_dir)
    return [*argv0, abs_dir], abs_dir, inputs, partial(_kustomization_done, index, path, argv0)


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


def _kustomize_inputs(
    index: RepoIndex, kustomizations: Sequence[str], abs_dir: str
) -> tuple[list[str], list[str]]:
    """What a build may read (:mod:`linter.rendercache`): the directories of the kustomizations
    it uses, and every directory and file one of them names (a superset: any string that is the
    relative path of one)."""
    roots, files = [abs_dir], []
    for path in kustomizations:
        found = _abspath(index, path)
        here = (
            os.path.dirname(found) if found else os.path.join(index.root, posixpath.dirname(path))
        )
        roots.append(here)
        for value in _strings(_load_kustomization(index, path)):
            if not value or "\n" in value or _REMOTE.search(value) or os.path.isabs(value):
                continue
            named = os.path.normpath(os.path.join(here, value))
            if os.path.isdir(named):
                roots.append(named)
            elif os.path.isfile(named):
                files.append(named)
    return roots, files


def _kustomization_done(
    index: RepoIndex, path: str, argv0: list[str], out: Rendered, text: str, error: str
) -> None:
    if error:
        _notify(index, path, f"{' '.join(argv0[:2])} failed: {error}; not checked", True)
        return
    _add(index, out, path, text, Origin(path, None), drop_known=True)


def _leaf_kustomizations(index: RepoIndex) -> list[str]:
    files = _kustomization_files(index)
    used: set[str] = set()
    components: set[str] = set()
    for path in files:
        kust = _load_kustomization(index, path)
        if kust.get("kind") == "Component":
            components.add(path)
        for ref in _refs(kust):
            base = posixpath.normpath(_join(posixpath.dirname(path), ref))
            used.add(base)
    return [p for p in files if posixpath.dirname(p) not in used and p not in components]


PATCH_KEYS = ("patches", "patchesStrategicMerge", "patchesJson6902")


def kustomize_inputs(index: RepoIndex) -> frozenset[str]:
    """Display paths of the files kustomizations use as resources or patches (partial objects)."""

    def build() -> frozenset[str]:
        out: set[str] = set()
        for path in _kustomization_files(index):
            kust = _load_kustomization(index, path)
            entries: list[str] = _refs(kust)
            for key in PATCH_KEYS:
                value = kust.get(key)
                if isinstance(value, list):
                    for item in value:
                        if isinstance(item, str):
                            entries.append(item)
                        elif isinstance(item, dict) and isinstance(item.get("path"), str):
                            entries.append(item["path"])
            for entry in entries:
                if "\n" not in entry and not _REMOTE.search(entry):
                    out.add(posixpath.normpath(_join(posixpath.dirname(path), entry)))
        return frozenset(out)

    return index.memo(("kustomize-inputs",), build)


def which(name: str) -> str | None:
    """A renderer binary on PATH (one place, so tests can stub it)."""
    return find_binary(name)


def _kustomize_cmd() -> list[str] | None:
    kustomize = which("kustomize")
    if kustomize:
        return [kustomize, "build"]
    kubectl = which("kubectl")
    if kubectl:
        return [kubectl, "kustomize"]
    return None


# -- shared ----------------------------------------------------------------------------------


def _notify(index: RepoIndex, path: str, message: str, error: bool = False) -> None:
    level = NotificationLevel.ERROR if error else NotificationLevel.WARNING
    code = "prodready-render-error" if error else "prodready-render-skipped"
    index.notifications.append(Notification(message, level=level, path=path, code=code))


def _add(
    index: RepoIndex,
    out: Rendered,
    target: str,
    text: str,
    origin: Origin,
    drop_known: bool = False,
) -> None:
    virtual = target + RENDERED_SUFFIX
    plain: set[tuple[str, str]] = set()
    if drop_known:
        from linter.plainobjects import plain_objects

        plain = plain_objects(index)
        text = _unknown_documents(text, plain)
    src = SourceFile(virtual, _abspath(index, target) or "", K.K8S, text)
    try:
        manifest = parse_k8s(parse_yaml(src))
    except ParseError as exc:
        note = exc.notification
        index.notifications.append(
            replace(note, path=target, line=None, column=None, message="rendered " + note.message)
        )
        return
    except RecursionError:
        _notify(index, target, "rendered output is nested too deeply; not checked", True)
        return
    if drop_known:
        kept = tuple(o for o in manifest.objects if not _known(o.kind, o.name, plain))
        manifest = K8sManifest(src, kept)
    if manifest.objects:
        out.manifests.append(manifest)
        out.origins[virtual] = origin


#: in kustomize's output (canonical YAML: block style, two-space indents, one ``kind`` and one
#: ``metadata`` at column 0 per document): the lines that matter, each found with its newline
#: (a literal first character: the scan jumps from newline to newline): a document separator
#: (its own newline left for the next match), a document's kind, its metadata
_DOC_LINE = lazy(r"\n(?:(---)[ \t]*(?=\n)|kind: ([A-Za-z][A-Za-z0-9]*)$|(metadata:))", re.M)
#: the metadata's name when it is a plain lower-case DNS name (anything else, a quoted or
#: numeric name, is parsed)
_DOC_NAME = lazy(r"^metadata:\n(?:  .*\n)*?  name: ([a-z][-a-z0-9.]*[a-z0-9])$", re.M)


def _unknown_documents(text: str, plain: set[tuple[str, str]]) -> str:
    """Kustomize's output without the documents of objects the plain manifests already have
    (dropped anyway after parsing; an overlay of a big base repeats MBs of CRDs): a document
    is left out unparsed when its kind and name are certain from its text: exactly one
    ``kind:`` and one ``metadata:`` line at column 0, and a plain name. Documents are split at
    each ``---`` line (spaces or tabs after it allowed) and joined again with ``---``; one pass
    over the text."""
    t = "\n" + text  # each line of the text, the first too, after a newline
    kept: list[str] = []
    count = 0
    start = 1  # where the current document starts in t
    kinds: list[str] = []
    metas: list[int] = []

    def close(end: int) -> None:
        if len(kinds) == 1 and len(metas) == 1:
            name = _DOC_NAME.match(t, metas[0], end)
            if name is not None and _known(kinds[0], name.group(1), plain):
                return
        kept.append(t[start:end])

    for m in _DOC_LINE.finditer(t):
        if m.group(1):  # a separator: the document before it ends with its newline
            close(m.start() + 1)
            count += 1
            start, kinds, metas = m.end() + 1, [], []
        elif m.group(2):
            kinds.append(m.group(2))
        else:
            metas.append(m.start() + 1)
    close(len(t))
    count += 1
    return text if len(kept) == count else "---\n".join(kept)


def _known(kind: str, name: str, plain: set[tuple[str, str]]) -> bool:
    if (kind, name) in plain:
        return True
    # namePrefix / nameSuffix of an overlay: prod-api, api-v2 for a base object api
    return any(
        k == kind and n and (name.endswith("-" + n) or name.startswith(n + "-")) for k, n in plain
    )


def _plan(index: RepoIndex) -> list[tuple[bool, _Job]]:
    """The renders of the scan, in order, each with whether its findings can be reported (with
    named files: a chart :func:`top_charts` renders, as it holds one, or a named
    kustomization; a kustomization's findings sit on its own file)."""
    jobs: list[tuple[bool, _Job]] = []
    charts = top_charts(index)
    helm = which("helm") if charts else None
    for chart in charts:
        if helm is None:
            _notify(
                index,
                _chart_file(index, chart),
                "helm is not on PATH; Helm chart not rendered or checked",
            )
        else:
            jobs.append((True, _chart_job(index, chart, helm)))
    leaves = _leaf_kustomizations(index)
    cmd = _kustomize_cmd() if leaves else None
    for path in leaves:
        if cmd is None:
            _notify(
                index, path, "neither kustomize nor kubectl is on PATH; kustomization not built"
            )
        elif (job := _kustomization_job(index, path, cmd)) is not None:
            jobs.append((not index.named_files or index.is_target(path), job))
    return jobs


def rendered(index: RepoIndex, reportable_only: bool = False) -> Rendered:
    """The charts and kustomizations of the scan, each rendered once per scan, when first
    asked for: every one, or (``reportable_only``) those whose findings can be reported. A run
    on a named manifest thus builds no kustomization unless a graph or join asks for all."""
    slot = _holder(index)
    if "plan" not in slot:
        slot["plan"] = _plan(index)
        slot["done"] = {}
    plan: list[tuple[bool, _Job]] = slot["plan"]
    done: dict[int, Rendered] = slot["done"]
    wanted = [i for i, (reports, _) in enumerate(plan) if reports or not reportable_only]
    todo = [i for i in wanted if i not in done]
    if todo or "result" not in slot:
        # the renderers run side by side (each one mostly starts up and waits); their output
        # is added in the order of the jobs, so the result is the same as one after the other
        for i, (text, error) in zip(todo, _run_all(index, [plan[i][1] for i in todo]), strict=True):
            *_, add = plan[i][1]
            part = done[i] = Rendered()
            add(part, text, error)
        slot["result"] = _joined([done[i] for i in sorted(done)])  # all so far (map_back)
        slot.pop("subset", None)
    if len(wanted) == len(done):
        result: Rendered = slot["result"]
        return result
    if "subset" not in slot:
        slot["subset"] = _joined([done[i] for i in wanted])
    subset: Rendered = slot["subset"]
    return subset


def _joined(parts: Sequence[Rendered]) -> Rendered:
    out = Rendered()
    for part in parts:
        out.manifests.extend(part.manifests)
        out.origins.update(part.origins)
    return out


def _run_all(index: RepoIndex, jobs: Sequence[_Job]) -> list[tuple[str, str]]:
    """Every job's (stdout, error): from the render cache when its inputs are unchanged, else
    from its renderer, as many at a time as this process may use CPUs."""
    from linter import rendercache

    cache_dir = index.walk_cache_dir
    notes: list[list[Notification]] = [[] for _ in jobs]

    def one(i: int) -> tuple[str, str]:
        argv, cwd, inputs, _ = jobs[i]
        run = partial(run_renderer, argv, cwd)
        return rendercache.cached(cache_dir, argv, cwd, inputs, run, notes[i])

    if len(jobs) <= 1:
        results = [one(i) for i in range(len(jobs))]
    else:
        from concurrent.futures import ThreadPoolExecutor

        from linter.parallel import default_jobs

        with ThreadPoolExecutor(max_workers=min(len(jobs), default_jobs())) as pool:
            results = list(pool.map(one, range(len(jobs))))
    for noted in notes:
        index.notifications.extend(noted)
    return results


def rendered_manifests(index: RepoIndex, reportable_only: bool = False) -> list[K8sManifest]:
    return rendered(index, reportable_only).manifests


def named_objects(index: RepoIndex) -> list[K8sObject]:
    """In a run on named files: the Kubernetes objects a finding of the run can sit on, those
    of the named manifests and of the charts and kustomizations whose findings it reports."""
    manifests = [
        *index.artifacts(K.K8S, targets_only=True),
        *rendered_manifests(index, reportable_only=True),
    ]
    return [obj for m in manifests for obj in m.objects]


def reportable(index: RepoIndex, path: str) -> bool:
    """Can a finding at ``path`` be reported: any in a full scan; with named files (pre-commit),
    one on a named file or on a rendered manifest (the charts and kustomizations a named run
    renders hold a named file; :func:`map_back` moves the finding to its template)."""
    return (
        not index.named_files
        or index.is_target(path)
        or path in rendered(index, reportable_only=True).origins
    )


# -- mapping findings back -------------------------------------------------------------------


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def map_line(rendered_lines: Sequence[str], line: int, col: int, template: str) -> tuple[int, int]:
    """(line, col) in the template for a 1-based position in the rendered text."""
    if not 1 <= line <= len(rendered_lines):
        return 1, 1
    text = rendered_lines[line - 1]
    stripped = text.strip()
    tlines = template.splitlines()
    if not stripped or not tlines:
        return 1, 1
    exact = [i for i, t in enumerate(tlines) if t.strip() == stripped]
    candidates = exact
    if not candidates and ":" in stripped:
        key = stripped.split(":", 1)[0] + ":"
        candidates = [i for i, t in enumerate(tlines) if t.strip().startswith(key)]
    if not candidates:
        return 1, 1
    best = min(candidates, key=lambda i: abs(i - (line - 1)))
    tline = tlines[best]
    token_col = col - _indent(text) + _indent(tline)
    if best not in exact:
        rest = text[col - 1 :].split()
        found = tline.find(rest[0]) if rest else -1
        key_end = _indent(text) + len(stripped.split(":", 1)[0]) + 1
        if found >= 0:
            token_col = found + 1
        elif col - 1 > key_end and ":" in tline:
            # a value rendered from a template expression: point at the expression
            after = tline.index(":", _indent(tline)) + 1
            token_col = after + (len(tline) - after - len(tline[after:].lstrip())) + 1
        else:
            token_col = _indent(tline) + 1
    return best + 1, max(1, min(token_col, len(tline) + 1))


def _map_loc(loc: Location, rend: Rendered, lines: dict[str, list[str]]) -> Location:
    origin = rend.origins.get(loc.path)
    if origin is None:
        return loc
    if origin.text is None:
        return Location(origin.path, 1, 1, logical_path=loc.logical_path)
    rlines = lines[loc.path]
    line, col = map_line(rlines, loc.start_line, loc.start_col, origin.text)
    tline = origin.text.splitlines()[line - 1] if origin.text.splitlines() else ""
    end = col + max(1, loc.end_col - loc.start_col) if loc.end_line == loc.start_line else col + 1
    end = min(max(end, col + 1), max(col + 1, len(tline) + 1))
    return Location(origin.path, line, col, line, end, logical_path=loc.logical_path)


def map_back(index: RepoIndex, findings: Iterable[Finding]) -> list[Finding]:
    """Findings on rendered sources, moved to the template / chart / kustomization file."""
    findings = list(findings)
    rend = _holder(index).get("result") if findings else None
    if rend is None or not rend.origins:
        return findings
    lines = {m.source.path: m.source.lines for m in rend.manifests}
    out = []
    for f in findings:
        if f.location.path not in rend.origins and not any(
            r.path in rend.origins for r in f.related
        ):
            out.append(f)
            continue
        out.append(
            replace(
                f,
                location=_map_loc(f.location, rend, lines),
                related=tuple(_map_loc(r, rend, lines) for r in f.related),
            )
        )
    return out
