"""Built-in secrets policies: the redacting secret scanner and the env-template checks."""

from linter.policy import lazy_policies

# POLICIES: the policies of these modules, in this order, imported on first use
__getattr__ = lazy_policies(__name__, ("hardcoded", "envfiles"))
