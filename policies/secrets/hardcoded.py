"""Secrets in any text file: provider tokens, generic assignments, keys, URLs, default passwords.

Every policy here reads the raw text (no parsing) and takes its candidates from the one memoised
pass of :mod:`policies.secrets.detect`; each finding passes the literal in ``redact=``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from linter.model import ALL_KINDS, ArtifactKind, Finding, Location, Severity
from linter.policy import CheckContext, policy
from linter.redact import mask
from linter.source import SourceFile
from policies.secrets import detect
from policies.secrets.detect import Candidate

K = ArtifactKind
SECTION = "Security"

PLACEHOLDER_OPTION: Mapping[str, Any] = {
    "type": "array",
    "items": {"type": "string"},
    "description": "More placeholder patterns (regular expressions, case-insensitive, matched "
    "anywhere in the value); a value that matches one is never reported. Added to the built-in "
    "list (empty, `${VAR}`, `{{ x }}`, `<your-key>`, `xxxx`, `example`, `dummy`, `fake`, "
    "`test`, `changeme` …). An invalid expression is matched as plain text.",
}


def extra_placeholders(options: Mapping[str, Any]) -> list[re.Pattern[str]]:
    out: list[re.Pattern[str]] = []
    for text in options.get("placeholders", ()) or ():
        if not isinstance(text, str) or not text:
            continue
        try:
            out.append(re.compile(text, re.I))
        except re.error:
            out.append(re.compile(re.escape(text), re.I))
    return out


def allowed(value: str, patterns: list[re.Pattern[str]]) -> bool:
    return any(p.search(value) for p in patterns)


def loc(src: SourceFile, c: Candidate) -> Location:
    return Location(src.path, c.line, c.col, c.line, c.end_col)


@policy(
    id="secret-hardcoded",
    kinds=ALL_KINDS,
    raw_source=True,
    severity=Severity.HIGH,
    summary="A credential, key or token is hardcoded in a file",
    fix="Remove the value, rotate it (it is in the git history), and read it at runtime from "
    "the environment or a secret store (Kubernetes Secret, Vault, a cloud secret manager).",
    tags=("security", "secrets"),
    cwe=(798,),
    section=SECTION,
    options={
        "type": "object",
        "properties": {
            "placeholders": PLACEHOLDER_OPTION,
            "generic": {
                "type": "boolean",
                "description": "Report generic assignments to password/secret/token/api_key names, "
                "scored by entropy and shape (default true). Provider tokens are "
                "always reported.",
            },
            "generic-in-tests": {
                "type": "boolean",
                "description": "Also report generic assignments in test files (`tests/`, "
                "`test_*.py`, `*.test.js`, `*_test.go` …; default false).",
            },
        },
    },
    defaults={"placeholders": [], "generic": True, "generic-in-tests": False},
)
def secret_hardcoded(ctx: CheckContext, src: SourceFile) -> Iterator[Finding]:
    """## What it does
    Finds credentials written into any text file of the repo: code, config, manifests, docs.

    - **Provider tokens** by their real shape: AWS access key ids (`AKIA…`, `ASIA…`) and
      secret access keys, Google/Firebase API keys (`AIza…`), Stripe live keys (`sk_live_…`,
      `rk_live_…`) and webhook secrets (`whsec_…`), GitHub (`ghp_…`, `github_pat_…`) and GitLab
      (`glpat-…`) tokens, Slack tokens (`xoxb-…`) and webhook URLs, Twilio API keys (`SK…`),
      SendGrid (`SG.….…`) and npm (`npm_…`) tokens, JSON Web Tokens (the header must decode).
    - **Generic assignments** — `password = "…"`, `client_secret: …`, `API_TOKEN=…`,
      `jwt.sign(payload, "…")` — reported only when the value looks like a real secret: at
      least 8 characters, no spaces, not a word or identifier, and enough entropy and character
      variety (confidence medium or high by score). Off in test files by default.

    Placeholders are never reported: empty values, references (`${VAR}`, `{{ .Values.x }}`,
    `%s`), `<your-key>`, `xxxx`, `****`, and values containing `example`, `dummy`, `fake`,
    `placeholder`, `test`, `your` … (the AWS documentation key `AKIAIOSFODNN7EXAMPLE` too).
    Add your own with the `placeholders` option. Well-known defaults such as `changeme` are
    `secret-default-credential`; env templates are checked by `env-template-real-value`.

    Messages show at most a short prefix and the length (`sk_live_…(32 chars)`); every output
    format masks the value. A reviewed exception is silenced on its line with
    `# prodready: ignore[secret-hardcoded] test fixture`.

    ## Why is this bad
    A secret in a repository is readable by everyone with access to it, to every clone and
    fork, and forever in the git history. Leaked cloud and payment keys are found and abused by
    scanners within minutes of a push.

    ## Example
    ```python
    stripe.api_key = "sk_live_…"                  # fails
    stripe.api_key = os.environ["STRIPE_API_KEY"]  # passes
    ```
    """
    cands = detect.candidates(ctx.index, src)
    if not cands or src.kind == K.ENV_TEMPLATE:
        return
    extra = extra_placeholders(ctx.options)
    generic = bool(ctx.options.get("generic", True))
    if generic and not ctx.options.get("generic-in-tests", False):
        generic = not detect.is_test_path(src.path)
    for c in cands:
        if c.category != detect.HARDCODED or allowed(c.value, extra):
            continue
        if c.generic and not generic:
            continue
        where = f" assigned to `{c.name}`" if c.name else ""
        yield ctx.finding(
            loc(src, c),
            f"Hardcoded {c.label} `{mask(c.value)}`{where}; read it from the environment or a "
            "secret store and rotate it.",
            confidence=c.confidence,
            redact=c.redact,
        )


@policy(
    id="secret-private-key",
    kinds=ALL_KINDS,
    raw_source=True,
    severity=Severity.CRITICAL,
    summary="A private key (PEM or OpenSSH block) is committed",
    fix="Delete the key from the repo, revoke/rotate it, and mount it at runtime from a secret "
    "store; add the file pattern to .gitignore.",
    tags=("security", "secrets"),
    cwe=(321, 798),
    section=SECTION,
)
def secret_private_key(ctx: CheckContext, src: SourceFile) -> Iterator[Finding]:
    """## What it does
    Reports a `-----BEGIN … PRIVATE KEY-----` block (RSA, DSA, EC, OpenSSH, PKCS#8, encrypted
    PKCS#8, PGP) that has a real body: at least 64 base64 characters up to the matching
    `-----END` line, in a key file or embedded in a string (with `\\n` escapes). A marker
    without a body (`-----BEGIN PRIVATE KEY-----\\n...`) or a public key passes. A key inside a
    cloud service-account JSON is reported by `secret-cloud-service-account` instead.

    ## Why is this bad
    A private key grants whatever it signs or decrypts: TLS identities, SSH access, JWT signing.
    Committed, it is in every clone and in git history forever.

    ## Example
    ```text
    -----BEGIN RSA PRIVATE KEY-----     # fails (with a body)
    MIIEpAIBAAKCAQEA…
    -----END RSA PRIVATE KEY-----
    ```
    """
    for c in detect.candidates(ctx.index, src):
        if c.category != detect.PRIVATE_KEY:
            continue
        yield ctx.finding(
            loc(src, c),
            f"Committed {c.label} block ({sum(len(v) for v in c.redact)}+ base64 characters); "
            "revoke it and load the key from a secret store at runtime.",
            redact=c.redact,
        )


@policy(
    id="secret-cloud-service-account",
    kinds=ALL_KINDS,
    raw_source=True,
    severity=Severity.CRITICAL,
    summary="A GCP/Firebase service-account key (JSON with private_key) is committed",
    fix="Delete the key file, disable the key in IAM, and use workload identity or mount the "
    "credentials from a secret store (GOOGLE_APPLICATION_CREDENTIALS pointing at a mounted "
    "file).",
    tags=("security", "secrets"),
    cwe=(798,),
    section=SECTION,
)
def secret_cloud_service_account(ctx: CheckContext, src: SourceFile) -> Iterator[Finding]:
    """## What it does
    Reports a Google Cloud / Firebase Admin service-account credential: a JSON document (or a
    JS/YAML object literal) with `"type": "service_account"` whose `private_key` holds a real
    PEM private key. The finding points at the `private_key` key. A service-account file whose
    `private_key` is empty or a placeholder passes.

    ## Why is this bad
    The key authenticates as the service account with all of its IAM roles — for Firebase Admin
    that is full read/write access to the project's data. Keys do not expire by default.

    ## Example
    ```json
    {"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIE…"}
    ```
    """
    for c in detect.candidates(ctx.index, src):
        if c.category != detect.SERVICE_ACCOUNT:
            continue
        yield ctx.finding(
            loc(src, c),
            "Service-account JSON with a real `private_key` is committed; disable the key and "
            "use workload identity or a mounted secret.",
            redact=c.redact,
        )


@policy(
    id="secret-connection-string",
    kinds=ALL_KINDS,
    raw_source=True,
    severity=Severity.HIGH,
    summary="A connection URL carries a literal password",
    fix="Build the URL from the environment (`postgres://app:${DB_PASSWORD}@db/app`) or read "
    "the whole URL from a secret.",
    tags=("security", "secrets"),
    cwe=(798,),
    section=SECTION,
    options={"type": "object", "properties": {"placeholders": PLACEHOLDER_OPTION}},
    defaults={"placeholders": []},
)
def secret_connection_string(ctx: CheckContext, src: SourceFile) -> Iterator[Finding]:
    """## What it does
    Reports the password inside a URL's user-info: `postgres://app:Xk9f…@db/app`,
    `redis://:Xk9f…@cache:6379`, `mongodb+srv://u:Xk9f…@cluster…`, `amqp://…`, `https://…`.
    References (`${DB_PASSWORD}`, `$(PASS)`, `{password}`, `%s`, `<password>`) and field names
    used as placeholders (`user:password@`) pass. A well-known default password in a URL is
    `secret-default-credential`. Env templates are checked by `env-template-real-value`.

    ## Why is this bad
    The password is readable by everyone with repo access, and connection strings are often
    logged or shown in error messages as a whole.

    ## Example
    ```yaml
    DATABASE_URL: postgres://app:Xk9fQ…@db:5432/app                # fails
    DATABASE_URL: postgres://app:${DB_PASSWORD}@db:5432/app        # passes
    ```
    """
    cands = detect.candidates(ctx.index, src)
    if not cands or src.kind == K.ENV_TEMPLATE:
        return
    extra = extra_placeholders(ctx.options)
    for c in cands:
        if c.category != detect.CONNECTION_STRING or allowed(c.value, extra):
            continue
        yield ctx.finding(
            loc(src, c),
            f"The {c.label} is a literal (`{mask(c.value)}`); take the password from the "
            "environment or a secret.",
            confidence=c.confidence,
            redact=c.redact,
        )


@policy(
    id="secret-default-credential",
    kinds=ALL_KINDS,
    raw_source=True,
    severity=Severity.MEDIUM,
    summary="A well-known default password (admin, changeme, password123 …) is configured",
    fix="Remove the default: require the value from the environment or a secret and fail at "
    "start-up when it is missing.",
    tags=("security", "secrets"),
    cwe=(1392, 798),
    section=SECTION,
)
def secret_default_credential(ctx: CheckContext, src: SourceFile) -> Iterator[Finding]:
    """## What it does
    Reports a well-known default password (`admin`, `changeme`, `password`, `password123`,
    `root`, `postgres`, `guest`, `secret`, `123456` …) used as a real value:

    - assigned to a password/secret/token name in code or config
      (`POSTGRES_PASSWORD: postgres`, `password = "admin"`);
    - as the fallback of an environment read (`os.getenv("DB_PASSWORD", "changeme")`,
      `process.env.ADMIN_PASSWORD || "admin"`);
    - in a connection URL to a non-local host (`amqp://guest:guest@rabbitmq/`). URLs to
      `localhost`/`127.0.0.1` are left out as local-development conveniences.

    Env templates (`.env.example`), documentation files and test files are not checked: there
    `changeme` is a placeholder. The message masks the value, but the source snippet shows it:
    a well-known default is public knowledge, not a secret.

    ## Why is this bad
    Default credentials are the first thing an attacker tries. A fallback default means a
    deployment that forgot to set the secret starts anyway, wide open, instead of failing.

    ## Example
    ```python
    password = os.getenv("DB_PASSWORD", "changeme")   # fails
    password = os.environ["DB_PASSWORD"]              # passes
    ```
    """
    cands = detect.candidates(ctx.index, src)
    if not cands or src.kind == K.ENV_TEMPLATE:
        return
    if detect.is_doc_path(src.path) or detect.is_test_path(src.path):
        return
    for c in cands:
        if c.category != detect.DEFAULT_CREDENTIAL:
            continue
        where = f" for `{c.name}`" if c.name else ""
        yield ctx.finding(
            loc(src, c),
            f"Well-known {c.label}{where} (`{mask(c.value)}`); require a real secret from the "
            "environment instead of a default.",
            # no redact=: the value is a public dictionary word ("password", "admin",
            # "postgres"), and the engine masks redacted values in every message of the scan
        )
