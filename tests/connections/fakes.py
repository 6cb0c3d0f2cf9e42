"""A fake ad platform implementing the adapter port, for the connection tests (no HTTP, full control)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from adpilot.core.time import utcnow
from adpilot.platforms.errors import PlatformAuthError, PlatformError
from adpilot.platforms.types import (
    AdAccountRef,
    Credentials,
    DailyMetricsRow,
    EntityLevel,
    EntityRef,
    EntityStatus,
    HourlyMetricsRow,
    Money,
    Platform,
    RemoteAdAccount,
    RemoteEntity,
)


def remote_account(account_id: str, name: str | None = None, **kwargs: Any) -> RemoteAdAccount:
    return RemoteAdAccount(
        account_id=account_id,
        name=name or f"Account {account_id}",
        currency=kwargs.pop("currency", "EUR"),
        time_zone=kwargs.pop("time_zone", "Europe/Berlin"),
        **kwargs,
    )


@dataclass
class Calls:
    authorization_urls: list[dict[str, Any]] = field(default_factory=list)
    exchanges: list[dict[str, Any]] = field(default_factory=list)
    refreshes: list[Credentials] = field(default_factory=list)
    revokes: list[Credentials] = field(default_factory=list)
    listings: list[Credentials] = field(default_factory=list)


class FakeAdapter:
    """Issues random tokens, remembers every secret it handed out (``secrets``), and fails on demand."""

    def __init__(
        self,
        platform: Platform,
        *,
        supports_pkce: bool = True,
        subject: str | None = "login-1",
        accounts: list[RemoteAdAccount] | None = None,
        token_ttl: timedelta | None = timedelta(hours=1),
    ) -> None:
        self.platform = platform
        self.supports_pkce = supports_pkce
        self.subject = subject
        self.accounts = accounts if accounts is not None else [remote_account("1001"), remote_account("1002")]
        self.token_ttl = token_ttl
        self.calls = Calls()
        self.secrets: list[str] = []
        self.valid_access_tokens: set[str] = set()
        # Errors to raise, consumed one per call (None: succeed).
        self.exchange_errors: list[PlatformError] = []
        self.refresh_errors: list[PlatformError] = []
        self.listing_errors: list[PlatformError] = []
        self.revoke_errors: list[PlatformError] = []
        self.refresh_delay = 0.0
        self.refresh_keeps_token = False

    def _issue(self, refresh_token: str | None = None) -> Credentials:
        access = f"fake-access-{secrets.token_hex(12)}"
        refresh = refresh_token or f"fake-refresh-{secrets.token_hex(12)}"
        self.secrets += [access, refresh]
        self.valid_access_tokens.add(access)
        return Credentials(
            access_token=access,
            refresh_token=refresh,
            expires_at=utcnow() + self.token_ttl if self.token_ttl else None,
            scopes=("ads",),
            subject=self.subject,
        )

    def expire_all_tokens(self) -> None:
        self.valid_access_tokens.clear()

    def authorization_url(self, *, redirect_uri: str, state: str, code_challenge: str | None) -> str:
        self.calls.authorization_urls.append(
            {"redirect_uri": redirect_uri, "state": state, "code_challenge": code_challenge}
        )
        query = {"redirect_uri": redirect_uri, "state": state}
        if code_challenge:
            query |= {"code_challenge": code_challenge, "code_challenge_method": "S256"}
        return f"https://consent.{self.platform}.example/authorize?{urlencode(query)}"

    async def exchange_code(self, code: str, *, redirect_uri: str, code_verifier: str | None) -> Credentials:
        self.calls.exchanges.append({"code": code, "redirect_uri": redirect_uri, "code_verifier": code_verifier})
        if code_verifier:
            self.secrets.append(code_verifier)
        if self.exchange_errors:
            raise self.exchange_errors.pop(0)
        return self._issue()

    async def refresh(self, credentials: Credentials) -> Credentials:
        self.calls.refreshes.append(credentials)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if self.refresh_errors:
            raise self.refresh_errors.pop(0)
        if self.refresh_keeps_token:
            return credentials
        return self._issue()  # rotation: a new refresh token each time

    async def revoke(self, credentials: Credentials) -> None:
        self.calls.revokes.append(credentials)
        if self.revoke_errors:
            raise self.revoke_errors.pop(0)
        self.valid_access_tokens.discard(credentials.access_token)

    async def list_ad_accounts(self, credentials: Credentials) -> list[RemoteAdAccount]:
        self.calls.listings.append(credentials)
        if self.listing_errors:
            raise self.listing_errors.pop(0)
        if credentials.access_token not in self.valid_access_tokens:
            raise PlatformAuthError("The access token expired.", refreshable=True)
        return list(self.accounts)

    async def list_entities(self, credentials: Credentials, account: AdAccountRef) -> list[RemoteEntity]:
        raise NotImplementedError

    async def list_entity_changes(
        self, credentials: Credentials, account: AdAccountRef, since: datetime
    ) -> list[RemoteEntity] | None:
        raise NotImplementedError

    def fetch_daily_metrics(
        self, credentials: Credentials, account: AdAccountRef, level: EntityLevel, since: date, until: date
    ) -> AsyncIterator[DailyMetricsRow]:
        raise NotImplementedError

    def fetch_hourly_metrics(
        self, credentials: Credentials, account: AdAccountRef, day: date
    ) -> AsyncIterator[HourlyMetricsRow]:
        raise NotImplementedError

    async def set_status(self, credentials: Credentials, ref: EntityRef, status: EntityStatus) -> None:
        raise NotImplementedError

    async def set_daily_budget(self, credentials: Credentials, ref: EntityRef, budget: Money) -> None:
        raise NotImplementedError


def soon(minutes: float) -> datetime:
    return utcnow() + timedelta(minutes=minutes)
