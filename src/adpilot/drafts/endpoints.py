"""HTTP endpoints of campaign drafts: CRUD, versions and diff, the review workflow, validation, duplication and URL
templates."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Path, Query, Response, status

from adpilot.connections import AdAccountNotFound
from adpilot.core.errors import PermissionDenied, problem_responses
from adpilot.core.pagination import InvalidCursor, Page, TimeCursorPage, page_response
from adpilot.core.text import NoNul
from adpilot.db import DbSession
from adpilot.drafts.dependencies import (
    CanApproveDrafts,
    CanEditDrafts,
    CanPublishDrafts,
    CanReadDrafts,
    CanSetUtmTemplate,
)
from adpilot.drafts.errors import (
    CampaignNotSynced,
    DraftInvalid,
    DraftLocked,
    DraftNotFound,
    DraftTargetInvalid,
    DraftTransitionNotAllowed,
    DraftVersionConflict,
    DraftVersionNotFound,
    NothingToDiscard,
    NothingToRetry,
    PublicationNotDiscarded,
    PublicationNotFound,
    PublishTargetMissing,
    UtmTemplateInvalid,
)
from adpilot.drafts.import_endpoints import router as import_router
from adpilot.drafts.publishing import PublicationView, publishing_service
from adpilot.drafts.schemas import (
    CampaignDuplicate,
    ChangesRequest,
    DraftCreate,
    DraftDiff,
    DraftListItemRead,
    DraftRead,
    DraftSave,
    DraftStatus,
    DraftSummary,
    DraftValidation,
    DraftVersionRead,
    DraftVersionSummary,
    Publication,
    PublicationTargetRead,
    PublishedEntityRead,
    ReviewCommentRead,
    UtmPreview,
    UtmPreviewUrl,
    UtmTemplateRead,
    UtmTemplateUpdate,
)
from adpilot.drafts.service import DraftView, draft_service
from adpilot.drafts.utm import PLACEHOLDERS
from adpilot.platforms.types import Platform

router = APIRouter(prefix="/api/v1/orgs/{organization_id}", tags=["drafts"])
# The import's routes first: its literal paths (/drafts/import) before /drafts/{draft_id}.
router.include_router(import_router)

VersionNumber = Annotated[int, Path(ge=1, le=2_147_483_647)]


def _read(view: DraftView) -> DraftRead:
    return DraftRead(
        **DraftSummary.model_validate(view.draft).model_dump(),
        document=view.document,
        problems=view.problems,
        comments=[
            ReviewCommentRead(
                path=comment.path,
                message=comment.message,
                version=comment.version,
                author_user_id=comment.author_user_id,
                created_at=comment.created_at,
            )
            for comment in view.comments
        ],
    )


@router.get("/drafts", response_model=Page[DraftListItemRead], responses=problem_responses(InvalidCursor))
async def list_drafts(
    tenant: CanReadDrafts,
    session: DbSession,
    paging: TimeCursorPage,
    status: DraftStatus | None = None,
    platform: Platform | None = None,
    name_contains: Annotated[str | None, Query(max_length=200), NoNul] = None,
) -> Response:
    """The organization's drafts, newest first, by status, platform or a part of the name."""
    page = await draft_service.list_drafts(
        session, tenant, status=status, platform=platform, name_contains=name_contains, page=paging
    )
    return page_response(DraftListItemRead, page)


@router.post(
    "/drafts",
    response_model=DraftRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(DraftTargetInvalid),
)
async def create_draft(body: DraftCreate, tenant: CanEditDrafts, session: DbSession) -> DraftRead:
    """Create a draft; its first version is the document (its problems come back as warnings)."""
    return _read(await draft_service.create(session, tenant, body.document))


@router.get("/drafts/{draft_id}", response_model=DraftRead, responses=problem_responses(DraftNotFound))
async def get_draft(draft_id: UUID, tenant: CanReadDrafts, session: DbSession) -> DraftRead:
    """A draft: its current document, its problems per platform and the review comments."""
    return _read(await draft_service.get(session, tenant, draft_id))


@router.put(
    "/drafts/{draft_id}",
    response_model=DraftRead,
    responses=problem_responses(DraftNotFound, DraftVersionConflict, DraftLocked, DraftTargetInvalid),
)
async def save_draft(draft_id: UUID, body: DraftSave, tenant: CanEditDrafts, session: DbSession) -> DraftRead:
    """Save a new version of the draft, made on ``base_version``; an edit under review or approved returns it to
    draft."""
    return _read(await draft_service.save(session, tenant, draft_id, body.base_version, body.document))


