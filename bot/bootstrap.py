"""The composition root: builds every long-lived object, in one place, and closes them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bonifiq.cache import CachedPointsGateway
from bot.bonifiq.client import BonifiqClient
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.ports import Notifier
from bot.db.engine import check_connection, create_engine, create_session_factory
from bot.db.store import SqlStore
from bot.jobs.reminders import ReminderSweep

logger = logging.getLogger(__name__)


def utc_now() -> datetime:
    """Return the current moment; the one clock every channel hands to the core."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Services:
    """The objects a channel needs, alive for the lifetime of `open_services`."""

    conversation: Conversation
    store: SqlStore
    engine: AsyncEngine
    points: CachedPointsGateway
    client: BonifiqClient
    """The uncached client: sweeps read every customer once and must not flush the cache."""


@asynccontextmanager
async def open_services(
    settings: Settings, *, admins: frozenset[int] | None = None
) -> AsyncIterator[Services]:
    """Open the database and the points API client; close both, in reverse order."""
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    assert settings.bonifiq_api_token is not None
    assert settings.bonifiq_api_key is not None
    engine = create_engine(settings.database_url)
    try:
        await check_connection(engine)
        async with BonifiqClient(
            base_url=settings.bonifiq_base_url,
            api_token=settings.bonifiq_api_token.get_secret_value(),
            api_key=settings.bonifiq_api_key.get_secret_value(),
            timezone=settings.timezone,
            request_timeout=settings.bonifiq_timeout,
        ) as client:
            points = CachedPointsGateway(client, ttl=settings.bonifiq_cache_ttl)
            store = SqlStore(create_session_factory(engine))
            conversation = Conversation(
                store=store,
                points=points,
                timezone=settings.timezone,
                admins=settings.admin_ids if admins is None else admins,
                deadline=settings.reply_deadline,
                reminder_days=settings.reminder_days,
                invite_ttl_hours=settings.invite_ttl_hours,
                retention_days=settings.retention_days,
            )
            yield Services(conversation, store, engine, points, client)
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SqlStore]:
    """Open the database alone, for commands that need neither chat nor points API."""
    engine = create_engine(settings.database_url)
    try:
        await check_connection(engine)
        yield SqlStore(create_session_factory(engine))
    finally:
        await engine.dispose()


def build_sweeper(settings: Settings, services: Services, notifier: Notifier) -> ReminderSweep:
    """Build the reminder sweep and let admins start it from the chat."""
    sweeper = ReminderSweep(
        store=services.store,
        points=services.client,
        notifier=notifier,
        timezone=settings.timezone,
        thresholds=settings.reminder_days,
        texts=services.conversation.texts,
        concurrency=settings.bonifiq_max_concurrency,
        senders=settings.reminder_senders,
        retention_days=settings.retention_days,
    )
    services.conversation.sweeper = sweeper
    return sweeper
