"""Secrets in manifests: literal env values, committed Secret objects, Redis without a password."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from linter.imageref import parse_image
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Severity
from linter.parsers.k8s import K8sManifest
from linter.policy import CheckContext, policy
from linter.positions import key_loc, value_loc
from linter.workload import Container, containers

SECTION = "Security"

SECRET_NAME = lazy(
    r"(PASSW(OR)?D|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|"
    r"AUTH_?KEY|CLIENT_?SECRET|DSN|CONN(ECTION)?_?STRING)",
    re.I,
)
#: names that look secret-like but hold no secret
NOT_SECRET_NAME = lazy(
    r"(_FILE|_PATH|_DIR|_URL_?PATH|_ENABLED|_LENGTH|_TTL|_EXPIRY|_SIZE|_LIMIT|_COUNT|_TIMEOUT|"
    r"_NAME|_KEY_ID|_HEADER|_TYPE|_MODE)$|TOKENS|MAX_|MIN_",
    re.I,
)
NUMBER = lazy(r"^[+-]?\d+(\.\d+)?[a-zA-Z]{0,2}$")
#: a path to a mounted file (GOOGLE_APPLICATION_CREDENTIALS=/var/secrets/key.json): not a secret
FILE_PATH = lazy(r"^/[\w.@/-]+$")
PLACEHOLDER = lazy(
    r"^(|changeme|change-me|change_me|xxx+|\*+|<[^>]*>|your[-_].*|example|dummy|placeholder|"
    r"todo|none|null|false|true)$",
    re.I,
)


def _literal(value: Any) -> str | None:
    """A value that is a real literal (not empty, templated or a placeholder)."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if PLACEHOLDER.match(text) or "$(" in text or "${" in text or "{{" in text:
        return None
    return text


@policy(
    id="k8s-secret-in-env",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Secret-like environment variable has a literal value",
    fix="Move the value into a Secret (or an external secret store) and reference it with "
    "`valueFrom.secretKeyRef`.",
    tags=("security",),
    cwe=(798,),
    section=SECTION,
    confidence=Confidence.MEDIUM,
)
def secret_in_env(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports `env` entries whose name looks like a secret (`*PASSWORD*`, `*TOKEN*`,
    `*SECRET*`, `*API_KEY*`, …) and whose `value` is a literal, in every container and init
    container. Placeholders (`changeme`, `<…>`), numbers, `$(VAR)` references and
    `valueFrom` pass, and so do names that only describe a secret (`*_FILE`, `*_PATH`,
    `MAX_TOKENS`, `*_KEY_ID`).
    The value never appears in the output.

    ## Why is this bad
    A literal in a manifest lives in Git history forever, is readable by everyone with read
    access to the repository or to the Deployment object, and cannot be rotated without a
    redeploy.

    ## Example
    ```yaml
    env:
      - name: DB_PASSWORD
        value: hunter2            # fails
      - name: DB_PASSWORD
        valueFrom:
          secretKeyRef: {name: db, key: password}   # passes
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj, include_init=True):
            env = c.data.get("env")
            if not isinstance(env, list):
                continue
            for entry in env:
                if not isinstance(entry, dict):
                    continue
                name = entry.get("name")
                if not isinstance(name, str) or not SECRET_NAME.search(name):
                    continue
                if NOT_SECRET_NAME.search(name):
                    continue
                value = _literal(entry.get("value"))
                if value is None or NUMBER.match(value) or FILE_PATH.match(value):
                    continue
                loc = value_loc(obj.source, entry, "value", c.logical) or c.name_loc()
                yield ctx.finding(
                    loc,
                    f"Environment variable `{name}` of container `{c.name}` of {obj.label} has "
                    "a literal secret value.",
                    redact=(value,),
                )


SEALED_KINDS = frozenset({"SealedSecret", "ExternalSecret", "SecretProviderClass"})


@policy(
    id="k8s-secret-manifest-committed",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Secret manifest with literal data is committed",
    fix="Do not commit Secret values: use SealedSecrets, External Secrets, SOPS or your "
    "platform's secret store, and rotate the values that were committed.",
    tags=("security",),
    cwe=(798,),
    section=SECTION,
)
def secret_manifest_committed(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports `kind: Secret` objects whose `data` or `stringData` holds at least one literal
    value (empty values, placeholders and templated values pass). `SealedSecret`,
    `ExternalSecret` and `SecretProviderClass` hold no secret and pass. Service-account token
    Secrets without data pass.

    ## Why is this bad
    `data` is only base64, not encryption: anyone who can read the repository can read the
    secret, and it stays in Git history after it is deleted.

    ## Example
    ```yaml
    kind: Secret
    data:
      password: aHVudGVyMg==    # fails
    ```
    """
    for obj in manifest.objects:
        if obj.kind != "Secret":
            continue
        for field_name in ("data", "stringData"):
            block = obj.data.get(field_name)
            if not isinstance(block, dict):
                continue
            values = [v for v in (_literal(x) for x in block.values()) if v is not None]
            keys = [str(k) for k, x in block.items() if _literal(x) is not None]
            if not values:
                continue
            loc = key_loc(obj.source, obj.data, field_name, obj.label) or obj.kind_loc()
            yield ctx.finding(
                loc,
                f"{obj.label} commits literal secret values in `{field_name}` ({', '.join(keys)}).",
                redact=tuple(values),
            )


REDIS_NAMES = frozenset({"redis", "redis-stack", "redis-stack-server", "valkey", "keydb"})
AUTH_FLAGS = ("--requirepass", "--aclfile", "--masterauth")
AUTH_ENV = frozenset(
    {"REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "REDIS_ARGS", "VALKEY_PASSWORD", "KEYDB_PASSWORD"}
)


SERVER_BINARIES = (
    "redis-server",
    "valkey-server",
    "keydb-server",
    "docker-entrypoint",
    "redis-stack",
)


def _words(c: Container) -> list[str]:
    out: list[str] = []
    for key in ("command", "args"):
        value = c.data.get(key)
        if isinstance(value, list):
            out.extend(str(v) for v in value)
        elif isinstance(value, str):
            out.append(value)
    return out


@policy(
    id="k8s-redis-no-auth",
    kinds={ArtifactKind.K8S},
    severity=Severity.HIGH,
    summary="Redis container runs without a password",
    fix="Start Redis with `--requirepass` from a Secret (`$(REDIS_PASSWORD)`), a config file "
    "or an ACL file, and put a NetworkPolicy in front of it.",
    tags=("security",),
    cwe=(306,),
    section=SECTION,
    confidence=Confidence.MEDIUM,
)
def redis_no_auth(ctx: CheckContext, manifest: K8sManifest) -> Iterator[Finding]:
    """## What it does
    Reports containers running a Redis server image (`redis`, `bitnami/redis`, `valkey`,
    `keydb`, …) whose command/args pass no `--requirepass`, `--aclfile` or config file, and
    whose `env` sets no `REDIS_PASSWORD`-style variable. A Bitnami image with
    `ALLOW_EMPTY_PASSWORD=yes` fails. Containers whose `command` runs something other than the
    server (`redis-cli`, a shell script) are skipped.

    ## Why is this bad
    Redis without authentication accepts every command from anyone who can reach the port —
    including `CONFIG SET dir` tricks that turn it into remote code execution.

    ## Example
    ```yaml
    - name: cache
      image: redis:7.2.4          # fails: no --requirepass
    - name: cache
      image: redis:7.2.4
      args: ["--requirepass", "$(REDIS_PASSWORD)"]   # passes
    ```
    """
    for obj in manifest.objects:
        for c in containers(obj):
            image = c.data.get("image")
            if not isinstance(image, str) or parse_image(image).name not in REDIS_NAMES:
                continue
            words = _words(c)
            command = c.data.get("command")
            text = " ".join(words)
            if command and not any(b in text for b in SERVER_BINARIES):
                continue  # redis-cli, a sentinel or a script: not (known to be) the server
            if any(flag in text for flag in AUTH_FLAGS) or ".conf" in text:
                continue
            env = c.data.get("env")
            env_names: dict[str, Any] = {}
            if isinstance(env, list):
                for e in env:
                    if isinstance(e, dict) and isinstance(e.get("name"), str):
                        env_names[e["name"]] = e.get("value")
            allow_empty = str(env_names.get("ALLOW_EMPTY_PASSWORD", "")).lower() in ("yes", "true")
            if not allow_empty and AUTH_ENV & env_names.keys():
                continue
            if not allow_empty and isinstance(c.data.get("envFrom"), list):
                continue  # the password may come from a Secret or ConfigMap we cannot see
            yield ctx.finding(
                c.value_loc("image"),
                f"Redis container `{c.name}` of {obj.label} runs without a password.",
            )
