"""Growth: does a scan's time grow in proportion with one artifact's size?

Each generator below writes a small tree where one dimension grows (services in one compose
file, secrets in one file, documents in one YAML stream, suppression comments, ...). The bench
times a cold ``--jobs 1`` scan of the tree at ``SMALL`` and at ``4 * SMALL`` items; a cost that
grows with the square of the size shows as a ratio near 16 instead of 4. Each dimension here
once hid such a cost (a compose file of 4,000 services took 45 s; 20,000 YAML documents 5 s).
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

SMALL = 1000
Tree = dict[str, str]


def compose_services(n: int) -> Tree:
    return {
        "docker-compose.yml": "services:\n"
        + "".join(
            f"  s{i}:\n    image: nginx:latest\n    environment: [PASSWORD=Zx9kQ2vL7{i:06d}]\n"
            for i in range(n)
        )
    }


def compose_builds(n: int) -> Tree:
    tree = {
        "docker-compose.yml": "services:\n"
        + "".join(f"  s{i}:\n    build: ./s{i}\n" for i in range(n))
    }
    for i in range(n):
        tree[f"s{i}/Dockerfile"] = "FROM node:20\nCMD node server.js\n"
    return tree


def secrets(n: int) -> Tree:
    return {"s.py": "".join(f"password_{i} = 'Zx9!kQ2#vL7{i:06d}pW'\n" for i in range(n))}


def suppressions(n: int) -> Tree:
    line = "password_{i} = 'Zx9!kQ2#vL7{i:06d}pW'  # prodready: ignore[secret-hardcoded] -- test\n"
    return {"s.py": "".join(line.format(i=i) for i in range(n))}


def yaml_documents(n: int) -> Tree:
    doc = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n"
    return {"many.yaml": "".join(doc.format(i=i) for i in range(n * 5))}


def containers(n: int) -> Tree:
    item = "  - name: c{i}\n    image: nginx:latest\n    env: [{{name: A, value: b}}]\n"
    return {
        "pod.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec:\n  containers:\n"
        + "".join(item.format(i=i) for i in range(n))
    }


def k8s_objects(n: int) -> Tree:
    docs = []
    for i in range(n):
        docs.append(
            f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n"
            f"  selector: {{matchLabels: {{app: a{i}}}}}\n  template:\n"
            f"    metadata: {{labels: {{app: a{i}}}}}\n    spec:\n"
            "      containers: [{name: c, image: 'r/x:1', ports: [{containerPort: 8080}]}]\n"
        )
        docs.append(
            f"apiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\n"
            f"spec: {{selector: {{app: a{i}}}, ports: [{{port: 80, targetPort: 8080}}]}}\n"
        )
    return {"k8s/all.yaml": "---\n".join(docs)}


def workflow_steps(n: int) -> Tree:
    head = "on: push\njobs:\n  b:\n    runs-on: ubuntu-latest\n    steps:\n"
    step = "      - uses: actions/checkout@v4\n      - run: echo {i}\n"
    return {".github/workflows/ci.yml": head + "".join(step.format(i=i) for i in range(n))}


def python_routes(n: int) -> Tree:
    route = "@app.get('/r{i}')\ndef r{i}():\n    return os.environ.get('X{i}', 'a')\n"
    return {
        "app.py": "import os\nfrom flask import Flask\napp = Flask(__name__)\n"
        + "".join(route.format(i=i) for i in range(n))
    }


def env_reads(n: int) -> Tree:
    return {
        ".env.example": "".join(f"VAR_{i}=\n" for i in range(n)),
        "server.js": "".join(f"const v{i} = process.env.VAR_{i};\n" for i in range(n)),
        "package.json": json.dumps({"name": "x", "dependencies": {"express": "^4.19.2"}}),
    }


GENERATORS: dict[str, Callable[[int], Tree]] = {
    "compose services": compose_services,
    "compose builds + Dockerfiles": compose_builds,
    "secrets in one file": secrets,
    "suppression comments": suppressions,
    "YAML documents (x5)": yaml_documents,
    "containers in one pod": containers,
    "Deployments + Services": k8s_objects,
    "workflow steps": workflow_steps,
    "Python routes": python_routes,
    "env reads + template": env_reads,
}


def write_tree(root: Path, tree: Tree) -> None:
    shutil.rmtree(root, ignore_errors=True)
    (root / ".git").mkdir(parents=True)
    for rel, text in tree.items():
        path = root / rel
        os.makedirs(path.parent, exist_ok=True)
        path.write_text(text)
