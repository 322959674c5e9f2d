"""prodready's built-in policies, one package per artifact family."""
