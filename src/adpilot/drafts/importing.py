"""Importing a CSV file of campaigns, ad groups and ads into drafts: the dry run, the all-or-nothing import and the
once-per-file rule (docs/drafts-import.md).

``csv_import`` reads the file (pure); this part looks up the organization's ad accounts, remembers each imported file
by its SHA-256 in ``draft_imports`` and creates the drafts as the drafts service does (first version, status draft,
an audit entry each), all in the request's transaction.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.audit import audit_service
from adpilot.connections import account_service
from adpilot.core.errors import FieldError
from adpilot.core.time import utcnow
from adpilot.drafts.csv_format import ImportAccount, template_csv, template_examples
from adpilot.drafts.csv_import import ImportedDraft, ImportProblem, ParsedImport, parse_drafts_csv
from adpilot.drafts.errors import DraftImportInvalid
from adpilot.drafts.repository import DraftRepository
from adpilot.drafts.schemas import (
    DraftImportResult,
    ImportedDraftRead,
    ImportProblemRead,
    ImportTargetRead,
    Severity,
)
from adpilot.drafts.service import draft_service
from adpilot.organizations import TenantContext

# A 422 with thousands of problems is answered with the first ones (and the counts).
MAX_REPORTED_PROBLEMS = 1_000


def _problem(problem: ImportProblem) -> ImportProblemRead:
    return ImportProblemRead(
        line=problem.line,
        column=problem.column,
        code=problem.code,
        message=problem.message,
        severity=problem.severity,
        path=problem.path,
        platform=problem.platform,
    )


def _draft(draft: ImportedDraft, draft_id: UUID | None = None) -> ImportedDraftRead:
    names = {account.id: account.name for account in draft.accounts}
    return ImportedDraftRead(
        key=draft.key,
        line=draft.line,
        name=draft.document.name,
        targets=[
            ImportTargetRead(
                platform=target.platform,
                ad_account_id=target.ad_account_id,
                ad_account_name=names.get(target.ad_account_id) if target.ad_account_id else None,
            )
            for target in draft.document.targets
        ],
        ad_groups=draft.ad_group_count,
        ads=draft.ad_count,
        errors=draft.errors,
        warnings=draft.warnings,
        draft_id=draft_id,
    )


def _result(parsed: ParsedImport, sha256: str, *, dry_run: bool) -> DraftImportResult:
    errors = len(parsed.errors)
    return DraftImportResult(
        dry_run=dry_run,
        duplicate=False,
        created=False,
        import_id=None,
        sha256=sha256,
        rows=parsed.rows,
        drafts=[_draft(draft) for draft in parsed.drafts],
        problems=[_problem(problem) for problem in parsed.problems[:MAX_REPORTED_PROBLEMS]],
        error_count=errors,
        warning_count=len(parsed.problems) - errors,
        imported_at=None,
    )


def _location(problem: ImportProblem) -> list[str | int]:
    """Where a problem is, as request errors say it: ``["body", line, column]``."""
    location: list[str | int] = ["body"]
    if problem.line is not None:
        location.append(problem.line)
    if problem.column:
        location.append(problem.column)
    return location


def _invalid(parsed: ParsedImport) -> DraftImportInvalid:
    errors = parsed.errors
    shown = errors[:MAX_REPORTED_PROBLEMS]
    detail = f"{len(errors)} problem(s) to fix; nothing was imported."
    if len(errors) > len(shown):
        detail += f" The first {len(shown)} are listed."
    return DraftImportInvalid(
        detail,
        errors=[FieldError(loc=_location(error), msg=error.message, type=error.code).model_dump() for error in shown],
        problems=[_problem(error).model_dump(mode="json") for error in shown],
        error_count=len(errors),
    )


class DraftImportService:
    async def _accounts(self, session: AsyncSession, tenant: TenantContext) -> list[ImportAccount]:
        return [
            ImportAccount(
                id=account.id,
                platform=account.platform,
                name=account.name,
                platform_account_id=account.platform_account_id,
                currency=account.currency,
            )
            for account in await account_service.list_ad_accounts(session, tenant.organization_id)
        ]

    async def template(self, session: AsyncSession, tenant: TenantContext) -> str:
        """The import template: every column and a draft for Google and Meta with the organization's ad accounts."""
        accounts = await self._accounts(session, tenant)
        return template_csv(template_examples(accounts, utcnow().date() + timedelta(days=7)))

    async def _earlier(
        self, session: AsyncSession, tenant: TenantContext, sha256: str, *, dry_run: bool
    ) -> DraftImportResult | None:
        earlier = await DraftRepository(session).import_by_sha256(tenant.organization_id, sha256)
        if earlier is None:
            return None
        result = DraftImportResult.model_validate(earlier.result)
        return result.model_copy(update={"dry_run": dry_run, "duplicate": True})

    async def import_csv(
        self, session: AsyncSession, tenant: TenantContext, content: bytes, *, dry_run: bool
    ) -> DraftImportResult:
        """Read a CSV file into drafts. A dry run answers every problem and the drafts it would create; otherwise
        every draft is created, or none when the file has an error (DraftImportInvalid). A file the organization
        imported before creates nothing and answers the earlier result with ``duplicate``."""
        sha256 = hashlib.sha256(content).hexdigest()
        earlier = await self._earlier(session, tenant, sha256, dry_run=dry_run)
        if earlier is not None:
            return earlier
        accounts = await self._accounts(session, tenant)
        parsed = parse_drafts_csv(content, accounts, today=utcnow().date())
        if dry_run:
            return _result(parsed, sha256, dry_run=True)
        if parsed.errors:
            raise _invalid(parsed)
        now = utcnow()
        repository = DraftRepository(session)
        import_id = await repository.claim_import(
            {
                "organization_id": tenant.organization_id,
                "sha256": sha256,
                "rows": parsed.rows,
                "draft_ids": [],
                "result": {},
                "created_by_user_id": tenant.user_id,
                "created_at": now,
            }
        )
        if import_id is None:
            # The same file, imported by a concurrent request that committed first.
            earlier = await self._earlier(session, tenant, sha256, dry_run=False)
            if earlier is not None:
                return earlier
            raise DraftImportInvalid("The same file is being imported; try again.")
        created: list[ImportedDraftRead] = []
        for draft in parsed.drafts:
            view = await draft_service.create_imported(
                session, tenant, draft.document, {"import_id": str(import_id), "import_line": draft.line}
            )
            created.append(_draft(draft, view.draft.id))
        warnings = sum(problem.severity is Severity.warning for problem in parsed.problems)
        result = _result(parsed, sha256, dry_run=False).model_copy(
            update={"drafts": created, "created": True, "import_id": import_id, "imported_at": now}
        )
        record = await repository.get_import(tenant.organization_id, import_id)
        if record is not None:
            record.draft_ids = [draft.draft_id for draft in created if draft.draft_id is not None]
            record.result = result.model_dump(mode="json")
        await repository.flush()
        await audit_service.record(
            session,
            tenant.organization_id,
            tenant.actor,
            "draft_import.imported",
            target_type="draft_import",
            target_id=import_id,
            after={"sha256": sha256, "rows": parsed.rows, "drafts": len(created), "warnings": warnings},
        )
        return result


draft_import_service = DraftImportService()
