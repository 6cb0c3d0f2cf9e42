"""A structured diff of two draft documents: every changed leaf with its path, before and after."""

from __future__ import annotations

from typing import Any

from adpilot.drafts.schemas import DiffEntry


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _walk(path: str, before: Any, after: Any, out: list[DiffEntry]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in list(before) + [key for key in after if key not in before]:
            _walk(_join(path, key), before.get(key), after.get(key), out)
    elif isinstance(before, list) and isinstance(after, list):
        for index in range(max(len(before), len(after))):
            _walk(
                _join(path, index),
                before[index] if index < len(before) else None,
                after[index] if index < len(after) else None,
                out,
            )
    elif before != after:
        out.append(DiffEntry(path=path, before=before, after=after))


def diff_documents(before: dict[str, Any], after: dict[str, Any]) -> list[DiffEntry]:
    """What changed from ``before`` to ``after`` (JSON documents), leaf by leaf, in document order."""
    out: list[DiffEntry] = []
    _walk("", before, after, out)
    return out
