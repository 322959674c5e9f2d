"""Env files and templates: committed `.env` files, real values in templates, and the
code ↔ template cross-check (every variable the code reads is declared in the template)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import Any

from linter.discover import FoundFile, under
from linter.envreads import ENV_READS, READ_KINDS, EnvRead, cached_env_reads
from linter.index import RepoIndex
from linter.model import ArtifactKind, Confidence, Finding, Location, Severity
from linter.parsers.envfile import EnvFile
from linter.policy import CheckContext, policy
from linter.positions import line_loc
from linter.redact import mask
from linter.source import SourceFile
from policies.secrets import detect
from policies.secrets.hardcoded import PLACEHOLDER_OPTION, allowed, extra_placeholders, loc

K = ArtifactKind
SECTION = "Security"

DEFAULT_IGNORED_VARS = (
    "HOME",
    "PATH",
    "PWD",
    "USER",
    "SHELL",
    "HOSTNAME",
    "TERM",
    "TMPDIR",
    "TEMP",
    "TMP",
    "LANG",
    "LC_ALL",
    "TZ",
    "CI",
    "NODE_ENV",
    "PYTHONPATH",
    "KUBERNETES_SERVICE_HOST",
    "KUBERNETES_SERVICE_PORT",
)


@policy(
    id="secret-dotenv-committed",
    kinds={K.ENV_FILE},
    severity=Severity.HIGH,
    summary="A real .env file (not a template) is committed",
    fix="Remove the file from git (`git rm --cached .env`), add `.env*` with `!.env.example` to "
    ".gitignore, rotate any secret it held, and commit a template with placeholders instead.",
    tags=("security", "secrets"),
    cwe=(538, 798),
    section=SECTION,
    options={"type": "object", "properties": {"placeholders": PLACEHOLDER_OPTION}},
    defaults={"placeholders": []},
)
def dotenv_committed(ctx: CheckContext, env: EnvFile) -> Iterator[Finding]:
    """## What it does
    Reports a real env file — `.env`, `.env.production`, `.env.local`, `prod.env` … (anything
    that is not a template such as `.env.example`, `.env.sample`, `.env.template`) — that is in
    the repo (not ignored by `.gitignore`) and holds at least one non-placeholder value. The
    finding is on line 1 and names the variables that look like secrets (a secret-like name
    with a real value, or a value with a provider token or URL password); severity is high
    when there is one, low when every value looks harmless (`PORT=8080`). A file with only
    empty or placeholder values passes.

    ## Why is this bad
    `.env` files are where real secrets live on a developer machine or a server. Committed, the
    secrets leak with the repo, and the file drifts from what deployments really use.

    ## Example
    ```text
    .env              DB_PASSWORD=Xk9fQ2vL…   # fails
    .env.example      DB_PASSWORD=            # passes (template)
    ```
    """
    extra = extra_placeholders(ctx.options)
    src = env.source
    cand_lines = {
        c.line for c in detect.candidates(ctx.index, src) if c.category != detect.DEFAULT_CREDENTIAL
    }
    real = [
        e for e in env.entries if not detect.is_placeholder(e.value) and not allowed(e.value, extra)
    ]
    if not real:
        return
    secret = [
        e
        for e in real
        if e.line in cand_lines
        or (detect.is_secret_name(e.name) and not detect.is_reference(e.value))
    ]
    if not secret and detect.is_test_path(src.path):
        return  # test data such as `fixtures/plain.env`: only a secret-looking value counts
    names = ", ".join(f"`{e.name}`" for e in secret[:5]) + (" …" if len(secret) > 5 else "")
    if secret:
        msg = (
            f"Real env file `{src.path}` is committed with {len(real)} value(s); {names} "
            f"{'looks like a secret' if len(secret) == 1 else 'look like secrets'}. Keep it out "
            "of git and commit a template (`.env.example`) instead."
        )
        sev, conf = Severity.HIGH, Confidence.HIGH
    else:
        msg = (
            f"Real env file `{src.path}` is committed with {len(real)} value(s), none of which "
            "looks like a secret; commit a template (`.env.example`) instead."
        )
        sev, conf = Severity.LOW, Confidence.MEDIUM
    yield ctx.finding(
        line_loc(src, 1),
        msg,
        severity=sev,
        confidence=conf,
        # well-known defaults are public words; masking them would mangle other messages
        redact=tuple(e.value for e in secret if e.value.lower() not in detect.DEFAULT_PASSWORDS),
    )


@policy(
    id="env-template-real-value",
    kinds={K.ENV_TEMPLATE},
    raw_source=True,
    severity=Severity.HIGH,
    summary="An env template (.env.example) carries what looks like a real secret",
    fix="Replace the value with an empty value or a placeholder (`STRIPE_KEY=` or "
    "`STRIPE_KEY=<your-key>`) and rotate the real secret.",
    tags=("security", "secrets"),
    cwe=(798,),
    section=SECTION,
    options={"type": "object", "properties": {"placeholders": PLACEHOLDER_OPTION}},
    defaults={"placeholders": []},
)
def template_real_value(ctx: CheckContext, src: SourceFile) -> Iterator[Finding]:
    """## What it does
    Checks env templates (`.env.example`, `.env.sample`, `.env.template`, `env.dist` …) with
    the same detector as `secret-hardcoded`, `secret-private-key` and
    `secret-connection-string`: a provider token, a high-entropy value for a secret-like name,
    a private key or a URL with a literal password is reported at the value. Harmless defaults
    (`PORT=8080`, `LOG_LEVEL=info`) and placeholders (`changeme`, `<your-key>`, `xxx`, empty)
    pass.

    ## Why is this bad
    Templates are committed on purpose and copied around; a real value in one is a leaked
    secret, and everyone who copies the template starts with the same credential.

    ## Example
    ```text
    STRIPE_SECRET_KEY=sk_live_…       # fails
    STRIPE_SECRET_KEY=                # passes
    ```
    """
    extra = extra_placeholders(ctx.options)
    wanted = (detect.HARDCODED, detect.PRIVATE_KEY, detect.CONNECTION_STRING)
    for c in detect.candidates(ctx.index, src):
        if c.category not in wanted or allowed(c.value, extra):
            continue
        name = c.name or _entry_name(src.line(c.line))
        what = f"`{name}` holds" if name else "The template holds"
        yield ctx.finding(
            loc(src, c),
            f"Env template value looks real: {what} a {c.label} (`{mask(c.value)}`); "
            "replace it with a placeholder and rotate the secret.",
            confidence=c.confidence,
            redact=c.redact,
        )


def _entry_name(line: str) -> str:
    m = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=", line)
    return m.group(1) if m else ""


def _templates_by_dir(index: RepoIndex) -> dict[str, list[EnvFile]]:
    out: dict[str, list[EnvFile]] = {}
    for env in index.artifacts(K.ENV_TEMPLATE):
        out.setdefault(posixpath.dirname(env.source.path), []).append(env)
    for group in out.values():
        group.sort(key=lambda e: e.source.path)
    return out


def nearest_templates(by_dir: dict[str, list[EnvFile]], path: str) -> list[EnvFile]:
    """The templates of the closest directory at or above ``path``'s directory."""
    cur = posixpath.dirname(path)
    while True:
        if cur in by_dir:
            return by_dir[cur]
        parent = posixpath.dirname(cur)
        if parent == cur:
            return []
        cur = parent


