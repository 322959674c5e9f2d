"""Web-service hardening: CORS, rate limiting, security headers, error handlers, sessions,
websocket scale-out and webhook signatures."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linter.code.index import CodeService, code_index, target_files
from linter.code.model import Call, CodeFile, Value
from linter.index import RepoIndex
from linter.lazyre import lazy
from linter.model import ArtifactKind, Finding, Location, Severity
from linter.policy import CheckContext, policy
from linter.services import service_of

CODE = frozenset(
    {ArtifactKind.PYTHON, ArtifactKind.JAVASCRIPT, ArtifactKind.TYPESCRIPT, ArtifactKind.GO}
)
CODE_REPO = CODE | {ArtifactKind.PACKAGE_JSON, ArtifactKind.DOCKERFILE}
JS = ("javascript", "typescript")
ACAO = "access-control-allow-origin"


# -- CORS -------------------------------------------------------------------------------------
def _wild(v: Value | None) -> bool:
    if v is None:
        return False
    if v.kind == "str" and v.text.strip() in ("*", ".*", "^.*$"):
        return True
    if v.kind == "bool" and v.is_true:
        return True
    return v.kind == "list" and any(_wild(x) for _, x in v.items)


def _reflects(v: Value | None) -> bool:
    """An origin taken straight from the request (reflection of any origin)."""
    return (
        v is not None
        and v.kind == "name"
        and "origin" in v.text.lower()
        and ("req" in v.text.lower() or "header" in v.text.lower())
    )


def _cors_hits(f: CodeFile) -> Iterator[tuple[Location, str, bool]]:
    """(where, what, with credentials) for each wildcard CORS configuration in a file."""
    creds_header = any(
        c.method.lower() in ("setheader", "set", "header", "add")
        and (a := c.arg(0)) is not None
        and a.text.lower() == "access-control-allow-credentials"
        for c in f.calls
    )
    for c in f.calls:
        m, callee = c.method, c.callee
        if f.lang in JS:
            opts: Value | None = None
            is_cors = callee in ("cors", "Cors", "corsMiddleware") or (
                m == "register" and len(c.args) >= 2 and "cors" in c.args[0].text.lower()
            )
            if is_cors:
                opts = c.arg(1) if m == "register" else c.arg(0)
                if opts is None and m != "register":
                    yield c.loc, "`cors()` with no options allows every origin", False
                    continue
            elif m == "enableCors":
                opts = c.arg(0)
                if opts is None:
                    yield c.loc, "`enableCors()` with no options allows every origin", False
                    continue
            elif callee == "NestFactory.create":
                o = c.arg(1)
                cv = o.get("cors") if o is not None else None
                if cv is not None and cv.is_true:
                    yield cv.loc, "`cors: true` allows every origin", False
                continue
            if opts is not None and opts.kind == "obj":
                origin = opts.get("origin")
                cred = opts.get("credentials")
                creds = cred is not None and cred.is_true
                if _wild(origin) and origin is not None:
                    what = (
                        "`origin: true` reflects any origin"
                        if origin.is_true
                        else ("`origin: '*'` allows every origin")
                    )
                    yield origin.loc, what, creds
                continue
        elif f.lang == "python":
            if callee in ("CORS", "flask_cors.CORS"):
                origins = c.kw("origins") or c.kw("resources")
                creds = (v := c.kw("supports_credentials")) is not None and v.is_true
                if origins is None:
                    yield c.loc, "`CORS(app)` with no origins allows every origin", creds
                elif _wild(origins):
                    yield origins.loc, "`origins='*'` allows every origin", creds
                continue
            if m == "add_middleware" and c.arg(0) is not None and "CORS" in c.args[0].text:
                origins = c.kw("allow_origins")
                rx = c.kw("allow_origin_regex")
                creds = (v := c.kw("allow_credentials")) is not None and v.is_true
                if _wild(origins) and origins is not None:
                    yield origins.loc, "`allow_origins=['*']` allows every origin", creds
                elif _wild(rx) and rx is not None:
                    yield rx.loc, "`allow_origin_regex` matches every origin", creds
                continue
        elif f.lang == "go":
            if callee in ("cors.AllowAll", "cors.Default"):
                yield c.loc, f"`{callee}()` allows every origin", False
                continue
            if callee in ("cors.Options", "cors.Config"):
                origins = c.kw("AllowedOrigins") or c.kw("AllowOrigins")
                allow_all = c.kw("AllowAllOrigins")
                creds = (v := c.kw("AllowCredentials")) is not None and v.is_true
                if _wild(origins) and origins is not None:
                    yield origins.loc, '`AllowedOrigins: {"*"}` allows every origin', creds
                elif allow_all is not None and allow_all.is_true:
                    yield allow_all.loc, "`AllowAllOrigins: true` allows every origin", creds
                continue
        # header set by hand, any language
        if m.lower() in ("setheader", "set", "header", "add", "writehead") and len(c.args) >= 2:
            name, val = c.args[0], c.args[1]
            if name.kind == "str" and name.text.lower() == ACAO:
                if _wild(val):
                    yield (
                        val.loc,
                        "`Access-Control-Allow-Origin: *` allows every origin",
                        (creds_header),
                    )
                elif _reflects(val):
                    yield (
                        val.loc,
                        "`Access-Control-Allow-Origin` echoes the request's Origin",
                        (creds_header),
                    )
    if f.lang == "python":
        settings = {a.target: a.value for a in f.assigns}
        cred_v = settings.get("CORS_ALLOW_CREDENTIALS")
        creds = cred_v is not None and cred_v.is_true
        for key in ("CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"):
            setting = settings.get(key)
            if setting is not None and setting.is_true:
                yield setting.loc, f"`{key} = True` allows every origin", creds


@policy(
    id="code-cors-wildcard",
    kinds=CODE,
    severity=Severity.MEDIUM,
    summary="CORS allows every origin (high with credentials)",
    fix="List the allowed origins explicitly (from configuration), and never combine a "
    "wildcard or reflected origin with credentials.",
    tags=("security",),
    cwe=(942,),
    section="Security",
    scope="repo",
)
def cors_wildcard(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports CORS configurations that allow every origin: `cors()` / `cors({origin: '*'})` /
    `origin: true` (Express, Fastify `register(cors, …)`, Nest `enableCors`, `cors: true`),
    flask-cors `CORS(app)` without origins, FastAPI/Starlette `CORSMiddleware` with
    `allow_origins=["*"]`, django-cors-headers `CORS_ALLOW_ALL_ORIGINS = True`, Go rs/cors and
    gin-contrib/cors wildcards, and an `Access-Control-Allow-Origin` header set to `*` or echoed
    from the request. Severity is **high** when credentials are allowed too
    (`credentials: true`, `supports_credentials=True`, `allow_credentials=True`,
    `AllowCredentials: true`, an `Access-Control-Allow-Credentials` header).

    ## Why is this bad
    Any web site can call the API from its visitors' browsers and read the responses. With
    credentials (cookies) allowed, a malicious page acts as the logged-in user.

    ## Example
    ```js
    app.use(cors({ origin: '*', credentials: true }));   // fails (high)
    app.use(cors({ origin: process.env.ALLOWED_ORIGIN })); // passes
    ```
    """
    for f in target_files(index):
        yield from _cors_wildcard_in(ctx, f)


