"""``prodready init``: write a commented starter ``.prodready.yaml`` (never overwrites)."""

from __future__ import annotations

import os

from linter.config import ConfigError

STARTER = """\
# prodready configuration (https://github.com/prodready/prodready)
# Every key is optional; delete what you do not need. `prodready rules` lists the rule ids,
# `prodready explain RULE-ID` shows what a rule checks and how to fix it.

# Rules to run: ids or prefixes ("k8s", "docker", ...). Default: every rule enabled by default.
# select: [k8s, docker, compose, secrets, ci, deps, code, repo]
# extend-select: []                  # add rules that are off by default
ignore: []                           # e.g. [k8s-missing-liveness-probe]

# Paths to skip, gitignore-style, on top of .gitignore.
exclude: []                          # e.g. ["legacy/", "**/testdata/**"]
respect-gitignore: true

# Lowest severity that makes the exit code 1: info, low, medium, high, critical.
fail-on: low

# Rules to ignore only in some paths.
per-file-ignores: {}
#   "tests/**": [docker-runs-as-root]

# Severity overrides per rule.
severity: {}
#   k8s-image-tag-mutable: high

# Rule options: `prodready explain RULE-ID` lists each rule's options.
rules: {}

# Defaults the autofixer (`prodready fix`) writes for missing Kubernetes resources.
# fix:
#   resources:
#     requests: {cpu: 100m, memory: 128Mi}
#     limits: {cpu: 500m, memory: 256Mi}
"""


def write_starter(directory: str = ".", name: str = ".prodready.yaml") -> str:
    """Write the starter config; raises ConfigError when the file (or another config) exists."""
    path = os.path.join(directory, name)
    if os.path.lexists(path):
        raise ConfigError(f"{path} already exists; not overwriting it")
    try:
        with open(path, "x", encoding="utf-8") as fh:
            fh.write(STARTER)
    except FileExistsError:
        raise ConfigError(f"{path} already exists; not overwriting it") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write: {exc.strerror or exc}") from None
    return path