@router.get(
    "/drafts/{draft_id}/versions",
    response_model=Page[DraftVersionSummary],
    responses=problem_responses(DraftNotFound, InvalidCursor),
)
async def list_draft_versions(
    draft_id: UUID, tenant: CanReadDrafts, session: DbSession, paging: TimeCursorPage
) -> Response:
    """The draft's versions, newest first."""
    return page_response(DraftVersionSummary, await draft_service.list_versions(session, tenant, draft_id, paging))


@router.get(
    "/drafts/{draft_id}/versions/{number}",
    response_model=DraftVersionRead,
    responses=problem_responses(DraftNotFound, DraftVersionNotFound),
)
async def get_draft_version(
    draft_id: UUID, number: VersionNumber, tenant: CanReadDrafts, session: DbSession
) -> DraftVersionRead:
    """One version of the draft as it was saved."""
    return DraftVersionRead.model_validate(await draft_service.get_version(session, tenant, draft_id, number))


@router.get(
    "/drafts/{draft_id}/diff",
    response_model=DraftDiff,
    responses=problem_responses(DraftNotFound, DraftVersionNotFound),
)
async def get_draft_diff(
    draft_id: UUID,
    tenant: CanReadDrafts,
    session: DbSession,
    from_version: Annotated[int, Query(ge=1, le=2_147_483_647)] = 1,
    to_version: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Default: the current.")] = None,
) -> DraftDiff:
    """What changed between two versions of the draft: each field's path, before and after."""
    if to_version is None:
        to_version = (await draft_service.get(session, tenant, draft_id)).draft.current_version
    changes = await draft_service.diff(session, tenant, draft_id, from_version, to_version)
    return DraftDiff(from_version=from_version, to_version=to_version, changes=changes)


@router.get("/drafts/{draft_id}/validation", response_model=DraftValidation, responses=problem_responses(DraftNotFound))
async def validate_draft(draft_id: UUID, tenant: CanReadDrafts, session: DbSession) -> DraftValidation:
    """The current version's problems for each platform it targets (errors block a submission)."""
    version, problems = await draft_service.validate(session, tenant, draft_id)
    return DraftValidation(version=version, problems=problems)


@router.post(
    "/drafts/{draft_id}/submit",
    response_model=DraftRead,
    responses=problem_responses(DraftNotFound, DraftInvalid, DraftTransitionNotAllowed),
)
async def submit_draft(draft_id: UUID, tenant: CanEditDrafts, session: DbSession) -> DraftRead:
    """Send the draft for review; refused with the blocking problems while it has any."""
    return _read(await draft_service.submit(session, tenant, draft_id))


@router.post(
    "/drafts/{draft_id}/approve",
    response_model=DraftRead,
    responses=problem_responses(DraftNotFound, DraftTransitionNotAllowed, PermissionDenied),
)
async def approve_draft(draft_id: UUID, tenant: CanApproveDrafts, session: DbSession) -> DraftRead:
    """Approve a draft under review."""
    return _read(await draft_service.approve(session, tenant, draft_id))


@router.post(
    "/drafts/{draft_id}/request-changes",
    response_model=DraftRead,
    responses=problem_responses(DraftNotFound, DraftTransitionNotAllowed, PermissionDenied),
)
async def request_draft_changes(
    draft_id: UUID, body: ChangesRequest, tenant: CanApproveDrafts, session: DbSession
) -> DraftRead:
    """Send a draft under review back with comments, each on a field path."""
    return _read(await draft_service.request_changes(session, tenant, draft_id, body.comments))


@router.post(
    "/drafts/{draft_id}/reopen",
    response_model=DraftRead,
    responses=problem_responses(DraftNotFound, DraftTransitionNotAllowed),
)
async def reopen_draft(draft_id: UUID, tenant: CanEditDrafts, session: DbSession) -> DraftRead:
    """Bring a draft under review, approved, sent back or failed back to draft."""
    return _read(await draft_service.back_to_draft(session, tenant, draft_id))


@router.post(
    "/drafts/{draft_id}/duplicate",
    response_model=DraftRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(DraftNotFound),
)
async def duplicate_draft(draft_id: UUID, tenant: CanEditDrafts, session: DbSession) -> DraftRead:
    """A new draft with a copy of this draft's current document."""
    return _read(await draft_service.duplicate(session, tenant, draft_id))


