"""The CSV format of the drafts import: its columns (the template and docs/drafts-import.md follow this table), its
limits and the template with example rows."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Final
from uuid import UUID

from adpilot.platforms.types import Platform

MAX_IMPORT_BYTES: Final = 1024 * 1024
MAX_IMPORT_ROWS: Final = 2_000
LIST_SEPARATOR: Final = "|"


class Level(StrEnum):
    campaign = "campaign"
    ad_group = "ad_group"
    ad = "ad"


@dataclass(frozen=True)
class Column:
    name: str
    level: Level
    description: str
    example: str


# The columns in the template's order. The docs' table and the template are generated from this tuple.
COLUMNS: Final = (
    Column(
        "campaign_key", Level.campaign, "Groups rows into one draft; empty: the campaign name is the key.", "spring"
    ),
    Column("campaign_name", Level.campaign, "The draft's (and the campaign's) name. Required.", "Spring sale"),
    Column("objective", Level.campaign, "awareness, traffic, engagement, leads, app_promotion or sales.", "traffic"),
    Column("platforms", Level.campaign, "google, meta, tiktok; a list. Empty: the ad accounts' platforms.", "google"),
    Column(
        "ad_accounts",
        Level.campaign,
        "The ad accounts to publish to, one per platform: adpilot id, platform account id or name; a list.",
        "Flowers Google",
    ),
    Column("budget_type", Level.campaign, "daily (default) or lifetime.", "daily"),
    Column("budget_level", Level.campaign, "campaign (default) or ad_group.", "campaign"),
    Column("budget_amount", Level.campaign, "The campaign budget in the account currency, e.g. 25.00.", "25.00"),
    Column(
        "bid_strategy",
        Level.campaign,
        "lowest_cost (default), cost_cap, bid_cap, target_cpa, target_roas or manual_cpc.",
        "lowest_cost",
    ),
    Column("bid_amount", Level.campaign, "Bid or cost cap, target CPA or manual CPC, in the account currency.", ""),
    Column("target_roas", Level.campaign, "Target return on ad spend, e.g. 3.5 (target_roas strategy).", ""),
    Column("start_date", Level.campaign, "YYYY-MM-DD.", "2027-03-01"),
    Column("end_date", Level.campaign, "YYYY-MM-DD; required with a lifetime budget.", "2027-03-31"),
    Column("locations", Level.campaign, "ISO 3166-1 alpha-2 country codes; a list.", "FR|BE"),
    Column("languages", Level.campaign, "ISO 639-1 language codes; a list.", "fr"),
    Column("age_min", Level.campaign, "13 to 65.", "25"),
    Column("age_max", Level.campaign, "13 to 65.", "54"),
    Column("genders", Level.campaign, "male, female; a list. Empty: everyone.", ""),
    Column("placements", Level.campaign, "Meta and TikTok placements; a list. Empty: automatic.", ""),
    Column("ad_group_name", Level.ad_group, "The ad group (ad set). Required.", "Bouquets"),
    Column("ad_group_budget", Level.ad_group, "The ad group budget when budget_level is ad_group.", ""),
    Column("ad_group_bid_amount", Level.ad_group, "The ad group's bid, in the account currency.", ""),
    Column("ad_name", Level.ad, "The ad's name.", "Spring ad"),
    Column("headlines", Level.ad, "A list.", "Fresh flowers daily|Order by noon|Same-day delivery"),
    Column("descriptions", Level.ad, "A list.", "Hand-tied bouquets from local growers.|Free delivery over 40 euros."),
    Column("primary_texts", Level.ad, "Meta primary texts, the TikTok ad text; a list.", ""),
    Column("final_url", Level.ad, "The landing page, https://…", "https://flowers.example.com/spring"),
    Column("display_path", Level.ad, "Google display path: up to two parts; a list.", "bouquets|spring"),
    Column("call_to_action", Level.ad, "The platform's call to action, e.g. SHOP_NOW.", ""),
    Column("image_urls", Level.ad, "Image URLs; a list.", ""),
    Column("video_urls", Level.ad, "Video URLs; a list.", ""),
)
COLUMNS_BY_NAME: Final = {column.name: column for column in COLUMNS}
REQUIRED_COLUMNS: Final = ("campaign_name", "ad_group_name")
CAMPAIGN_COLUMNS: Final = tuple(c.name for c in COLUMNS if c.level is Level.campaign and c.name != "campaign_key")
AD_GROUP_COLUMNS: Final = tuple(c.name for c in COLUMNS if c.level is Level.ad_group and c.name != "ad_group_name")
AD_COLUMNS: Final = tuple(c.name for c in COLUMNS if c.level is Level.ad)


@dataclass(frozen=True)
class ImportAccount:
    """An ad account of the organization, as a file may name it."""

    id: UUID
    platform: Platform
    name: str
    platform_account_id: str
    currency: str


COLUMN_ORDER: Final = {column.name: index for index, column in enumerate(COLUMNS)}


def template_examples(accounts: Sequence[ImportAccount], start: date) -> list[dict[str, str]]:
    """Example rows of one draft for Google and Meta (two ad groups, three ads) without any problem, naming the
    organization's first Google and Meta ad accounts when it has them."""
    names = [
        next((account.name for account in accounts if account.platform is platform), placeholder)
        for platform, placeholder in ((Platform.google, "My Google Ads account"), (Platform.meta, "My Meta ad account"))
    ]
    campaign = {
        "campaign_key": "spring-sale",
        "campaign_name": "Spring sale",
        "objective": "traffic",
        "platforms": "google|meta",
        "ad_accounts": LIST_SEPARATOR.join(names),
        "budget_type": "daily",
        "budget_level": "campaign",
        "budget_amount": "25.00",
        "bid_strategy": "lowest_cost",
        "start_date": start.isoformat(),
        "locations": "FR|BE",
        "languages": "fr",
        "age_min": "25",
        "age_max": "54",
    }
    ad = {
        "headlines": "Fresh flowers daily|Order by noon|Same-day delivery",
        "descriptions": "Bouquets from local growers.|Free delivery over 40 euros.",
        "primary_texts": "Bouquets from local growers, delivered today.",
        "display_path": "bouquets|spring",
        "call_to_action": "SHOP_NOW",
    }
    return [
        {
            **campaign,
            **ad,
            "ad_group_name": "Bouquets",
            "ad_name": "Spring bouquet",
            "final_url": "https://flowers.example.com/spring",
            "image_urls": "https://cdn.example.com/spring.jpg",
        },
        {
            "campaign_key": "spring-sale",
            **ad,
            "ad_group_name": "Bouquets",
            "ad_name": "Spring bouquet (video)",
            "final_url": "https://flowers.example.com/spring",
            "video_urls": "https://cdn.example.com/spring.mp4",
        },
        {
            "campaign_key": "spring-sale",
            **ad,
            "ad_group_name": "Roses",
            "ad_name": "Red roses",
            "headlines": "Red roses by noon|Roses from 19 euros|Same-day delivery",
            "final_url": "https://flowers.example.com/roses",
            "image_urls": "https://cdn.example.com/roses.jpg",
        },
    ]


def template_csv(examples: Sequence[dict[str, str]] = ()) -> str:
    """The import template: the header and example rows (by column name), comma-separated, CRLF as spreadsheets
    write it."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([column.name for column in COLUMNS])
    for example in examples:
        writer.writerow([example.get(column.name, "") for column in COLUMNS])
    return out.getvalue()
