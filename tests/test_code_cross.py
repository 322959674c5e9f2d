"""Code ↔ Dockerfile ↔ Kubernetes joins, bandit integration and the bench repo's filler code."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from linter.output.jsonfmt import render_json
from linter.output.sarif import render_sarif
from linter.output.text import render_text
from tests.conftest import SHARED, run_scan, triples

SERVER_WITH_HANDLER = (
    "const express = require('express');\n"
    "const app = express();\n"
    "app.get('/healthz', (req, res) => res.send('ok'));\n"
    "const server = app.listen(8080);\n"
    "process.on('SIGTERM', () => server.close());\n"
)


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _dockerfile(cmd: str) -> str:
    return f"FROM node:20.11-slim\nWORKDIR /app\nCOPY . .\nUSER node\n{cmd}\n"


SELECT_SHUTDOWN = [
    "docker-shell-form-entrypoint",
    "code-missing-sigterm-handler",
    "code-sigterm-handler-unreachable",
]


def test_handler_behind_shell_form_cmd_explains_the_chain(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "api/package.json": "{}",
            "api/server.js": SERVER_WITH_HANDLER,
            "api/Dockerfile": _dockerfile("CMD node server.js"),
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=SELECT_SHUTDOWN)
    assert triples(result) == [
        "api/Dockerfile:5:1 docker-shell-form-entrypoint",
        "api/server.js:5:1 code-sigterm-handler-unreachable",
    ]
    unreachable = result.findings[1]
    assert unreachable.message.startswith("SIGTERM handler (`process.on` in api/server.js)")
    assert "shell form" in unreachable.message
    assert [(r.path, r.start_line) for r in unreachable.related] == [
        ("api/Dockerfile", 5),
        ("api/server.js", 4),
    ]


def test_exec_form_cmd_makes_the_handler_reachable(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "api/package.json": "{}",
            "api/server.js": SERVER_WITH_HANDLER,
            "api/Dockerfile": _dockerfile('CMD ["node", "server.js"]'),
        },
    )
    assert triples(run_scan(["."], cwd=tmp_path, select=SELECT_SHUTDOWN)) == []


def test_missing_handler_and_shell_form_are_both_named(tmp_path: Path) -> None:
    server = SERVER_WITH_HANDLER.replace("process.on('SIGTERM', () => server.close());\n", "")
    _write(
        tmp_path,
        {
            "api/package.json": "{}",
            "api/server.js": server,
            "api/Dockerfile": _dockerfile("CMD node server.js"),
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=SELECT_SHUTDOWN)
    assert triples(result) == [
        "api/Dockerfile:5:1 docker-shell-form-entrypoint",
        "api/server.js:4:16 code-missing-sigterm-handler",
    ]
    missing = result.findings[1]
    assert "shell form" in missing.message
    assert [(r.path, r.start_line) for r in missing.related] == [("api/Dockerfile", 5)]


def test_gunicorn_in_cmd_counts_as_handling(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "web/requirements.txt": "flask\ngunicorn\n",
            "web/app.py": "from flask import Flask\napp = Flask(__name__)\napp.run(port=5000)\n",
            "web/Dockerfile": "FROM python:3.12-slim\nCMD gunicorn -b 0.0.0.0:8080 app:app\n",
        },
    )
    result = run_scan(["."], cwd=tmp_path, select=SELECT_SHUTDOWN[1:])
    assert triples(result) == []


DEPLOY = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: chat
spec:
  replicas: {replicas}
  template:
    spec:
      containers:
        - name: chat
          image: ghcr.io/acme/chat:1.0.0
          readinessProbe:
            httpGet: {{path: {probe}, port: 8080}}
"""
CHAT = (
    "const http = require('http');\n"
    "const { Server } = require('socket.io');\n"
    "const express = require('express');\n"
    "const app = express();\n"
    "app.get('/health', (req, res) => res.send('ok'));\n"
    "const server = http.createServer(app);\n"
    "const io = new Server(server);\n"
    "server.listen(8080);\n"
)


def _chat(root: Path, replicas: int, probe: str) -> None:
    _write(
        root,
        {
            "chat/package.json": "{}",
            "chat/server.js": CHAT,
            "chat/Dockerfile": _dockerfile('CMD ["node", "server.js"]'),
            "k8s/chat.yaml": DEPLOY.format(replicas=replicas, probe=probe),
        },
    )


@pytest.mark.parametrize(
    ("replicas", "expected"),
    [(1, []), (3, ["chat/server.js:7:12 code-websocket-no-shared-adapter"])],
)
def test_socketio_needs_an_adapter_only_with_replicas(
    tmp_path: Path, replicas: int, expected: list[str]
) -> None:
    _chat(tmp_path, replicas, "/health")
    result = run_scan(["."], cwd=tmp_path, select=["code-websocket-no-shared-adapter"])
    assert triples(result) == expected
    if expected:
        assert [(r.path, r.start_line) for r in result.findings[0].related] == [
            ("k8s/chat.yaml", 2)
        ]


