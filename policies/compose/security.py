"""Compose service security: secrets, Redis auth, privileged mode, published database ports."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import Any

from linter.lazyre import lazy
from linter.model import ArtifactKind as K
from linter.model import Finding, Location, Severity
from linter.parsers.yaml import YamlFile
from linter.policy import CheckContext, policy
from policies.compose.model import ComposeService, command_text, compose_services, env_items
from policies.docker.common import is_literal_secret_value, is_secret_name

REDIS_IMAGES = frozenset({"redis", "redis-stack", "redis-stack-server", "valkey", "keydb"})
DB_IMAGES = frozenset(
    {
        "postgres",
        "postgis",
        "postgresql",
        "timescaledb",
        "mysql",
        "mariadb",
        "percona",
        "mongo",
        "mongodb",
        "mongodb-community-server",
        "redis",
        "redis-stack",
        "redis-stack-server",
        "valkey",
        "keydb",
        "memcached",
        "elasticsearch",
        "opensearch",
        "cassandra",
        "scylla",
        "couchdb",
        "couchbase",
        "mssql-server",
        "neo4j",
        "influxdb",
        "clickhouse-server",
        "cockroach",
        "etcd",
        "rabbitmq",
        "kafka",
        "zookeeper",
        "nats",
        "minio",
    }
)
ALL_INTERFACES = frozenset({"", "0.0.0.0", "::"})
_CONF_AUTH = lazy(r"^\s*(?:requirepass\s+\S|aclfile\s+\S|user\s+\S+.*\s>)", re.M)


@policy(
    id="compose-secret-in-environment",
    kinds={K.COMPOSE},
    severity=Severity.HIGH,
    summary="Compose service sets a secret-like variable to a literal value",
    fix="Interpolate it from the environment (`DB_PASSWORD: ${DB_PASSWORD}`), use `env_file:` "
    "with a git-ignored file, or compose `secrets:`.",
    tags=("security", "secrets"),
    cwe=(798,),
    section="Security",
)
def secret_in_environment(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports `environment:` entries (map form `KEY: value` and list form `- KEY=value`) whose
    name looks like a secret (`*_PASSWORD`, `*_TOKEN`, `*_SECRET`, `API_KEY`, …) and whose value
    is a literal. `${VAR}` interpolation, empty values and paths under `/run/secrets/` pass.
    The value is never printed.

    ## Why is this bad
    The compose file is committed: the credential is in the git history for good, shared with
    everyone who can read the repo, and the same in every environment.

    ## Example
    ```yaml
    environment:
      POSTGRES_PASSWORD: s3cr3t-pw          # fails
      - STRIPE_API_KEY=sk_live_123          # fails (list form)
      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}  # passes
    ```
    """
    for svc in compose_services(yf):
        for name, value, loc in env_items(svc):
            if value is None or not is_secret_name(name) or not is_literal_secret_value(value):
                continue
            yield ctx.finding(
                loc,
                f"Service `{svc.name}` sets `{name}` to a literal value in `environment`.",
                redact=(value,),
            )


def _redis_conf_has_auth(ctx: CheckContext, svc: ComposeService, cmd: str) -> bool | None:
    """Whether a redis.conf named in the command and mounted from the repo sets a password
    (None: no config file, or one that cannot be read)."""
    confs = [w for w in cmd.split() if w.endswith(".conf")]
    if not confs:
        return None
    volumes = svc.data.get("volumes")
    base = posixpath.dirname(svc.file.source.path)
    for conf in confs:
        for vol in volumes if isinstance(volumes, list) else []:
            host, target = _volume(vol)
            if host is None or target is None or not host.startswith((".", "/")):
                continue
            if target == conf:
                path = host
            elif conf.startswith(target.rstrip("/") + "/"):
                path = posixpath.join(host, conf[len(target.rstrip("/")) + 1 :])
            else:
                continue
            if path.startswith("/"):
                return None
            repo_path = posixpath.normpath(posixpath.join(base, path)).removeprefix("./")
            text = ctx.index.read_text(repo_path)
            return None if text is None else bool(_CONF_AUTH.search(text))
    return None


def _volume(vol: Any) -> tuple[str | None, str | None]:
    if isinstance(vol, dict):
        src, dst = vol.get("source"), vol.get("target")
        return (src if isinstance(src, str) else None, dst if isinstance(dst, str) else None)
    if isinstance(vol, str):
        parts = vol.split(":")
        if len(parts) >= 2:
            return parts[0], parts[1]
    return None, None


