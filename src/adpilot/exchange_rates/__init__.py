"""Exchange rates: the organization's rates, the reference rates and the converted monthly campaign rollup.

``rates_service`` keeps the organization's rates, ``reference_rates_service`` the published reference rates, and
``converted_rollup_service`` the converted monthly campaign rollup that the metrics store rebuilds as it ingests.
SQL of other modules that converts money does so with the fragments of ``adpilot.exchange_rates.reading``.
"""

from adpilot.exchange_rates.service.converted import converted_rollup_service
from adpilot.exchange_rates.service.rates import ImportResult, RateRow, rates_service
from adpilot.exchange_rates.service.reference_rates import (
    ReferenceRatesStatus,
    RefreshResult,
    reference_rates_service,
)

__all__ = [
    "ImportResult",
    "RateRow",
    "ReferenceRatesStatus",
    "RefreshResult",
    "converted_rollup_service",
    "rates_service",
    "reference_rates_service",
]
