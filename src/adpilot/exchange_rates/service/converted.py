"""The converted monthly campaign rollup as other modules keep it current: the metrics store rebuilds an account's
converted months in the transaction that ingests its numbers, and reconverts every month when the organization's
reporting currency changes (repository/converted.py has the SQL and its locking)."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.exchange_rates.repository.converted import ConvertedRepository


class ConvertedRollupService:
    async def rebuild_account(
        self,
        session: AsyncSession,
        organization_id: UUID,
        ad_account_id: UUID,
        first_month: date,
        last_month: date,
        reporting_currency: str,
    ) -> None:
        """Rebuild the account's converted months ``first_month``..``last_month`` from its daily campaign rollup.

        Called after the caller's transaction rewrote those days: the organization's lock taken here makes a rate
        change wait for this transaction (or this one for it), so neither converts with what the other has not
        committed."""
        await ConvertedRepository(session).rebuild_account(
            organization_id, ad_account_id, first_month, last_month, reporting_currency
        )

    async def reconvert(
        self,
        session: AsyncSession,
        organization_id: UUID,
        reporting_currency: str,
        *,
        currency: str | None = None,
        since: date | None = None,
    ) -> None:
        """Rebuild the organization's converted months after ``currency``'s rates changed from ``since`` on, or
        (neither given) every month, for a new reporting currency."""
        await ConvertedRepository(session).reconvert(
            organization_id, reporting_currency, currency=currency, since=since
        )


converted_rollup_service = ConvertedRollupService()
