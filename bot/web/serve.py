"""The `webhook` process, and the operations endpoints other processes serve on $PORT."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from pydantic import SecretStr

from bot.bootstrap import (
    Services,
    WhatsApp,
    build_sweeper,
    build_telegram,
    open_services,
    open_whatsapp,
)
from bot.channels.observed import stop_within
from bot.channels.telegram import TelegramNotifier, register_command_menus
from bot.config import Settings
from bot.db.migrate import upgrade_to_head
from bot.jobs.reminders import ChannelSweeps
from bot.shutdown import stop_on_signals
from bot.web import whatsapp as whatsapp_routes
from bot.web.app import WhatsAppWebhookSettings, create_web_app
from bot.web.server import DEFAULT_PORT, HOST, serving
from bot.web.telegram import register_webhook

logger = logging.getLogger(__name__)


async def run_webhook(settings: Settings, stop: asyncio.Event | None = None) -> None:
    """Serve the channels' webhooks, /healthz and /metrics on $PORT until SIGTERM/SIGINT."""
    channels = settings.channels()
    if "telegram" in channels:
        settings.require("webhook_secret", "webhook_url")
    settings.require("bonifiq_api_token", "bonifiq_api_key")
    stop = stop_on_signals(stop)
    await upgrade_to_head(settings.database_url)
    # No scheduled sweeps here (that is `clock`); an admin's /lembrar_agora still works.
    async with (
        open_services(settings) as services,
        open_whatsapp(settings, services) as whatsapp,
        AsyncExitStack() as stack,
    ):
        application = None
        sweepers = [whatsapp.sweeper] if whatsapp is not None else []
        if "telegram" in channels:
            application = build_telegram(settings, services, updater=False)
            sweeper = build_sweeper(settings, services, TelegramNotifier(application.bot))
            application.bot_data.sweeper = sweeper
            application.bot_data.admins = settings.admin_ids
            sweepers.append(sweeper)
            await stack.enter_async_context(application)
            await register_command_menus(
                application.bot, services.conversation, settings.admin_ids
            )
            await application.start()
        services.conversation.sweeper = ChannelSweeps(sweepers)
        app = create_web_app(
            services,
            telegram_application=application,
            webhook_secret=_secret(settings.webhook_secret),
            metrics_token=_token(settings),
            admin_api_token=_secret(settings.admin_api_token),
            whatsapp_webhook=_whatsapp_webhook(settings, whatsapp),
        )
        try:
            async with serving(app, settings.port or DEFAULT_PORT) as bound:
                names = []
                if application is not None:
                    assert settings.webhook_url is not None
                    assert settings.webhook_secret is not None
                    secret = settings.webhook_secret.get_secret_value()
                    await register_webhook(application, settings.webhook_url, secret)
                    names.append(f"telegram (webhook for @{application.bot.username})")
                if whatsapp is not None:
                    names.append(f"whatsapp (webhook at {whatsapp_routes.PATH})")
                logger.info("Listening on %s:%d; channels: %s", HOST, bound, ", ".join(names))
                await stop.wait()
                logger.info("Stopping: no new updates; finishing the accepted ones")
        finally:
            # Accepted updates had their grace period in `serving`'s clean-up.
            stopping = [ChannelSweeps(sweepers).stop()]
            if application is not None:
                stopping.append(stop_within(application, 1.0))
            await asyncio.gather(*stopping)


def _whatsapp_webhook(
    settings: Settings, whatsapp: WhatsApp | None
) -> WhatsAppWebhookSettings | None:
    if whatsapp is None:
        return None
    assert settings.whatsapp_app_secret is not None
    assert settings.whatsapp_verify_token is not None
    assert settings.whatsapp_display_number is not None
    return WhatsAppWebhookSettings(
        whatsapp.channel,
        settings.whatsapp_app_secret.get_secret_value(),
        settings.whatsapp_verify_token.get_secret_value(),
        settings.whatsapp_display_number,
    )


@asynccontextmanager
async def operations_endpoints(settings: Settings, services: Services) -> AsyncIterator[None]:
    """Serve /healthz and /metrics on $PORT while the block runs, when PORT is set."""
    if settings.port is None:
        yield
        return
    app = create_web_app(services, metrics_token=_token(settings))
    async with serving(app, settings.port) as bound:
        logger.info("Serving /healthz and /metrics on %s:%d", HOST, bound)
        yield


def _token(settings: Settings) -> str | None:
    return _secret(settings.metrics_token)


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
