"""The signal path to PID 1: does SIGTERM reach the app?"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator

from linter.fastdc import dataclass
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Location, Severity
from linter.parsers.dockerfile import DockerfileArtifact, Instruction, Stage
from linter.policy import CheckContext, policy
from linter.services import service_of_dockerfile
from policies.docker.common import basename, effective_command, split_shell, stage_instructions

INITS = frozenset(
    {
        "tini",
        "tini-static",
        "dumb-init",
        "catatonit",
        "docker-init",
        "init",
        "s6-svscan",
        "runsvdir",
        "supervisord",
        "pm2-runtime",
    }
)
PACKAGE_MANAGERS = frozenset({"npm", "yarn", "pnpm", "npx"})
SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh", "ksh"})
USER_WRAPPERS = frozenset({"gosu", "su-exec"})
PATH_DIRS = ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin")
_EXEC_CMD = lazy(r"^\s*exec\s+(?!\d*[<>])(?!-)(\S.*)$")
_TRAP_TERM = lazy(r"\btrap\b.*\b(?:SIG)?(?:TERM|INT|15)\b")
_WAIT = lazy(r"(?:^|[;&|]\s*)wait\b", re.M)


@dataclass(frozen=True)
class Script:
    """A shell script a container runs as its entry point."""

    text: str
    path: str | None  # repo path when the script comes from the build context
    name: str  # as the container sees it


@dataclass(frozen=True)
class Problem:
    """Why SIGTERM does not reach the server: what stands in between, and why."""

    what: str  # e.g. "`npm start`"
    why: str
    script: Script | None = None


Resolver = Callable[[str], Script | None]


def _workdirs(instrs: list[Instruction]) -> list[str]:
    """WORKDIR in effect *before* each instruction."""
    cur = "/"
    out = []
    for instr in instrs:
        out.append(cur)
        if instr.cmd == "WORKDIR" and instr.value:
            cur = posixpath.normpath(posixpath.join(cur, instr.value[0]))
    return out


def script_resolver(
    df: DockerfileArtifact, stage: Stage, context: str, read: Callable[[str], str | None]
) -> Resolver:
    """Find the text of a file in the image: a COPY/ADD heredoc, or a file of the context."""
    instrs = stage_instructions(df, stage)
    wds = _workdirs(instrs)
    final_wd = wds[-1] if instrs else "/"
    if instrs and instrs[-1].cmd == "WORKDIR" and instrs[-1].value:
        final_wd = posixpath.normpath(posixpath.join(final_wd, instrs[-1].value[0]))

    def repo(rel: str) -> str:
        joined = posixpath.normpath(posixpath.join(context, rel)) if context else rel
        return posixpath.normpath(joined).removeprefix("./")

    def resolve(name: str) -> Script | None:
        if "/" in name:
            return find(posixpath.normpath(posixpath.join(final_wd, name)), name)
        for directory in (*PATH_DIRS, final_wd):
            found = find(posixpath.join(directory, name), name)
            if found is not None:
                return found
        return None

    def find(target: str, name: str) -> Script | None:
        for instr, wd in reversed(list(zip(instrs, wds, strict=True))):
            if instr.cmd not in ("COPY", "ADD") or len(instr.value) < 2:
                continue
            dest_raw = instr.value[-1]
            dest = posixpath.normpath(posixpath.join(wd, dest_raw))
            is_dir = dest_raw.endswith("/") or len(instr.value) > 2 or dest_raw in (".", "./")
            if instr.heredocs:
                for src, body in zip(
                    [v for v in instr.value[:-1] if v.startswith("<<")],
                    instr.heredocs,
                    strict=False,
                ):
                    here = posixpath.join(dest, src.lstrip("<-").strip("\"'")) if is_dir else dest
                    if here == target:
                        return Script(body, None, name)
                continue
            for src in instr.value[:-1]:
                rel_in_dest: str | None = None
                if not is_dir and target == dest:
                    rel_in_dest = ""
                elif target.startswith(dest.rstrip("/") + "/"):
                    rel_in_dest = target[len(dest.rstrip("/")) + 1 :]
                if rel_in_dest is None:
                    continue
                if any(f.startswith("--from") for f in instr.flags):
                    return None  # from another stage or image: not readable here
                src_norm = posixpath.normpath(src.lstrip("/"))
                candidates: list[str] = []
                if rel_in_dest == "":
                    candidates.append(src_norm)
                else:
                    if fnmatch.fnmatch(rel_in_dest, posixpath.basename(src_norm)):
                        candidates.append(posixpath.join(posixpath.dirname(src_norm), rel_in_dest))
                    candidates.append(posixpath.join(src_norm, rel_in_dest))
                for cand in candidates:
                    if any(ch in cand for ch in "*?["):
                        continue
                    path = repo(cand)
                    text = read(path)
                    if text is not None:
                        return Script(text, path, name)
            if not is_dir and target == dest:
                return None  # copied, but not from a file we can read
        return None

    return resolve


def _script_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]


def analyze(argv: list[str], resolve: Resolver, shell_form: bool, depth: int = 0) -> Problem | None:
    """Why SIGTERM would not reach the app started by ``argv``, or None when it does."""
    if depth > 6:
        return None
    args = list(argv)
    while args:
        prog = basename(args[0])
        if prog == "env":
            args = args[1:]
            while args and ("=" in args[0] or args[0].startswith("-")):
                args = args[1:]
            continue
        if prog in USER_WRAPPERS:
            args = args[2:]
            continue
        if prog == "exec":
            args = args[1:]
            continue
        break
    if not args:
        return None
    prog = basename(args[0])
    if prog in INITS:
        return None
    if prog in PACKAGE_MANAGERS:
        shown = (
            " ".join(args[:3])
            if len(args) > 1 and args[1] in ("run", "run-script")
            else " ".join(args[:2])
        )
        return Problem(
            f"`{shown}`",
            f"{prog} starts the app as a child (under `sh -c`) and does not reliably forward "
            "SIGTERM to it",
        )
    if prog in SHELLS and len(args) >= 2:
        if args[1].startswith("-") and "c" in args[1] and len(args) >= 3:
            return _inline(args[2], resolve, shell_form, depth)
        if not args[1].startswith("-"):
            script = resolve(args[1])
            return _script(script, args[2:], resolve, depth) if script else None
        return None
    script = resolve(args[0])
    if script is not None and (script.text.startswith("#!") or prog.endswith(".sh")):
        return _script(script, args[1:], resolve, depth)
    return None


def _inline(text: str, resolve: Resolver, shell_form: bool, depth: int) -> Problem | None:
    words = split_shell(text)
    if not words:
        return None
    if words[0] == "exec":
        return analyze(words[1:], resolve, shell_form, depth + 1)
    simple = not any(op in text for op in ("&&", "||", ";", "|", "\n", "&"))
    found = analyze(words, resolve, shell_form, depth + 1)
    if found is not None or shell_form:
        # shell form itself is docker-shell-form-entrypoint's finding
        return found
    if simple and basename(words[0]) in INITS:
        return None
    return Problem("`sh -c`", "the shell does not `exec` the app, so it keeps PID 1")


def _script(script: Script, rest: list[str], resolve: Resolver, depth: int) -> Problem | None:
    lines = _script_lines(script.text)
    for ln in lines:
        m = _EXEC_CMD.match(ln)
        if m is None:
            continue
        words: list[str] = []
        hands_over = False
        for word in split_shell(m.group(1)):
            if word in ("$@", "${@}", "$*"):
                words.extend(rest)  # `exec "$@"` / `exec gosu app "$@"`: CMD takes over
                hands_over = True
            else:
                words.append(word)
        found = analyze(words, resolve, False, depth + 1)
        if found is not None and found.script is None and not hands_over:
            return Problem(found.what, found.why + f" (started by `{script.name}`)", script)
        return found
    body = "\n".join(lines)
    if _TRAP_TERM.search(body) and _WAIT.search(body):
        return None  # forwards the signal itself
    return Problem(
        f"the script `{script.name}`",
        "it runs the app without `exec`, so the shell keeps PID 1 and does not forward SIGTERM",
        script,
    )


@policy(
    id="docker-pid1-no-signal-forwarding",
    kinds={ArtifactKind.DOCKERFILE},
    severity=Severity.HIGH,
    summary="PID 1 is npm/yarn/pnpm or a shell script that does not exec the app, with no init",
    fix='Start the app directly in exec form (`CMD ["node", "server.js"]`), end the entry '
    'script with `exec node server.js` (or `exec "$@"`), or run an init as PID 1: '
    '`ENTRYPOINT ["tini", "--"]` / `dumb-init`, `docker run --init` or compose `init: true` '
    "(`--init` is not visible in the Dockerfile).",
    tags=("reliability", "graceful-shutdown"),
    section="Error handling and graceful shutdown",
)
def pid1_no_signal_forwarding(ctx: CheckContext, df: DockerfileArtifact) -> Iterator[Finding]:
    """## What it does
    Works out what runs as PID 1 in the final stage (its effective `ENTRYPOINT` + `CMD`,
    following `FROM <earlier stage>`), and reports it when it is `npm`/`yarn`/`pnpm` (`npm
    start`), a shell script that never `exec`s the app (and does not `trap` and `wait` to
    forward signals itself), or an exec-form `sh -c "…"` without `exec`, and there is no init
    (`tini`, `dumb-init`, …) in front. Scripts are read when a `COPY`/`ADD` brings them from
    the build context (resolved against `WORKDIR`, the Dockerfile's directory or the compose
    `build.context`), or from a heredoc. An entry script ending in `exec "$@"` hands PID 1 to
    `CMD`, which is checked in turn. A compose service building the image with `init: true`
    passes; `docker run --init` cannot be seen statically.

    ## Why is this bad
    On shutdown Docker and Kubernetes send SIGTERM to PID 1 only. npm (and a shell running the
    app as a child) does not pass it on reliably, so the app never drains: it is SIGKILLed
    after the grace period, dropping in-flight requests and leaving work half done. PID 1 also
    has to reap zombie processes, which neither npm nor a script does.

    ## Example
    ```dockerfile
    CMD ["npm", "start"]                       # fails
    ENTRYPOINT ["./start.sh"]   # fails if start.sh runs `node server.js` without exec
    ENTRYPOINT ["tini", "--"]
    CMD ["npm", "start"]                       # passes: tini forwards signals
    CMD ["node", "server.js"]                  # passes
    ```
    """
    stage = df.final_stage
    if stage is None:
        return
    command = effective_command(df, stage)
    instr = command.instruction
    if instr is None:
        return
    svc = service_of_dockerfile(ctx.index, df.source.path)
    context = svc.context_of(df.source.path) if svc else df.source.directory
    if svc is not None and any(
        cb.dockerfile == df.source.path and cb.data.get("init") is True for cb in svc.compose
    ):
        return
    resolve = script_resolver(df, stage, context, ctx.index.read_text)
    argv = command.argv()
    shell_form = not instr.json
    problem = analyze(argv, resolve, shell_form)
    if problem is None:
        return
    related: list[Location] = []
    if problem.script is not None and problem.script.path is not None:
        first = problem.script.text.splitlines()[0] if problem.script.text else ""
        related.append(Location(problem.script.path, 1, 1, 1, max(2, len(first) + 1)))
    yield ctx.finding(
        df.loc(instr),
        f"PID 1 is {problem.what} and there is no init: {problem.why}.",
        related=related,
        # reading a shell script is a heuristic; npm/yarn/pnpm as PID 1 is a plain fact
        confidence=Confidence.MEDIUM if problem.script is not None else Confidence.HIGH,
    )
