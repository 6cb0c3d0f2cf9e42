"""Each platform's rules for a draft, in one table with their sources, and the check that points at each field.

Limits come from the ad-copy reference (Google Ads API "Responsive search ads" overview and Google Help 7684791;
Meta Ads Guide; TikTok Ads "Global App Bundle image ad specifications"). Text is counted as each platform counts it:
Google and Meta count Unicode characters; TikTok's limits are "100 Latin or 50 Asian characters", so a wide (East
Asian) character counts twice against 100.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from adpilot.drafts.schemas import (
    BudgetLevel,
    DraftAd,
    DraftDocument,
    DraftProblem,
    Objective,
    Severity,
)
from adpilot.platforms.types import Platform


@dataclass(frozen=True)
class TextLimit:
    """How many of a text field an ad takes, and how long each may be (``advised``: a softer recommendation)."""

    min_count: int
    max_count: int
    max_length: int
    advised_length: int | None = None


# Google responsive search ads: 3 to 15 headlines of 30, 2 to 4 descriptions of 90, path1/path2 of 15.
GOOGLE_HEADLINES = TextLimit(3, 15, 30)
GOOGLE_DESCRIPTIONS = TextLimit(2, 4, 90)
GOOGLE_PATH_LENGTH = 15
# Meta: up to 5 variations per text field; technical maxima 2,200 (primary text) and 255 (headline, description),
# recommended 125, 40 and 30.
META_PRIMARY_TEXTS = TextLimit(1, 5, 2200, 125)
META_HEADLINES = TextLimit(0, 5, 255, 40)
META_DESCRIPTIONS = TextLimit(0, 5, 255, 30)
# TikTok: the ad description, 1-100 Latin or 1-50 Asian characters; no emoji, "{ }" or "#".
TIKTOK_AD_TEXT = TextLimit(1, 1, 100)
TIKTOK_FORBIDDEN = frozenset("{}#")
TIKTOK_DISPLAY_NAME = (2, 20)
TIKTOK_APP_NAME = (4, 40)

# The unified objective as each platform names it (Google: advertising channel and bidding decide; the campaign
# itself has no objective field in the API, so the value is what the draft shows).
OBJECTIVE_BY_PLATFORM: dict[Platform, dict[Objective, str]] = {
    Platform.google: {
        Objective.awareness: "AWARENESS",
        Objective.traffic: "WEBSITE_TRAFFIC",
        Objective.engagement: "PRODUCT_AND_BRAND_CONSIDERATION",
        Objective.leads: "LEADS",
        Objective.app_promotion: "APP_PROMOTION",
        Objective.sales: "SALES",
    },
    Platform.meta: {
        Objective.awareness: "OUTCOME_AWARENESS",
        Objective.traffic: "OUTCOME_TRAFFIC",
        Objective.engagement: "OUTCOME_ENGAGEMENT",
        Objective.leads: "OUTCOME_LEADS",
        Objective.app_promotion: "OUTCOME_APP_PROMOTION",
        Objective.sales: "OUTCOME_SALES",
    },
    Platform.tiktok: {
        Objective.awareness: "REACH",
        Objective.traffic: "TRAFFIC",
        Objective.engagement: "ENGAGEMENT",
        Objective.leads: "LEAD_GENERATION",
        Objective.app_promotion: "APP_PROMOTION",
        Objective.sales: "WEB_CONVERSIONS",
    },
}


def google_length(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def meta_length(text: str) -> int:
    return len(unicodedata.normalize("NFC", text))


def tiktok_length(text: str) -> int:
    """Latin characters count 1 and wide (Asian) characters 2, against the 100 of "100 Latin or 50 Asian"."""
    return sum(
        2 if unicodedata.east_asian_width(char) in ("W", "F") else 1 for char in unicodedata.normalize("NFC", text)
    )


def has_emoji(text: str) -> bool:
    return any(unicodedata.category(char) == "So" or 0x1F000 <= ord(char) <= 0x1FAFF for char in text)


class _Collector:
    def __init__(self, platform: Platform | None) -> None:
        self.platform = platform
        self.problems: list[DraftProblem] = []

    def add(
        self, path: str, code: str, message: str, limit: int | None = None, severity: Severity = Severity.error
    ) -> None:
        self.problems.append(
            DraftProblem(platform=self.platform, path=path, code=code, message=message, limit=limit, severity=severity)
        )


def _check_texts(
    found: _Collector,
    path: str,
    texts: list[str],
    limit: TextLimit,
    measure: Callable[[str], int],
    label: str,
) -> None:
    count = len(texts)
    if count < limit.min_count:
        found.add(path, "too-few", f"At least {limit.min_count} {label} are needed ({count} given).", limit.min_count)
    if count > limit.max_count:
        found.add(path, "too-many", f"At most {limit.max_count} {label} are allowed ({count} given).", limit.max_count)
    for index, text in enumerate(texts):
        length = measure(text)
        item = f"{path}[{index}]"
        if not text.strip():
            found.add(item, "empty", f"This {label[:-1]} is empty.")
        elif length > limit.max_length:
            found.add(item, "too-long", f"{length} characters, the limit is {limit.max_length}.", limit.max_length)
        elif limit.advised_length is not None and length > limit.advised_length:
            found.add(
                item,
                "longer-than-advised",
                f"{length} characters: more than the recommended {limit.advised_length} may be cut off.",
                limit.advised_length,
                Severity.warning,
            )


def _common(document: DraftDocument) -> list[DraftProblem]:
    found = _Collector(None)
    if not document.targets:
        found.add("targets", "no-platform", "Choose at least one platform.")
    for index, target in enumerate(document.targets):
        if target.ad_account_id is None:
            found.add(f"targets[{index}].ad_account_id", "required", "Choose the ad account to publish to.")
    if document.budget.level is BudgetLevel.campaign and document.budget.amount_micros <= 0:
        found.add("budget.amount_micros", "required", "Set the campaign budget.")
    schedule = document.schedule
    if schedule.start_date and schedule.end_date and schedule.end_date < schedule.start_date:
        found.add("schedule.end_date", "before-start", "The end date is before the start date.")
    if document.budget.type.value == "lifetime" and schedule.end_date is None:
        found.add("schedule.end_date", "required", "A lifetime budget needs an end date.")
    targeting = document.targeting
    if targeting.age_min and targeting.age_max and targeting.age_max < targeting.age_min:
        found.add("targeting.age_max", "below-minimum", "The maximum age is below the minimum age.")
    if not document.ad_groups:
        found.add("ad_groups", "required", "Add at least one ad group.")
    for g, group in enumerate(document.ad_groups):
        if not group.name.strip():
            found.add(f"ad_groups[{g}].name", "required", "Name the ad group.")
        if document.budget.level is BudgetLevel.ad_group and (group.budget is None or group.budget.amount_micros <= 0):
            found.add(f"ad_groups[{g}].budget.amount_micros", "required", "Set the ad group's budget.")
        if not group.ads:
            found.add(f"ad_groups[{g}].ads", "required", "Add at least one ad.")
        for a, ad in enumerate(group.ads):
            if not ad.final_url:
                found.add(f"ad_groups[{g}].ads[{a}].final_url", "required", "Set the final URL.")
            elif not ad.final_url.startswith(("https://", "http://")):
                found.add(f"ad_groups[{g}].ads[{a}].final_url", "not-a-url", "The final URL must start with https://.")
    return found.problems


def _google_ad(found: _Collector, path: str, ad: DraftAd) -> None:
    _check_texts(found, f"{path}.headlines", ad.headlines, GOOGLE_HEADLINES, google_length, "headlines")
    _check_texts(found, f"{path}.descriptions", ad.descriptions, GOOGLE_DESCRIPTIONS, google_length, "descriptions")
    for index, part in enumerate(ad.display_path):
        if google_length(part) > GOOGLE_PATH_LENGTH:
            found.add(
                f"{path}.display_path[{index}]",
                "too-long",
                f"{google_length(part)} characters, the limit is {GOOGLE_PATH_LENGTH}.",
                GOOGLE_PATH_LENGTH,
            )
    if len(ad.display_path) == 2 and not ad.display_path[0].strip() and ad.display_path[1].strip():
        found.add(f"{path}.display_path[1]", "path2-without-path1", "The second path needs the first one.")


def _meta_ad(found: _Collector, path: str, ad: DraftAd) -> None:
    _check_texts(found, f"{path}.primary_texts", ad.primary_texts, META_PRIMARY_TEXTS, meta_length, "primary texts")
    _check_texts(found, f"{path}.headlines", ad.headlines, META_HEADLINES, meta_length, "headlines")
    _check_texts(found, f"{path}.descriptions", ad.descriptions, META_DESCRIPTIONS, meta_length, "descriptions")
    if not ad.image_urls and not ad.video_urls:
        found.add(f"{path}.image_urls", "required", "A Meta ad needs an image or a video.")


def _tiktok_name(found: _Collector, path: str, value: str, bounds: tuple[int, int]) -> None:
    low, high = bounds
    length = tiktok_length(value)
    if length < low or length > high:
        found.add(
            path, "length", f"{length} characters, it must be {low} to {high} (Asian characters count twice).", high
        )
    if has_emoji(value):
        found.add(path, "emoji", "TikTok refuses emoji here.")


def _tiktok_ad(found: _Collector, path: str, ad: DraftAd) -> None:
    _check_texts(found, f"{path}.primary_texts", ad.primary_texts, TIKTOK_AD_TEXT, tiktok_length, "ad texts")
    for index, text in enumerate(ad.primary_texts):
        if has_emoji(text):
            found.add(f"{path}.primary_texts[{index}]", "emoji", "TikTok refuses emoji in the ad text.")
        if TIKTOK_FORBIDDEN & set(text):
            found.add(f"{path}.primary_texts[{index}]", "forbidden-character", "TikTok refuses “{”, “}” and “#”.")
    if not ad.video_urls and not ad.image_urls:
        found.add(f"{path}.video_urls", "required", "A TikTok ad needs a video or an image.")


_AD_RULES = {Platform.google: _google_ad, Platform.meta: _meta_ad, Platform.tiktok: _tiktok_ad}


def _platform(document: DraftDocument, platform: Platform, today: date | None) -> list[DraftProblem]:
    found = _Collector(platform)
    for g, group in enumerate(document.ad_groups):
        for a, ad in enumerate(group.ads):
            _AD_RULES[platform](found, f"ad_groups[{g}].ads[{a}]", ad)
    overrides = document.platform_overrides
    if platform is Platform.tiktok and overrides.tiktok is not None:
        if overrides.tiktok.display_name is not None:
            _tiktok_name(
                found, "platform_overrides.tiktok.display_name", overrides.tiktok.display_name, TIKTOK_DISPLAY_NAME
            )
        if overrides.tiktok.app_name is not None:
            _tiktok_name(found, "platform_overrides.tiktok.app_name", overrides.tiktok.app_name, TIKTOK_APP_NAME)
    if platform is Platform.google and document.targeting.placements:
        found.add(
            "targeting.placements",
            "not-supported",
            "Google campaigns have no placements; they are ignored.",
            severity=Severity.warning,
        )
    _unpublished_targeting(found, document, platform)
    _publishing_identity(found, document, platform)
    if today is not None and document.schedule.start_date and document.schedule.start_date < today:
        found.add("schedule.start_date", "in-the-past", "The start date has passed.", severity=Severity.warning)
    return found.problems


# The targeting each platform's publishing sends (platforms/*/publishing.py); placements are checked above. Google's
# locations, languages, ages and genders are criteria, which the Google Ads reference adpilot publishes by does not
# document; Meta's languages and TikTok's ages, genders and languages are not sent either.
_PUBLISHED_TARGETING = {
    Platform.google: frozenset[str](),
    Platform.meta: frozenset({"locations", "age_min", "age_max", "genders"}),
    Platform.tiktok: frozenset({"locations"}),
}


def _unpublished_targeting(found: _Collector, document: DraftDocument, platform: Platform) -> None:
    """A warning per chosen targeting field the platform's campaign is published without: the person learns it
    before review rather than in the platform's own tool."""
    targeting = document.targeting
    chosen = {
        "locations": bool(targeting.locations),
        "languages": bool(targeting.languages),
        "age_min": targeting.age_min is not None,
        "age_max": targeting.age_max is not None,
        "genders": bool(targeting.genders),
    }
    for name in (name for name, set_ in chosen.items() if set_ and name not in _PUBLISHED_TARGETING[platform]):
        found.add(
            f"targeting.{name}",
            "not-published",
            "The campaign is published without this targeting here: set it in the platform's own tool afterwards.",
            severity=Severity.warning,
        )


