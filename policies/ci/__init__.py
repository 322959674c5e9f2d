"""Built-in ci policies."""

from linter.policy import Policy

POLICIES: list[Policy] = []
