"""Built-in dependency policies: known vulnerabilities (pip-audit + offline OSV) and pins."""

from linter.policy import Policy, collect
from policies.deps import unpinned, vulnerable

POLICIES: list[Policy] = collect(vulnerable, unpinned)
