"""Built-in repo policies."""

from linter.policy import Policy

POLICIES: list[Policy] = []
