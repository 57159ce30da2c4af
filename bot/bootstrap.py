"""The composition root: builds every long-lived object, in one place, and closes them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.bonifiq.client import BonifiqClient
from bot.bonifiq.health import ApiHealth
from bot.channels.telegram import BotApplication, TelegramNotifier, build_application
from bot.channels.whatsapp import SendRate, WhatsAppChannel, WhatsAppNotifier, WhatsAppSender
from bot.config import Settings
from bot.core.conversation import Conversation
from bot.core.points_cache import CachedPointsGateway
from bot.core.ports import Notifier
from bot.core.retention import RetentionPolicy
from bot.db.engine import check_connection, create_engine, create_session_factory
from bot.db.store import SqlStore
from bot.jobs.reminders import ChannelSweeps, ReminderSweep
from bot.metrics import Metrics
from bot.whatsapp.client import GraphClient

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
    metrics: Metrics
    api_health: ApiHealth
    """The points API's health, from the outcome of real requests."""


@asynccontextmanager
async def open_services(
    settings: Settings, *, admins: frozenset[str] | None = None
) -> AsyncIterator[Services]:
    """Open the database and the points API client; close both, in reverse order."""
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    assert settings.bonifiq_api_token is not None
    assert settings.bonifiq_api_key is not None
    metrics = Metrics()
    api_health = ApiHealth(clock=utc_now)

    def observe(outcome: str, seconds: float) -> None:
        api_health(outcome, seconds)
        metrics.bonifiq_request(outcome, seconds)

    engine = create_engine(settings.database_url)
    try:
        await check_connection(engine)
        async with BonifiqClient(
            base_url=settings.bonifiq_base_url,
            api_token=settings.bonifiq_api_token.get_secret_value(),
            api_key=settings.bonifiq_api_key.get_secret_value(),
            timezone=settings.timezone,
            request_timeout=settings.bonifiq_timeout,
            observer=observe,
        ) as client:
            points = CachedPointsGateway(
                client, ttl=settings.bonifiq_cache_ttl, on_lookup=metrics.cache_lookup
            )
            store = SqlStore(create_session_factory(engine))
            conversation = Conversation(
                store=store,
                points=points,
                timezone=settings.timezone,
                admins=frozenset(map(str, settings.admin_ids)) if admins is None else admins,
                deadline=settings.reply_deadline,
                reminder_days=settings.reminder_days,
                invite_ttl_hours=settings.invite_ttl_hours,
                retention=RetentionPolicy(history_days=settings.retention_days),
                whatsapp_number=settings.whatsapp_display_number if settings.whatsapp_on else None,
            )
            yield Services(conversation, store, engine, points, client, metrics, api_health)
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


def build_sweeper(
    settings: Settings, services: Services, notifier: Notifier, *, for_admins: bool = True
) -> ReminderSweep:
    """Build a channel's reminder sweep; `for_admins` lets admins start it from the chat."""
    sweeper = ReminderSweep(
        store=services.store,
        points=services.client,
        notifier=notifier,
        timezone=settings.timezone,
        thresholds=settings.reminder_days,
        texts=services.conversation.texts,
        concurrency=settings.bonifiq_max_concurrency,
        senders=settings.reminder_senders,
        metrics=services.metrics,
        retention=services.conversation.retention,
    )
    if for_admins:
        services.conversation.sweeper = sweeper
    return sweeper


@dataclass(frozen=True, slots=True)
class WhatsApp:
    """The WhatsApp channel's parts: the webhook's handler and the reminder sweep."""

    client: GraphClient
    channel: WhatsAppChannel
    sweeper: ReminderSweep


@asynccontextmanager
async def open_whatsapp(settings: Settings, services: Services) -> AsyncIterator[WhatsApp | None]:
    """Open the Graph API client when WhatsApp is configured (None when it is off); close it."""
    if not settings.whatsapp_on:
        yield None
        return
    assert settings.whatsapp_access_token is not None
    assert settings.whatsapp_phone_number_id is not None
    assert settings.whatsapp_reminder_template is not None
    async with GraphClient(
        base_url=settings.whatsapp_api_base_url,
        phone_number_id=settings.whatsapp_phone_number_id,
        access_token=settings.whatsapp_access_token.get_secret_value(),
    ) as client:
        sender = WhatsAppSender(
            client, SendRate(settings.whatsapp_send_rate), metrics=services.metrics
        )
        channel = WhatsAppChannel(services.conversation, sender, utc_now, services.metrics)
        notifier = WhatsAppNotifier(
            sender,
            services.store,
            settings.whatsapp_reminder_template,
            utc_now,
            follow_up=services.conversation.texts.text("whatsapp.buttons_follow_up"),
        )
        # Admins are on Telegram; /lembrar_agora there runs Telegram's sweep when it is on.
        sweeper = build_sweeper(
            settings, services, notifier, for_admins=services.conversation.sweeper is None
        )
        yield WhatsApp(client, channel, sweeper)


def build_telegram(settings: Settings, services: Services, *, updater: bool) -> BotApplication:
    """Build the Telegram application from the settings, for serving or for sending only."""
    settings.require("telegram_bot_token")
    assert settings.telegram_bot_token is not None
    return build_application(
        settings.telegram_bot_token.get_secret_value(),
        settings.telegram_api_base_url,
        services.conversation,
        utc_now,
        updater=updater,
        send_rate=settings.telegram_send_rate,
        metrics=services.metrics,
    )


@dataclass(frozen=True, slots=True)
class TelegramBot:
    """What a serving process runs: the services, the Telegram application, the sweep."""

    services: Services
    application: BotApplication
    sweeper: ChannelSweeps
    """Every channel's reminder sweep: Telegram's, and WhatsApp's when it is on."""


@asynccontextmanager
async def open_telegram_bot(settings: Settings, *, updater: bool) -> AsyncIterator[TelegramBot]:
    """Open the services and build the Telegram application with the sweeps and admins."""
    async with open_services(settings) as services, open_whatsapp(settings, services) as whatsapp:
        application = build_telegram(settings, services, updater=updater)
        telegram = build_sweeper(settings, services, TelegramNotifier(application.bot))
        sweeper = ChannelSweeps([telegram] if whatsapp is None else [telegram, whatsapp.sweeper])
        services.conversation.sweeper = application.bot_data.sweeper = sweeper
        application.bot_data.admins = settings.admin_ids
        yield TelegramBot(services, application, sweeper)
