"""Logging, error tracking and connection pooling in service code."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.code.index import CodeService, code_index, target_files
from linter.code.model import Call, CodeFile, Value
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Confidence, Finding, Severity
from linter.policy import CheckContext, policy

CODE = frozenset(
    {ArtifactKind.PYTHON, ArtifactKind.JAVASCRIPT, ArtifactKind.TYPESCRIPT, ArtifactKind.GO}
)
CODE_REPO = CODE | {ArtifactKind.PACKAGE_JSON, ArtifactKind.DOCKERFILE}
JS = ("javascript", "typescript")
SECTION = "Monitoring, logging, alerting"

LOG_METHODS = frozenset(
    {"log", "info", "warn", "warning", "error", "debug", "trace", "fatal", "critical"}
    | {"exception", "verbose", "silly", "http", "notice"}
)
_LOGGER_RECEIVER = lazy(
    r"(^|\.)(console|log|logger|logging|_logger|_log|winston|pino|"
    r"bunyan|slog|zap|logrus|zerolog|this\.logger|self\.logger|"
    r"self\.log|req\.log|request\.log|fastify\.log|app\.log|sugar)$"
)
GO_PRINT = lazy(r"^(log|fmt)\.(Print|Printf|Println|Fatal|Fatalf|Fatalln|Panic|Panicf)$")


def is_log_call(f: CodeFile, c: Call) -> bool:
    if f.lang == "python" and c.callee == "print":
        return True
    if f.lang == "go" and GO_PRINT.match(c.callee):
        return True
    return c.method in LOG_METHODS and bool(_LOGGER_RECEIVER.search(c.receiver))


_SECRET_NAME = lazy(
    r"(password|passwd|passphrase|secret|token|api_?key|apikey|authorization|cookie|"
    r"credentials?|private_?key|access_?key|session_?id|ssn|card_?number|cvv)",
    re.I,
)
_HARMLESS = lazy(
    r"(count|length|len|expir\w*|ttl|type|name|url|uri|id|ids|hash|hashed|policy|field|"
    r"required|valid|invalid|reset|enabled|set|present|missing|header_name|key_name)$",
    re.I,
)
WHOLE_REQUEST = frozenset(
    {
        "req",
        "request",
        "req.headers",
        "request.headers",
        "req.cookies",
        "request.cookies",
        "req.body",
        "request.body",
        "ctx.request",
        "ctx.headers",
        "request.META",
        "request.COOKIES",
    }
)


#: Go handlers name the request ``r``
GO_WHOLE_REQUEST = frozenset({"r", "r.Header", "req", "req.Header"})


def _sensitive(ref: str, lang: str = "") -> bool:
    if ref in WHOLE_REQUEST or (lang == "go" and ref in GO_WHOLE_REQUEST):
        return True
    last = re.split(r"[.\[\]'\"]+", ref.strip(".[]'\""))
    words = [w for w in last if w]
    if not words:
        return False
    tail = words[-1]
    return bool(_SECRET_NAME.search(tail)) and not _HARMLESS.search(
        re.sub(r"([a-z])([A-Z])", r"\1_\2", tail)
    )


def _leak(f: CodeFile, v: Value) -> str | None:
    for x in v.walk():
        if x.kind == "name" and _sensitive(x.text, f.lang):
            return x.text
        if x.kind == "call" and re.search(r"(^|\.)(get|header|get_header|Get)$", x.callee):
            a = x.args[0] if x.args else None
            if a is not None and a.kind == "str" and _SECRET_NAME.search(a.text):
                return f"{x.callee}({a.text!r})"
        if x.kind in ("template", "concat", "other", "call"):
            for r in x.refs:
                if _sensitive(r) and r not in ("r", "req", "request"):
                    return r
    return None


@policy(
    id="code-sensitive-data-logged",
    kinds=CODE,
    severity=Severity.MEDIUM,
    summary="Secrets, tokens, cookies or whole requests written to logs",
    fix="Log identifiers, never credentials: drop the field, or configure the logger's "
    "redaction (pino `redact`, structlog processors) for these keys.",
    tags=("security",),
    cwe=(532,),
    section=SECTION,
    scope="repo",
)
def sensitive_data_logged(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports logging calls (`console.*`, `logger.*`/`log.*`/`logging.*`, winston/pino/bunyan,
    `print`, Go `log.Print*`/`fmt.Print*`) whose arguments reference a password, secret, token,
    API key, authorization header, cookie, session id or card number (by variable or property
    name), or a whole request / its headers / cookies / body (`req`, `req.headers`,
    `request.headers`). Names like `tokenCount` or `passwordResetUrl` pass.

    ## Why is this bad
    Logs are shipped to many systems and kept for months, readable by far more people than the
    secret store. A logged bearer token or session cookie is a working credential.

    ## Example
    ```js
    logger.info(`login ${user.email} ${req.body.password}`);   // fails
    console.log(req.headers);                                   // fails
    logger.info({ user: user.id }, 'login');                    // passes
    ```
    """
    for f in target_files(index):
        yield from _sensitive_data_logged_in(ctx, f)