def _cors_wildcard_in(ctx: CheckContext, f: CodeFile) -> Iterator[Finding]:
    for loc, what, creds in _cors_hits(f):
        if creds:
            yield ctx.finding(
                loc,
                f"CORS allows any origin with credentials: {what} and credentials are allowed, "
                "so any site can make authenticated requests and read the answers.",
                severity=Severity.HIGH,
            )
        else:
            yield ctx.finding(loc, f"CORS allows any origin: {what}.")


# -- per-service "missing X" rules ----------------------------------------------------------
RATE_LIMIT_LIBS = (
    "express-rate-limit",
    "rate-limiter-flexible",
    "@fastify/rate-limit",
    "fastify-rate-limit",
    "koa-ratelimit",
    "koa2-ratelimit",
    "express-slow-down",
    "express-brute",
    "@nestjs/throttler",
    "hono-rate-limiter",
    "@upstash/ratelimit",
    "express-limiter",
    "slowapi",
    "flask_limiter",
    "django_ratelimit",
    "ratelimit",
    "fastapi_limiter",
    "limits",
    "rest_framework.throttling",
    "golang.org/x/time/rate",
    "github.com/ulule/limiter",
    "github.com/ulule/limiter/v3",
    "github.com/didip/tollbooth",
    "github.com/didip/tollbooth/v7",
    "github.com/go-chi/httprate",
    "github.com/sethvargo/go-limiter",
)
_RATE_NAME = lazy(r"rate_?limit|throttl|limiter", re.I)


