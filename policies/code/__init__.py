"""Built-in code policies."""

from linter.policy import Policy, collect
from policies.code import health, shutdown

POLICIES: list[Policy] = collect(shutdown, health)
