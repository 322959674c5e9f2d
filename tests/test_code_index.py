"""The code index: extraction per language, routes, signals, reachability, prefilter, errors."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from linter.code import goextract, pyextract, tsextract
from linter.code.facts import derive, route_serves
from linter.code.index import PREFILTER_LITERALS, code_index
from linter.code.model import CodeFile, Route
from linter.config import load as load_config
from linter.index import RepoIndex
from linter.model import ArtifactKind
from linter.registry import load as load_registry


def _index(root: Path) -> RepoIndex:
    cfg = load_config(str(root), load_registry(), None)
    return RepoIndex(str(root), str(root), cfg, frozenset(ArtifactKind))


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _routes(f: CodeFile) -> list[tuple[str, str, int, int]]:
    return [(r.method, r.path, r.loc.start_line, r.loc.start_col) for r in derive(f).routes]


def test_js_routes_express_fastify_and_clients() -> None:
    f = tsextract.extract(
        "s.js",
        "const app = express();\n"
        "app.get('/healthz', (req, res) => res.send('ok'));\n"
        "router.post('/users/:id', handler);\n"
        "fastify.route({ method: 'GET', url: '/ready', handler });\n"
        "app.use('/api', apiRouter);\n"
        "axios.get('/remote', cb);\n"
        "cache.get('/key', fallback);\n"
        "app.listen(8080);\n",
        "javascript",
    )
    assert _routes(f) == [
        ("GET", "/healthz", 2, 1),
        ("POST", "/users/:id", 3, 1),
        ("GET", "/ready", 4, 1),
        ("MOUNT", "/api", 5, 1),
    ]
    assert [c.callee for c in f.listens] == ["app.listen"]


def test_nest_controller_prefix_joins_method_paths() -> None:
    f = tsextract.extract(
        "c.ts",
        "@Controller('health')\nexport class H {\n"
        "  @Get()\n  a() {}\n  @Get('live')\n  b() {}\n}\n",
        "typescript",
    )
    assert _routes(f) == [("GET", "/health", 3, 4), ("GET", "/health/live", 5, 4)]


def test_python_routes_flask_fastapi_django() -> None:
    f = pyextract.extract(
        "a.py",
        "@app.get('/healthz')\ndef h(): ...\n"
        "@bp.route('/ready', methods=['GET'])\ndef r(): ...\n"
        "urlpatterns = [path('status/', view)]\n"
        "asyncio.run(main())\n",
    )
    assert _routes(f) == [
        ("GET", "/healthz", 1, 2),
        ("ANY", "/ready", 3, 2),
        ("DJANGO", "/status/", 5, 16),
    ]
    assert f.listens == []  # asyncio.run does not start a server


def test_go_routes_and_signal_notify() -> None:
    f = goextract.extract(
        "m.go",
        "package main\n"
        'import "github.com/gin-gonic/gin"\n'
        "func main() {\n"
        "\tr := gin.Default()\n"
        '\tr.GET("/healthz", h)\n'
        '\tmux.HandleFunc("POST /items", h)\n'
        "\tsignal.Notify(c, syscall.SIGTERM)\n"
        '\tr.Run(":8080")\n'
        "}\n",
    )
    derive(f)
    assert [(r.method, r.path) for r in f.routes] == [("GET", "/healthz"), ("POST", "/items")]
    assert [c.callee for c in f.signals] == ["signal.Notify"]
    assert [c.callee for c in f.listens] == ["r.Run"]
    assert f.main_guard


def test_non_ascii_columns_are_characters() -> None:
    f = pyextract.extract("a.py", "x = 'é'; requests.get(u, verify=False)\n")
    kw = f.calls[0].kw("verify")
    assert kw is not None
    assert (kw.loc.start_line, kw.loc.start_col) == (1, 33)  # UTF-8 byte offset would be 34


def test_route_matching() -> None:
    def r(method: str, path: str) -> Route:
        from linter.model import Location

        return Route(method, path, Location("x", 1))

    assert route_serves(r("GET", "/users/:id"), "/users/42")
    assert route_serves(r("GET", "/items/{item_id}"), "/items/7?x=1")
    assert route_serves(r("MOUNT", "/status"), "/status/live")
    assert route_serves(r("GET", "/healthz"), "/api/healthz")  # router mounted under a prefix
    assert not route_serves(r("GET", "/health"), "/healthz")
    assert route_serves(r("DJANGO", "/health/"), "/health")
    assert route_serves(r("DJANGO", "/items/<int:pk>/"), "/api/items/3/")
    assert route_serves(r("DJANGO_RE", r"/healthz/?"), "/healthz")
    assert not route_serves(r("DJANGO_RE", r"/healthz/?"), "/ready")
    assert not route_serves(r("GET", "/"), "/healthz")


def test_handler_in_imported_helper_is_reachable(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "svc/package.json": "{}",
            "svc/server.js": "require('./lib/shutdown');\napp.listen(process.env.PORT);\n",
            "svc/lib/shutdown/index.js": "process.on('SIGTERM', () => {});\n",
            "py/requirements.txt": "",
            "py/pkg/__init__.py": "",
            "py/pkg/main.py": "from .signals import install\napp.run(host='0.0.0.0')\n",
            "py/pkg/signals.py": "import signal\nsignal.signal(signal.SIGTERM, h)\n",
        },
    )
    ci = code_index(_index(tmp_path))
    js = ci.service_of("svc/server.js")
    assert js is not None and js.directory == "svc"
    assert [f.path for f in js.closure("svc/server.js")] == [
        "svc/lib/shutdown/index.js",
        "svc/server.js",
    ]
    py = ci.service_of("py/pkg/main.py")
    assert py is not None
    assert [f.path for f in py.closure("py/pkg/main.py")] == ["py/pkg/main.py", "py/pkg/signals.py"]


def test_prefilter_skips_files_without_any_relevant_literal(tmp_path: Path) -> None:
    filler = (
        "'use strict';\nfunction helper(a, b) {\n  return a + b;\n}\nmodule.exports = { helper };\n"
    )
    assert not any(lit in filler for lit in PREFILTER_LITERALS)
    _write(tmp_path, {"lib/mod.js": filler, "server.js": "app.listen(1);\n"})
    ci = code_index(_index(tmp_path))
    assert sorted(ci.files) == ["server.js"]
    svc = ci.service_of("lib/mod.js")
    assert svc is not None and "lib/mod.js" in svc.all_paths


def test_syntax_error_is_a_notification_not_a_crash(tmp_path: Path) -> None:
    _write(tmp_path, {"bad.py": "import os\ndef broken(:\n", "tests/test_x.py": "import os\n"})
    idx = _index(tmp_path)
    ci = code_index(idx)
    assert ci.files == {}
    notes = [(n.path, n.line, n.code) for n in idx.notifications]
    assert notes == [("bad.py", 2, "prodready-parse-error")]


def test_launchers_resolve_entry_points(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "api/Dockerfile": 'FROM node:20\nCMD ["node", "/app/dist/main.js"]\n',
            "api/package.json": "{}",
            "api/src/main.ts": "import { NestFactory } from '@nestjs/core';\n",
            "web/Procfile": "web: gunicorn app.wsgi:application\n",
            "web/app/wsgi.py": "import os\n",
        },
    )
    ci = code_index(_index(tmp_path))
    api = ci.service_of("api/src/main.ts")
    web = ci.service_of("web/app/wsgi.py")
    assert api is not None and web is not None
    assert api.launched_files() == ["api/src/main.ts"]
    assert web.launched_files() == ["web/app/wsgi.py"]
    assert [la.server for la in web.launchers] == ["gunicorn"]


def test_listen_ports(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "js/package.json": "{}",
            "js/server.js": "app.listen(process.env.PORT || 3000);\nother.listen(8081);\n",
            "py/requirements.txt": "",
            "py/app.py": "app.run(host='0.0.0.0', port=5000)\n",
            "go/go.mod": "module x\n",
            "go/main.go": 'package main\nfunc main() { http.ListenAndServe(":8080", nil) }\n',
        },
    )
    ci = code_index(_index(tmp_path))
    got = {}
    for svc in ci.services:
        got[svc.directory] = [(p, loc.start_line, loc.start_col) for p, loc in svc.listen_ports()]
    assert got == {
        "": [],
        "go": [(8080, 2, 35)],
        "js": [(3000, 1, 12), (8081, 2, 14)],
        "py": [(5000, 1, 30)],
    }


def test_named_files_parse_only_the_services_they_touch(tmp_path: Path) -> None:
    from linter.code.index import code_index
    from tests.conftest import run_scan

    (tmp_path / ".git").mkdir()
    for name in ("svc-a", "svc-b", "svc-c"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(
            'FROM python:3.12-slim\nCMD ["python", "app.py"]\n'
        )
        (tmp_path / name / "app.py").write_text(
            "from flask import Flask\napp = Flask(__name__)\napp.run(port=8080)\n"
        )
    (tmp_path / "k8s.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: c}\nspec:\n  template:\n"
        "    spec:\n      containers:\n        - name: c\n          image: svc-c:1.0.0\n"
    )
    result = run_scan(["svc-a/app.py", "k8s.yaml"], cwd=tmp_path, select=["code"])
    assert result.index is not None
    assert sorted(code_index(result.index).files) == ["svc-a/app.py", "svc-c/app.py"]


def test_an_index_assembled_from_parts_equals_the_one_built_here(tmp_path: Path) -> None:
    # --jobs: workers extract each file's facts (code_index.part); the index is assembled from
    # them, and a file no worker had (a cache hit) is parsed by assemble itself
    from linter.code import index as ci

    _write(
        tmp_path,
        {
            "api/package.json": '{"main": "server.js"}\n',
            "api/server.js": "const app = require('express')();\napp.listen(8080);\n",
            "api/lib/util.js": "module.exports = 1;\n",
            "worker/requirements.txt": "flask\n",
            "worker/app.py": "import signal\nfrom flask import Flask\napp = Flask(__name__)\n",
            "worker/broken.py": "import os\ndef (:\n",
            "worker/Dockerfile": 'FROM python:3.12\nCMD ["python", "app.py"]\n',
            "go/main.go": 'package main\nimport "net/http"\nfunc main() { http.Serve() }\n',
            "tests/test_x.py": "import os\n",
        },
    )
    here = _index(tmp_path)
    built = ci.build(here)
    workers = _index(tmp_path)
    parts = {
        f.path: share[0] for f in workers.all_found() if (share := ci.part(workers, f)) is not None
    }
    # every code file but the test; no facts: util.js (prefilter), broken.py (does not parse)
    assert sorted(parts) == [
        "api/lib/util.js",
        "api/server.js",
        "go/main.go",
        "worker/app.py",
        "worker/broken.py",
    ]
    assert sorted(parts) == sorted([*built.files, "api/lib/util.js", "worker/broken.py"])
    for known in (parts, {k: v for k, v in parts.items() if k != "worker/app.py"}):
        elsewhere = _index(tmp_path)
        assert ci.assemble(elsewhere, known) == built
    assert [n.path for n in workers.notifications] == ["worker/broken.py"]  # noted once
    # the parts are what is used: a file given as having no facts has none in the index
    assert "worker/app.py" not in ci.assemble(_index(tmp_path), {"worker/app.py": None}).files


def test_bandit_runs_without_loading_its_report_formatters_or_progress_bar(tmp_path: Path) -> None:
    # a fresh interpreter: bandit's extension manager is made once per process, on import
    import subprocess
    import sys

    (tmp_path / "tool.py").write_text("import os\n\nos.system(input())\n")
    script = (
        "import sys\n"
        "from linter.code.bandit_run import bandit_issues\n"
        "from tests.test_code_index import _index\n"
        f"issues = bandit_issues(_index(__import__('pathlib').Path({str(tmp_path)!r})))\n"
        "from bandit.core import extension_loader\n"
        "print([i.test_id for i in issues], len(extension_loader.MANAGER.formatters),\n"
        "      len(extension_loader.MANAGER.plugins) > 30,\n"
        "      sorted(m for m in sys.modules if m.startswith('bandit.formatters')),\n"
        # rich.progress (bandit's progress bar) is imported lazily: not executed by the run
        "      type(sys.modules['rich.progress']) is type(sys))\n"
        "from rich.progress import track\n"  # and it loads on first use
        "print(callable(track), type(sys.modules['rich.progress']) is type(sys))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip().splitlines() == ["['B605'] 0 True [] False", "True True"]


def test_shlex_split_is_memoised_without_sharing_its_lists() -> None:
    from linter.code.index import shlex_split

    first = shlex_split("node server.js --port 80")
    first.append("mutated")
    assert shlex_split("node server.js --port 80") == ["node", "server.js", "--port", "80"]
    assert shlex_split("sh -c 'unclosed") == ["sh", "-c", "'unclosed"]  # shlex refuses it


_component = st.sampled_from(
    [
        "a",
        "src",
        "tests",
        "test",
        "node_modules",
        "build",
        "out",
        "spec",
        "x.min.js",
        "y.d.ts",
        "test_a.py",
        "a_test.go",
        "conftest.py",
        "b.test.tsx",
        "c.stories.mjs",
        "d.pyi",
        "e.py",
        "",
        ".",
        ".next",
        "a.min.js",
        "test_.py",
        "test_x.pyc",
        "x.spec.cjs",
        "fixtures",
        "e2e.py",
        "z.test.ts/",
        "y_test.go",
    ]
)


@settings(max_examples=500, deadline=None)
@given(st.lists(_component, min_size=1, max_size=5), st.booleans())
def test_one_search_answers_as_the_skip_and_test_patterns_do(parts: list[str], lead: bool) -> None:
    from linter.code import index as ci

    path = ("/" if lead else "") + "/".join(parts)
    both = bool(ci._SKIP.search(path)) or ci.is_test_path(path)
    assert ci._skip_or_test(path) == both, path


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab/.", max_size=12))
def test_parent_dir_is_posix_dirname(path: str) -> None:
    import posixpath

    from linter.code.index import parent_dir

    assert parent_dir(path) == posixpath.dirname(path), path


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="/._testcopymjsxdgnfuilr", max_size=24))
def test_skip_or_test_on_any_path(path: str) -> None:
    from linter.code import index as ci

    both = bool(ci._SKIP.search(path)) or ci.is_test_path(path)
    assert ci._skip_or_test(path) == both, path
