"""Derive routes, server starts, app creations and signal handlers from extracted calls."""

from __future__ import annotations

import re

from linter.code.model import Call, CodeFile, Route, Value
from linter.lazyre import lazy

HTTP_VERBS = frozenset({"get", "post", "put", "delete", "patch", "head", "options", "all"})
#: receivers whose .get('/x') is an HTTP *client* call, not a route
CLIENT_RECEIVERS = lazy(
    r"(^|\.)(axios|http|https|got|superagent|request|fetch|client|api|\$http|ky|needle|"
    r"requests|httpx|session|supertest|agent|cache|redis|map|params|headers|searchParams|"
    r"localStorage|sessionStorage|store|config|env|url|router\.query)$",
    re.I,
)
NEST_VERBS = {
    "Get": "GET",
    "Post": "POST",
    "Put": "PUT",
    "Delete": "DELETE",
    "Patch": "PATCH",
    "Head": "HEAD",
    "Options": "OPTIONS",
    "All": "ANY",
}
PY_ROUTE_METHODS = HTTP_VERBS | {"route", "api_route", "websocket", "add_url_rule", "add_api_route"}
GO_ROUTE_METHODS = frozenset(
    {"HandleFunc", "Handle", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "Any"}
    | {"Get", "Post", "Put", "Delete", "Patch", "Head", "Options", "Method", "MethodFunc"}
)

APP_FACTORIES = frozenset(
    {
        "express",
        "fastify",
        "Fastify",
        "Koa",
        "Hapi.server",
        "Hapi.Server",
        "NestFactory.create",
        "Flask",
        "FastAPI",
        "Starlette",
        "Quart",
        "Sanic",
        "web.Application",
        "aiohttp.web.Application",
        "gin.Default",
        "gin.New",
        "echo.New",
        "fiber.New",
        "chi.NewRouter",
        "mux.NewRouter",
        "http.NewServeMux",
        "http.createServer",
        "https.createServer",
        "Hono",
    }
)
PY_SERVER_CALLS = frozenset(
    {"uvicorn.run", "hypercorn.run", "web.run_app", "aiohttp.web.run_app", "waitress.serve"}
    | {"serve", "make_server", "socketio.run", "HTTPServer", "ThreadingHTTPServer"}
    | {"wsgiref.simple_server.make_server", "http.server.HTTPServer"}
)
#: server runners that install their own SIGTERM handling (graceful)
PY_GRACEFUL_CALLS = frozenset(
    {"uvicorn.run", "hypercorn.run", "web.run_app", "aiohttp.web.run_app"}
)
NOT_SERVER_RECEIVERS = frozenset({"asyncio", "trio", "anyio", "subprocess", "loop", "runner"})

SIGNAL_NAMES = lazy(r"\bSIG(TERM|INT)\b|\bInterrupt\b")


def _first_str(call: Call, *kw: str) -> Value | None:
    a = call.arg(0)
    if a is not None and a.kind == "str":
        return a
    for k in kw:
        v = call.kw(k)
        if v is not None and v.kind == "str":
            return v
    return None


def _js_routes(f: CodeFile) -> list[Route]:
    out: list[Route] = []
    for c in f.calls:
        if c.decorator:
            verb = NEST_VERBS.get(c.callee)
            if verb is None:
                continue
            a = c.arg(0)
            sub = a.text.strip("/") if a is not None and a.kind == "str" else ""
            base = c.context.rstrip("/")
            path = f"{base}/{sub}" if sub else (base or "/")
            out.append(Route(verb, path if path.startswith("/") else "/" + path, c.loc))
            continue
        m = c.method
        low = m.lower()
        if low in HTTP_VERBS or low == "route" or low == "use":
            if CLIENT_RECEIVERS.search(c.receiver) or not c.receiver:
                continue
            first = c.arg(0)
            if first is not None and first.kind == "obj" and low == "route":
                url = first.get("url") or first.get("path")
                meth = first.get("method")
                if url is not None and url.kind == "str":
                    verb = meth.text.upper() if meth is not None and meth.kind == "str" else "ANY"
                    out.append(Route(verb, url.text, c.loc))
                continue
            if first is None or first.kind != "str" or not first.text.startswith(("/", "*")):
                continue
            rest = c.args[1:]
            if low != "route" and not any(v.kind in ("func", "name", "call") for v in rest):
                continue
            verb = "MOUNT" if low == "use" else ("ANY" if low in ("all", "route") else m.upper())
            out.append(Route(verb, first.text, c.loc))
    return out


