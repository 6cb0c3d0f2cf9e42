"""The draft document (the contract every draft version is stored as) and the API's request and response models."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from adpilot.platforms.types import Platform


def storable_text(value: str) -> str:
    """``value`` when PostgreSQL can store it (in text and in JSONB): no NUL, no lone surrogate."""
    if "\x00" in value:
        raise ValueError("must not contain NUL (\\x00) characters")
    try:
        value.encode()
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        storable_text(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


Storable = AfterValidator(storable_text)

ShortText = Annotated[str, Field(max_length=512)]
LongText = Annotated[str, Field(max_length=5000)]
Url = Annotated[str, Field(max_length=2048)]


class DraftStatus(StrEnum):
    draft = "draft"
    in_review = "in_review"
    approved = "approved"
    changes_requested = "changes_requested"
    publishing = "publishing"
    published = "published"
    failed = "failed"


class PublicationStatus(StrEnum):
    """One target of a publication: pending → publishing → published | failed; failed → discarding → discarded."""

    pending = "pending"
    publishing = "publishing"
    published = "published"
    failed = "failed"
    discarding = "discarding"
    discarded = "discarded"


class Objective(StrEnum):
    """The unified objective; ``OBJECTIVE_BY_PLATFORM`` maps it to each platform's own."""

    awareness = "awareness"
    traffic = "traffic"
    engagement = "engagement"
    leads = "leads"
    app_promotion = "app_promotion"
    sales = "sales"


class BudgetType(StrEnum):
    daily = "daily"
    lifetime = "lifetime"


class BudgetLevel(StrEnum):
    campaign = "campaign"
    ad_group = "ad_group"


class BidStrategy(StrEnum):
    lowest_cost = "lowest_cost"
    cost_cap = "cost_cap"
    bid_cap = "bid_cap"
    target_cpa = "target_cpa"
    target_roas = "target_roas"
    manual_cpc = "manual_cpc"


class Gender(StrEnum):
    male = "male"
    female = "female"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Budget(_Strict):
    type: BudgetType = BudgetType.daily
    level: BudgetLevel = BudgetLevel.campaign
    # Micros of the target ad account's currency (the draft names no currency of its own).
    amount_micros: int = Field(default=0, ge=0)


class Bidding(_Strict):
    strategy: BidStrategy = BidStrategy.lowest_cost
    amount_micros: int | None = Field(default=None, ge=0, description="Bid or cost cap, target CPA, manual CPC.")
    target_roas: float | None = Field(default=None, gt=0, le=1000)


class Schedule(_Strict):
    start_date: date | None = None
    end_date: date | None = None


class Targeting(_Strict):
    locations: list[Annotated[str, Field(pattern=r"^[A-Z]{2}$")]] = Field(
        default_factory=list, max_length=250, description="ISO 3166-1 alpha-2 country codes."
    )
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2}$")]] = Field(default_factory=list, max_length=50)
    age_min: int | None = Field(default=None, ge=13, le=65)
    age_max: int | None = Field(default=None, ge=13, le=65)
    genders: list[Gender] = Field(default_factory=list, max_length=2, description="Empty: everyone.")
    placements: list[Annotated[str, Field(max_length=64)]] = Field(
        default_factory=list, max_length=50, description="Platform placements (Meta, TikTok); empty: automatic."
    )


class GoogleOverrides(_Strict):
    advertising_channel_type: str = Field(default="SEARCH", max_length=32)
    path1: str | None = Field(default=None, max_length=100)
    path2: str | None = Field(default=None, max_length=100)


class MetaOverrides(_Strict):
    special_ad_categories: list[Annotated[str, Field(max_length=64)]] = Field(default_factory=list, max_length=10)
    billing_event: str = Field(default="IMPRESSIONS", max_length=32)
    optimization_goal: str | None = Field(default=None, max_length=64)
    page_id: str | None = Field(default=None, max_length=64)