@router.post(
    "/drafts/from-campaign",
    response_model=DraftRead,
    status_code=status.HTTP_201_CREATED,
    responses=problem_responses(AdAccountNotFound, CampaignNotSynced),
)
async def duplicate_campaign_to_draft(body: CampaignDuplicate, tenant: CanEditDrafts, session: DbSession) -> DraftRead:
    """A new draft from a live campaign as last synced (name, budget, ad groups and ads)."""
    view = await draft_service.duplicate_campaign(session, tenant, body.ad_account_id, body.campaign_platform_id)
    return _read(view)


@router.get("/draft-settings/utm-template", response_model=UtmTemplateRead)
async def get_utm_template(tenant: CanReadDrafts, session: DbSession) -> UtmTemplateRead:
    """The organization's URL template and the placeholders a template may use."""
    template = await draft_service.utm_template(session, tenant)
    return UtmTemplateRead(template=template, placeholders=sorted(PLACEHOLDERS))


@router.put(
    "/draft-settings/utm-template", response_model=UtmTemplateRead, responses=problem_responses(UtmTemplateInvalid)
)
async def set_utm_template(body: UtmTemplateUpdate, tenant: CanSetUtmTemplate, session: DbSession) -> UtmTemplateRead:
    """Set the organization's URL template (empty: no tagging)."""
    template = await draft_service.set_utm_template(session, tenant, body.template)
    return UtmTemplateRead(template=template, placeholders=sorted(PLACEHOLDERS))


@router.get(
    "/drafts/{draft_id}/utm-preview",
    response_model=UtmPreview,
    responses=problem_responses(DraftNotFound, UtmTemplateInvalid),
)
async def preview_draft_urls(draft_id: UUID, tenant: CanReadDrafts, session: DbSession) -> UtmPreview:
    """Every ad's final URL per platform, with the URL template in force rendered into it."""
    template, urls = await draft_service.utm_preview(session, tenant, draft_id)
    return UtmPreview(
        template=template,
        urls=[UtmPreviewUrl(platform=url.platform, path=url.path, final_url=url.final_url) for url in urls],
    )


def _publication(view: PublicationView) -> Publication:
    return Publication(
        draft_id=view.draft_id,
        status=view.status,
        targets=[
            PublicationTargetRead(
                index=target.publication.target_index,
                platform=Platform(target.publication.platform),
                ad_account_id=target.publication.ad_account_id,
                ad_account_name=target.ad_account_name,
                status=target.publication.status,
                error=target.publication.error,
                attempts=target.publication.attempts,
                created=target.created,
                total=target.total,
                entities=[
                    PublishedEntityRead(
                        level=entity.level.value,
                        key=entity.key,
                        name=entity.name,
                        platform_id=entity.platform_id,
                        entity_id=entity.entity_id,
                    )
                    for entity in target.entities
                ],
            )
            for target in view.targets
        ],
    )


@router.post(
    "/drafts/{draft_id}/publish",
    response_model=DraftRead,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(
        DraftNotFound, DraftTransitionNotAllowed, PublicationNotDiscarded, PublishTargetMissing, PermissionDenied
    ),
)
async def publish_draft(draft_id: UUID, tenant: CanPublishDrafts, session: DbSession) -> DraftRead:
    """Publish an approved draft to each of its targets (created paused unless the draft says otherwise)."""
    return _read(await publishing_service.publish(session, tenant, draft_id))


@router.get(
    "/drafts/{draft_id}/publication",
    response_model=Publication,
    responses=problem_responses(DraftNotFound, PublicationNotFound),
)
async def get_publication(draft_id: UUID, tenant: CanReadDrafts, session: DbSession) -> Publication:
    """The draft's publication: each target's progress, error and the entities created on its platform."""
    return _publication(await publishing_service.read(session, tenant, draft_id))


@router.post(
    "/drafts/{draft_id}/publication/retry",
    response_model=Publication,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(DraftNotFound, NothingToRetry, PermissionDenied),
)
async def retry_publication(draft_id: UUID, tenant: CanPublishDrafts, session: DbSession) -> Publication:
    """Publish the failed targets again, continuing from what they created (nothing is created twice)."""
    return _publication(await publishing_service.retry(session, tenant, draft_id))


@router.post(
    "/drafts/{draft_id}/publication/discard",
    response_model=Publication,
    status_code=status.HTTP_202_ACCEPTED,
    responses=problem_responses(DraftNotFound, NothingToDiscard, PermissionDenied),
)
async def discard_publication(draft_id: UUID, tenant: CanPublishDrafts, session: DbSession) -> Publication:
    """Remove from the platforms what a failed publication created; the draft stays failed, editable again."""
    return _publication(await publishing_service.discard(session, tenant, draft_id))
