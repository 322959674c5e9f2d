"""Built-in Dockerfile policies."""

from linter.policy import Policy, collect
from policies.docker import runtime

POLICIES: list[Policy] = collect(runtime)
