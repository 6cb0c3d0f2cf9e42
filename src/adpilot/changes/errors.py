"""Errors of the change pipeline, each with its HTTP status."""

from __future__ import annotations

from adpilot.core.errors import AppError


class ChangeNotFound(AppError):
    status_code = 404
    code = "change-not-found"
    title = "Change not found"


class EntityNotFound(AppError):
    status_code = 404
    code = "entity-not-found"
    title = "Entity not found"


class ChangesRefused(AppError):
    """At least one change of a request breaks a rule; ``problems`` lists each (nothing was stored)."""

    status_code = 409
    code = "changes-refused"
    title = "Changes refused"


class ChangeNotPending(AppError):
    status_code = 409
    code = "change-not-pending"
    title = "The change is not waiting for approval"


class ChangeNotUndoable(AppError):
    status_code = 409
    code = "change-not-undoable"
    title = "The change cannot be undone"


class InvalidChangeFilters(AppError):
    status_code = 422
    code = "invalid-change-filters"
    title = "The filters of the list of changes are invalid"


class ChangeExpired(AppError):
    """A change waited for approval longer than ``PENDING_APPROVAL_EXPIRES_AFTER``: it can no longer be approved."""

    status_code = 409
    code = "change-expired"
    title = "The change expired before it was approved"


class ChangesCsvInvalid(AppError):
    """A CSV file of changes that cannot be read (size, encoding, header, rows): ``problems`` lists each by line
    and column."""

    status_code = 422
    code = "changes-csv-invalid"
    title = "The CSV file of changes cannot be read"