def _sensitive_data_logged_in(ctx: CheckContext, f: CodeFile) -> Iterator[Finding]:
    for c in f.calls:
        if not is_log_call(f, c):
            continue
        for v in c.all_values():
            what = _leak(f, v)
            if what is not None:
                yield ctx.finding(
                    v.loc,
                    f"`{c.callee}()` logs `{what}`, which may hold a credential or personal data.",
                )
                break


STRUCTURED = (
    "winston",
    "pino",
    "bunyan",
    "log4js",
    "roarr",
    "nestjs-pino",
    "structlog",
    "pythonjsonlogger",
    "python_json_logger",
    "json_logging",
    "loguru",
    "ecs_logging",
    "log/slog",
    "go.uber.org/zap",
    "github.com/rs/zerolog",
    "github.com/sirupsen/logrus",
    "github.com/go-kit/log",
)


def _bare(f: CodeFile, c: Call) -> bool:
    if f.lang in JS:
        return c.receiver == "console" and c.method in ("log", "info", "warn", "error", "debug")
    if f.lang == "python":
        return c.callee == "print"
    return bool(GO_PRINT.match(c.callee)) and c.callee.startswith(("log.", "fmt.Print"))


@policy(
    id="code-unstructured-logging",
    kinds=CODE_REPO,
    reports_on=CODE,
    severity=Severity.LOW,
    summary="console.log / print in server code without a structured logger",
    fix="Use a structured logger (pino, winston, structlog, python-json-logger, log/slog, zap) "
    "that writes JSON with levels and request ids.",
    tags=("observability",),
    section=SECTION,
    scope="repo",
)
def unstructured_logging(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    In each HTTP service whose code imports no structured logger (winston, pino, bunyan,
    log4js, structlog, python-json-logger, loguru, log/slog, zap, zerolog, logrus …), reports
    every server file (entry points, files declaring routes or the app, and the local modules
    they import — not build scripts or CLIs) that writes with `console.log`/`console.error`…,
    `print(…)` or Go's `log.Print*`/`fmt.Print*`. One finding per file, at the first call, with
    the count.

    ## Why is this bad
    Free-text lines cannot be filtered by level, searched by field or joined by request id;
    multi-line output is split into many log events; alerts on error rate cannot be built.

    ## Example
    ```js
    console.log('order created', order.id);   // fails (no structured logger in the service)
    logger.info({ orderId: order.id }, 'order created');   // passes with pino
    ```
    """
    for svc in code_index(index).server_services():
        if svc.uses(*STRUCTURED):
            continue
        for f in svc.server_files():
            bare = [c for c in f.calls if _bare(f, c)]
            if bare:
                more = f" (and {len(bare) - 1} more in this file)" if len(bare) > 1 else ""
                yield ctx.finding(
                    bare[0].loc,
                    f"Server code logs with `{bare[0].callee}()`{more}; service `{svc.name}` "
                    "uses no structured logger.",
                )


TRACKERS = (
    "@sentry/node",
    "@sentry/nestjs",
    "@sentry/nextjs",
    "@sentry/bun",
    "@sentry/serverless",
    "@sentry/aws-serverless",
    "@sentry/google-cloud-serverless",
    "@sentry/deno",
    "@sentry/browser",
    "@sentry/react",
    "raven",
    "@bugsnag/js",
    "@bugsnag/node",
    "rollbar",
    "@honeybadger-io/js",
    "newrelic",
    "dd-trace",
    "elastic-apm-node",
    "@airbrake/node",
    "raygun",
    "sentry_sdk",
    "raven",
    "bugsnag",
    "rollbar",
    "honeybadger",
    "newrelic",
    "ddtrace",
    "elasticapm",
    "airbrake",
    "github.com/getsentry/sentry-go",
    "github.com/bugsnag/bugsnag-go",
    "github.com/rollbar/rollbar-go",
    "github.com/honeybadger-io/honeybadger-go",
    "gopkg.in/DataDog/dd-trace-go.v1",
    "github.com/DataDog/dd-trace-go/v2",
    "go.elastic.co/apm",
)


def _tracked(svc: CodeService) -> bool:
    libs = svc.libraries() | svc.modules()
    return any(t in libs for t in TRACKERS) or any(
        lib.startswith(("@sentry/", "github.com/getsentry/")) for lib in libs
    )


@policy(
    id="code-missing-error-tracking",
    kinds=CODE_REPO,
    reports_on=CODE,
    severity=Severity.INFO,
    summary="No error tracking (Sentry or similar) initialised in the service",
    fix="Initialise an error tracker at startup (`Sentry.init({ dsn: process.env.SENTRY_DSN })`, "
    "`sentry_sdk.init(dsn=os.environ['SENTRY_DSN'])`, `sentry.Init(...)`).",
    tags=("observability",),
    section=SECTION,
    scope="repo",
)
def missing_error_tracking(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports each HTTP service whose code imports no error-tracking SDK: Sentry (`@sentry/*`,
    `sentry_sdk`, sentry-go), Bugsnag, Rollbar, Honeybadger, Airbrake, Raygun, New Relic,
    Datadog (`dd-trace`, `ddtrace`), Elastic APM. The finding points at the app creation of the
    service's entry point.

    ## Why is this bad
    Without an error tracker, exceptions in production are only in logs nobody reads: nobody is
    told that checkout has been failing for 5 % of users since the last deploy.

    ## Example
    ```js
    const Sentry = require('@sentry/node');
    Sentry.init({ dsn: process.env.SENTRY_DSN });   // passes
    ```
    """
    for svc in code_index(index).server_services():
        if _tracked(svc):
            continue
        loc = svc.anchor()
        if loc is not None:
            yield ctx.finding(
                loc, f"Service `{svc.name}` initialises no error tracker (Sentry or similar)."
            )


#: (language, callee) of a single-connection open, and the pool alternative to name
SINGLE_CONNECTIONS = {
    ("js", "mysql.createConnection"): "mysql.createPool",
    ("js", "mysql2.createConnection"): "mysql2.createPool",
    ("js", "createConnection"): "createPool",
    ("js", "Client"): "pg.Pool",
    ("js", "pg.Client"): "pg.Pool",
    ("python", "psycopg2.connect"): "psycopg2.pool / psycopg_pool",
    ("python", "psycopg.connect"): "psycopg_pool.ConnectionPool",
    ("python", "pymysql.connect"): "a pool (SQLAlchemy engine, DBUtils)",
    ("python", "MySQLdb.connect"): "a pool (SQLAlchemy engine, DBUtils)",
    ("python", "mysql.connector.connect"): "mysql.connector.pooling",
    ("python", "asyncpg.connect"): "asyncpg.create_pool",
    ("go", "pgx.Connect"): "pgxpool.New",
}
POOL_HINTS = lazy(r"pool|Pool|create_engine|create_async_engine|knex|sequelize|prisma|typeorm")


@policy(
    id="code-no-connection-pool",
    kinds=CODE_REPO,
    reports_on=CODE,
    severity=Severity.LOW,
    confidence=Confidence.LOW,
    summary="Database connections opened one at a time, no pool in sight (partial evidence)",
    fix="Create one pool at startup and reuse it (`new pg.Pool()`, `mysql.createPool`, "
    "SQLAlchemy `create_engine`, `asyncpg.create_pool`, `pgxpool.New`).",
    tags=("performance",),
    section="Infrastructure",
    scope="repo",
)
def no_connection_pool(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    In HTTP services, reports calls that open a single database connection —
    `mysql.createConnection`, `new pg.Client()`, `psycopg2.connect`, `pymysql.connect`,
    `asyncpg.connect`, `pgx.Connect` … — when nothing in the service creates a pool or uses an
    ORM/query builder that pools (knex, Sequelize, Prisma, TypeORM, SQLAlchemy engines). This is
    partial evidence (low confidence): a single long-lived connection can be deliberate.

    ## Why is this bad
    A connection per request costs a TCP + TLS + auth handshake each time and can exhaust the
    database's connection limit under load; a single shared connection serialises all queries.

    ## Example
    ```js
    const db = mysql.createConnection(process.env.DATABASE_URL);   // fails
    const db = mysql.createPool(process.env.DATABASE_URL);         // passes
    ```
    """
    for svc in code_index(index).server_services():
        calls = list(svc.calls())
        if any(POOL_HINTS.search(c.callee) for c in calls) or any(
            POOL_HINTS.search(m) for m in svc.modules()
        ):
            continue
        for f in svc.sorted_files():
            lang = "js" if f.lang in JS else f.lang
            mods = f.modules()
            for c in f.calls:
                alt = SINGLE_CONNECTIONS.get((lang, c.callee))
                if alt is None:
                    continue
                if c.callee == "Client" and "pg" not in mods:
                    continue
                if c.callee == "createConnection" and not mods & {"mysql", "mysql2"}:
                    continue
                yield ctx.finding(
                    c.loc,
                    f"`{c.callee}()` opens a single database connection and the service "
                    f"creates no pool; use {alt}.",
                )