def _publishing_identity(found: _Collector, document: DraftDocument, platform: Platform) -> None:
    """Meta ads are published by a Facebook Page, TikTok ads under an identity: without one, publishing that target
    fails before creating anything. A warning, not an error: a CSV import has no column for them, and the draft is
    reviewed on its content; the editor shows it at the field."""
    overrides = document.platform_overrides
    if platform is Platform.meta and not (overrides.meta and overrides.meta.page_id):
        found.add(
            "platform_overrides.meta.page_id",
            "required-to-publish",
            "Meta ads are published by a Facebook Page: set its id before publishing.",
            severity=Severity.warning,
        )
    if platform is Platform.tiktok and not (overrides.tiktok and overrides.tiktok.identity_id):
        found.add(
            "platform_overrides.tiktok.identity_id",
            "required-to-publish",
            "TikTok ads are published under an identity: set its id before publishing.",
            severity=Severity.warning,
        )


def validate_document(document: DraftDocument, *, today: date | None = None) -> list[DraftProblem]:
    """Every problem of the draft for each platform it targets (errors block a submission; warnings do not)."""
    problems = _common(document)
    for platform in document.platforms:
        problems += _platform(document, platform, today)
    return problems


def blocking(problems: list[DraftProblem]) -> list[DraftProblem]:
    return [problem for problem in problems if problem.severity is Severity.error]