#: the options of the two views of the code ↔ template contract (env-missing-from-template per
#: read, env-template-incomplete per template): one config serves both
CONTRACT_OPTIONS: dict[str, Any] = {
    "type": "object",
    "properties": {
        "ignore": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Variable names never required in a template (default: system "
            "and tooling variables such as HOME, PATH, TZ, CI, NODE_ENV, "
            "KUBERNETES_SERVICE_HOST). Setting it replaces the default list.",
        },
        "include-tests": {
            "type": "boolean",
            "description": "Also check reads in test files (default false).",
        },
    },
}
CONTRACT_DEFAULTS: dict[str, Any] = {"ignore": list(DEFAULT_IGNORED_VARS), "include-tests": False}


def cached_templates_by_dir(index: RepoIndex) -> dict[str, list[EnvFile]]:
    """Every env template of the repo by directory (sorted by path), once per scan."""
    return index.memo(("secrets.templates-by-dir",), lambda: _templates_by_dir(index))


def unmet_reads(
    ctx: CheckContext, by_dir: dict[str, list[EnvFile]], sources: Iterable[SourceFile]
) -> Iterator[tuple[SourceFile, EnvRead, list[EnvFile]]]:
    """The code ↔ template contract: for each file of ``sources``, the first read of every
    variable that its nearest templates do not declare, with those templates.

    Honours the ``ignore`` and ``include-tests`` options; compose files count only required
    interpolations; files with no template above them are skipped."""
    ignore = {str(v) for v in ctx.options.get("ignore", DEFAULT_IGNORED_VARS) or ()}
    include_tests = bool(ctx.options.get("include-tests", False))
    nearest: dict[str, tuple[list[EnvFile], frozenset[str]]] = {}
    for src in sources:
        reads = cached_env_reads(ctx.index, src)
        if not reads:
            continue
        if src.kind != K.COMPOSE and not include_tests and detect.is_test_path(src.path):
            continue
        directory = posixpath.dirname(src.path)
        if directory not in nearest:
            found = nearest_templates(by_dir, src.path)
            nearest[directory] = (found, frozenset().union(*(t.names() for t in found)))
        templates, declared = nearest[directory]
        if not templates:
            continue
        seen: set[str] = set()
        for read in reads:
            if read.name in declared or read.name in ignore or read.name in seen:
                continue
            if src.kind == K.COMPOSE and not read.required:
                continue
            seen.add(read.name)
            yield src, read, templates


