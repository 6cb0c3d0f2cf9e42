"""Repositories of the analytics module: the SQL, one file per area."""
