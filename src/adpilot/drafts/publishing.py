"""Publishing a draft: one publication per target (platform + ad account), each published by a job of its own.

``publish`` moves an approved draft to publishing and queues ``drafts.publish_target`` for every target. The job
builds the target's ``CampaignSpec`` from the published version, sends it through the gateway with the ids already
stored (so nothing is created twice), stores every id the platform returned — also when it fails half-way — and
settles the target with the run kit's decision (a platform unavailable is retried, a spent quota deferred, a refusal
fails with the platform's own message). When no target is left to run, the draft becomes published (all of them
were) or failed. A failed publication is retried (failed targets only, continuing where they stopped) or discarded
(what was created is removed from the platforms by ``drafts.discard_target``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import SYSTEM, audit_service
from adpilot.campaigns import entity_sync_service
from adpilot.campaigns.schemas import SyncTrigger
from adpilot.connections import (
    AccountAccess,
    AdAccountInfo,
    AdAccountNotFound,
    ConnectionNeedsReconnect,
    account_service,
    platform_gateway,
)
from adpilot.core.runs import Outcome, RunLifecycle, error_text
from adpilot.core.time import utcnow
from adpilot.db import tenant_transaction
from adpilot.drafts.errors import (
    DraftNotFound,
    DraftTransitionNotAllowed,
    NothingToDiscard,
    NothingToRetry,
    PublicationNotDiscarded,
    PublicationNotFound,
    PublishTargetMissing,
)
from adpilot.drafts.models import DraftPublication, DraftPublishedEntity
from adpilot.drafts.repository import DraftRepository
from adpilot.drafts.schemas import DraftDocument, DraftStatus, PublicationStatus
from adpilot.drafts.service import DraftView, draft_service
from adpilot.drafts.spec import campaign_spec, entity_names
from adpilot.jobs import enqueue
from adpilot.organizations import Permission, TenantContext
from adpilot.platforms.errors import PlatformError
from adpilot.platforms.runs import decide_after
from adpilot.platforms.types import CAMPAIGN_KEY, EntityLevel, EntityRef, EntityStatus, Platform, PublishedIds

PUBLISH_TARGET_JOB = "drafts.publish_target"
DISCARD_TARGET_JOB = "drafts.discard_target"
# Attempts of one target's job within one round (a retry starts a new round).
PUBLISH_RUNS = RunLifecycle()
TARGET_TYPE = "draft"
RUNNING = frozenset({PublicationStatus.pending, PublicationStatus.publishing})


@dataclass(frozen=True)
class PublishedEntityView:
    level: EntityLevel
    key: str
    name: str
    platform_id: str | None
    entity_id: UUID | None


@dataclass(frozen=True)
class TargetView:
    publication: DraftPublication
    ad_account_name: str
    created: int
    total: int
    entities: list[PublishedEntityView]


@dataclass(frozen=True)
class PublicationView:
    draft_id: UUID
    status: DraftStatus
    targets: list[TargetView]


def _audit_view(publication: DraftPublication) -> dict[str, object]:
    return {
        "publication_id": str(publication.id),
        "target_index": publication.target_index,
        "platform": publication.platform,
        "ad_account_id": str(publication.ad_account_id),
        "status": publication.status.value,
        "error": publication.error,
    }


class PublishingService:
    # --- requests ------------------------------------------------------------------------------------------------

    async def publish(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> DraftView:
        """Publish an approved draft to every target (managers, ``changes.publish``): one job per target."""
        tenant.require(Permission.changes_publish)
        view = await draft_service.get(session, tenant, draft_id)
        if any(target.ad_account_id is None for target in view.document.targets) or not view.document.targets:
            raise PublishTargetMissing()
        repository = DraftRepository(session)
        earlier = await repository.publications(tenant.organization_id, draft_id)
        live = [p for p in earlier if p.status is not PublicationStatus.discarded]
        if live and await repository.published_entities(tenant.organization_id, [p.id for p in live]):
            raise PublicationNotDiscarded()
        view = await draft_service.start_publishing(session, tenant, draft_id)
        await repository.delete_publications(tenant.organization_id, draft_id)
        now = utcnow()
        for index, target in enumerate(view.document.targets):
            assert target.ad_account_id is not None  # noqa: S101 - checked above
            publication = DraftPublication(
                organization_id=tenant.organization_id,
                draft_id=draft_id,
                version=view.draft.current_version,
                target_index=index,
                platform=target.platform.value,
                ad_account_id=target.ad_account_id,
                status=PublicationStatus.pending,
                attempts=0,
                retries=0,
                created_at=now,
                updated_at=now,
            )
            repository.add(publication)
            await repository.flush()
            await _queue(session, PUBLISH_TARGET_JOB, publication)
        return view

    async def retry(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> PublicationView:
        """Publish the failed targets of a failed publication again, continuing from what they created."""
        tenant.require(Permission.changes_publish)
        draft = await DraftRepository(session).get(tenant.organization_id, draft_id, for_update=True)
        if draft is None:
            raise DraftNotFound()
        publications = await DraftRepository(session).publications(tenant.organization_id, draft_id)
        failed = [p for p in publications if p.status is PublicationStatus.failed]
        if draft.status is not DraftStatus.failed or not failed:
            raise NothingToRetry()
        before = {"status": draft.status.value}
        draft.status = DraftStatus.publishing
        draft.updated_at = utcnow()
        for publication in failed:
            publication.status = PublicationStatus.pending
            publication.error = None
            publication.attempts = 0
            publication.retries += 1
            publication.updated_at = utcnow()
            await _queue(session, PUBLISH_TARGET_JOB, publication)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "draft.publication_retried",
            target_type=TARGET_TYPE,
            target_id=draft_id,
            before=before,
            after={"status": draft.status.value, "targets": [p.target_index for p in failed]},
        )
        return await self.read(session, tenant, draft_id)

    async def discard(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> PublicationView:
        """Remove from the platforms what a failed publication created (its campaigns, with their ad groups and ads);
        the draft keeps its status (failed, or draft once edited), editable again."""
        tenant.require(Permission.changes_publish)
        draft = await DraftRepository(session).get(tenant.organization_id, draft_id, for_update=True)
        if draft is None:
            raise DraftNotFound()
        repository = DraftRepository(session)
        publications = await repository.publications(tenant.organization_id, draft_id)
        with_entities = {e.publication_id for e in await repository.published_entities(
            tenant.organization_id, [p.id for p in publications]
        )}  # fmt: skip
        to_discard = [
            p
            for p in publications
            if p.id in with_entities and p.status in (PublicationStatus.failed, PublicationStatus.published)
        ]
        # A failed publication stays discardable after the draft was edited (which sends it back to draft).
        if draft.status in (DraftStatus.publishing, DraftStatus.published) or not to_discard:
            raise NothingToDiscard()
        for publication in to_discard:
            publication.status = PublicationStatus.discarding
            publication.error = None
            publication.attempts = 0
            publication.updated_at = utcnow()
            await _queue(session, DISCARD_TARGET_JOB, publication)
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "draft.publication_discarded",
            target_type=TARGET_TYPE,
            target_id=draft_id,
            after={"targets": [p.target_index for p in to_discard]},
        )
        return await self.read(session, tenant, draft_id)

    async def read(self, session: AsyncSession, tenant: TenantContext, draft_id: UUID) -> PublicationView:
        """The draft's publication: each target's progress, error and the entities it created."""
        draft = await DraftRepository(session).get(tenant.organization_id, draft_id)
        if draft is None:
            raise DraftNotFound()
        repository = DraftRepository(session)
        publications = await repository.publications(tenant.organization_id, draft_id)
        if not publications:
            raise PublicationNotFound()
        entities = await repository.published_entities(tenant.organization_id, [p.id for p in publications])
        targets: list[TargetView] = []
        documents: dict[int, DraftDocument] = {}
        for publication in publications:
            if publication.version not in documents:
                version = await repository.version(tenant.organization_id, draft_id, publication.version)
                assert version is not None  # noqa: S101 - versions are never deleted
                documents[publication.version] = DraftDocument.model_validate(version.document)
            names = entity_names(documents[publication.version])
            created = {e.key: e.platform_id for e in entities if e.publication_id == publication.id}
            synced = await entity_sync_service.entity_ids(
                session, tenant.organization_id, publication.ad_account_id, list(created.values())
            )
            account = await _account_name(session, tenant.organization_id, publication.ad_account_id)
            targets.append(
                TargetView(
                    publication=publication,
                    ad_account_name=account,
                    created=len(created),
                    total=len(names),
                    entities=[
                        PublishedEntityView(
                            level=level,
                            key=key,
                            name=name,
                            platform_id=created.get(key),
                            entity_id=synced.get((level, created[key])) if key in created else None,
                        )
                        for key, (level, name) in names.items()
                    ],
                )
            )
        return PublicationView(draft_id=draft_id, status=draft.status, targets=targets)

    # --- the jobs ------------------------------------------------------------------------------------------------

    async def publish_target(self, organization_id: UUID, publication_id: UUID) -> None:
        """Publish one target (the ``drafts.publish_target`` job)."""
        async with tenant_transaction(organization_id) as session:
            repository = DraftRepository(session)
            publication = await repository.publication(organization_id, publication_id, for_update=True)
            if publication is None or publication.status not in RUNNING:
                return  # finished, discarded or replaced: a duplicate delivery does nothing
            publication.attempts += 1
            publication.status = PublicationStatus.publishing
            publication.updated_at = utcnow()
            attempt = publication.attempts
            ad_account_id = publication.ad_account_id
            # An earlier attempt (or round) may have created entities whose answer was lost: look them up first.
            resume = attempt > 1 or publication.retries > 0
            version = await repository.version(organization_id, publication.draft_id, publication.version)
            assert version is not None  # noqa: S101 - versions are never deleted
            document = DraftDocument.model_validate(version.document)
            account = await _account(session, organization_id, publication.ad_account_id)
            template = await draft_service.template_for(session, organization_id, document)
            stored = await repository.published_entities(organization_id, [publication_id])
            spec = campaign_spec(
                document,
                draft_id=publication.draft_id,
                platform=Platform(publication.platform),
                currency=account.currency,
                template=template,
                seed=str(publication_id),
            )
        ids = PublishedIds({entity.key: entity.platform_id for entity in stored})
        known = dict(ids.ids)

        async def send(access: AccountAccess) -> PublishedIds:
            return await access.adapter.publish_campaign(
                access.credentials, access.account, spec, already=ids, resume=resume
            )

        levels = {key: level for level, key in spec.all_keys()}
        try:
            await platform_gateway.call(organization_id, ad_account_id, send)
        except (AdAccountNotFound, ConnectionNeedsReconnect) as exc:
            await self._settle(organization_id, publication_id, ids, known, levels, error=exc.detail or str(exc))
            return
        except PlatformError as error:
            decision = decide_after(PUBLISH_RUNS, error, attempt)
            if decision.outcome is Outcome.fail:
                await self._settle(organization_id, publication_id, ids, known, levels, error=error.detail)
                return
            await self._store(organization_id, publication_id, ids, known, levels, error.detail, decision.delay)
            if decision.outcome is Outcome.defer:
                return
            raise  # retried by the job queue with its backoff
        await self._settle(organization_id, publication_id, ids, known, levels, error=None)

    async def _store(
        self,
        organization_id: UUID,
        publication_id: UUID,
        ids: PublishedIds,
        known: dict[str, str],
        levels: dict[str, EntityLevel],
        message: str,
        defer_for: timedelta | None,
    ) -> None:
        """Keep what a failed attempt created and its error; the target runs again (now, or ``defer_for`` later)."""
        async with tenant_transaction(organization_id) as session:
            publication = await DraftRepository(session).publication(organization_id, publication_id, for_update=True)
            if publication is None:
                return
            _add_entities(session, publication, ids, known, levels)
            publication.error = error_text(message)
            publication.updated_at = utcnow()
            if defer_for is not None:
                publication.status = PublicationStatus.pending
                await _queue(session, PUBLISH_TARGET_JOB, publication, delay=defer_for)

    async def _settle(
        self,
        organization_id: UUID,
        publication_id: UUID,
        ids: PublishedIds,
        known: dict[str, str],
        levels: dict[str, EntityLevel],
        *,
        error: str | None,
    ) -> None:
        async with tenant_transaction(organization_id) as session:
            repository = DraftRepository(session)
            publication = await repository.publication(organization_id, publication_id, for_update=True)
            if publication is None:
                return
            _add_entities(session, publication, ids, known, levels)
            now = utcnow()
            publication.status = PublicationStatus.failed if error is not None else PublicationStatus.published
            publication.error = error_text(error) if error is not None else None
            publication.updated_at = now
            publication.finished_at = now
            await audit_service.record(
                session,
                organization_id,
                SYSTEM,
                f"draft.target_{publication.status.value}",
                target_type=TARGET_TYPE,
                target_id=publication.draft_id,
                after={**_audit_view(publication), "created": dict(ids.ids)},
            )
            if ids.ids:
                # The entity browser shows what was created as soon as the account's entities are read again.
                await entity_sync_service.queue_sync(
                    session, organization_id, publication.ad_account_id, SyncTrigger.manual
                )
            await _finish_if_done(session, organization_id, publication.draft_id)

    async def discard_target(self, organization_id: UUID, publication_id: UUID) -> None:
        """Remove what one target created (the ``drafts.discard_target`` job): its campaign, which takes the ad
        groups and ads with it on every platform."""
        async with tenant_transaction(organization_id) as session:
            repository = DraftRepository(session)
            publication = await repository.publication(organization_id, publication_id, for_update=True)
            if publication is None or publication.status is not PublicationStatus.discarding:
                return
            publication.attempts += 1
            attempt = publication.attempts
            ad_account_id = publication.ad_account_id
            stored = await repository.published_entities(organization_id, [publication_id])
            campaign = next((e.platform_id for e in stored if e.key == CAMPAIGN_KEY), None)

        async def remove(access: AccountAccess) -> None:
            if campaign is None:
                return
            entities = await access.adapter.list_entities(access.credentials, access.account)
            live = any(
                e.level is EntityLevel.campaign and e.platform_id == campaign and e.status is not EntityStatus.removed
                for e in entities
            )
            if live:  # removed already (by a person, or by an attempt whose answer was lost): nothing to send
                ref = EntityRef(access.account, EntityLevel.campaign, campaign)
                await access.adapter.set_status(access.credentials, ref, EntityStatus.removed)

        message: str | None = None
        try:
            await platform_gateway.call(organization_id, ad_account_id, remove)
        except (AdAccountNotFound, ConnectionNeedsReconnect) as exc:
            message = exc.detail or str(exc)
        except PlatformError as error:
            decision = decide_after(PUBLISH_RUNS, error, attempt)
            if decision.outcome is not Outcome.fail:
                raise  # retried by the job queue
            message = error.detail
        async with tenant_transaction(organization_id) as session:
            publication = await DraftRepository(session).publication(organization_id, publication_id, for_update=True)
            if publication is None:
                return
            now = utcnow()
            # A removal the platform refused leaves the target failed, with the platform's message, to discard again.
            publication.status = PublicationStatus.failed if message else PublicationStatus.discarded
            publication.error = error_text(message) if message else None
            publication.updated_at = now
            if message is None:
                await DraftRepository(session).delete_published_entities(organization_id, publication_id)
                await entity_sync_service.queue_sync(
                    session, organization_id, publication.ad_account_id, SyncTrigger.manual
                )
            await audit_service.record(
                session,
                organization_id,
                SYSTEM,
                "draft.target_discarded" if message is None else "draft.target_discard_failed",
                target_type=TARGET_TYPE,
                target_id=publication.draft_id,
                after={**_audit_view(publication), "campaign_platform_id": campaign},
            )


def _add_entities(
    session: AsyncSession,
    publication: DraftPublication,
    ids: PublishedIds,
    known: dict[str, str],
    levels: dict[str, EntityLevel],
) -> None:
    now = utcnow()
    DraftRepository(session).add(
        *(
            DraftPublishedEntity(
                organization_id=publication.organization_id,
                publication_id=publication.id,
                level=levels.get(key, EntityLevel.ad).value,
                key=key,
                platform_id=platform_id,
                created_at=now,
            )
            for key, platform_id in ids.ids.items()
            if key not in known
        )
    )
    known.update(ids.ids)


async def _finish_if_done(session: AsyncSession, organization_id: UUID, draft_id: UUID) -> None:
    """Settle the draft once none of its targets is left to run: published when all are, else failed."""
    await session.flush()
    publications: Sequence[DraftPublication] = await DraftRepository(session).publications(organization_id, draft_id)
    if any(p.status in RUNNING for p in publications):
        return
    succeeded = all(p.status is PublicationStatus.published for p in publications)
    try:
        await draft_service.finish_publishing(session, organization_id, draft_id, succeeded=succeeded, actor=SYSTEM)
    except DraftTransitionNotAllowed:
        return  # settled by a concurrent target's job


async def _queue(
    session: AsyncSession, job: str, publication: DraftPublication, *, delay: timedelta | None = None
) -> None:
    await enqueue(
        session,
        job,
        publication.organization_id,
        publication_id=str(publication.id),
        lock=f"publication:{publication.id}",
        scheduled_at=utcnow() + delay if delay is not None else None,
    )


async def _account(session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> AdAccountInfo:
    account = await account_service.get_ad_account(session, organization_id, ad_account_id)
    if account is None:
        raise AdAccountNotFound()
    return account


async def _account_name(session: AsyncSession, organization_id: UUID, ad_account_id: UUID) -> str:
    account = await account_service.get_ad_account(session, organization_id, ad_account_id)
    return account.name if account is not None else ""


publishing_service = PublishingService()
