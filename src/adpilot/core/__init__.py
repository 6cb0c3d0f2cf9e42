"""Domain-free kit: errors, logging, pagination, security helpers. Imports no domain module."""
