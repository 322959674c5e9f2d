"""Built-in code policies."""

from linter.policy import Policy, collect
from policies.code import health, observability, python_security, security, shutdown, web

POLICIES: list[Policy] = collect(shutdown, health, web, security, observability, python_security)
