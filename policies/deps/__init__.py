"""Built-in deps policies."""

from linter.policy import Policy

POLICIES: list[Policy] = []