class TikTokOverrides(_Strict):
    identity_id: str | None = Field(default=None, max_length=64)
    display_name: str | None = Field(default=None, max_length=200)
    app_name: str | None = Field(default=None, max_length=200)


class PlatformOverrides(_Strict):
    """Per-platform fields the unified model does not carry."""

    google: GoogleOverrides | None = None
    meta: MetaOverrides | None = None
    tiktok: TikTokOverrides | None = None


class DraftAd(_Strict):
    name: ShortText = ""
    headlines: list[ShortText] = Field(default_factory=list, max_length=50)
    descriptions: list[ShortText] = Field(default_factory=list, max_length=50)
    primary_texts: list[LongText] = Field(default_factory=list, max_length=50)
    final_url: Url | None = None
    display_path: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=2)
    call_to_action: str | None = Field(default=None, max_length=64)
    image_urls: list[Url] = Field(default_factory=list, max_length=20)
    video_urls: list[Url] = Field(default_factory=list, max_length=20)


class DraftAdGroup(_Strict):
    name: ShortText = ""
    budget: Budget | None = Field(default=None, description="When the budget is at the ad group/ad set level.")
    bid_amount_micros: int | None = Field(default=None, ge=0)
    targeting: Targeting | None = Field(default=None, description="Overrides the campaign's targeting.")
    ads: list[DraftAd] = Field(default_factory=list, max_length=50)


class DraftTarget(_Strict):
    """An ad account the campaign is meant for; its platform is the account's."""

    platform: Platform
    ad_account_id: UUID | None = None


class DraftDocument(_Strict):
    """One campaign for one or several platforms, with its ad groups/ad sets and ads."""

    name: Annotated[str, Field(min_length=1, max_length=255)]
    targets: list[DraftTarget] = Field(default_factory=list, max_length=3)
    objective: Objective = Objective.traffic
    budget: Budget = Field(default_factory=Budget)
    bidding: Bidding = Field(default_factory=Bidding)
    schedule: Schedule = Field(default_factory=Schedule)
    targeting: Targeting = Field(default_factory=Targeting)
    ad_groups: list[DraftAdGroup] = Field(default_factory=list, max_length=50)
    platform_overrides: PlatformOverrides = Field(default_factory=PlatformOverrides)
    utm_template: str | None = Field(
        default=None, max_length=1000, description="Overrides the organization's URL template for this draft."
    )
    launch_paused: bool = Field(
        default=True, description="Publish the campaign, its ad groups and ads paused (default) or active."
    )

    @model_validator(mode="after")
    def _storable(self) -> DraftDocument:
        _check_strings(self.model_dump(mode="json"))
        return self

    @model_validator(mode="after")
    def _one_target_per_platform(self) -> DraftDocument:
        platforms = [target.platform for target in self.targets]
        if len(platforms) != len(set(platforms)):
            raise ValueError("a draft targets each platform at most once")
        return self

    @property
    def platforms(self) -> list[Platform]:
        return [target.platform for target in self.targets]


# --- validation results --------------------------------------------------------------------------------------------


class Severity(StrEnum):
    error = "error"
    warning = "warning"


class DraftProblem(BaseModel):
    """One problem of a draft for one platform, pointing at its field."""

    platform: Platform | None
    path: str = Field(description="The field, e.g. ad_groups[0].ads[1].headlines[3].")
    code: str
    message: str
    limit: int | None = None
    severity: Severity


# --- requests ------------------------------------------------------------------------------------------------------


class DraftCreate(BaseModel):
    document: DraftDocument


class DraftSave(BaseModel):
    base_version: int = Field(ge=1, description="The version this edit was made on; a stale one is a conflict.")
    document: DraftDocument


class ReviewComment(BaseModel):
    path: Annotated[str, Storable] = Field(
        default="", max_length=300, description="The field the comment is about; empty: the draft."
    )
    message: Annotated[str, Field(min_length=1, max_length=2000), Storable]


class ChangesRequest(BaseModel):
    comments: list[ReviewComment] = Field(default_factory=list, max_length=100)


