"""CI pipelines as one model: GitHub Actions workflows and composite actions, GitLab CI (local
``include:`` followed through the RepoIndex, remote ones noted) and the plain text of other CI
systems (Jenkinsfile, CircleCI, …) so the checklist gates can still see their commands.

Built once per scan (``pipelines(index)`` is memoised in the index); the CI policies and
``linter/ci_images.py`` read it, never the files.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import field
from typing import TYPE_CHECKING, Any, Literal

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import ArtifactKind, Location, Notification, NotificationLevel
from linter.positions import item_loc, key_loc, line_loc, value_loc
from linter.source import SourceFile

if TYPE_CHECKING:
    from linter.index import RepoIndex

K = ArtifactKind

#: CI systems we do not model but whose files still count as "a pipeline exists"
OTHER_CI_FILES = (
    "Jenkinsfile",
    ".circleci/config.yml",
    ".circleci/config.yaml",
    "azure-pipelines.yml",
    "azure-pipelines.yaml",
    "bitbucket-pipelines.yml",
    ".travis.yml",
    ".drone.yml",
    ".woodpecker.yml",
    ".woodpecker.yaml",
    "cloudbuild.yaml",
    "cloudbuild.yml",
    ".buildkite/pipeline.yml",
    "buildspec.yml",
    "appveyor.yml",
    ".cirrus.yml",
    ".semaphore/semaphore.yml",
    "codemagic.yaml",
)

GITLAB_RESERVED = frozenset(
    {
        "default",
        "include",
        "stages",
        "variables",
        "workflow",
        "image",
        "services",
        "cache",
        "before_script",
        "after_script",
        "types",
        "spec",
    }
)
GITLAB_SCRIPT_KEYS = ("before_script", "script", "after_script")

CommandKind = Literal["run", "uses", "script", "text"]


@dataclass(frozen=True)
class Command:
    """A shell script (GHA ``run:``, GitLab script line), an action reference (``uses:``) or the
    whole text of an unmodelled CI file."""

    text: str
    kind: CommandKind
    source: SourceFile
    loc: Location  # the ``run:``/``uses:`` key, the script item, or line 1
    job: str
    step: dict[str, Any] | None = None  # the GHA step mapping

    def with_inputs(self) -> dict[str, Any]:
        w = self.step.get("with") if self.step is not None else None
        return w if isinstance(w, dict) else {}

    def search_text(self) -> str:
        """What gate policies grep: the script, or ``uses`` plus its ``with:`` inputs."""
        if self.kind != "uses":
            return self.text
        extra = " ".join(f"{k}={v}" for k, v in self.with_inputs().items() if isinstance(v, str))
        return f"{self.text} {extra}"

    def locate(self, fragment: str, nth: int = 0) -> Location:
        """The exact span of ``fragment`` inside this command's text in the file (searched
        from the command's line on); the command's own location when it cannot be found."""
        seen = 0
        # the command's own lines (a block scalar starts one line below its key), not the file
        last = min(self.source.line_count, self.loc.start_line + self.text.count("\n") + 2)
        for number in range(self.loc.start_line, last + 1):
            line = self.source.line(number)
            start = 0
            while True:
                col = line.find(fragment, start)
                if col < 0:
                    break
                if seen == nth:
                    return Location(
                        self.source.path,
                        number,
                        col + 1,
                        number,
                        col + 1 + len(fragment),
                        self.loc.logical_path,
                    )
                seen += 1
                start = col + 1
        return self.loc


@dataclass(frozen=True)
class GhaStep:
    """A step of a GitHub Actions job (or of a composite action's ``runs``)."""

    source: SourceFile
    job: str
    data: dict[str, Any]
    seq: list[Any]
    index: int

    @property
    def logical(self) -> str:
        return f"jobs.{self.job}.steps[{self.index}]" if self.job else f"runs.steps[{self.index}]"

    @property
    def uses(self) -> str | None:
        u = self.data.get("uses")
        return u.strip() if isinstance(u, str) else None

    @property
    def run(self) -> str | None:
        r = self.data.get("run")
        return r if isinstance(r, str) else None

    @property
    def with_inputs(self) -> dict[str, Any]:
        w = self.data.get("with")
        return w if isinstance(w, dict) else {}

    def item_loc(self) -> Location:
        return item_loc(self.source, self.seq, self.index, self.logical) or line_loc(self.source, 1)

    def key_loc(self, key: str) -> Location:
        return key_loc(self.source, self.data, key, self.logical) or self.item_loc()

    def value_loc(self, key: str) -> Location:
        return value_loc(self.source, self.data, key, self.logical) or self.key_loc(key)


@dataclass(frozen=True)
class GhaJob:
    """A job of a GitHub Actions workflow."""

    source: SourceFile
    id: str
    data: dict[str, Any]
    jobs: dict[str, Any]

    def key_loc(self) -> Location:
        return key_loc(self.source, self.jobs, self.id, f"jobs.{self.id}") or line_loc(
            self.source, 1
        )

    @property
    def uses(self) -> str | None:
        """A reusable-workflow call (``jobs.<id>.uses``)."""
        u = self.data.get("uses")
        return u.strip() if isinstance(u, str) else None


@dataclass
class Pipeline:
    """A CI configuration file read as a pipeline: its commands, and its jobs and steps for GitHub
    Actions."""

    source: SourceFile
    kind: ArtifactKind  # GHA_WORKFLOW, GHA_ACTION, GITLAB_CI or TEXT (another CI system)
    data: dict[str, Any]
    #: where "missing in this pipeline" findings point (``jobs:`` key, ``runs:`` key, line 1)
    anchor: Location
    commands: list[Command] = field(default_factory=list)
    gha_jobs: list[GhaJob] = field(default_factory=list)
    gha_steps: list[GhaStep] = field(default_factory=list)
    #: GitLab: the file this one was included from ('' for a root .gitlab-ci.yml)
    included_from: str = ""
    #: GitLab ``include: template:`` names (GitLab-provided templates, e.g. Security/SAST)
    templates: list[str] = field(default_factory=list)

    @property
    def path(self) -> str:
        return self.source.path

    def triggers(self) -> set[str]:
        """Workflow events (``on:`` as a string, list or mapping)."""
        data: dict[Any, Any] = self.data
        on = data.get("on", data.get(True))  # YAML 1.1 reads `on` as True
        if isinstance(on, str):
            return {on}
        if isinstance(on, list):
            return {str(x) for x in on}
        if isinstance(on, dict):
            return {str(k) for k in on}
        return set()


def _docs(index: RepoIndex, src: SourceFile) -> list[dict[str, Any]]:
    yf = index.parsed(src)
    if yf is None:
        return []
    return [d.data for d in yf.documents if isinstance(d.data, dict)]


def _gha_steps(src: SourceFile, job: str, steps: Any) -> Iterator[GhaStep]:
    if not isinstance(steps, list):
        return
    for i, st in enumerate(steps):
        if isinstance(st, dict):
            yield GhaStep(src, job, st, steps, i)


def _step_commands(step: GhaStep) -> Iterator[Command]:
    if step.run is not None:
        yield Command(step.run, "run", step.source, step.key_loc("run"), step.job, step.data)
    if step.uses is not None:
        yield Command(step.uses, "uses", step.source, step.value_loc("uses"), step.job, step.data)


def _workflow(src: SourceFile, data: dict[str, Any]) -> Pipeline:
    anchor = key_loc(src, data, "jobs") or line_loc(src, 1)
    pipe = Pipeline(src, K.GHA_WORKFLOW, data, anchor)
    jobs = data.get("jobs")
    if isinstance(jobs, dict):
        for jid, job in jobs.items():
            if not isinstance(job, dict):
                continue
            gj = GhaJob(src, str(jid), job, jobs)
            pipe.gha_jobs.append(gj)
            if gj.uses is not None:
                loc = value_loc(src, job, "uses", f"jobs.{jid}") or gj.key_loc()
                pipe.commands.append(Command(gj.uses, "uses", src, loc, str(jid), job))
            for step in _gha_steps(src, str(jid), job.get("steps")):
                pipe.gha_steps.append(step)
                pipe.commands.extend(_step_commands(step))
    return pipe


def _composite(src: SourceFile, data: dict[str, Any]) -> Pipeline:
    anchor = key_loc(src, data, "runs") or line_loc(src, 1)
    pipe = Pipeline(src, K.GHA_ACTION, data, anchor)
    runs = data.get("runs")
    if isinstance(runs, dict):
        for step in _gha_steps(src, "", runs.get("steps")):
            pipe.gha_steps.append(step)
            pipe.commands.extend(_step_commands(step))
    return pipe


def gitlab_jobs(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Jobs of a GitLab CI document, hidden (``.template``) ones included."""
    for name, job in data.items():
        if isinstance(name, str) and name not in GITLAB_RESERVED and isinstance(job, dict):
            yield name, job


def _tag(node: Any) -> str | None:
    tag = getattr(node, "tag", None)
    value = getattr(tag, "value", None)
    return value if isinstance(value, str) else None


def _resolve_reference(root: dict[str, Any], ref: list[Any]) -> Any:
    """GitLab ``!reference [.job, key, …]`` within the same document (None when unknown)."""
    cur: Any = root
    for part in ref:
        if not isinstance(cur, dict) or not isinstance(part, str):
            return None
        cur = cur.get(part)
    return cur


def _script_items(
    src: SourceFile, holder: dict[str, Any], key: str, job: str, root: dict[str, Any] | None = None
) -> Iterator[Command]:
    value = holder.get(key)
    logical = f"{job}.{key}" if job else key
    if isinstance(value, str):
        loc = key_loc(src, holder, key, logical) or line_loc(src, 1)
        yield Command(value, "script", src, loc, job)
        return
    if not isinstance(value, list):
        return

    def walk(seq: list[Any], depth: int) -> Iterator[Command]:
        for i, item in enumerate(seq):
            if isinstance(item, str):
                loc = item_loc(src, seq, i, logical) or key_loc(src, holder, key, logical)
                yield Command(item, "script", src, loc or line_loc(src, 1), job)
            elif isinstance(item, list) and _tag(item) == "!reference":
                target = _resolve_reference(root or {}, list(item)) if depth < 5 else None
                if isinstance(target, str):
                    loc = item_loc(src, seq, i, logical) or line_loc(src, 1)
                    yield Command(target, "script", src, loc, job)
                elif isinstance(target, list):
                    yield from walk(target, depth + 1)
            elif isinstance(item, list) and depth < 20:  # anchors give nested lists
                yield from walk(item, depth + 1)

    yield from walk(value, 0)


def _gitlab(src: SourceFile, data: dict[str, Any], included_from: str) -> Pipeline:
    pipe = Pipeline(src, K.GITLAB_CI, data, line_loc(src, 1), included_from=included_from)
    for key in ("before_script", "after_script"):
        pipe.commands.extend(_script_items(src, data, key, "", data))
    default = data.get("default")
    if isinstance(default, dict):
        for key in ("before_script", "after_script"):
            pipe.commands.extend(_script_items(src, default, key, "default", data))
    for name, job in gitlab_jobs(data):
        for key in GITLAB_SCRIPT_KEYS:
            pipe.commands.extend(_script_items(src, job, key, name, data))
    return pipe


def _include_entries(value: Any) -> Iterator[tuple[str, str, Any, Any]]:
    """(type, target, holder, key) of each GitLab include entry."""
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        holder: Any = items if isinstance(value, list) else None
        if isinstance(item, str):
            typ = "remote" if item.startswith(("http://", "https://")) else "local"
            yield typ, item, holder, i
        elif isinstance(item, dict):
            for typ in ("local", "remote", "project", "template", "component"):
                target = item.get(typ)
                if isinstance(target, str):
                    yield typ, target, item, typ


def root_display(index: RepoIndex) -> str:
    from linter.discover import display_path

    shown = display_path(index.root, index.base)
    return "" if shown == "." else shown


def _join(base: str, rel: str) -> str:
    return posixpath.normpath(posixpath.join(base, rel)).removeprefix("./").lstrip("/")


def _gitlab_includes(
    index: RepoIndex, pipe: Pipeline, root_dir: str, notes: list[Notification]
) -> list[SourceFile]:
    out: list[SourceFile] = []
    entries = list(_include_entries(pipe.data["include"])) if "include" in pipe.data else []
    for _, job in gitlab_jobs(pipe.data):  # child pipelines: `trigger: include:`
        trigger = job.get("trigger")
        if isinstance(trigger, dict) and "include" in trigger:
            entries.extend(_include_entries(trigger["include"]))
    src = pipe.source
    for typ, target, holder, key in entries:
        if isinstance(holder, list):
            loc = item_loc(src, holder, key)
        elif isinstance(holder, dict):
            loc = value_loc(src, holder, key)
        else:
            loc = key_loc(src, pipe.data, "include")
        line = loc.start_line if loc else None
        col = loc.start_col if loc else None
        if typ == "template":
            pipe.templates.append(target)
            continue
        if typ != "local" or "$" in target:
            what = (
                "is not fetched" if typ != "local" else "uses CI variables, so it is not followed"
            )
            notes.append(
                Notification(
                    f"GitLab {typ} include `{target}` {what}; its jobs are not checked",
                    level=NotificationLevel.NOTE,
                    path=src.path,
                    line=line,
                    column=col,
                    code="prodready-ci-include",
                )
            )
            continue
        wanted = _join(root_dir, target)
        matched = [
            f
            for f in index.all_found()
            if f.path == wanted or ("*" in wanted and fnmatch.fnmatchcase(f.path, wanted))
        ]
        if not matched:
            notes.append(
                Notification(
                    f"GitLab local include `{target}` not found in the scanned tree",
                    level=NotificationLevel.WARNING,
                    path=src.path,
                    line=line,
                    column=col,
                    code="prodready-ci-include",
                )
            )
        for f in matched:
            inc = index.source(f)
            if inc is not None:
                out.append(inc)
    return out


_PRIMARY_NAMES = ("ci", "test", "tests", "build", "main", "pipeline", "checks", "check")


def _order(p: Pipeline) -> tuple[int, int, int, int, str]:
    """Primary first: real pipelines before actions and included files, the shallowest project
    (a root pipeline before one in ``examples/x/``), then workflows named ci/test/build…"""
    stem = posixpath.splitext(posixpath.basename(p.path))[0].lower()
    rank = {K.GHA_WORKFLOW: 0, K.GITLAB_CI: 1, K.TEXT: 2, K.GHA_ACTION: 3}[p.kind]
    secondary = 1 if p.included_from or p.kind == K.GHA_ACTION else 0
    if "/.github/" in "/" + p.path:
        project = ("/" + p.path).split("/.github/")[0].strip("/")
    else:
        project = posixpath.dirname(p.path)
    depth = len(project.split("/")) if project else 0
    named = 0 if stem in _PRIMARY_NAMES else 1
    return (secondary, depth, rank, named, p.path)


def _build(index: RepoIndex, text_filter: Callable[[str], bool] | None = None) -> list[Pipeline]:
    """Every pipeline; with ``text_filter``, GitHub workflows and actions whose text it rejects
    are not even parsed (GitLab files always are: their includes are followed)."""
    notes = index.notifications
    found: list[Pipeline] = []
    for src in index.sources_of({K.GHA_WORKFLOW}):
        if text_filter is not None and not text_filter(src.text):
            continue
        for data in _docs(index, src):
            found.append(_workflow(src, data))
    for src in index.sources_of({K.GHA_ACTION}):
        if text_filter is not None and not text_filter(src.text):
            continue
        for data in _docs(index, src):
            runs = data.get("runs")
            if isinstance(runs, dict):
                found.append(_composite(src, data))
    seen: set[str] = set()
    queue: list[tuple[SourceFile, str]] = [(s, "") for s in index.sources_of({K.GITLAB_CI})]
    while queue:
        src, parent = queue.pop(0)
        if src.path in seen:
            continue
        seen.add(src.path)
        root_dir = posixpath.dirname(parent or src.path)
        for data in _docs(index, src):
            pipe = _gitlab(src, data, parent)
            found.append(pipe)
            for inc in _gitlab_includes(index, pipe, root_dir, notes):
                queue.append((inc, parent or src.path))
    for other in _other_ci(index):
        found.append(
            Pipeline(
                other,
                K.TEXT,
                {},
                line_loc(other, 1),
                [Command(other.text, "text", other, line_loc(other, 1), "")],
            )
        )
    return sorted(found, key=_order)


def _other_ci(index: RepoIndex) -> Iterator[SourceFile]:
    base = root_display(index)
    names = {_join(base, n) for n in OTHER_CI_FILES}
    for f in index.all_found():
        if f.path in names:
            src = index.source(f)
            if src is not None:
                yield src


def pipelines(index: RepoIndex) -> list[Pipeline]:
    """Every CI pipeline of the scan, primary first (a workflow named ci/test/build…)."""
    return index.memo(("ci-pipelines",), lambda: _build(index))


def pipelines_mentioning(index: RepoIndex, needles: tuple[str, ...]) -> list[Pipeline]:
    """The pipelines a question about some commands needs: those whose file holds one of the
    (lowercase) ``needles`` (and every GitLab pipeline). With named files (pre-commit), the
    workflows that do not are not parsed; in a full scan every pipeline is parsed anyway."""
    if not index.named_files or index.has_memo(("ci-pipelines",)):
        return pipelines(index)

    def mentions(text: str) -> bool:
        low = text.lower()
        return any(n in low for n in needles)

    return index.memo(("ci-pipelines-mentioning", needles), lambda: _build(index, mentions))


def all_commands(index: RepoIndex) -> list[Command]:
    return [c for p in pipelines(index) for c in p.commands]


def primary(index: RepoIndex) -> Pipeline | None:
    """The pipeline a "missing gate" finding points at: a workflow, a root .gitlab-ci.yml or
    another CI system's file (a composite action alone is not a pipeline)."""
    for pipe in pipelines(index):
        if pipe.kind != K.GHA_ACTION and not pipe.included_from:
            return pipe
    return None


# -- attacker-controlled GitHub contexts --------------------------------------------------------
EXPR_RE = lazy(r"\$\{\{(.*?)\}\}", re.S)
_UNTRUSTED = lazy(
    r"""\bgithub\s*\.\s*(?:
        head_ref
      | event\.(?:
            (?:issue|pull_request|discussion)\.(?:title|body)
          | (?:comment|review|review_comment)\.body
          | pull_request\.head\.(?:ref|label|repo\.default_branch)
          | (?:head_commit|workflow_run\.head_commit)\.(?:message|author\.email|author\.name)
          | commits(?:\[\*\]|\.\*|\[\d+\])\.(?:message|author\.email|author\.name)
          | workflow_run\.(?:head_branch|display_title|head_repository\.description)
          | workflow_run\.pull_requests(?:\[\*\]|\.\*|\[\d+\])\.head\.ref
          | pages(?:\[\*\]|\.\*|\[\d+\])\.page_name
        )
    )\b""",
    re.X,
)


def _normalize_expr(expr: str) -> str:
    """``github.event['pull_request']["title"]`` → ``github.event.pull_request.title``."""
    return re.sub(r"\[\s*['\"]([\w-]+)['\"]\s*\]", r".\1", expr)


def untrusted_contexts(text: str) -> Iterator[tuple[str, str]]:
    """(full ``${{ … }}`` expression, attacker-controlled context) in ``text``."""
    for m in EXPR_RE.finditer(text):
        inner = _normalize_expr(m.group(1))
        hit = _UNTRUSTED.search(inner)
        if hit:
            yield m.group(0), re.sub(r"\s+", "", hit.group(0))


def from_yaml(yf: Any) -> list[Pipeline]:
    """The pipelines of one parsed GitHub Actions file (for file-scope policies)."""
    src: SourceFile = yf.source
    out = []
    for doc in yf.documents:
        if not isinstance(doc.data, dict):
            continue
        if src.kind == K.GHA_WORKFLOW:
            out.append(_workflow(src, doc.data))
        elif src.kind == K.GHA_ACTION and isinstance(doc.data.get("runs"), dict):
            out.append(_composite(src, doc.data))
    return out
