"""The simulation behind the sandbox (the model is described in ``world``)."""

from adpilot.sandbox.engine.world import (
    MATURITY_HOURS,
    MICROS,
    OBJECTIVES,
    ZERO_DECIMAL_CURRENCIES,
    EntityProfile,
    SandboxLogin,
    SandboxWorld,
    SandboxWorldError,
    SimAccount,
    SimChange,
    SimEntity,
    SimMetrics,
    build_demo_world,
    maturity,
    minor_unit_micros,
)

__all__ = [
    "MATURITY_HOURS",
    "MICROS",
    "OBJECTIVES",
    "ZERO_DECIMAL_CURRENCIES",
    "EntityProfile",
    "SandboxLogin",
    "SandboxWorld",
    "SandboxWorldError",
    "SimAccount",
    "SimChange",
    "SimEntity",
    "SimMetrics",
    "build_demo_world",
    "maturity",
    "minor_unit_micros",
]
