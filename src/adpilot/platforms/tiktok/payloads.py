"""TikTok API for Business v1.3 JSON, as Pydantic models. Private to the TikTok adapter.

Lenient on purpose, because real answers vary: ids arrive as JSON numbers or strings (they are 64-bit, so they are
always kept as strings), report values arrive as strings, numbers or ``"-"`` (not applicable), optional fields are
often missing or ``null``, and new fields appear without notice (extra fields are kept, never rejected).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from adpilot.platforms.types import Money, from_micros


class _Lenient(BaseModel):
    # coerce_numbers_to_str: TikTok ids are 64-bit numbers that some endpoints send unquoted.
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True, populate_by_name=True)


class Envelope(_Lenient):
    """Every answer, success or failure (errors come with HTTP 200): ``code`` 0 means success."""

    code: int
    message: str = ""
    request_id: str | None = None
    data: Any = None


class PageInfo(_Lenient):
    page: int = 1
    page_size: int = 0
    total_number: int = 0
    total_page: int = 0


class AccessTokenData(_Lenient):
    """``oauth2/access_token/`` and ``tt_user/oauth2/refresh_token/``.

    Advertiser tokens are long-term (no ``expires_in``, no ``refresh_token``); in the rotating mode (24 h access token,
    1 year refresh token) the expiry fields and a refresh token are present.
    """

    access_token: str
    advertiser_ids: list[str] = Field(default_factory=list)
    # Numeric permission ids for advertiser tokens; the TikTok-account flow sends a comma-separated string.
    scope: list[str] | str | None = None
    token_type: str | None = None
    expires_in: int | None = None
    refresh_token: str | None = None
    refresh_token_expires_in: int | None = None
    open_id: str | None = None

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_items_as_text(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [str(item) for item in value]
        return value

    def scope_list(self) -> tuple[str, ...]:
        if self.scope is None:
            return ()
        if isinstance(self.scope, str):
            return tuple(part.strip() for part in self.scope.split(",") if part.strip())
        return tuple(self.scope)


class AuthorizedAdvertiser(_Lenient):
    """An item of ``oauth2/advertiser/get/``."""

    advertiser_id: str
    advertiser_name: str | None = None


class AdvertiserInfo(_Lenient):
    """An item of ``advertiser/info/``."""

    advertiser_id: str
    name: str | None = None
    currency: str | None = None
    timezone: str | None = None
    display_timezone: str | None = None
    status: str | None = None


class _Entity(_Lenient):
    campaign_id: str
    advertiser_id: str | None = None
    operation_status: str | None = None
    secondary_status: str | None = None
    primary_status: str | None = None
    create_time: str | None = None
    modify_time: str | None = None


class _Budgeted(_Entity):
    # Major units of the advertiser currency, as a JSON float (``100.0`` = 100 USD).
    budget: Decimal | None = None
    budget_mode: str | None = None

    @field_validator("budget", mode="before")
    @classmethod
    def _budget_as_decimal(cls, value: Any) -> Any:
        # Through ``str`` so that 0.1 stays 0.1 and does not become 0.1000000000000000055511151231257827.
        if isinstance(value, float):
            return str(value)
        return value


class Campaign(_Budgeted):
    campaign_name: str = ""
    objective_type: str | None = None


class AdGroup(_Budgeted):
    adgroup_id: str
    adgroup_name: str = ""
    optimization_goal: str | None = None
    billing_event: str | None = None
    # BID_TYPE_NO_BID (TikTok bids) or BID_TYPE_CUSTOM with ``bid_price`` (``conversion_bid_price`` when billed by
    # OCPM), floats in major units of the advertiser currency.
    bid_type: str | None = None
    bid_price: Decimal | None = None
    conversion_bid_price: Decimal | None = None
    # "YYYY-MM-DD HH:MM:SS" in the advertiser's time zone; the end only with schedule_type SCHEDULE_START_END.
    schedule_type: str | None = None
    schedule_start_time: str | None = None
    schedule_end_time: str | None = None

    @field_validator("bid_price", "conversion_bid_price", mode="before")
    @classmethod
    def _price_as_decimal(cls, value: Any) -> Any:
        if isinstance(value, float):
            return str(value)
        return None if value in ("", "-") else value

    @property
    def bid_field(self) -> str:
        """Where this ad group's bid is: ``conversion_bid_price`` when billed by OCPM, else ``bid_price``."""
        return "conversion_bid_price" if (self.billing_event or "").upper() == "OCPM" else "bid_price"


class Ad(_Entity):
    adgroup_id: str
    ad_id: str
    ad_name: str = ""


class ReportRow(_Lenient):
    """A row of ``report/integrated/get/``: ``{"dimensions": {...}, "metrics": {...}}``."""

    dimensions: dict[str, Any] = Field(default_factory=dict)
    metrics: dict[str, Any] = Field(default_factory=dict)

    def dimension(self, name: str) -> str | None:
        value = self.dimensions.get(name)
        return None if value is None else str(value)

    def decimal(self, name: str) -> Decimal:
        """A metric as a number: missing, ``null``, ``"-"`` (not applicable) and blanks count as zero.

        Anything else that is not a number raises ``ValueError``: guessing zero would lose data without a trace.
        """
        value = self.metrics.get(name)
        if value is None:
            return Decimal(0)
        if isinstance(value, bool):
            raise ValueError(f"metric {name} is not a number: {value!r}")
        text = str(value).strip()
        if text in {"", "-"}:
            return Decimal(0)
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"metric {name} is not a number: {value!r}") from None
        if not number.is_finite():
            raise ValueError(f"metric {name} is not a number: {value!r}")
        return number


class ListData(_Lenient):
    """``data`` of a paginated list endpoint."""

    # "list" on the wire; named otherwise here so as not to shadow the builtin in the class body.
    items: list[dict[str, Any]] = Field(default_factory=list, alias="list")
    page_info: PageInfo | None = None


@dataclass(frozen=True, slots=True)
class ReportWindow:
    """Days of one report request, inclusive."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def halves(self) -> list[ReportWindow]:
        """The first ``days // 2`` days, then the rest (30 → 15 + 15, 15 → 7 + 8)."""
        middle = self.start + timedelta(days=self.days // 2 - 1)
        return [ReportWindow(self.start, middle), ReportWindow(middle + timedelta(days=1), self.end)]


def report_windows(since: date, until: date, max_days: int) -> Iterator[ReportWindow]:
    """``since``..``until`` in windows of at most ``max_days`` days (a report request's longest span)."""
    start = since
    while start <= until:
        end = min(until, start + timedelta(days=max_days - 1))
        yield ReportWindow(start, end)
        start = end + timedelta(days=1)


def major_units(budget: Money) -> float:
    """Micros to TikTok's float in major units, at the cent TikTok keeps (50_125_000 → 50.13)."""
    return float(from_micros(budget.amount_micros).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
