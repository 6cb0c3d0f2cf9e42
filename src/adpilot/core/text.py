"""Validation of text that is stored or compared in PostgreSQL, which rejects NUL characters in text values."""

from __future__ import annotations

from pydantic import AfterValidator


def reject_nul(value: str | None) -> str | None:
    if value is not None and "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters")
    return value


# Annotate request strings that reach the database: ``Annotated[str, NoNul]`` (a 422, not a database error).
NoNul = AfterValidator(reject_nul)
