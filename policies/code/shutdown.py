"""Graceful shutdown: does the service handle SIGTERM, and can the signal reach it?"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from linter.code import facts
from linter.code.index import JS_GRACEFUL_LIBS, CodeService, Launcher, code_index, package_name
from linter.code.model import CodeFile
from linter.fastdc import dataclass
from linter.index import RepoIndex
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.policy import CheckContext, policy

CODE = {ArtifactKind.PYTHON, ArtifactKind.JAVASCRIPT, ArtifactKind.TYPESCRIPT, ArtifactKind.GO}
KINDS = CODE | {ArtifactKind.DOCKERFILE, ArtifactKind.PACKAGE_JSON, ArtifactKind.TEXT}
SECTION = "Error handling and graceful shutdown"


@dataclass(frozen=True)
class Handling:
    """How (and where) an entry point handles SIGTERM; ``loc`` None when it does not."""

    loc: Location | None
    how: str
    sigint_only: Location | None = None


def _handling(svc: CodeService, entry: str) -> Handling:
    sigint: Location | None = None
    for f in svc.closure(entry):
        for c in f.signals:
            if facts.handles_sigterm(c):
                return Handling(c.loc, f"`{c.callee}` in {f.path}")
            sigint = sigint or c.loc
        for c in f.calls:
            if c.method == "enableShutdownHooks":
                return Handling(c.loc, "NestJS `enableShutdownHooks()`")
            if f.lang == "python" and c.callee in facts.PY_GRACEFUL_CALLS:
                return Handling(c.loc, f"`{c.callee}` (handles SIGTERM itself)")
        for imp in f.imports:
            if package_name(imp.module) in JS_GRACEFUL_LIBS:
                return Handling(imp.loc, f"`{imp.module}`")
    return Handling(None, "", sigint)


def _server_launcher(svc: CodeService) -> Launcher | None:
    for la in svc.launchers:
        if la.server:
            return la
    return None


def _shell_launcher(svc: CodeService) -> Launcher | None:
    for la in svc.launchers:
        if la.origin == "dockerfile" and la.shell_form:
            return la
    return None


def _entries(svc: CodeService) -> list[CodeFile]:
    out = []
    launched = set(svc.launched_files())
    for path in svc.entry_points():
        f = svc.files[path]
        if f.listens or (path in launched and (f.routes or facts.app_creations(f))):
            out.append(f)
    return out


def _start_loc(f: CodeFile) -> Location:
    if f.listens:
        return f.listens[0].loc
    made = facts.app_creations(f)
    if made:
        return made[0].loc
    return Location(f.path, 1, 1)


@policy(
    id="code-missing-sigterm-handler",
    kinds=KINDS,
    reports_on=CODE,
    severity=Severity.MEDIUM,
    summary="Service entry point does not handle SIGTERM",
    fix="Handle SIGTERM: stop accepting connections, finish in-flight requests, close pools, "
    "then exit (`process.on('SIGTERM', () => server.close(...))`, `signal.signal(signal.SIGTERM, "
    "…)`, `signal.Notify(c, syscall.SIGTERM)`), or run under gunicorn/uvicorn which do it.",
    tags=("reliability", "graceful-shutdown"),
    section=SECTION,
    scope="repo",
)
def missing_sigterm_handler(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Finds each service entry point — a file that starts a server (`app.listen`, `app.run`,
    `uvicorn.run`, `http.ListenAndServe` …) or that the Dockerfile `CMD`, Procfile or
    package.json `start` runs — and reports it when neither it nor any local module it imports
    (transitively) handles SIGTERM.

    Counted as handling: `process.on('SIGTERM', …)`, `signal.signal(signal.SIGTERM, …)`,
    `loop.add_signal_handler(SIGTERM, …)`, Go `signal.Notify`/`NotifyContext` with
    `syscall.SIGTERM` (or no signal list), NestJS `app.enableShutdownHooks()`, the libraries
    `http-terminator`, `stoppable`, `lightship`, `@godaddy/terminus`, `close-with-grace`,
    servers that drain on SIGTERM themselves (`uvicorn.run`, `hypercorn`, aiohttp `run_app`),
    and gunicorn/uvicorn/hypercorn/granian/daphne in the Dockerfile `CMD`/`ENTRYPOINT` or
    Procfile (Dockerfiles named for development — `Dockerfile.dev`, `*.local.Dockerfile` — are
    not launchers, so `manage.py runserver` there is ignored). A handler for SIGINT only does
    not count (Kubernetes and Docker send SIGTERM).
    When the Dockerfile's command is in shell form the message says so too, with the
    instruction as a related location: fixing the handler alone would not be enough.

    ## Why is this bad
    On every deploy, scale-down or node drain the container gets SIGTERM. A process that
    ignores it keeps accepting requests until SIGKILL arrives after the grace period; in-flight
    requests fail and connections are cut.

    ## Example
    ```js
    const server = app.listen(8080);   // fails: nothing handles SIGTERM
    ```
    Passes:
    ```js
    const server = app.listen(8080);
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
    ```
    """
    for svc in code_index(index).services:
        if _server_launcher(svc) is not None:
            continue
        shell = _shell_launcher(svc)
        for f in _entries(svc):
            h = _handling(svc, f.path)
            if h.loc is not None:
                continue
            name = posixpath.basename(f.path)
            what = "starts a server" if f.listens else "is the service's entry point"
            msg = (
                f"`{name}` {what} but nothing it loads handles SIGTERM, so shutdown drops "
                "in-flight requests."
            )
            if h.sigint_only is not None:
                msg += " It handles SIGINT only; Kubernetes and Docker send SIGTERM."
            related: list[Location] = []
            if shell is not None:
                msg += (
                    f" The Dockerfile also runs it in shell form (`{' '.join(shell.words)}`), "
                    "so /bin/sh as PID 1 would not forward SIGTERM either."
                )
                related.append(shell.loc)
            yield ctx.finding(_start_loc(f), msg, related=related)