def test_probe_path_against_routes(tmp_path: Path) -> None:
    _chat(tmp_path, 1, "/healthz")
    result = run_scan(["."], cwd=tmp_path, select=["code-health-endpoint-missing"])
    assert triples(result) == ["k8s/chat.yaml:13:29 code-health-endpoint-missing"]
    assert "routes found: GET /health." in result.findings[0].message
    (tmp_path / "k8s/chat.yaml").write_text(DEPLOY.format(replicas=1, probe="/health"))
    assert triples(run_scan(["."], cwd=tmp_path, select=["code-health-endpoint-missing"])) == []


def test_bandit_is_silent_prefiltered_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    with warnings.catch_warnings():  # importing bandit loads its plugins (stevedore warns)
        warnings.simplefilter("ignore")
        from bandit.core import manager

    seen: list[list[str]] = []
    original = manager.BanditManager.run_tests

    def spy(self: manager.BanditManager) -> None:
        seen.append([Path(p).name for p in self.files_list])
        original(self)

    _write(
        tmp_path,
        {
            "conf.py": 'DB_PASSWORD = "correct-horse-battery"\n',
            "plain.py": "def add(a, b):\n    return a + b\n",
            "broken.py": 'password = "x1"\ndef f(:\n',
        },
    )
    caplog.set_level(logging.DEBUG)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(manager.BanditManager, "run_tests", spy)
        result = run_scan(["."], cwd=tmp_path, select=["py-hardcoded-password"])
    assert seen == [["broken.py", "conf.py"]]  # plain.py never reaches bandit
    assert triples(result) == ["conf.py:1:15 py-hardcoded-password"]
    assert result.findings[0].properties["bandit_test_id"] == "B105"
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    assert not [r for r in caplog.records if r.name.startswith("bandit")]
    for text in (render_text(result), render_json(result), render_sarif(result)):
        assert "correct-horse-battery" not in text


def test_bench_filler_code_raises_nothing(tmp_path: Path) -> None:
    repo = tmp_path / "bench"
    args = ["--services", "12", "--modules", "3", "--seed", "11"]
    subprocess.run(
        [sys.executable, str(SHARED / "bench" / "make_repo.py"), str(repo), *args],
        check=True,
        capture_output=True,
    )
    planted = json.loads((repo / "PLANTED.json").read_text())
    result = run_scan(["."], cwd=repo, select=["code-", "py-"], check_sarif=False)
    mine = [f for f in result.findings if f.rule_id.startswith(("code-", "py-"))]
    mine = [f for f in mine if not f.rule_id.startswith(("code-node-", "code-missing-metrics"))]
    assert mine, "the bench repo's entry points must produce code findings"
    assert [
        f.location.path for f in mine if "/lib/" in f.location.path or "/pkg/" in f.location.path
    ] == []
    for check, rule in (
        ("sigterm-handler", "code-missing-sigterm-handler"),
        ("cors-wildcard", "code-cors-wildcard"),
    ):
        want = sorted(p["file"] for p in planted if p["check"] == check)
        got = sorted(f.location.path for f in mine if f.rule_id == rule)
        assert got == want, check


RATE_SERVER = "const express = require('express');\nconst app = express();\napp.listen(8080);\n"
INGRESS = (
    "apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata:\n  name: api\n{annotations}"
    "spec:\n  rules:\n  - host: api.example.com\n"
)


@pytest.mark.parametrize(
    ("manifest", "limited"),
    [
        (INGRESS.format(annotations=""), False),
        (
            INGRESS.format(
                annotations="  annotations:\n    nginx.ingress.kubernetes.io/limit-rps: '10'\n"
            ),
            True,
        ),
        (
            "apiVersion: traefik.io/v1alpha1\nkind: Middleware\nmetadata:\n  name: rl\n"
            "spec:\n  rateLimit:\n    average: 100\n",
            True,
        ),
        (
            "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: BackendTrafficPolicy\n"
            "metadata:\n  name: rl\nspec: {}\n",
            True,
        ),
        # the words alone, outside a rate-limit setting, do not count
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: notes\n"
            "data:\n  todo: add a rate-limit at the ingress\n",
            False,
        ),
    ],
)
def test_rate_limit_at_the_ingress_counts_for_the_repo(
    tmp_path: Path, manifest: str, limited: bool
) -> None:
    _write(tmp_path, {"api/package.json": "{}", "api/server.js": RATE_SERVER, "k8s.yaml": manifest})
    found = triples(run_scan(["."], tmp_path, select=["code-missing-rate-limit"]))
    assert found == ([] if limited else ["api/server.js:2:13 code-missing-rate-limit"])
