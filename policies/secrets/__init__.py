"""Built-in secrets policies."""

from linter.policy import Policy

POLICIES: list[Policy] = []
