"""The module's services."""
