"""The Meta Graph / Marketing API emulator, moving into a package of one module per part of the API."""

from adpilot.sandbox.meta.reports import (
    GraphError,
    MetaEmulatorOptions,
    create_meta_emulator,
    emulator_options,
    encode_cursor,
    meta_objective,
)

__all__ = [
    "GraphError",
    "MetaEmulatorOptions",
    "create_meta_emulator",
    "emulator_options",
    "encode_cursor",
    "meta_objective",
]
