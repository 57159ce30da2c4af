"""The SQL-backed Store: one AsyncSession per unit of work."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.core.models import Sighting, UserProfile
from bot.core.ports import (
    AuditRepository,
    ChatUserRepository,
    InboundRepository,
    InviteRepository,
    LinkRepository,
    PrivacyRepository,
    ReminderRepository,
)
from bot.db.engine import SQLITE_BEGIN_OPTION, SQLITE_NO_BEGIN
from bot.db.inbound import SqlInboundRepository
from bot.db.invites import SqlInviteRepository
from bot.db.privacy import SqlPrivacyRepository
from bot.db.reminders import SqlReminderRepository
from bot.db.repositories import SqlAuditRepository, SqlChatUserRepository, SqlLinkRepository
from bot.db.sightings import read_sighting


class SqlUnitOfWork:
    """One database transaction shared by the repositories; kept only if committed."""

    users: ChatUserRepository
    links: LinkRepository
    audit: AuditRepository
    reminders: ReminderRepository
    invites: InviteRepository
    privacy: PrivacyRepository
    inbound: InboundRepository

    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        self.users = SqlChatUserRepository(session)
        self.links = SqlLinkRepository(session)
        self.audit = SqlAuditRepository(session)
        self.reminders = SqlReminderRepository(session)
        self.invites = SqlInviteRepository(session)
        self.privacy = SqlPrivacyRepository(session)
        self.inbound = SqlInboundRepository(session)

    async def commit(self) -> None:
        """Make every change so far permanent; later changes need another commit."""
        await self._session.commit()


class SqlStore:
    """Opens units of work on a session factory."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession]) -> None:
        self._session_factory = session_factory
        bind = session_factory.kw.get("bind")
        if not isinstance(bind, AsyncEngine):
            raise TypeError("the session factory must be bound to an AsyncEngine")
        self._engine = bind
        # SQLite has one writer at a time, and writers waiting on its busy timeout are served
        # in no order: under many concurrent updates one can starve until "database is
        # locked". Queueing this process's writers here serves them in turn instead.
        sqlite = bind.dialect.name == "sqlite"
        self._writers = asyncio.Lock() if sqlite else None
        # One statement alone: SQLite without BEGIN, PostgreSQL in autocommit (asyncpg then
        # sends no BEGIN and ROLLBACK either).
        self._single_statement = (
            {SQLITE_BEGIN_OPTION: SQLITE_NO_BEGIN} if sqlite else {"isolation_level": "AUTOCOMMIT"}
        )

    @asynccontextmanager
    async def unit_of_work(self, *, writes: bool = True) -> AsyncIterator[SqlUnitOfWork]:
        """Start a transaction; whatever is not committed is rolled back on exit."""
        if writes and self._writers is not None:
            async with self._writers, self._unit_of_work(writes=True) as uow:
                yield uow
        else:
            async with self._unit_of_work(writes=writes) as uow:
                yield uow

    async def sighting(self, profile: UserProfile, chat_id: str | None, now: datetime) -> Sighting:
        """Read what every message needs to know about its sender, in one statement.

        No transaction: one SELECT is consistent on its own, and BEGIN and ROLLBACK around it
        were two more round trips (three more hops to SQLite's thread) on every message.
        """
        async with self._engine.connect() as connection:
            alone = await connection.execution_options(**self._single_statement)
            return await read_sighting(alone, profile, chat_id, now)

    @asynccontextmanager
    async def _unit_of_work(self, *, writes: bool) -> AsyncIterator[SqlUnitOfWork]:
        async with self._session_factory() as session:
            begin = "IMMEDIATE" if writes else "DEFERRED"
            await session.connection(execution_options={SQLITE_BEGIN_OPTION: begin})
            try:
                yield SqlUnitOfWork(session)
            finally:
                # Also reached on exceptions and cancellation: nothing half-done survives.
                await session.rollback()


__all__ = ["SqlStore", "SqlUnitOfWork"]