@policy(
    id="compose-redis-no-password",
    kinds={K.COMPOSE},
    severity=Severity.HIGH,
    summary="Redis service runs without a password",
    fix='Start it with `command: ["redis-server", "--requirepass", "${REDIS_PASSWORD}"]` '
    "(or an ACL file / a mounted redis.conf with `requirepass`), and give clients the password "
    "from the environment.",
    tags=("security",),
    cwe=(306,),
    section="Security",
)
def redis_no_password(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports a service running a Redis image (`redis`, `redis-stack`, `bitnami/redis`,
    `valkey`, `keydb`) with no password: no `--requirepass` or `--aclfile` in `command`/
    `entrypoint` or in `REDIS_ARGS`, no `REDIS_PASSWORD`/`REDIS_PASSWORD_FILE` (the Bitnami
    image's variables; `ALLOW_EMPTY_PASSWORD=yes` fails), and no redis.conf that sets
    `requirepass`, `aclfile` or a user with a password (read when the command names a config
    file mounted from the repo; an unreadable one is given the benefit of the doubt).

    ## Why is this bad
    Redis without auth accepts any client that can reach it: one exposed port or one SSRF and
    anyone can read the cache and sessions, or `CONFIG SET` their way to code execution.

    ## Example
    ```yaml
    redis:
      image: redis:7.2          # fails
    redis:
      image: redis:7.2
      command: ["redis-server", "--requirepass", "${REDIS_PASSWORD}"]   # passes
    ```
    """
    for svc in compose_services(yf):
        if svc.image_name not in REDIS_IMAGES:
            continue
        cmd = command_text(svc.data.get("command")) + " " + command_text(svc.data.get("entrypoint"))
        env = {name: (value or "") for name, value, _ in env_items(svc)}
        if "--requirepass" in cmd or "--aclfile" in cmd:
            continue
        if "--requirepass" in env.get("REDIS_ARGS", ""):
            continue
        empty_ok = env.get("ALLOW_EMPTY_PASSWORD", "").lower() in ("yes", "true", "1")
        if not empty_ok and any(
            env.get(k) for k in ("REDIS_PASSWORD", "REDIS_PASSWORD_FILE", "VALKEY_PASSWORD")
        ):
            continue
        if not empty_ok and _redis_conf_has_auth(ctx, svc, cmd) is not False and ".conf" in cmd:
            continue
        yield ctx.finding(
            svc.value_loc("image"),
            f"Redis service `{svc.name}` accepts clients without authentication: no "
            "`--requirepass` or ACL file, no REDIS_PASSWORD, no `requirepass` in a mounted "
            "redis.conf.",
        )


@policy(
    id="compose-privileged",
    kinds={K.COMPOSE},
    severity=Severity.HIGH,
    summary="Compose service runs privileged",
    fix="Remove `privileged: true`; add only the capabilities it needs with `cap_add:` and the "
    "devices with `devices:`.",
    tags=("security",),
    cwe=(250,),
    section="Security",
)
def privileged(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports `privileged: true` on a compose service.

    ## Why is this bad
    A privileged container has every capability and every host device: escaping to the host
    is a matter of mounting its disk. A bug in the app becomes root on the machine.

    ## Example
    ```yaml
    services:
      agent:
        image: acme/agent:1.0
        privileged: true      # fails
    ```
    """
    for svc in compose_services(yf):
        if svc.data.get("privileged") is True:
            yield ctx.finding(
                svc.key_loc("privileged"),
                f"Service `{svc.name}` runs privileged (all capabilities, all host devices).",
            )


def _published(port: Any) -> tuple[str, str] | None:
    """(host ip, description) when a `ports:` entry publishes on a host interface."""
    if isinstance(port, bool):
        return None
    if isinstance(port, int):
        return "", str(port)
    if isinstance(port, dict):
        ip = port.get("host_ip")
        target = port.get("target")
        return (str(ip) if ip else "", str(target))
    if not isinstance(port, str):
        return None
    text = port.strip().split("/", 1)[0]
    if text.startswith("["):
        ip, _, rest = text[1:].partition("]")
        return ip, rest.rsplit(":", 1)[-1]
    parts = text.rsplit(":", 2)
    ip = parts[0] if len(parts) == 3 else ""
    return ip, parts[-1]


@policy(
    id="compose-db-port-exposed",
    kinds={K.COMPOSE},
    severity=Severity.HIGH,
    summary="Database or cache port published on all host interfaces",
    fix="Drop the `ports:` entry (services reach it by name on the compose network), or bind "
    'it to loopback: `"127.0.0.1:5432:5432"`.',
    tags=("security",),
    cwe=(668,),
    section="Security",
)
def db_port_exposed(ctx: CheckContext, yf: YamlFile) -> Iterator[Finding]:
    """## What it does
    Reports `ports:` entries of database, cache and broker services (postgres, mysql,
    mariadb, mongo, redis, memcached, elasticsearch, cassandra, rabbitmq, kafka, …, recognised
    by image name) that publish on every host interface: `"5432:5432"`, `"5432"`,
    `"0.0.0.0:5432:5432"`, or the long syntax without `host_ip`. Binding to `127.0.0.1`/`::1`
    (or another single interface) passes; so does `expose:` (internal only).

    ## Why is this bad
    Compose services talk to each other over the compose network; publishing the port opens
    the database to anyone who can reach the host (Docker's iptables rules bypass ufw), which
    is how most ransomed Redis/Mongo/Elasticsearch instances were found.

    ## Example
    ```yaml
    db:
      image: postgres:16.2
      ports:
        - "5432:5432"             # fails
        - "127.0.0.1:5433:5432"   # passes
    ```
    """
    for svc in compose_services(yf):
        if svc.image_name not in DB_IMAGES:
            continue
        ports = svc.data.get("ports")
        if not isinstance(ports, list):
            continue
        for i, port in enumerate(ports):
            found = _published(port)
            if found is None:
                continue
            ip, target = found
            if ip not in ALL_INTERFACES:
                continue  # loopback or one chosen interface
            loc: Location = svc.item_loc(ports, i)
            yield ctx.finding(
                loc,
                f"Port {target} of `{svc.name}` ({svc.image_name}) is published on all host "
                "interfaces.",
            )
