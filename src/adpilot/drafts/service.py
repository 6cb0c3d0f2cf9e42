"""Drafts: saving versions, the review workflow, validation per platform, duplication and URL templates.

The workflow: draft → in_review → approved | changes_requested; an edit of an in-review, approved,
changes-requested or failed draft sends it back to draft; ``start_publishing`` moves an approved draft to
publishing (the entry point of publishing, which sets published or failed with ``finish_publishing``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import Actor, TargetNameResolver, audit_service
from adpilot.campaigns import SyncedEntity, entity_sync_service
from adpilot.connections import AdAccountNotFound, account_service
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.time import utcnow
from adpilot.drafts.diff import diff_documents
from adpilot.drafts.errors import (
    CampaignNotSynced,
    DraftInvalid,
    DraftLocked,
    DraftNotFound,
    DraftTargetInvalid,
    DraftTransitionNotAllowed,
    DraftVersionConflict,
    DraftVersionNotFound,
    UtmTemplateInvalid,
)
from adpilot.drafts.models import Draft, DraftComment, DraftSettings, DraftVersion
from adpilot.drafts.repository import DraftRepository
from adpilot.drafts.schemas import (
    Budget,
    BudgetLevel,
    BudgetType,
    DiffEntry,
    DraftAd,
    DraftAdGroup,
    DraftDocument,
    DraftProblem,
    DraftStatus,
    DraftTarget,
    Objective,
    ReviewComment,
)
from adpilot.drafts.spec import final_url
from adpilot.drafts.utm import UnknownPlaceholder, template_placeholders
from adpilot.drafts.validation import OBJECTIVE_BY_PLATFORM, blocking, validate_document
from adpilot.organizations import Permission, TenantContext
from adpilot.platforms.types import EntityLevel, Platform

# An edit of a draft in these states sends it back to draft; publishing and published drafts are not edited.
REOPENED_BY_EDIT = frozenset(
    {DraftStatus.in_review, DraftStatus.approved, DraftStatus.changes_requested, DraftStatus.failed}
)
LOCKED = frozenset({DraftStatus.publishing, DraftStatus.published})
SUBMITTABLE = frozenset({DraftStatus.draft, DraftStatus.changes_requested})
BACK_TO_DRAFT_FROM = frozenset(
    {DraftStatus.in_review, DraftStatus.approved, DraftStatus.changes_requested, DraftStatus.failed}
)


@dataclass(frozen=True)
class DraftView:
    """A draft with its current document, the document's problems and the review comments."""

    draft: Draft
    document: DraftDocument
    problems: list[DraftProblem]
    comments: Sequence[DraftComment]


@dataclass(frozen=True)
class DraftListItem:
    """A draft as lists show it: its summary and who saved its current version."""

    id: UUID
    name: str
    status: DraftStatus
    platforms: list[str]
    current_version: int
    created_at: datetime
    updated_at: datetime
    updated_by_user_id: UUID | None


@dataclass(frozen=True)
class PreviewUrl:
    platform: Platform
    path: str
    final_url: str


def _snapshot(draft: Draft) -> dict[str, Any]:
    return {"status": draft.status.value, "version": draft.current_version}


