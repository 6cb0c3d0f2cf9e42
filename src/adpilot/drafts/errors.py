"""Errors of the drafts module."""

from __future__ import annotations

from adpilot.core.errors import AppError, Conflict, NotFound


class DraftNotFound(NotFound):
    code = "draft-not-found"
    title = "Draft not found"


class DraftVersionNotFound(NotFound):
    code = "draft-version-not-found"
    title = "This draft has no such version"


class DraftVersionConflict(Conflict):
    code = "draft-version-conflict"
    title = "The draft was saved by someone else since this version: reload it and apply your edit again"


class DraftLocked(Conflict):
    code = "draft-locked"
    title = "The draft is being published or was published: duplicate it to change it"


class DraftTransitionNotAllowed(Conflict):
    code = "draft-transition-not-allowed"
    title = "The draft's status does not allow this step"


class DraftInvalid(Conflict):
    code = "draft-invalid"
    title = "The draft has problems to fix before it can be reviewed"


class DraftTargetInvalid(Conflict):
    code = "draft-target-invalid"
    title = "A target ad account is not one of the organization's, or is on another platform"


class CampaignNotSynced(NotFound):
    code = "campaign-not-synced"
    title = "This campaign is not among the account's synced entities"


class UtmTemplateInvalid(AppError):
    status_code = 400
    code = "utm-template-invalid"
    title = "The URL template uses an unknown placeholder"


class DraftImportInvalid(AppError):
    """A CSV import with errors: nothing was created; ``errors`` locate each one (``["body", line, column]``) and
    ``problems`` carry them in full."""

    status_code = 422
    code = "draft-import-invalid"
    title = "The file has problems; nothing was imported"


class PublicationNotFound(NotFound):
    code = "publication-not-found"
    title = "This draft has not been published"


class NothingToRetry(Conflict):
    code = "publication-nothing-to-retry"
    title = "No target of this publication failed: there is nothing to retry"


class NothingToDiscard(Conflict):
    code = "publication-nothing-to-discard"
    title = "Nothing this publication created is left to remove"


class PublicationNotDiscarded(Conflict):
    code = "publication-not-discarded"
    title = "An earlier publication of this draft created entities: retry it or discard them first"


class PublishTargetMissing(Conflict):
    code = "publish-target-missing"
    title = "Every target of the draft needs an ad account before it is published"
