"""Per-service evidence: metrics instrumentation and versioned database migrations."""

from __future__ import annotations

from collections.abc import Iterator

from linter.fileviews import file_view
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import Confidence, Finding, Severity
from linter.policy import CheckContext, policy
from linter.source import SourceFile
from policies.repo.project import (
    MANIFEST_KINDS,
    PROJECT_KINDS,
    SOURCE_KINDS,
    manifest_named,
    relative_paths,
    root_prefix,
    services,
    sources_in,
)

METRICS_PACKAGES = frozenset(
    {
        "prom-client",
        "express-prom-bundle",
        "prometheus-api-metrics",
        "fastify-metrics",
        "@opentelemetry/sdk-metrics",
        "@opentelemetry/exporter-prometheus",
        "@opentelemetry/exporter-metrics-otlp-http",
        "@opentelemetry/exporter-metrics-otlp-grpc",
        "prometheus-client",
        "prometheus-fastapi-instrumentator",
        "prometheus-flask-exporter",
        "starlette-exporter",
        "django-prometheus",
        "aioprometheus",
        "opentelemetry-exporter-prometheus",
        "opentelemetry-sdk",
        "github.com/prometheus/client_golang",
        "go.opentelemetry.io/otel/sdk/metric",
    }
)
_METRICS_IMPORT = lazy(
    r"""(['"](prom-client|@opentelemetry/sdk-metrics|@opentelemetry/exporter-prometheus)['"]"""
    r"""|\bprometheus_client\b|\bopentelemetry\.metrics\b|\bopentelemetry\.sdk\.metrics\b"""
    r"""|github\.com/prometheus/client_golang|go\.opentelemetry\.io/otel/(sdk/)?metric)"""
)


def _metrics_import(src: SourceFile) -> bool:
    text = src.text
    return ("prom" in text or "opentelemetry" in text) and bool(_METRICS_IMPORT.search(text))


METRICS_IMPORTS = file_view(
    "metrics-imports", SOURCE_KINDS, _metrics_import, used_by=("code-missing-metrics",)
)


def _imports_metrics(index: RepoIndex, directory: str) -> bool:
    """Does a source file under ``directory`` ('' = anywhere) import a metrics library?"""
    known = METRICS_IMPORTS.prefetched(index)
    if known is None:
        return any(METRICS_IMPORTS.of(index, s) for s in sources_in(index, directory))
    hits = index.memo(("metrics-import-paths",), lambda: [p for p, v in known.items() if v])
    prefix = f"{directory}/" if directory else ""
    return any(p.startswith(prefix) for p in hits)