class DraftService:
    # --- reading -------------------------------------------------------------------------------------------------

    async def _draft(
        self, session: AsyncSession, organization_id: UUID, draft_id: UUID, *, for_update: bool = False
    ) -> Draft:
        draft = await DraftRepository(session).get(organization_id, draft_id, for_update=for_update)
        if draft is None:
            raise DraftNotFound()
        return draft

    async def _version(self, session: AsyncSession, organization_id: UUID, draft_id: UUID, number: int) -> DraftVersion:
        version = await DraftRepository(session).version(organization_id, draft_id, number)
        if version is None:
            raise DraftVersionNotFound()
        return version

    async def _view(self, session: AsyncSession, draft: Draft) -> DraftView:
        version = await self._version(session, draft.organization_id, draft.id, draft.current_version)
        document = DraftDocument.model_validate(version.document)
        comments = await DraftRepository(session).comments(draft.organization_id, draft.id)
        return DraftView(draft, document, validate_document(document, today=utcnow().date()), comments)

    async def get(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """A draft with its current document, its problems (warnings and errors) and the review comments."""
        return await self._view(session, await self._draft(session, tenant.organization_id, draft_id))

    async def list_drafts(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        *,
        status: DraftStatus | None,
        platform: Platform | None,
        name_contains: str | None = None,
        page: PageRequest[TimeKey],
    ) -> KeysetPage[DraftListItem, TimeKey]:
        """One page of the organization's drafts, newest first, each with who saved its current version."""
        repository = DraftRepository(session)
        drafts = await repository.page(
            tenant.organization_id,
            status=status,
            platform=platform.value if platform else None,
            name_contains=name_contains,
            page=page,
        )
        authors = await repository.current_version_authors(tenant.organization_id, drafts.items)
        items = [
            DraftListItem(
                id=draft.id,
                name=draft.name,
                status=draft.status,
                platforms=list(draft.platforms),
                current_version=draft.current_version,
                created_at=draft.created_at,
                updated_at=draft.updated_at,
                updated_by_user_id=authors.get(draft.id),
            )
            for draft in drafts.items
        ]
        return KeysetPage(items, drafts.next_key, drafts.codec)

    async def list_versions(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID, page: PageRequest[TimeKey]
    ) -> KeysetPage[DraftVersion, TimeKey]:
        """One page of a draft's versions, newest first."""
        await self._draft(session, tenant.organization_id, draft_id)
        return await DraftRepository(session).versions_page(tenant.organization_id, draft_id, page)

    async def get_version(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID, number: int
    ) -> DraftVersion:
        """One version of a draft, as it was saved."""
        await self._draft(session, tenant.organization_id, draft_id)
        return await self._version(session, tenant.organization_id, draft_id, number)

    async def diff(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID, from_version: int, to_version: int
    ) -> list[DiffEntry]:
        """What changed between two versions of a draft, field by field."""
        await self._draft(session, tenant.organization_id, draft_id)
        before = await self._version(session, tenant.organization_id, draft_id, from_version)
        after = await self._version(session, tenant.organization_id, draft_id, to_version)
        return diff_documents(before.document, after.document)

    async def validate(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID
    ) -> tuple[int, list[DraftProblem]]:
        """The current version's problems for each platform it targets."""
        view = await self.get(session, tenant, draft_id)
        return view.draft.current_version, view.problems

    # --- writing -------------------------------------------------------------------------------------------------

    async def _check_targets(self, session: AsyncSession, organization_id: UUID, document: DraftDocument) -> None:
        for target in document.targets:
            if target.ad_account_id is None:
                continue
            account = await account_service.get_ad_account(session, organization_id, target.ad_account_id)
            if account is None or account.platform is not target.platform:
                raise DraftTargetInvalid(
                    f"The ad account {target.ad_account_id} is not a {target.platform.value} account of this "
                    "organization."
                )

    async def _new_version(
        self, session: AsyncSession, tenant: TenantContext, draft: Draft, document: DraftDocument
    ) -> None:
        now = utcnow()
        draft.current_version += 1
        draft.name = document.name
        draft.platforms = [platform.value for platform in document.platforms]
        draft.updated_at = now
        DraftRepository(session).add(
            DraftVersion(
                organization_id=draft.organization_id,
                draft_id=draft.id,
                number=draft.current_version,
                document=document.model_dump(mode="json"),
                created_by_user_id=tenant.user_id,
                created_at=now,
            )
        )

    async def create(self, session: AsyncSession, tenant: TenantContext, document: DraftDocument) -> DraftView:
        """A new draft whose first version is ``document``."""
        await self._check_targets(session, tenant.organization_id, document)
        return await self._create(session, tenant, document, "draft.created")

    async def create_imported(
        self, session: AsyncSession, tenant: TenantContext, document: DraftDocument, source: dict[str, Any]
    ) -> DraftView:
        """A new draft from a CSV import (whose targets were resolved from the organization's ad accounts)."""
        return await self._create(session, tenant, document, "draft.imported", source)

    async def _create(
        self,
        session: AsyncSession,
        tenant: TenantContext,
        document: DraftDocument,
        action: str,
        source: dict[str, Any] | None = None,
    ) -> DraftView:
        now = utcnow()
        draft = Draft(
            organization_id=tenant.organization_id,
            name=document.name,
            status=DraftStatus.draft,
            platforms=[],
            current_version=0,
            created_by_user_id=tenant.user_id,
            created_at=now,
            updated_at=now,
        )
        repository = DraftRepository(session)
        repository.add(draft)
        await repository.flush()
        await self._new_version(session, tenant, draft, document)
        await repository.flush()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            action,
            target_type="draft",
            target_id=draft.id,
            after={**_snapshot(draft), **(source or {})},
        )
        return await self._view(session, draft)

    async def save(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID, base_version: int, document: DraftDocument
    ) -> DraftView:
        """A new version of the draft, made on ``base_version`` (a stale one is a conflict). Editing a draft under
        review, approved, sent back or failed returns it to draft."""
        draft = await self._draft(session, tenant.organization_id, draft_id, for_update=True)
        if draft.status in LOCKED:
            raise DraftLocked()
        if base_version != draft.current_version:
            raise DraftVersionConflict(
                f"The draft is at version {draft.current_version}; this edit was made on version {base_version}.",
                current_version=draft.current_version,
            )
        await self._check_targets(session, tenant.organization_id, document)
        before = _snapshot(draft)
        await self._new_version(session, tenant, draft, document)
        if draft.status in REOPENED_BY_EDIT:
            draft.status = DraftStatus.draft
        await DraftRepository(session).flush()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "draft.saved",
            target_type="draft",
            target_id=draft.id,
            before=before,
            after=_snapshot(draft),
        )
        return await self._view(session, draft)

    async def _transition(
        self,
        session: AsyncSession,
        organization_id: UUID,
        actor: Actor,
        draft_id: UUID,
        allowed_from: frozenset[DraftStatus],
        to: DraftStatus,
        action: str,
    ) -> Draft:
        draft = await self._draft(session, organization_id, draft_id, for_update=True)
        if draft.status not in allowed_from:
            raise DraftTransitionNotAllowed(
                f"A draft that is {draft.status.value} cannot go to {to.value}.", current_status=draft.status.value
            )
        before = _snapshot(draft)
        draft.status = to
        draft.updated_at = utcnow()
        await DraftRepository(session).flush()
        await audit_service.record(
            session,
            organization_id,
            actor,
            action,
            target_type="draft",
            target_id=draft.id,
            before=before,
            after=_snapshot(draft),
        )
        return draft

    async def submit(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """Send the draft for review; refused while it has blocking problems (returned with the error)."""
        view = await self.get(session, tenant, draft_id)
        errors = blocking(view.problems)
        if errors and view.draft.status in SUBMITTABLE:
            raise DraftInvalid(
                f"{len(errors)} problem(s) to fix first.", problems=[error.model_dump(mode="json") for error in errors]
            )
        draft = await self._transition(
            session,
            tenant.organization_id,
            tenant.actor,
            draft_id,
            SUBMITTABLE,
            DraftStatus.in_review,
            "draft.submitted",
        )
        return await self._view(session, draft)

    async def approve(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """Approve a draft under review (managers)."""
        tenant.require(Permission.changes_approve)
        draft = await self._transition(
            session,
            tenant.organization_id,
            tenant.actor,
            draft_id,
            frozenset({DraftStatus.in_review}),
            DraftStatus.approved,
            "draft.approved",
        )
        return await self._view(session, draft)

    async def request_changes(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID, comments: list[ReviewComment]
    ) -> DraftView:
        """Send a draft under review back to its authors with comments, each on a field path (managers)."""
        tenant.require(Permission.changes_approve)
        draft = await self._transition(
            session,
            tenant.organization_id,
            tenant.actor,
            draft_id,
            frozenset({DraftStatus.in_review}),
            DraftStatus.changes_requested,
            "draft.changes_requested",
        )
        now = utcnow()
        DraftRepository(session).add(
            *(
                DraftComment(
                    organization_id=tenant.organization_id,
                    draft_id=draft.id,
                    version=draft.current_version,
                    path=comment.path,
                    message=comment.message,
                    author_user_id=tenant.user_id,
                    created_at=now,
                )
                for comment in comments
            )
        )
        await DraftRepository(session).flush()
        return await self._view(session, draft)

    async def back_to_draft(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """Withdraw a draft from review, approval or a failed publication, back to draft."""
        draft = await self._transition(
            session,
            tenant.organization_id,
            tenant.actor,
            draft_id,
            BACK_TO_DRAFT_FROM,
            DraftStatus.draft,
            "draft.reopened",
        )
        return await self._view(session, draft)

    async def start_publishing(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """The entry point of publishing: an approved draft moves to publishing (managers, ``changes.publish``)."""
        tenant.require(Permission.changes_publish)
        draft = await self._transition(
            session,
            tenant.organization_id,
            tenant.actor,
            draft_id,
            frozenset({DraftStatus.approved}),
            DraftStatus.publishing,
            "draft.publishing",
        )
        return await self._view(session, draft)

    async def finish_publishing(
        self, session: AsyncSession, organization_id: UUID, draft_id: UUID, *, succeeded: bool, actor: Actor
    ) -> Draft:
        """Record the outcome of publishing a draft: published, or failed (editable again)."""
        to = DraftStatus.published if succeeded else DraftStatus.failed
        return await self._transition(
            session, organization_id, actor, draft_id, frozenset({DraftStatus.publishing}), to, f"draft.{to.value}"
        )

    # --- duplication ---------------------------------------------------------------------------------------------

    async def duplicate(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """A new draft with a copy of the draft's current document."""
        view = await self.get(session, tenant, draft_id)
        copy = view.document.model_copy(update={"name": f"Copy of {view.document.name}"[:255]})
        return await self._create(session, tenant, copy, "draft.duplicated", {"source_draft_id": str(draft_id)})

    async def duplicate_campaign(
        self, session: AsyncSession, tenant: TenantContext, ad_account_id: UUID, campaign_platform_id: str
    ) -> DraftView:
        """A new draft from a live campaign as last synced: its name, budget, ad groups and ads."""
        account = await account_service.get_ad_account(session, tenant.organization_id, ad_account_id)
        if account is None:
            raise AdAccountNotFound()
        entities = await entity_sync_service.campaign_snapshot(
            session, tenant.organization_id, ad_account_id, campaign_platform_id
        )
        if not entities or entities[0].level is not EntityLevel.campaign:
            raise CampaignNotSynced()
        document = campaign_document(entities, DraftTarget(platform=account.platform, ad_account_id=account.id))
        return await self._create(
            session,
            tenant,
            document,
            "draft.duplicated",
            {"source_ad_account_id": str(ad_account_id), "source_campaign_platform_id": campaign_platform_id},
        )

    # --- URL templates -------------------------------------------------------------------------------------------

    async def template_for(self, session: AsyncSession, organization_id: UUID, document: DraftDocument) -> str:
        """The URL template in force for a document: its own, else the organization's."""
        if document.utm_template is not None:
            return document.utm_template
        settings = await DraftRepository(session).settings(organization_id)
        return settings.utm_template if settings is not None else ""

    async def utm_template(self, session: AsyncSession, tenant: TenantContext) -> str:
        """The organization's URL template (empty: none)."""
        settings = await DraftRepository(session).settings(tenant.organization_id)
        return settings.utm_template if settings is not None else ""

    async def set_utm_template(self, session: AsyncSession, tenant: TenantContext, template: str) -> str:
        """Set the organization's URL template, refusing unknown placeholders."""
        _check_template(template)
        repository = DraftRepository(session)
        settings = await repository.settings(tenant.organization_id)
        before = settings.utm_template if settings is not None else ""
        if settings is None:
            settings = DraftSettings(organization_id=tenant.organization_id, utm_template=template, updated_at=utcnow())
            repository.add(settings)
        settings.utm_template = template
        settings.updated_at = utcnow()
        await repository.flush()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "draft_settings.utm_template_changed",
            before={"utm_template": before},
            after={"utm_template": template},
        )
        return template

    async def utm_preview(
        self, session: AsyncSession, tenant: TenantContext, draft_id: UUID
    ) -> tuple[str, list[PreviewUrl]]:
        """The template in force for the draft (its own, else the organization's) and every ad's final URL per
        platform it targets."""
        view = await self.get(session, tenant, draft_id)
        document = view.document
        template = await self.template_for(session, tenant.organization_id, document)
        _check_template(template)
        urls: list[PreviewUrl] = []
        for platform in document.platforms:
            for g, group in enumerate(document.ad_groups):
                for a, ad in enumerate(group.ads):
                    url = final_url(document, draft_id, template, platform, group, ad)
                    if url is not None:
                        urls.append(PreviewUrl(platform, f"ad_groups[{g}].ads[{a}].final_url", url))
        return template, urls


def _check_template(template: str) -> None:
    try:
        template_placeholders(template)
    except UnknownPlaceholder as exc:
        raise UtmTemplateInvalid(str(exc)) from exc


def _find(raw: Any, keys: tuple[str, ...]) -> Any:
    """The first value under one of ``keys`` anywhere in a synced entity's platform fields (depth first)."""
    if isinstance(raw, dict):
        for key in keys:
            if raw.get(key):
                return raw[key]
        for value in raw.values():
            found = _find(value, keys)
            if found is not None:
                return found
    return None


def _texts(raw: dict[str, Any], *keys: str) -> list[str]:
    """Text assets from a synced entity's platform fields, where the sync carried them (a text, a list of texts, or
    Google's list of ``{"text": …}`` assets)."""
    value = _find(raw, keys)
    items = value if isinstance(value, list) else [value]
    texts = [item if isinstance(item, str) else item.get("text") if isinstance(item, dict) else None for item in items]
    return [text for text in texts if isinstance(text, str) and text]


def _objective(platform: Platform, value: str | None) -> Objective:
    """The unified objective of a platform's own (traffic when it has none the mapping knows)."""
    for objective, name in OBJECTIVE_BY_PLATFORM[platform].items():
        if name == value:
            return objective
    return Objective.traffic


def campaign_document(entities: list[SyncedEntity], target: DraftTarget) -> DraftDocument:
    """A draft document from a synced campaign (first) and its ad groups and ads, as far as the sync carries them."""
    campaign, rest = entities[0], entities[1:]
    groups = [entity for entity in rest if entity.level is EntityLevel.ad_group]
    ads = [entity for entity in rest if entity.level is EntityLevel.ad]
    campaign_budget = campaign.daily_budget_micros or campaign.lifetime_budget_micros
    budget_level = BudgetLevel.campaign if campaign_budget or not groups else BudgetLevel.ad_group

    def budget_of(entity: SyncedEntity) -> Budget | None:
        if entity.daily_budget_micros:
            return Budget(type=BudgetType.daily, level=budget_level, amount_micros=entity.daily_budget_micros)
        if entity.lifetime_budget_micros:
            return Budget(type=BudgetType.lifetime, level=budget_level, amount_micros=entity.lifetime_budget_micros)
        return None

    def ad_of(entity: SyncedEntity) -> DraftAd:
        url = _find(entity.raw, ("final_url", "finalUrls", "landing_page_url", "link_url"))
        if isinstance(url, list):
            url = url[0] if url else None
        return DraftAd(
            name=entity.name[:512],
            headlines=_texts(entity.raw, "headlines", "headline", "title"),
            descriptions=_texts(entity.raw, "descriptions", "description"),
            primary_texts=_texts(entity.raw, "primary_text", "body", "ad_text", "message"),
            final_url=url if isinstance(url, str) else None,
        )

    ad_groups = [
        DraftAdGroup(
            name=group.name[:512],
            budget=budget_of(group) if budget_level is BudgetLevel.ad_group else None,
            ads=[ad_of(ad) for ad in ads if ad.parent_platform_id == group.platform_id],
        )
        for group in groups
    ]
    return DraftDocument(
        name=f"Copy of {campaign.name}"[:255],
        targets=[target],
        objective=_objective(target.platform, campaign.objective),
        budget=budget_of(campaign) or Budget(level=budget_level),
        ad_groups=ad_groups,
    )


draft_service = DraftService()


async def _draft_names(session: AsyncSession, organization_id: UUID, ids: Sequence[UUID]) -> dict[UUID, str]:
    return await DraftRepository(session).names(organization_id, ids)


# The audit log names drafts by their name (installed at start-up).
AUDIT_TARGET_NAMES: dict[str, TargetNameResolver] = {"draft": _draft_names}
