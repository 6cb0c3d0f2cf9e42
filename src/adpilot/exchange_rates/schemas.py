"""Request and response models of the exchange-rate endpoints."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AfterValidator, BaseModel, Field

from adpilot.core.currencies import is_known_currency


def _known_currency(value: str) -> str:
    if not is_known_currency(value):
        raise ValueError("must be an ISO 4217 currency code, such as USD or EUR")
    return value


CurrencyCode = Annotated[
    str,
    Field(pattern=r"^[A-Z]{3}$", examples=["EUR"], description="An ISO 4217 currency code."),
    AfterValidator(_known_currency),
]

# numeric(24, 12): up to 12 digits before the decimal point and 12 after.
RateValue = Annotated[
    Decimal,
    Field(
        gt=0,
        max_digits=24,
        decimal_places=12,
        examples=["1.0842"],
        description="How many units of the quote currency one unit of the base currency is worth (positive).",
    ),
]


class ExchangeRateRead(BaseModel):
    """1 ``base`` = ``rate`` ``quote`` on ``day``."""

    base: str
    quote: str
    day: date
    rate: str = Field(description="A decimal number, as text so that no digit is lost.", examples=["1.0842"])
    source: str = Field(description="`manual` (entered) or `csv` (imported).")
    updated_at: datetime
    updated_by_user_id: UUID | None


class ExchangeRatePut(BaseModel):
    rate: RateValue


class ExchangeRateImportResult(BaseModel):
    """What an import wrote: every row was valid (an import is all or nothing)."""

    rows: int = Field(description="Rates in the file.")
    inserted: int = Field(description="Rates that did not exist.")
    updated: int = Field(description="Rates that existed with another value.")
    unchanged: int = Field(
        description="Rates that existed with the same value (importing a file twice changes nothing)."
    )
    since: date = Field(description="The earliest day in the file.")
    until: date = Field(description="The latest day in the file.")
    currencies: list[str] = Field(description="Every currency the file mentions, in alphabetical order.")


class ReferenceRatesStatusRead(BaseModel):
    """The shared reference rates the organization converts with (where its own rates do not override them)."""

    source: Literal["ecb", "sandbox", "custom"] = Field(
        description="Where they are fetched: the ECB, the sandbox's offline copy, or a URL set by the server."
    )
    first_day: date | None = Field(description="The first publication day stored; null before the first fetch.")
    last_day: date | None = Field(description="The latest publication day stored.")
    fetched_at: datetime | None = Field(description="The last successful fetch.")
    failing: bool = Field(description="The last attempt to fetch failed (it is retried).")
    last_attempt_at: datetime | None