class CampaignDuplicate(BaseModel):
    ad_account_id: UUID
    campaign_platform_id: Annotated[str, Field(min_length=1, max_length=64), Storable]


class UtmTemplateUpdate(BaseModel):
    template: Annotated[str, Storable] = Field(max_length=1000, description="Empty: no tagging.")


# --- responses -----------------------------------------------------------------------------------------------------


class DraftSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    name: str
    status: DraftStatus
    platforms: list[Platform]
    current_version: int
    created_at: datetime
    updated_at: datetime


class DraftListItemRead(DraftSummary):
    updated_by_user_id: UUID | None = Field(description="Who saved the current version (null: a former member).")


class ReviewCommentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    path: str
    message: str
    version: int
    author_user_id: UUID | None
    created_at: datetime


class DraftRead(DraftSummary):
    document: DraftDocument
    problems: list[DraftProblem]
    comments: list[ReviewCommentRead]


class DraftVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    number: int
    document: DraftDocument
    created_by_user_id: UUID | None
    created_at: datetime


class DraftVersionSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    number: int
    created_by_user_id: UUID | None
    created_at: datetime


class DiffEntry(BaseModel):
    path: str
    before: Any = None
    after: Any = None


class DraftDiff(BaseModel):
    from_version: int
    to_version: int
    changes: list[DiffEntry]


class DraftValidation(BaseModel):
    version: int
    problems: list[DraftProblem]


class ImportProblemRead(BaseModel):
    """One problem of an imported file, at its line (the header is 1; null: the whole file) and column."""

    line: int | None
    column: str | None
    code: str
    message: str
    severity: Severity
    path: str | None = Field(default=None, description="The draft field, for the draft's validation problems.")
    platform: Platform | None = None


class ImportTargetRead(BaseModel):
    platform: Platform
    ad_account_id: UUID | None
    ad_account_name: str | None


class ImportedDraftRead(BaseModel):
    """A draft the file describes (created, unless a dry run or a file with errors)."""

    key: str
    line: int = Field(description="The line where the campaign starts.")
    name: str
    targets: list[ImportTargetRead]
    ad_groups: int
    ads: int
    errors: int
    warnings: int
    draft_id: UUID | None = None


class DraftImportResult(BaseModel):
    """What a CSV import found, and what it created when it was not a dry run."""

    dry_run: bool
    duplicate: bool = Field(description="This file was imported before: nothing new was created; the earlier result.")
    created: bool = Field(description="The drafts were created (by this request, or by the earlier import).")
    import_id: UUID | None
    sha256: str
    rows: int
    drafts: list[ImportedDraftRead]
    problems: list[ImportProblemRead]
    error_count: int
    warning_count: int
    imported_at: datetime | None


class UtmTemplateRead(BaseModel):
    template: str
    placeholders: list[str]


class UtmPreviewUrl(BaseModel):
    platform: Platform
    path: str = Field(description="The ad's final URL field, e.g. ad_groups[0].ads[0].final_url.")
    final_url: str


class UtmPreview(BaseModel):
    template: str
    urls: list[UtmPreviewUrl]


class PublishedEntityRead(BaseModel):
    level: str = Field(description="campaign, ad_group or ad.")
    key: str = Field(description='The entity in the draft: "c" the campaign, "g0" the first ad group, "g0.a1"…')
    name: str
    platform_id: str | None = Field(description="Its id on the platform; null while not created.")
    entity_id: UUID | None = Field(description="adpilot's entity (entity browser) once the account was synced.")


class PublicationTargetRead(BaseModel):
    index: int
    platform: Platform
    ad_account_id: UUID
    ad_account_name: str
    status: PublicationStatus
    error: str | None = Field(description="The platform's own message when the target failed.")
    attempts: int
    created: int
    total: int
    entities: list[PublishedEntityRead]


class Publication(BaseModel):
    draft_id: UUID
    status: DraftStatus
    targets: list[PublicationTargetRead]