@policy(
    id="env-missing-from-template",
    kinds=READ_KINDS | {K.ENV_TEMPLATE},
    reports_on=READ_KINDS,
    scope="repo",
    severity=Severity.MEDIUM,
    summary="Code reads an environment variable that the service's env template does not declare",
    fix="Declare the variable in the env template (`NAME=` with a comment on what it is), or "
    "stop reading it.",
    tags=("reliability", "configuration"),
    section=SECTION,
    options=CONTRACT_OPTIONS,
    defaults=CONTRACT_DEFAULTS,
)
def env_missing_from_template(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Collects every environment variable the code reads — Python `os.environ["X"]`,
    `os.environ.get("X")`, `os.getenv("X")`; JavaScript/TypeScript `process.env.X`,
    `process.env["X"]`, `const { X } = process.env`, `import.meta.env.X`; Go `os.Getenv("X")`,
    `os.LookupEnv("X")` — and every variable a compose file requires through `${X}` or
    `${X:?err}` interpolation (`${X:-default}` is optional). Each one must be declared in the
    nearest env template (`.env.example`, `.env.sample` …) of the file's directory or an
    ancestor directory. The finding points at the first read of the variable in the file and
    names the template. Nothing is reported for code that has no template above it. Reads in
    test files are skipped unless `include-tests` is set.

    This rule and `env-template-incomplete` are two views of one contract: this one reports
    each read (in the code file, so it shows up when that file is checked), the other reports
    each template that lacks variables (so deleting a line from `.env.example` is caught when
    only the template is committed). They share the `ignore` and `include-tests` options;
    either can be disabled.

    ## Why is this bad
    The template is the contract of what a deployment must provide. A variable missing from it
    is discovered in production, as a crash at start-up or — worse — a silently empty value.

    ## Example
    ```python
    # services/api/.env.example declares DATABASE_URL only
    url = os.environ["DATABASE_URL"]     # passes
    key = os.environ["STRIPE_API_KEY"]   # fails: not in services/api/.env.example
    ```
    """
    by_dir = cached_templates_by_dir(index)
    if not by_dir:
        return
    for src, read, templates in unmet_reads(
        ctx, by_dir, ENV_READS.sources_with(index, targets_only=True)
    ):
        yield _missing(ctx, src, read, templates)


def _missing(
    ctx: CheckContext, src: SourceFile, read: EnvRead, templates: list[EnvFile]
) -> Finding:
    first = templates[0].source.path
    more = (
        f" (or the {len(templates) - 1} other template(s) beside it)" if len(templates) > 1 else ""
    )
    how = "interpolated" if read.form in ("${}", "$") else f"read here ({read.form})"
    return ctx.finding(
        read.location(src.path),
        f"`{read.name}` is {how} but not declared in the env template `{first}`{more}.",
        related=[Location(t.source.path, 1) for t in templates],
    )


#: how many missing variables a template finding names before "and N more"
_NAMED = 5


@policy(
    id="env-template-incomplete",
    kinds=READ_KINDS | {K.ENV_TEMPLATE},
    reports_on={K.ENV_TEMPLATE},
    scope="repo",
    severity=Severity.LOW,
    summary="An env template lacks variables that the code of its service reads",
    fix="Add `NAME=` lines to the template for each missing variable (with a comment on what it "
    "is and a placeholder value), or stop reading the variables.",
    tags=("reliability", "configuration"),
    section=SECTION,
    options=CONTRACT_OPTIONS,
    defaults=CONTRACT_DEFAULTS,
)
def env_template_incomplete(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Checks each env template (`.env.example`, `.env.sample`, `.env.template` …) against the
    code it serves: every file in the template's directory or below whose nearest template it
    is. The variables that code reads (Python, JavaScript/TypeScript and Go reads, and required
    compose `${X}` interpolations — the same reads as `env-missing-from-template`) and that the
    template does not declare are reported in ONE finding on line 1 of the template. The
    message names the missing variables in alphabetical order (the first five, then how many
    more), each with its first read and the number of other files that read it; the related
    locations are the reads `env-missing-from-template` reports (the first in each file).
    When a directory has several templates they are read together (a variable declared in
    either is declared) and each of them is reported.

    This rule and `env-missing-from-template` are two views of one contract: that one reports
    each read in the code, this one each template. This one is what catches a line deleted
    from `.env.example` when only the template is committed (pre-commit checks the changed
    files only). They share the `ignore` (variable names never required) and `include-tests`
    options, so one configuration serves both; either can be disabled.

    ## Why is this bad
    The template is the contract of what a deployment must provide. A variable missing from it
    is discovered in production, as a crash at start-up or — worse — a silently empty value.

    ## Example
    ```text
    services/api/.env.example     DATABASE_URL=
    services/api/app.py           url = os.environ["DATABASE_URL"]
                                  key = os.environ["STRIPE_API_KEY"]
    → services/api/.env.example:1 lacks 1 variable the code reads: `STRIPE_API_KEY` (app.py:3)
    ```
    """
    if index.named_files:
        # the code below a named template has its nearest template at or below it: only those
        # templates are read (not every one of the repo)
        named = {
            posixpath.dirname(t.path) for t in index.targets() if index.kind_of(t) == K.ENV_TEMPLATE
        }
        by_dir = _templates_below(index, named)
    else:
        by_dir = cached_templates_by_dir(index)
    # only templates that are checked (all of them, or the named files in a pre-commit run)
    checked = {
        d: group
        for d, group in by_dir.items()
        if any(index.is_target(t.source.path) for t in group)
    }
    if not checked:
        return
    # the code that can be served by a checked template: files at or below its directory
    # (filtered before reading: a pre-commit run with one template reads only its service)
    # (with worker processes, only the files they found reads in are read here)
    known = ENV_READS.prefetched(index)
    sources = [
        src
        for f in _files_below(index, checked)
        if index.kind_of(f) in READ_KINDS
        and (known is None or known.get(f.path))
        and (src := index.source(f)) is not None
    ]
    missing: dict[str, dict[str, list[Location]]] = {}
    for src, read, templates in unmet_reads(ctx, by_dir, sources):
        directory = posixpath.dirname(templates[0].source.path)
        if directory in checked:
            missing.setdefault(directory, {}).setdefault(read.name, []).append(
                read.location(src.path)
            )
    for directory in sorted(missing):
        group = checked[directory]
        for tpl in group:
            if index.is_target(tpl.source.path):
                yield _incomplete(ctx, tpl, group, missing[directory])


def _templates_below(index: RepoIndex, roots: set[str]) -> dict[str, list[EnvFile]]:
    """:func:`cached_templates_by_dir` for the templates at or below ``roots`` only."""
    out: dict[str, list[EnvFile]] = {}
    for f in index.files_of({K.ENV_TEMPLATE}):
        directory = posixpath.dirname(f.path)
        if not any(not r or directory == r or directory.startswith(r + "/") for r in roots):
            continue
        src = index.source(f)
        env = index.parsed(src) if src is not None else None
        if env is not None:
            out.setdefault(directory, []).append(env)
    for group in out.values():
        group.sort(key=lambda e: e.source.path)
    return out


def _files_below(index: RepoIndex, dirs: Iterable[str]) -> list[FoundFile]:
    """The discovered files at or below any of ``dirs``, in discovery order."""
    found = index.all_found()

    def by_path() -> tuple[list[str], list[int]]:
        order = sorted(range(len(found)), key=lambda i: found[i].path)
        return [found[i].path for i in order], order

    paths, order = index.memo(("secrets.paths-sorted",), by_path)
    picked: set[int] = set()
    for d in dirs:
        picked.update(order[i] for i in under(paths, d))
    return [found[i] for i in sorted(picked)]


def _incomplete(
    ctx: CheckContext, tpl: EnvFile, group: list[EnvFile], missing: dict[str, list[Location]]
) -> Finding:
    path = tpl.source.path
    base = posixpath.dirname(path)
    names = sorted(missing)
    reads = {
        n: sorted(missing[n], key=lambda loc: (loc.path, loc.start_line, loc.start_col))
        for n in names
    }

    def where(loc: Location) -> str:
        rel = posixpath.relpath(loc.path, base) if base else loc.path
        return f"{rel}:{loc.start_line}"

    parts = []
    for n in names[:_NAMED]:
        first, extra = reads[n][0], len(reads[n]) - 1
        more = f" and {extra} more file{'s' if extra > 1 else ''}" if extra else ""
        parts.append(f"`{n}` ({where(first)}{more})")
    listed = ", ".join(parts) + (f" and {len(names) - _NAMED} more" if len(names) > _NAMED else "")
    count = f"{len(names)} variable{'s' if len(names) > 1 else ''}"
    total = sum(len(v) for v in reads.values())
    in_files = f" ({total} reads)" if total > len(names) else ""
    siblings = [t.source.path for t in group if t is not tpl]
    them = "them" if len(names) > 1 else "it"
    beside = (
        f"; `{'`, `'.join(siblings)}` beside it do{'es' if len(siblings) == 1 else ''} not "
        f"declare {them} either"
        if siblings
        else ""
    )
    return ctx.finding(
        line_loc(tpl.source, 1),
        f"`{path}` lacks {count} the code reads{in_files}: {listed}{beside}.",
        related=[loc for n in names for loc in reads[n]],
    )
