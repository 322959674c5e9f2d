"""Built-in compose policies."""

from linter.policy import Policy, collect
from policies.compose import reliability, security

POLICIES: list[Policy] = collect(reliability, security)
