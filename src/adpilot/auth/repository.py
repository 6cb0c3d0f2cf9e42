"""Every SQL statement on the auth tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adpilot.auth.models import EmailToken, LoginFailure, RecoveryCode, SecurityEvent, User, UserSession
from adpilot.core.keyset import Keyset, keyset_page
from adpilot.core.pagination import KeysetPage, PageRequest, TimeKey
from adpilot.core.time import utcnow
from adpilot.db import driver_connection

SECURITY_EVENT_RETENTION_DAYS = 365


SECURITY_EVENTS_NEWEST_FIRST = Keyset((SecurityEvent.occurred_at, SecurityEvent.id), descending=True)


class AuthRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def user_by_email(self, email: str) -> User | None:
        query = select(User).where(func.lower(User.email) == email.lower())
        return (await self.session.scalars(query)).first()

    async def user_by_id(self, user_id: UUID) -> User | None:
        return await self.session.get(User, user_id)

    async def users_by_ids(self, user_ids: list[UUID]) -> list[User]:
        if not user_ids:
            return []
        return list((await self.session.scalars(select(User).where(User.id.in_(user_ids)))).all())

    async def add(self, row: User | UserSession | EmailToken | RecoveryCode | LoginFailure | SecurityEvent) -> None:
        self.session.add(row)
        await self.session.flush()

    async def add_user_unless_taken(self, user: User) -> bool:
        """Insert a user; False (and nothing inserted) when the email is taken, even by a sign-up committing now."""
        try:
            async with self.session.begin_nested():
                self.session.add(user)
                await self.session.flush()
        except IntegrityError:
            return False
        return True

    async def session_by_id(self, session_id: UUID, *, lock: bool = True) -> UserSession | None:
        return await self.session.get(UserSession, session_id, with_for_update=lock)

    async def rotate_refresh_token(
        self, session_id: UUID, *, old_hash: str, new_hash: str, ip: str | None, user_agent: str | None
    ) -> bool:
        """Replace the refresh-token hash if it is still ``old_hash`` (and the session active); False otherwise."""
        statement = (
            update(UserSession)
            .where(
                UserSession.id == session_id,
                UserSession.refresh_token_hash == old_hash,
                UserSession.revoked_at.is_(None),
            )
            .values(
                refresh_token_hash=new_hash,
                previous_token_hash=old_hash,
                rotated_at=utcnow(),
                generation=UserSession.generation + 1,
                last_seen_at=utcnow(),
                ip=ip,
                user_agent=user_agent,
            )
            .returning(UserSession.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).first() is not None

    async def active_session_principal(self, session_id: UUID, user_id: UUID) -> tuple[str, bool, bool] | None:
        """(email, MFA enabled, email verified) of the user of an active session: the check behind every request."""
        row = await (await driver_connection(self.session)).fetchrow(
            "SELECT u.email, u.mfa_enabled_at IS NOT NULL AS mfa_enabled, "
            "u.email_verified_at IS NOT NULL AS email_verified FROM user_sessions s "
            "JOIN users u ON u.id = s.user_id "
            "WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > now()",
            session_id,
            user_id,
        )
        return (row["email"], row["mfa_enabled"], row["email_verified"]) if row is not None else None

    async def active_sessions(self, user_id: UUID) -> list[UserSession]:
        query = (
            select(UserSession)
            .where(
                UserSession.user_id == user_id, UserSession.revoked_at.is_(None), UserSession.expires_at > func.now()
            )
            .order_by(UserSession.last_seen_at.desc())
        )
        return list((await self.session.scalars(query)).all())

    async def revoke_sessions(self, user_id: UUID, reason: str, except_session: UUID | None = None) -> None:
        statement = (
            update(UserSession)
            .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow(), revoked_reason=reason)
        )
        if except_session is not None:
            statement = statement.where(UserSession.id != except_session)
        await self.session.execute(statement)

    async def email_token(self, token_hash: str, purpose: str) -> EmailToken | None:
        query = select(EmailToken).where(EmailToken.token_hash == token_hash, EmailToken.purpose == purpose)
        return (await self.session.scalars(query.with_for_update())).first()

    async def invalidate_email_tokens(self, user_id: UUID, purpose: str) -> None:
        await self.session.execute(
            update(EmailToken)
            .where(EmailToken.user_id == user_id, EmailToken.purpose == purpose, EmailToken.used_at.is_(None))
            .values(used_at=utcnow())
        )

    async def claim_totp_step(self, user_id: UUID, step: int) -> bool:
        """Record ``step`` as the last TOTP step used, unless it (or a later one) was used already."""
        statement = (
            update(User)
            .where(User.id == user_id, or_(User.mfa_last_used_step.is_(None), User.mfa_last_used_step < step))
            .values(mfa_last_used_step=step)
            .returning(User.id)
            .execution_options(synchronize_session=False)
        )
        return (await self.session.execute(statement)).first() is not None

    async def unused_recovery_codes(self, user_id: UUID) -> list[RecoveryCode]:
        query = select(RecoveryCode).where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
        return list((await self.session.scalars(query.with_for_update())).all())

    async def delete_recovery_codes(self, user_id: UUID) -> None:
        await self.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))

    async def recent_failures(self, scope: str, key: str, window: timedelta) -> tuple[int, datetime | None]:
        """How many failures in the window, and when the oldest of them happened."""
        query = select(func.count(), func.min(LoginFailure.occurred_at)).where(
            LoginFailure.scope == scope, LoginFailure.key == key, LoginFailure.occurred_at > func.now() - window
        )
        count, oldest = (await self.session.execute(query)).one()
        return int(count), oldest

    async def clear_failures(self, scope: str, key: str) -> None:
        await self.session.execute(delete(LoginFailure).where(LoginFailure.scope == scope, LoginFailure.key == key))

    async def security_events(self, user_id: UUID, page: PageRequest[TimeKey]) -> KeysetPage[SecurityEvent, TimeKey]:
        query = select(SecurityEvent).where(SecurityEvent.user_id == user_id)
        return await keyset_page(self.session, query, SECURITY_EVENTS_NEWEST_FIRST, page)

    async def purge_expired(self, failure_window: timedelta) -> None:
        now = utcnow()
        await self.session.execute(
            delete(SecurityEvent).where(SecurityEvent.occurred_at < now - timedelta(days=SECURITY_EVENT_RETENTION_DAYS))
        )
        await self.session.execute(delete(LoginFailure).where(LoginFailure.occurred_at < now - failure_window))
        await self.session.execute(delete(EmailToken).where(EmailToken.expires_at < now - timedelta(days=7)))
        await self.session.execute(delete(UserSession).where(UserSession.expires_at < now - timedelta(days=30)))
