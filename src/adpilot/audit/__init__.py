"""The append-only, hash-chained audit log. Public surface: the service and its data objects."""

from adpilot.audit.service import SYSTEM, Actor, AuditService, ChainReport, TargetNameResolver, audit_service

__all__ = ["SYSTEM", "Actor", "AuditService", "ChainReport", "TargetNameResolver", "audit_service"]
