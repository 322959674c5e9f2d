"""Built-in code policies."""

from linter.policy import Policy

POLICIES: list[Policy] = []