@policy(
    id="code-missing-metrics",
    kinds=PROJECT_KINDS,
    reports_on=MANIFEST_KINDS,
    severity=Severity.LOW,
    confidence=Confidence.LOW,
    summary="Service exposes no metrics (no Prometheus or OpenTelemetry metrics library)",
    fix="Instrument the service (prom-client / prometheus_client / OpenTelemetry metrics) and "
    "expose a /metrics endpoint with request rate, errors and latency histograms.",
    tags=("observability",),
    section="Monitoring, logging, alerting",
    scope="repo",
)
def missing_metrics(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    For each service (a directory whose package.json, requirements*.txt, pyproject.toml or go.mod
    declares an HTTP or WebSocket server framework), looks for metrics instrumentation: a
    dependency on prom-client, express-prom-bundle, prometheus_client, OpenTelemetry metrics,
    client_golang … or an import of one of them in the service's source. Reports the service's
    framework dependency when there is none. This is evidence, not proof: metrics may come from a
    sidecar, a service mesh or an APM agent, so a person decides.

    ## Why is this bad
    Without request rate, error and latency metrics there is nothing to alert on and no way to see
    whether a deploy made things worse or whether the service needs to scale.

    ## Example
    ```json
    {"dependencies": {"express": "^4.19.2", "winston": "^3.13.0"}}
    ```
    fails; adding `"prom-client": "^15.1.0"` (and serving `/metrics`) passes.
    """
    if not manifest_named(index):
        return
    for proj, framework, loc in services(index):
        if not index.is_target(loc.path) or proj.first_dep(METRICS_PACKAGES) is not None:
            continue
        if _imports_metrics(index, proj.directory):
            continue
        yield ctx.finding(
            loc,
            f"Service `{proj.name}` ({framework}) has no metrics library (prom-client, "
            "prometheus_client, OpenTelemetry metrics).",
        )


SQL_CLIENTS = frozenset(
    {
        "pg",
        "pg-promise",
        "postgres",
        "mysql",
        "mysql2",
        "mariadb",
        "sqlite3",
        "better-sqlite3",
        "mssql",
        "tedious",
        "oracledb",
        "knex",
        "sequelize",
        "typeorm",
        "@prisma/client",
        "objection",
        "@mikro-orm/core",
        "drizzle-orm",
        "kysely",
        "psycopg2",
        "psycopg2-binary",
        "psycopg",
        "asyncpg",
        "pymysql",
        "mysqlclient",
        "mysql-connector-python",
        "aiomysql",
        "sqlalchemy",
        "sqlmodel",
        "django",
        "peewee",
        "tortoise-orm",
        "github.com/lib/pq",
        "github.com/jackc/pgx/v5",
        "github.com/jackc/pgx/v4",
        "github.com/go-sql-driver/mysql",
        "github.com/mattn/go-sqlite3",
        "gorm.io/gorm",
        "entgo.io/ent",
    }
)
MIGRATION_DIRS = frozenset(
    {"migrations", "migration", "migrate", "alembic", "flyway", "liquibase", "changelog"}
)


def _has_migrations(rels: list[str], service_dir: str) -> bool:
    for rel in rels:
        parts = rel.lower().split("/")[:-1]
        inside = not service_dir or rel.startswith(service_dir + "/")
        # inside the service, or a shared db/migrations folder at the top of the scan
        dirs = parts if inside else parts[:2]
        if any(p in MIGRATION_DIRS or p.endswith(("-migrations", "_migrations")) for p in dirs):
            return True
    return False


@policy(
    id="repo-missing-migrations",
    kinds=PROJECT_KINDS,
    reports_on=MANIFEST_KINDS,
    severity=Severity.LOW,
    confidence=Confidence.MEDIUM,
    summary="Service uses a SQL database client but the repo has no migrations directory",
    fix="Version the schema with a migration tool (node-pg-migrate, knex, Prisma Migrate, "
    "Alembic, Django migrations, golang-migrate) and commit the migrations/ directory.",
    tags=("reliability",),
    section="Deployment and testing",
    scope="repo",
)
def missing_migrations(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    For each service that depends on a SQL database client or ORM (pg, mysql2, knex, Sequelize,
    TypeORM, Prisma, psycopg, SQLAlchemy, Django, pgx, GORM …), looks for a migrations directory
    (`migrations/`, `migrate/`, `alembic/`, `flyway/`, `liquibase/`, `prisma/migrations/` …)
    inside the service, or in the first two levels of the scan root (e.g. `db/migrations/`).
    Reports the database dependency when there is none. Document stores and caches (Firestore,
    MongoDB, Redis) are not considered. A person decides: the schema may be owned by another repo.

    ## Why is this bad
    A schema changed by hand cannot be reviewed, reproduced in staging or rolled back, and the
    application version and the database drift apart.

    ## Example
    ```json
    {"dependencies": {"express": "^4.19.2", "pg": "^8.11.5"}}
    ```
    fails without a `migrations/` directory; passes with `migrations/1700000000000_init.js`.
    """
    if not manifest_named(index):
        return  # the findings point at dependency lines
    prefix = root_prefix(index)
    rels = relative_paths(index)
    for proj, _framework, _loc in services(index):
        found = proj.first_dep(SQL_CLIENTS)
        if found is None:
            continue
        service_dir = proj.directory[len(prefix) :] if proj.directory.startswith(prefix) else ""
        if proj.directory + "/" == prefix:
            service_dir = ""
        if _has_migrations(rels, service_dir):
            continue
        dep, loc = found
        yield ctx.finding(
            loc,
            f"Service `{proj.name}` uses a SQL database client (`{dep}`) but has no migrations "
            "directory.",
        )
