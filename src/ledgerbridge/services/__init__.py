"""Use cases: one module per use case, each running in one unit of work."""
