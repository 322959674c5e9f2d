"""Env files and templates: committed `.env` files, real values in templates, and the
code ↔ template cross-check (every variable the code reads is declared in the template)."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from linter.envreads import READ_KINDS, EnvRead, cached_env_reads
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


@policy(
    id="env-missing-from-template",
    kinds=READ_KINDS | {K.ENV_TEMPLATE},
    scope="repo",
    severity=Severity.MEDIUM,
    summary="Code reads an environment variable that the service's env template does not declare",
    fix="Declare the variable in the env template (`NAME=` with a comment on what it is), or "
    "stop reading it.",
    tags=("reliability", "configuration"),
    section=SECTION,
    options={
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
    },
    defaults={"ignore": list(DEFAULT_IGNORED_VARS), "include-tests": False},
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
    ignore = {str(v) for v in ctx.options.get("ignore", DEFAULT_IGNORED_VARS) or ()}
    include_tests = bool(ctx.options.get("include-tests", False))
    by_dir = index.memo(("secrets.templates-by-dir",), lambda: _templates_by_dir(index))
    if not by_dir:
        return
    nearest: dict[str, tuple[list[EnvFile], frozenset[str]]] = {}
    for src in index.sources_of(READ_KINDS, targets_only=True):
        reads = cached_env_reads(index, src)
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