@policy(
    id="code-sigterm-handler-unreachable",
    kinds=KINDS,
    reports_on=CODE,
    severity=Severity.MEDIUM,
    summary="SIGTERM handler present but unreachable: the Dockerfile's PID 1 is a shell",
    fix='Use the exec form (`CMD ["node", "server.js"]`) or `exec` in the shell form so the '
    "process that registered the handler is PID 1 and receives SIGTERM.",
    tags=("reliability", "graceful-shutdown"),
    section=SECTION,
    scope="repo",
)
def sigterm_handler_unreachable(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports a SIGTERM handler registered by a service entry point (or a module it imports)
    when the service's Dockerfile starts the process with a shell-form `CMD`/`ENTRYPOINT`
    (`CMD node server.js`). The finding points at the handler and names the Dockerfile
    instruction as a related location; the shell form itself is reported by
    `docker-shell-form-entrypoint`. Together they explain the chain: the code is ready to
    drain, but the signal never arrives.

    ## Why is this bad
    In shell form Docker runs `/bin/sh -c "node server.js"`. The shell is PID 1, gets the
    SIGTERM and does not forward it, so the handler never runs and the process is SIGKILLed
    after the grace period — exactly as if there were no handler.

    ## Example
    ```js
    // server.js
    process.on('SIGTERM', () => server.close());   // fails when the Dockerfile says
    ```
    ```dockerfile
    CMD node server.js
    ```
    Passes with `CMD ["node", "server.js"]`.
    """
    for svc in code_index(index).services:
        shell = _shell_launcher(svc)
        if shell is None or _server_launcher(svc) is not None:
            continue
        for f in _entries(svc):
            h = _handling(svc, f.path)
            if h.loc is None:
                continue
            yield ctx.finding(
                h.loc,
                f"SIGTERM handler ({h.how}) never runs: the Dockerfile starts "
                f"`{posixpath.basename(f.path)}` in shell form (`{' '.join(shell.words)}`), "
                "so /bin/sh is PID 1 and does not forward SIGTERM.",
                related=[shell.loc, _start_loc(f)],
            )