def _py_routes(f: CodeFile) -> list[Route]:
    out: list[Route] = []
    for c in f.calls:
        m = c.method
        if c.decorator and m in PY_ROUTE_METHODS and c.receiver:
            v = _first_str(c, "path", "rule")
            if v is not None:
                verb = "ANY" if m in ("route", "api_route", "add_url_rule") else m.upper()
                out.append(Route(verb, v.text, c.loc))
        elif not c.decorator and m in ("add_url_rule", "add_api_route", "add_route") and c.receiver:
            v = _first_str(c, "rule", "path")
            if v is not None:
                out.append(Route("ANY", v.text, c.loc))
        elif c.callee in ("Route", "Mount", "WebSocketRoute", "routing.Route", "web.get"):
            v = _first_str(c, "path")
            if v is not None:
                out.append(Route("MOUNT" if c.callee == "Mount" else "ANY", v.text, c.loc))
        elif c.callee in ("path", "re_path", "url", "django.urls.path", "django.urls.re_path"):
            v = _first_str(c, "route")
            if v is not None:
                # Django routes are relative to their include() prefix: matched as a suffix
                kind = "DJANGO" if c.method == "path" else "DJANGO_RE"
                raw = v.text if kind == "DJANGO" else v.text.lstrip("^").rstrip("$")
                out.append(Route(kind, "/" + raw.lstrip("/"), c.loc))
    return out


def _go_routes(f: CodeFile) -> list[Route]:
    out: list[Route] = []
    for c in f.calls:
        if c.method not in GO_ROUTE_METHODS or not c.receiver:
            continue
        first = c.arg(0)
        if first is None or first.kind != "str":
            continue
        text = first.text
        verb = "ANY"
        if " " in text:  # Go 1.22 patterns: "GET /healthz"
            verb, _, text = text.partition(" ")
            text = text.strip()
        if not text.startswith("/"):
            continue
        if c.method not in ("HandleFunc", "Handle", "Any"):
            verb = c.method.upper()
        out.append(Route(verb, text, c.loc))
    return out


def _listens(f: CodeFile) -> list[Call]:
    out: list[Call] = []
    mods = f.modules()
    for c in f.calls:
        m = c.method
        if f.lang in ("javascript", "typescript"):
            if m == "listen" and c.receiver and not c.decorator:
                out.append(c)
        elif f.lang == "python":
            if (
                c.callee in PY_SERVER_CALLS
                or (
                    m == "run"
                    and c.receiver
                    and c.receiver.split(".")[0] not in NOT_SERVER_RECEIVERS
                    and not c.receiver.endswith(("()", "loop", "asyncio"))
                    and (
                        c.kw("host") is not None or c.kw("port") is not None or c.receiver == "app"
                    )
                )
                or m in ("serve_forever",)
            ):
                out.append(c)
        elif f.lang == "go" and (
            m in ("ListenAndServe", "ListenAndServeTLS", "Serve", "ServeTLS")
            or (m == "Run" and any("gin-gonic/gin" in x for x in mods))
            or (m in ("Start", "StartTLS") and any("labstack/echo" in x for x in mods))
            or (m == "Listen" and any("gofiber/fiber" in x for x in mods))
        ):
            out.append(c)
    return out


