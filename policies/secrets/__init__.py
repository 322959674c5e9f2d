"""Built-in secrets policies: the redacting secret scanner and the env-template checks."""

from linter.policy import Policy, collect
from policies.secrets import envfiles, hardcoded

POLICIES: list[Policy] = collect(hardcoded, envfiles)
