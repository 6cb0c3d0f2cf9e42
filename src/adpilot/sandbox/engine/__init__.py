"""The simulation behind the sandbox: ad accounts, their entity trees and the performance those entities deliver.

Every number is a pure function of the seed, an entity id and a date (plus the entity's status and budget history),
so nothing per day is stored and two worlds built from the same seed report the same figures. Metrics are made at
the ad level hour by hour and summed upward, which is why campaign = its ad groups = their ads, exactly, for every
field, and why a day equals the sum of its hours.

The model, in the order it is applied:

* A budget holder (the campaign, or the ad set on Meta campaigns without a campaign budget) has a *potential*: what
  its audience and bids could absorb on a day, in money, set by its first budget times a seeded *demand* trait and
  moved by weekday, season and noise. The day's spend is a soft minimum of potential and budget, so demand-rich
  holders pace to their budget and others underspend; a delivery noise lets a day overspend a little (at most 25%,
  well inside Google's 2x rule).
* Spend is split between the holder's ad groups and ads by per-entity weights, over the hours each of them is active
  (status history) with an hour-of-day curve in the account's local time. Budget changes apply from their timestamp.
* CPM rises with the share of the potential bought (diminishing returns: a bigger budget buys pricier inventory, so
  impressions grow sub-linearly with spend). Each ad has its own click-through rate, which decays with the ad's age
  (creative fatigue: cumulative frequency grows with age), its own conversion rate and order value, with weekday
  seasonality and multiplicative noise per day.
* A day's conversions are final from the start, but they are *reported* late: each conversion carries a seeded
  reporting lag, so a recent day shows about 60% of them at the end of the hour they happened in, 85% a day later and
  all of them after seven days. Restatements only ever go up, and levels stay consistent because the lag is decided
  per ad.
* Money is whole minor units of the account currency (cents, or yen for JPY) expressed in micros, so every wire
  format (micros, decimal strings, minor-unit integers) represents it exactly.

The package: ``model`` (the public records), ``world`` (``SandboxWorld``: accounts, logins, entities, their status
and budget histories and edits), ``simulation`` (the metrics: pacing, splitting spend, rates and fatigue),
``figures`` (one ad's day as reported at a moment: hours, late conversions), ``history`` (histories and a day's
activity), ``traits`` (seeded draws, channels, objectives, hour and weekday patterns) and ``demo``
(``build_demo_world``). Names with a leading underscore are private to the package.
"""

from adpilot.sandbox.engine.demo import build_demo_world
from adpilot.sandbox.engine.figures import MATURITY_HOURS, maturity
from adpilot.sandbox.engine.model import (
    MICROS,
    ZERO_DECIMAL_CURRENCIES,
    EntityProfile,
    SandboxLogin,
    SandboxWorldError,
    SimAccount,
    SimChange,
    SimEntity,
    SimMetrics,
    minor_unit_micros,
)
from adpilot.sandbox.engine.traits import OBJECTIVES
from adpilot.sandbox.engine.world import SandboxWorld

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
