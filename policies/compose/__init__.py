"""Built-in compose policies."""

from linter.policy import Policy

POLICIES: list[Policy] = []