#: a manifest that can configure rate limiting says one of these (lower-cased) somewhere
_RATE_WORDS = ("ratelimit", "rate-limit", "limit-rp", "limit-connections", "backendtrafficpolicy")


def _ingress_rate_limited(index: RepoIndex) -> bool:
    def mentions_rate_limits(text: str) -> bool:  # most manifests are not parsed here
        low = text.lower()
        return any(word in low for word in _RATE_WORDS)

    def scan() -> bool:
        for manifest in index.artifacts(ArtifactKind.K8S, text_filter=mentions_rate_limits):
            for obj in getattr(manifest, "objects", ()):
                if obj.kind in ("RateLimitPolicy", "BackendTrafficPolicy", "RateLimit"):
                    return True
                spec = obj.data.get("spec") if isinstance(obj.data, dict) else None
                if obj.kind == "Middleware" and isinstance(spec, dict) and "rateLimit" in spec:
                    return True
                for key in obj.annotations:
                    low = str(key).lower()
                    if "limit-rp" in low or "limit-connections" in low or "rate-limit" in low:
                        return True
        return False

    return index.memo(("code", "ingress-rate-limited"), scan)


def _has_rate_limit(svc: CodeService) -> bool:
    if svc.uses(*RATE_LIMIT_LIBS):
        return True
    return any(_RATE_NAME.search(c.callee) for c in svc.calls())


