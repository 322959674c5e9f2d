"""Built-in CI policies: checklist gates (tests, coverage, security scan, load test), GitHub
Actions safety and GitLab CI images."""

from __future__ import annotations

from typing import Any

#: the policy modules, in the order their rules are listed; imported on first use of POLICIES
#: (a run that needs one rule imports only that rule's module, see linter/registry.py)
MODULES = (
    "gates",
    "gha",
    "gitlab",
)


def __getattr__(name: str) -> Any:
    if name == "POLICIES":
        from linter.policy import collect_submodules

        value = globals()["POLICIES"] = collect_submodules(__name__, MODULES)
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
