"""The SQL-backed Store: one AsyncSession per unit of work."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.ports import (
    AuditRepository,
    ChatUserRepository,
    InviteRepository,
    LinkRepository,
    PrivacyRepository,
    ReminderRepository,
)
from bot.db.engine import SQLITE_BEGIN_OPTION
from bot.db.invites import SqlInviteRepository
from bot.db.privacy import SqlPrivacyRepository
from bot.db.repositories import (
    SqlAuditRepository,
    SqlChatUserRepository,
    SqlLinkRepository,
    SqlReminderRepository,
)


class SqlUnitOfWork:
    """One database transaction shared by the repositories; kept only if committed."""

    users: ChatUserRepository
    links: LinkRepository
    audit: AuditRepository
    reminders: ReminderRepository
    invites: InviteRepository
    privacy: PrivacyRepository

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.users = SqlChatUserRepository(session)
        self.links = SqlLinkRepository(session)
        self.audit = SqlAuditRepository(session)
        self.reminders = SqlReminderRepository(session)
        self.invites = SqlInviteRepository(session)
        self.privacy = SqlPrivacyRepository(session)

    async def commit(self) -> None:
        """Make every change so far permanent; later changes need another commit."""
        await self._session.commit()


class SqlStore:
    """Opens units of work on a session factory."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory

    @asynccontextmanager
    async def unit_of_work(self, *, writes: bool = True) -> AsyncIterator[SqlUnitOfWork]:
        """Start a transaction; whatever is not committed is rolled back on exit."""
        async with self._session_factory() as session:
            begin = "IMMEDIATE" if writes else "DEFERRED"
            await session.connection(execution_options={SQLITE_BEGIN_OPTION: begin})
            try:
                yield SqlUnitOfWork(session)
            finally:
                # Also reached on exceptions and cancellation: nothing half-done survives.
                await session.rollback()


__all__ = ["SqlStore", "SqlUnitOfWork"]