@policy(
    id="code-missing-rate-limit",
    kinds=CODE_REPO | {ArtifactKind.K8S},
    reports_on=CODE,
    severity=Severity.MEDIUM,
    summary="HTTP service without rate limiting",
    fix="Add rate limiting middleware (express-rate-limit, @fastify/rate-limit, "
    "@nestjs/throttler, slowapi, flask-limiter, django-ratelimit, x/time/rate …) or configure "
    "it at the ingress (e.g. `nginx.ingress.kubernetes.io/limit-rps`).",
    tags=("security",),
    cwe=(770,),
    section="Security",
    scope="repo",
)
def missing_rate_limit(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports each HTTP service (code that creates an app, declares routes or starts a server)
    that imports no rate-limiting library — express-rate-limit, rate-limiter-flexible,
    @fastify/rate-limit, koa-ratelimit, @nestjs/throttler, slowapi, flask-limiter,
    django-ratelimit, fastapi-limiter, golang.org/x/time/rate, ulule/limiter, tollbooth,
    httprate … — and calls nothing named like a rate limiter or throttle. Rate limiting
    configured at a Kubernetes ingress (ingress-nginx `limit-rps`/`limit-rpm`/`limit-connections`
    annotations, Traefik `rateLimit` middleware, Envoy Gateway/Kuadrant policies) counts for
    the whole repository. The finding points at the app creation (`express()`,
    `Flask(__name__)` …) of the service's entry point.

    ## Why is this bad
    Without a limit one client — a buggy retry loop, a scraper, a credential-stuffing bot — can
    exhaust the service's CPU, connections or downstream quotas for everybody.

    ## Example
    ```js
    const app = express();            // fails: no rate limiting
    app.use(rateLimit({ windowMs: 60_000, limit: 100 }));   // passes with express-rate-limit
    ```
    """
    if _ingress_rate_limited(index):
        return
    for svc in code_index(index).server_services():
        if _has_rate_limit(svc):
            continue
        loc = svc.anchor()
        if loc is not None:
            yield ctx.finding(
                loc, f"Service `{svc.name}` serves HTTP without any rate limiting middleware."
            )


HEADER_LIBS = (
    "helmet",
    "@fastify/helmet",
    "fastify-helmet",
    "koa-helmet",
    "lusca",
    "hono/secure-headers",
    "flask_talisman",
    "talisman",
    "secure",
    "secweb",
    "starlette_securityheaders",
    "django_csp",
    "csp",
    "github.com/unrolled/secure",
    "github.com/gin-contrib/secure",
)
SECURITY_HEADERS = frozenset(
    {
        "content-security-policy",
        "strict-transport-security",
        "x-content-type-options",
        "x-frame-options",
    }
)


def _has_headers(svc: CodeService) -> bool:
    if svc.uses(*HEADER_LIBS):
        return True
    for f in svc.files.values():
        for c in f.calls:
            for v in c.all_values():
                if v.kind == "str" and v.text.lower() in SECURITY_HEADERS:
                    return True
            if c.callee.endswith("SecurityMiddleware"):
                return True
        for a in f.assigns:
            if a.target == "MIDDLEWARE" and "SecurityMiddleware" in a.value.text:
                return True
    return False


@policy(
    id="code-missing-security-headers",
    kinds=CODE_REPO,
    reports_on=CODE,
    severity=Severity.LOW,
    summary="HTTP service sets no security headers (helmet, Talisman, CSP …)",
    fix="Add helmet (`app.use(helmet())`), @fastify/helmet, flask-talisman, `secure`, "
    "Django's SecurityMiddleware or unrolled/secure, or set CSP/HSTS/nosniff headers yourself.",
    tags=("security",),
    cwe=(693,),
    section="Security",
    scope="repo",
)
def missing_security_headers(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports each HTTP service that uses no security-header middleware (helmet,
    @fastify/helmet, koa-helmet, lusca, flask-talisman, `secure`, django-csp, Django's
    `SecurityMiddleware`, unrolled/secure, gin-contrib/secure) and never sets one of
    `Content-Security-Policy`, `Strict-Transport-Security`, `X-Content-Type-Options`,
    `X-Frame-Options` itself. The finding points at the app creation of the entry point.

    ## Why is this bad
    Without these headers browsers allow framing (clickjacking), MIME sniffing and inline
    script injection, and may talk to the service over plain HTTP.

    ## Example
    ```js
    const app = express();   // fails
    app.use(helmet());       // passes
    ```
    """
    for svc in code_index(index).server_services():
        if _has_headers(svc):
            continue
        loc = svc.anchor()
        if loc is not None:
            yield ctx.finding(
                loc,
                f"Service `{svc.name}` serves HTTP without security headers "
                "(no helmet/Talisman/CSP/HSTS).",
            )


# -- global error handling --------------------------------------------------------------------
def _error_middleware(c: Call) -> bool:
    if c.method not in ("use", "setErrorHandler", "onError", "on"):
        return False
    if c.method in ("setErrorHandler", "onError"):
        return True
    if c.method == "on":
        a = c.arg(0)
        return a is not None and a.kind == "str" and a.text == "error"
    for v in c.args:
        if v.kind == "func" and v.params == 4:
            return True
        if v.kind in ("name", "call") and re.search(r"error|errorhandler", v.text, re.I):
            return True
    return False


def _error_gaps(svc: CodeService) -> list[str]:
    langs = {f.lang for f in svc.files.values()}
    calls = list(svc.calls())
    gaps: list[str] = []
    if langs & set(JS):
        process = any(
            c.receiver == "process"
            and c.method in ("on", "once")
            and (a := c.arg(0)) is not None
            and a.text in ("unhandledRejection", "uncaughtException")
            for c in calls
        ) or any(c.callee == "Sentry.init" for c in calls)
        if not process:
            gaps.append("no `process.on('unhandledRejection'|'uncaughtException')` handler")
        express_like = svc.uses("express", "koa")
        if express_like and not any(_error_middleware(c) for c in calls):
            gaps.append("no error-handling middleware (`app.use((err, req, res, next) => …)`)")
    if "python" in langs and svc.uses("flask", "fastapi", "starlette", "quart"):
        handled = any(
            (c.method in ("errorhandler", "exception_handler") and c.args)
            or c.method in ("register_error_handler", "add_exception_handler")
            for c in calls
        )
        if not handled:
            gaps.append("no app-wide exception handler (`@app.errorhandler(Exception)`)")
    return gaps


@policy(
    id="code-missing-global-error-handler",
    kinds=CODE_REPO,
    reports_on=CODE,
    severity=Severity.MEDIUM,
    summary="Server without a global error handler / unhandled-rejection handler",
    fix="Node: register `process.on('unhandledRejection', …)` and `uncaughtException` (log, "
    "then exit), and an Express/Koa error middleware. Python: `@app.errorhandler(Exception)` / "
    "`@app.exception_handler(Exception)` that logs and returns a generic 500.",
    tags=("reliability",),
    section="Error handling and graceful shutdown",
    scope="repo",
)
def missing_global_error_handler(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    For each HTTP service: in JavaScript/TypeScript, reports a missing
    `process.on('unhandledRejection' | 'uncaughtException')` handler (`Sentry.init` counts, it
    installs them) and, for Express/Koa apps, a missing error-handling middleware (a function
    with four parameters, a handler named like `errorHandler`, `app.on('error')`); in Python,
    a Flask/FastAPI/Starlette/Quart app with no app-wide exception handler. Go services are not
    checked (net/http recovers handler panics per request). The finding points at the app
    creation of the entry point and lists what is missing; it is low severity when only the
    Python handler is missing (the framework still answers 500 and keeps serving).

    ## Why is this bad
    An unhandled promise rejection kills a modern Node.js process; without an error middleware
    Express answers with an HTML stack trace. Failures go unlogged and leak internals.

    ## Example
    ```js
    const app = express();   // fails: no error middleware, no unhandledRejection handler
    app.use((err, req, res, next) => { log.error(err); res.status(500).end(); });
    process.on('unhandledRejection', (e) => { log.fatal(e); process.exit(1); });
    ```
    """
    for svc in code_index(index).server_services():
        gaps = _error_gaps(svc)
        loc = svc.anchor()
        if gaps and loc is not None:
            # Python frameworks already answer 500 and keep serving: only the logging is missing
            python_only = all(g.startswith("no app-wide") for g in gaps)
            yield ctx.finding(
                loc,
                f"Service `{svc.name}` has {'; '.join(gaps)}.",
                severity=Severity.LOW if python_only else None,
            )


# -- sessions ---------------------------------------------------------------------------------
MEMORY_SESSION_TYPES = frozenset({"filesystem", "null", "simple", "memory"})


@policy(
    id="code-memory-session-store",
    kinds=CODE,
    severity=Severity.MEDIUM,
    summary="Sessions kept in process memory (or local disk): not shared between replicas",
    fix="Configure a shared session store (connect-redis, Redis/Memcached/database backends), "
    "or use stateless tokens.",
    tags=("scalability", "reliability"),
    section="Performance and scalability",
    scope="repo",
)
def memory_session_store(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Reports `express-session` / `@fastify/session` / `koa-generic-session` middleware created
    without a `store` (they default to an in-process MemoryStore), Flask-Session configured with
    `SESSION_TYPE` `filesystem`/`null`, and Django `SESSION_ENGINE` set to the file backend.

    ## Why is this bad
    An in-memory store loses every session on restart and is not shared: with two replicas a
    user is logged out whenever the load balancer picks the other pod. express-session's
    MemoryStore also leaks memory and is documented as not for production.

    ## Example
    ```js
    app.use(session({ secret: process.env.SESSION_SECRET }));   // fails
    app.use(session({ store: new RedisStore({ client }), secret: process.env.SESSION_SECRET }));
    ```
    """
    for f in target_files(index):
        yield from _memory_session_store_in(ctx, f)


def _memory_session_store_in(ctx: CheckContext, f: CodeFile) -> Iterator[Finding]:
    if f.lang in JS:
        mods = f.modules()
        session_mods = {"express-session", "@fastify/session", "koa-generic-session"}
        if not mods & session_mods:
            return
        names = {"session", "expressSession", "fastifySession", "Session"}
        for a in f.assigns:
            v = a.value
            if v.kind == "call" and v.callee == "require" and v.args[0:1]:
                names.update([a.target] if v.args[0].text in session_mods else [])
        for c in f.calls:
            is_session = c.callee in names
            opts = c.arg(0)
            if c.method == "register" and len(c.args) >= 2 and c.args[0].text in names:
                is_session, opts = True, c.arg(1)
            if not is_session:
                continue
            if opts is None or (opts.kind == "obj" and opts.get("store") is None):
                yield ctx.finding(
                    c.loc,
                    "Session middleware has no `store`, so sessions live in process memory "
                    "(MemoryStore): lost on restart and not shared between replicas.",
                )
    elif f.lang == "python":
        for a in f.assigns:
            target = a.target.replace('"', "'")
            v = a.value
            if target.endswith(("SESSION_TYPE", "['SESSION_TYPE']")) and v.kind == "str":
                if v.text.lower() in MEMORY_SESSION_TYPES:
                    yield ctx.finding(
                        v.loc,
                        f"Flask-Session `SESSION_TYPE = {v.text!r}` keeps sessions on one "
                        "instance: not shared between replicas.",
                    )
            elif target == "SESSION_ENGINE" and v.kind == "str" and v.text.endswith(".file"):
                yield ctx.finding(
                    v.loc,
                    "Django `SESSION_ENGINE` is the file backend: sessions stay on one "
                    "instance's disk and are not shared between replicas.",
                )


# -- websockets -------------------------------------------------------------------------------
ADAPTER_LIBS = (
    "@socket.io/redis-adapter",
    "socket.io-redis",
    "@socket.io/redis-streams-adapter",
    "@socket.io/cluster-adapter",
    "@socket.io/mongo-adapter",
    "@socket.io/postgres-adapter",
    "@socket.io/sticky",
)


def _ws_servers(f: CodeFile) -> list[tuple[Call, str]]:
    out: list[tuple[Call, str]] = []
    if f.lang in JS:
        mods = f.modules()
        sio = "socket.io" in mods
        ws = "ws" in mods
        for c in f.calls:
            if sio and c.callee in ("Server", "SocketIOServer", "socketIo", "io", "socketio"):
                out.append((c, "Socket.IO"))
            elif sio and c.callee == "require" and c.arg(0) and c.args[0].text == "socket.io":
                continue
            elif ws and c.callee in ("WebSocket.Server", "WebSocketServer", "WSServer"):
                out.append((c, "ws"))
    elif f.lang == "python":
        for c in f.calls:
            flask_sio = c.callee in ("SocketIO", "flask_socketio.SocketIO")
            if flask_sio and c.kw("message_queue") is None:
                out.append((c, "Flask-SocketIO"))
            py_sio = c.callee in ("socketio.AsyncServer", "socketio.Server")
            if py_sio and c.kw("client_manager") is None:
                out.append((c, "python-socketio"))
    return out


def _replicas(index: RepoIndex, path: str) -> tuple[str, Location] | None:
    """A workload running the service of ``path`` with more than one replica, or an HPA."""
    svc = service_of(index, path)
    if svc is None:
        return None
    hpas: dict[tuple[str, str], object] = {}
    for manifest in index.artifacts(ArtifactKind.K8S):
        for obj in getattr(manifest, "objects", ()):
            if obj.kind != "HorizontalPodAutoscaler" or not isinstance(obj.data, dict):
                continue
            spec = obj.data.get("spec")
            ref = spec.get("scaleTargetRef") if isinstance(spec, dict) else None
            if isinstance(ref, dict):
                hpas[(str(ref.get("kind")), str(ref.get("name")))] = obj
    for ref in svc.containers:
        obj = ref.obj
        spec = obj.data.get("spec") if isinstance(obj.data, dict) else None
        replicas = spec.get("replicas") if isinstance(spec, dict) else None
        name = str(obj.metadata.get("name"))
        if (obj.kind, name) in hpas:
            return f"{obj.label} is autoscaled by a HorizontalPodAutoscaler", obj.kind_loc()
        if isinstance(replicas, int) and replicas > 1:
            return f"{obj.label} runs {replicas} replicas", obj.kind_loc()
    return None


@policy(
    id="code-websocket-no-shared-adapter",
    kinds=CODE_REPO | {ArtifactKind.K8S},
    reports_on=CODE,
    severity=Severity.HIGH,
    summary="WebSocket server without a shared adapter while its workload runs several replicas",
    fix="Use a shared adapter: `io.adapter(createAdapter(pub, sub))` (@socket.io/redis-adapter), "
    "Flask-SocketIO `message_queue=`, python-socketio `client_manager=`, or Redis pub/sub.",
    tags=("scalability",),
    section="Performance and scalability",
    scope="repo",
)
def websocket_no_shared_adapter(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    Finds Socket.IO servers (`new Server(httpServer)`), `ws` servers (`new WebSocketServer`),
    Flask-SocketIO `SocketIO(app)` without `message_queue` and python-socketio servers without
    `client_manager`, and reports them when the service's Kubernetes workload (joined through
    the image it runs) has `replicas` > 1 or is the target of a HorizontalPodAutoscaler, and no
    shared adapter (@socket.io/redis-adapter, socket.io-redis, the cluster/mongo/postgres
    adapters) or Redis pub/sub is in use. The Deployment is a related location.

    ## Why is this bad
    Each replica only knows its own sockets: a broadcast or room message emitted on pod A
    never reaches clients connected to pod B. The bug appears only once the service scales out.

    ## Example
    ```js
    const io = new Server(server);   // fails when the Deployment has replicas: 3
    io.adapter(createAdapter(pubClient, subClient));   // passes
    ```
    """
    for svc in code_index(index).services:
        shared = svc.uses(*ADAPTER_LIBS) or any(c.method == "adapter" for c in svc.calls())
        pubsub = svc.uses("redis", "ioredis") and any(
            c.method in ("subscribe", "psubscribe") for c in svc.calls()
        )
        if shared:
            continue
        for f in svc.sorted_files():
            for call, lib in _ws_servers(f):
                if lib == "ws" and pubsub:
                    continue
                scaled = _replicas(index, f.path)
                if scaled is None:
                    continue
                why, where = scaled
                yield ctx.finding(
                    call.loc,
                    f"{lib} server has no shared adapter but {why}: messages emitted on one "
                    "pod never reach clients connected to the others.",
                    related=[where],
                )


# -- webhooks ---------------------------------------------------------------------------------
@policy(
    id="code-webhook-signature-unverified",
    kinds=CODE_REPO,
    reports_on=CODE,
    severity=Severity.HIGH,
    summary="Stripe webhook handler does not verify the signature (constructEvent)",
    fix="Verify every event: `stripe.webhooks.constructEvent(rawBody, req.headers['stripe-"
    "signature'], process.env.STRIPE_WEBHOOK_SECRET)` (Python: `stripe.Webhook.construct_event`).",
    tags=("security",),
    cwe=(345,),
    section="Security",
    scope="repo",
)
def webhook_signature_unverified(ctx: CheckContext, index: RepoIndex) -> Iterator[Finding]:
    """## What it does
    In a service that uses the Stripe SDK (`stripe`, `github.com/stripe/stripe-go`), reports each
    route whose path mentions `webhook` or `stripe` when nothing in the service calls
    `constructEvent`/`constructEventAsync` (Node), `Webhook.construct_event` (Python) or
    `webhook.ConstructEvent` (Go).

    ## Why is this bad
    Without the signature check anybody who finds the URL can post a forged
    `checkout.session.completed` event and get goods or credits for free.

    ## Example
    ```js
    app.post('/webhooks/stripe', express.json(), (req, res) => {   // fails
      handle(req.body);
    });
    ```
    Passes: build the event with `stripe.webhooks.constructEvent(req.body, sig, secret)`.
    """
    for svc in code_index(index).services:
        if not any("stripe" in lib.lower() for lib in svc.libraries()):
            continue
        verified = any(
            c.method
            in ("constructEvent", "constructEventAsync", "construct_event", "ConstructEvent")
            or c.method.startswith("ConstructEventWith")
            for c in svc.calls()
        )
        if verified:
            continue
        for r in svc.routes():
            low = r.path.lower()
            if "webhook" in low or "stripe" in low:
                yield ctx.finding(
                    r.loc,
                    f"Stripe webhook route `{r.method} {r.path}` never verifies the event "
                    "signature (no `constructEvent`), so forged events are accepted.",
                )