def _signals(f: CodeFile) -> list[Call]:
    """Registrations of a SIGTERM or SIGINT handler (policies check which signals)."""
    out: list[Call] = []
    for c in f.calls:
        m = c.method
        if f.lang in ("javascript", "typescript"):
            if m in ("on", "once", "addListener", "prependListener") and c.receiver in (
                "process",
                "globalThis.process",
            ):
                a = c.arg(0)
                if a is not None and a.kind == "str" and a.text in ("SIGTERM", "SIGINT"):
                    out.append(c)
        elif f.lang == "python":
            if c.callee in ("signal.signal", "signal") or m == "add_signal_handler":
                a = c.arg(0)
                if a is not None and SIGNAL_NAMES.search(a.text):
                    out.append(c)
        elif (f.lang == "go" and c.callee in ("signal.Notify", "signal.NotifyContext")) and (
            len(c.args) <= 1 or any(SIGNAL_NAMES.search(a.text) for a in c.args[1:])
        ):
            out.append(c)
    return out


def handles_sigterm(call: Call) -> bool:
    """Does this registration cover SIGTERM (Go ``signal.Notify(c)`` with no list: all)?"""
    if call.callee in ("signal.Notify",) and len(call.args) <= 1:
        return True
    if call.callee == "signal.NotifyContext" and len(call.args) <= 1:
        return True
    return any("SIGTERM" in a.text for a in call.args)


def derive(f: CodeFile) -> CodeFile:
    if f.lang == "python":
        f.routes = _py_routes(f)
    elif f.lang == "go":
        f.routes = _go_routes(f)
    else:
        f.routes = _js_routes(f)
    f.listens = _listens(f)
    f.signals = _signals(f)
    return f


def app_creations(f: CodeFile) -> list[Call]:
    return [c for c in f.calls if c.callee in APP_FACTORIES and not c.decorator]


def route_regex(path: str) -> re.Pattern[str]:
    """A route path as a regex: ``:id``, ``{id}``, ``<int:id>``, ``*`` match one or more chars."""
    out = []
    i = 0
    while i < len(path):
        ch = path[i]
        if ch == ":" and i + 1 < len(path) and (path[i + 1].isalpha() or path[i + 1] == "_"):
            j = i + 1
            while j < len(path) and (path[j].isalnum() or path[j] == "_"):
                j += 1
            out.append("[^/]+")
            i = j
            continue
        if ch in "{<":
            close = "}" if ch == "{" else ">"
            j = path.find(close, i)
            if j > 0:
                out.append(".*" if "path" in path[i:j] or path[i:j].endswith("...") else "[^/]+")
                i = j + 1
                continue
        if ch == "*":
            out.append(".*")
            i += 1
            continue
        out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out))


def route_serves(route: Route, probe: str) -> bool:
    """Could ``route`` answer a request for ``probe`` (query string dropped)?"""
    probe = probe.split("?", 1)[0] or "/"
    path = route.path or "/"
    if path in ("*", "/*", "(.*)", "/(.*)"):
        return True
    norm_probe = probe.rstrip("/") or "/"
    norm_path = path.rstrip("/") or "/"
    if route.method == "MOUNT":
        return norm_probe == norm_path or norm_probe.startswith(norm_path.rstrip("/") + "/")
    if route.method == "DJANGO_RE":
        try:
            rx_re = re.compile(path.lstrip("/"))
        except re.error:
            return False
        return any(
            rx_re.fullmatch(norm_probe[i + 1 :]) or rx_re.fullmatch(norm_probe[i + 1 :] + "/")
            for i, ch in enumerate(norm_probe)
            if ch == "/"
        )
    rx = route_regex(norm_path)
    if rx.fullmatch(norm_probe):
        return True
    # a router mounted under a prefix we did not resolve: accept a suffix match
    return norm_path != "/" and any(
        rx.fullmatch(norm_probe[i:]) for i, ch in enumerate(norm_probe) if ch == "/" and i > 0
    )
